import { describe, expect, it } from 'vitest';

import { defaultPinnRunOptions } from '../solvers/pinn/runOptions';
import { pinnResumeBlockedReason } from './useReconstruction';

describe('pinnResumeBlockedReason', () => {
  it('allows a different epoch count', () => {
    expect(pinnResumeBlockedReason(defaultPinnRunOptions, { ...defaultPinnRunOptions, epochs: 7 })).toBeNull();
  });

  it('names every changed setting', () => {
    const reason = pinnResumeBlockedReason(defaultPinnRunOptions, {
      ...defaultPinnRunOptions,
      batchSize: 8,
      filterScale: 0.5,
    });
    expect(reason).toMatch(/^The batch size and network width changed since this network was trained\./);
    expect(reason).toMatch(/press Train PtychoPINN/);
  });

  it('rejects an invalid epoch count', () => {
    expect(pinnResumeBlockedReason(defaultPinnRunOptions, { ...defaultPinnRunOptions, epochs: 0 })).toMatch(
      /Epochs must be a whole number from 1 to 10000 to resume, received 0/,
    );
  });
});
