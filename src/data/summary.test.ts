import { describe, expect, it } from 'vitest';

import type { ScanDataset } from './dataset';
import { summarizeCountsInChunks, summarizePositions, summarizeScan } from './summary';

function dataset(length: number): ScanDataset {
  // 3 patterns; values i mod 1000, so the maximum is 999 and the total has a closed form.
  return {
    name: 'test',
    patternCount: 3,
    patternSize: Math.sqrt(length / 3),
    intensities: Float32Array.from({ length }, (_, i) => i % 1000),
    positionX_px: Float32Array.from([1, -2, 5]),
    positionY_px: Float32Array.from([0, 7, 3]),
    probe: null,
    provenance: '',
  };
}

describe('scan summary', () => {
  it('gives the position extent', () => {
    const summary = summarizePositions(dataset(3 * 16));
    expect([summary.minX_px, summary.maxX_px, summary.minY_px, summary.maxY_px]).toEqual([-2, 5, 0, 7]);
  });

  it('computes counts in chunks like the single pass', async () => {
    // 3 × 1536² values span several chunks of 4 Mi values.
    const scan = dataset(3 * 1536 * 1536);
    const whole = summarizeScan(scan);
    const chunked = await summarizeCountsInChunks(scan);
    const length = scan.intensities.length;
    const fullCycles = Math.floor(length / 1000);
    const rest = length % 1000;
    const expectedTotal = fullCycles * ((999 * 1000) / 2) + ((rest - 1) * rest) / 2;
    expect(chunked.maxCount).toBe(999);
    expect(chunked.meanCountsPerPattern).toBeCloseTo(expectedTotal / 3, 0);
    expect(chunked.meanCountsPerPattern).toBe(whole.meanCountsPerPattern);
  });
});
