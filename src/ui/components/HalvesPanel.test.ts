import { describe, expect, it } from 'vitest';

import { describeHalvesRun } from './HalvesPanel';

describe('describeHalvesRun', () => {
  it('uses the singular for one iteration', () => {
    const text = describeHalvesRun({ counts: [258, 258], iterations: 1, elapsed_ms: 3800, completed: true });
    expect(text).toBe('The even and the odd positions (258 and 258 patterns) were reconstructed separately, 1 iteration each, in 3.8 s.');
  });

  it('uses the plural for a stopped run', () => {
    const text = describeHalvesRun({ counts: [258, 257], iterations: 20, elapsed_ms: 42_000, completed: false });
    expect(text).toContain('20 iterations each');
    expect(text).toContain('(258 and 257 patterns)');
    expect(text).toMatch(/in 42 s \(stopped before the end\)\.$/);
  });
});
