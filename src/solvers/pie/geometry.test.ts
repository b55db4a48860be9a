import { describe, expect, it } from 'vitest';

import { computeScanGeometry } from './geometry';
import { scaleProbeToPhotons } from './probeScale';

describe('computeScanGeometry', () => {
  it('shifts the smallest corner to the padding and rounds to whole pixels', () => {
    const y = new Float32Array([-165.2, -100.6, 10.4]);
    const x = new Float32Array([20.5, -30.25, 0]);
    const geometry = computeScanGeometry(y, x, 128, 4);
    expect(Array.from(geometry.row_px)).toEqual([4, 69, 180]);
    // 20.5 + 34.25 = 54.75 → 55; −30.25 + 34.25 = 4; 0 + 34.25 = 34.25 → 34
    expect(Array.from(geometry.col_px)).toEqual([55, 4, 34]);
    expect(geometry.objectHeight_px).toBe(180 + 128 + 4);
    expect(geometry.objectWidth_px).toBe(55 + 128 + 4);
    expect(geometry.originY_px).toBeCloseTo(-169.2, 4);
    expect(geometry.originX_px).toBeCloseTo(-34.25, 4);
  });

  it('rejects mismatched position arrays', () => {
    expect(() => computeScanGeometry(new Float32Array(3), new Float32Array(2), 64)).toThrow(
      /one \(y, x\) pair per pattern, received 3 rows and 2 columns/,
    );
  });
});

describe('scaleProbeToPhotons', () => {
  it('makes Σ|P|² equal the mean counts per pattern', () => {
    const probe = new Float32Array([1, 0, 0, 1, 1, 1, 0, 0]); // Σ|P|² = 1 + 1 + 2 = 4
    const intensities = new Float32Array([100, 300, 0, 0, 200, 200, 0, 0]); // two patterns: 400 each
    const scaled = scaleProbeToPhotons(probe, intensities, 2);
    let power = 0;
    for (const value of scaled) power += value * value;
    expect(power).toBeCloseTo(400, 3);
    expect(scaled[0] / scaled[2 * 2]).toBeCloseTo(1, 6);
  });

  it('rejects an all-zero probe', () => {
    expect(() => scaleProbeToPhotons(new Float32Array(8), new Float32Array([1, 2, 3, 4]), 1)).toThrow(/both must be positive/);
  });
});
