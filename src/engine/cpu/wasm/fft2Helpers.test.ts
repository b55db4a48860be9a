// The split of one round's items over the calling thread and the helpers.
import { describe, expect, it } from 'vitest';

import { splitRound } from './fft2Helpers';

describe('splitRound', () => {
  it('gives equal shares when the count divides evenly', () => {
    expect(splitRound(16, 2)).toEqual([8, 8]);
  });

  it('gives leftovers to helpers, not the calling thread', () => {
    expect(splitRound(7, 2)).toEqual([3, 4]);
    expect(splitRound(11, 4)).toEqual([2, 3, 3, 3]);
  });

  it('leaves the calling thread empty below one item per thread', () => {
    expect(splitRound(2, 4)).toEqual([0, 1, 1, 0]);
  });
});
