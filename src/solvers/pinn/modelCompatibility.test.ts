import { describe, expect, it } from 'vitest';

import { checkModelForScan, meanCountsInCentralCrop, type ScanForModelCheck } from './modelCompatibility';
import { testSidecar } from './testSidecar';

/** Sidecar of a model that reads 32 × 32 crops of 128 × 128 training patterns with 1000 counts each. */
const sidecar = testSidecar({
  patternSize: 32,
  sourcePatternSize: 128,
  trainingScanName: 'training.npz',
  trainingPatternCount: 64,
  epochs: 20,
  finalTrainLoss: -10,
});

/** Builds a scan of `patternCount` patterns of side `patternSize`, each with `countsInCrop` counts in its central 32 × 32. */
function scanWith(patternSize: number, countsInCrop: number, patternCount = 3): ScanForModelCheck {
  const intensities = new Float32Array(patternCount * patternSize * patternSize);
  const perPixel = countsInCrop / (32 * 32);
  for (let pattern = 0; pattern < patternCount; pattern += 1) {
    for (let row = 0; row < patternSize; row += 1) {
      for (let col = 0; col < patternSize; col += 1) {
        // Zero frequency at [0, 0]: the central crop is within 16 pixels of a corner, cyclically.
        const distanceY = Math.min(row, patternSize - row);
        const distanceX = Math.min(col, patternSize - col);
        const inCrop = (row < 16 || patternSize - row <= 16) && (col < 16 || patternSize - col <= 16);
        const value = inCrop ? perPixel : 7 * (distanceY + distanceX);
        intensities[pattern * patternSize * patternSize + row * patternSize + col] = value;
      }
    }
  }
  return { patternCount, patternSize, intensities };
}

describe('meanCountsInCentralCrop', () => {
  it('sums the centred crop', () => {
    // One 4 × 4 pattern with the zero frequency at [0, 0]: its central 2 × 2 after fftshift are rows and columns 3 and 0.
    const intensities = Float32Array.from({ length: 16 }, (_, index) => index);
    const expected = intensities[3 * 4 + 3] + intensities[3 * 4 + 0] + intensities[0 * 4 + 3] + intensities[0];
    expect(meanCountsInCentralCrop(intensities, 1, 4, 2)).toBe(expected);
  });

  it('averages over patterns', () => {
    const scan = scanWith(64, 1500, 4);
    expect(meanCountsInCentralCrop(scan.intensities, 4, 64, 32)).toBeCloseTo(1500, 6);
  });
});

describe('checkModelForScan', () => {
  it('blocks patterns smaller than the model', () => {
    const check = checkModelForScan({ ...sidecar, patternSize: 128 }, scanWith(64, 1000));
    expect(check.blocker).toMatch(/^This model reads 128 × 128 patterns and this scan has 64 × 64 patterns, so the model cannot reconstruct it\./);
    expect(check.blocker).toMatch(/Load a scan with patterns of at least 128 × 128, or train a model on this scan\./);
    expect(check.warnings).toEqual([]);
  });

  it('blocks a scan without counts', () => {
    const check = checkModelForScan(sidecar, scanWith(128, 0));
    expect(check.blocker).toMatch(/has a mean count of 0, so the patterns cannot be normalised/);
  });

  it('accepts a scan like the training scan', () => {
    expect(checkModelForScan(sidecar, scanWith(128, 1900))).toEqual({ blocker: null, warnings: [] });
    expect(checkModelForScan(sidecar, scanWith(128, 600))).toEqual({ blocker: null, warnings: [] });
  });

  it('warns about another source pattern size', () => {
    const check = checkModelForScan(sidecar, scanWith(64, 1000));
    expect(check.blocker).toBeNull();
    expect(check.warnings).toEqual([
      'The model was trained on 128 × 128 patterns and this scan has 64 × 64, so the central 32 × 32 that the network reads is a different share of each pattern than in training.',
    ]);
  });

  it('warns about many more counts', () => {
    const check = checkModelForScan(sidecar, scanWith(128, 5120));
    expect(check.warnings).toEqual([
      'This scan has 5,120 counts per pattern in the central 32 × 32, 5.1× more than the training scan\'s 1,000, so its noise level differs from what the network learned.',
    ]);
  });

  it('warns about many fewer counts', () => {
    const check = checkModelForScan(sidecar, scanWith(128, 40));
    expect(check.warnings).toHaveLength(1);
    expect(check.warnings[0]).toMatch(/has 40 counts per pattern in the central 32 × 32, 25× fewer than the training scan's 1,000/);
  });

  it('lists both differences', () => {
    expect(checkModelForScan(sidecar, scanWith(64, 100_000)).warnings).toHaveLength(2);
  });
});
