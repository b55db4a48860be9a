import { describe, expect, it } from 'vitest';

import { expectedReaders, readReaderFixture } from '../../../test/fixtures/readers/readerFixtures';
import type { ScanDataset } from '../dataset';
import { createNpyArray } from '../npy';
import { writeNpz } from '../npz';
import { defaultProbe } from '../../solvers/pie/probeScale';
import { applyMapping, readScanFile } from './detect';
import type { ReadResult } from './readResult';
import {
  countFigures,
  findDuplicatePairs,
  formatCount,
  fullScaleBits,
  isSaturationSuspected,
  nearestNeighbourDistances,
  probeFootprintDiameter,
  summarizeReadResult,
} from './scanSummary';

/**
 * Values NumPy computed in float64 from the arrays that expected.json records for each fixture:
 * step = mean over positions of min_j≠i hypot(xi − xj, yi − yj); probe area
 * A = (Σ|P|²)² / Σ|P|⁴ and D = 2·sqrt(A/π), with the solver's default probe
 * 1 / (1 + exp((r − N/4) / 1.5)) where the file has none; counts per pattern I.sum((1, 2)).mean().
 */
const NUMPY = {
  'pinn-amplitude.npz': {
    meanStep_px: 4.042579792,
    probeDiameter_px: 12.85946918,
    linearOverlap: 0.6856340075,
    meanPerPattern: 12.89120002,
    maxPixel: 0.6768000126,
    pixelsAtMax: 1,
    pixelsNearMax: 6,
    extentX_px: 17.57675362,
    extentY_px: 11.30419159,
    outside: 6,
  },
  'scan-3n-detector.cxi': {
    meanStep_px: 4.992071988,
    probeDiameter_px: 9.930564577,
    linearOverlap: 0.4973022984,
    meanPerPattern: 8098.5,
    maxPixel: 423.0,
    pixelsAtMax: 1,
    pixelsNearMax: 5,
    extentX_px: 7.368892193,
    extentY_px: 16.77589658,
    extentX_m: 2.511802214e-6,
    extentY_m: 2.859163431e-6,
  },
};

function dataset(overrides: Partial<ScanDataset>): ScanDataset {
  return {
    name: 'hand.npz',
    patternCount: 1,
    patternSize: 2,
    intensities: new Float32Array(4),
    positionX_px: new Float32Array([0]),
    positionY_px: new Float32Array([0]),
    probe: null,
    provenance: 'test',
    ...overrides,
  };
}

function readResult(data: ScanDataset, extra: Partial<ReadResult> = {}): ReadResult {
  return {
    kind: 'dataset',
    format: 'mapped-npz',
    dataset: data,
    notices: [],
    objectGuess: null,
    measurement: null,
    zeroFrequency: null,
    geometry: null,
    validPixels: null,
    ...extra,
  };
}

describe('nearestNeighbourDistances', () => {
  it('should match hand-computed distances', () => {
    // Points (0,0), (3,4), (3,0), (10,0): nearest distances 3, 4, 3, 7.
    const distances = nearestNeighbourDistances([0, 3, 3, 10], [0, 4, 0, 0]);
    expect(distances).toEqual([3, 4, 3, 7]);
  });

  it('should return no distance for one position', () => {
    expect(nearestNeighbourDistances([1], [2])).toEqual([]);
  });

  it('should match brute force on a shuffled grid', () => {
    const x: number[] = [];
    const y: number[] = [];
    for (let index = 0; index < 200; index++) {
      x.push((index * 37) % 23 + 0.1 * Math.sin(index));
      y.push(Math.floor(index / 23) * 1.7 + 0.1 * Math.cos(index));
    }
    const fast = nearestNeighbourDistances(x, y);
    const slow = x.map((xi, i) => Math.min(...x.map((xj, j) => (i === j ? Infinity : Math.hypot(xi - xj, y[i] - y[j])))));
    expect(fast).toEqual(slow);
  });
});

describe('probeFootprintDiameter', () => {
  it('should equal the diameter of a flat disc', () => {
    // A flat probe over 12 pixels has effective area 12, so D = 2·sqrt(12/π).
    const probe = new Float32Array(2 * 64);
    for (let pixel = 0; pixel < 12; pixel++) probe[2 * pixel + 1] = 3;
    expect(probeFootprintDiameter(probe)).toBeCloseTo(2 * Math.sqrt(12 / Math.PI), 12);
  });

  it('should return 0 for a zero probe', () => {
    expect(probeFootprintDiameter(new Float32Array(8))).toBe(0);
  });
});

describe('countFigures', () => {
  it('should count negative and non-finite pixels', () => {
    const counts = countFigures(new Float32Array([1, -2, Number.NaN, 4, Infinity, 3, 0, -1]), 2);
    expect(counts.negativePixels).toBe(2);
    expect(counts.nonFinitePixels).toBe(2);
    expect(counts.maxPixel).toBe(4);
    // Finite sums: pattern 0 is 1 − 2 + 4 = 3, pattern 1 is 3 + 0 − 1 = 2.
    expect(counts.meanPerPattern).toBe(2.5);
  });

  it('should count pixels at and near the maximum', () => {
    const counts = countFigures(new Float32Array([100, 100, 100, 95, 89, 10]), 1);
    expect(counts.pixelsAtMax).toBe(3);
    expect(counts.pixelsNearMax).toBe(1);
  });
});

describe('saturation', () => {
  it('should recognise n-bit full scale', () => {
    expect(fullScaleBits(255)).toBe(8);
    expect(fullScaleBits(65535)).toBe(16);
    expect(fullScaleBits(4294967295)).toBe(32);
    expect(fullScaleBits(65534)).toBeNull();
    expect(fullScaleBits(127)).toBeNull();
  });

  it('should flag a spike at the maximum', () => {
    expect(isSaturationSuspected(countFigures(new Float32Array([500, 500, 500, 460, 20]), 1))).toBe(true);
  });

  it('should flag one pixel at 2^16 − 1', () => {
    expect(isSaturationSuspected(countFigures(new Float32Array([65535, 3, 2]), 1))).toBe(true);
  });

  it('should not flag a thinning tail', () => {
    expect(isSaturationSuspected(countFigures(new Float32Array([500, 495, 480, 470, 20]), 1))).toBe(false);
  });
});

describe('summarizeReadResult warnings', () => {
  it('should warn on negative, NaN and saturated counts', () => {
    const intensities = new Float32Array([-1, Number.NaN, 255, 7]);
    const summary = summarizeReadResult(readResult(dataset({ intensities })), defaultProbe(2));
    const codes = summary.warnings.map((warning) => warning.code);
    expect(codes).toContain('negative-counts');
    expect(codes).toContain('non-finite-counts');
    expect(codes).toContain('saturation');
  });

  it('should warn on duplicate positions', () => {
    const data = dataset({
      patternCount: 3,
      intensities: new Float32Array(12).fill(1),
      positionX_px: new Float32Array([0, 0.005, 5]),
      positionY_px: new Float32Array([0, 0, 0]),
    });
    const summary = summarizeReadResult(readResult(data), defaultProbe(2));
    expect(summary.duplicatePositions).toBe(2);
    expect(summary.warnings.map((warning) => warning.code)).toContain('duplicate-positions');
  });

  it('should count windows outside a stored object', () => {
    // Windows of 2×2 on a 4×4 object: corners (0,0) and (2,2) fit, (3,0) and (0,−1) do not.
    const data = dataset({
      patternCount: 4,
      intensities: new Float32Array(16).fill(1),
      positionX_px: new Float32Array([0, 2, 3, 0]),
      positionY_px: new Float32Array([0, 2, 0, -1]),
    });
    const objectGuess = { height: 4, width: 4, values: new Float32Array(32) };
    const summary = summarizeReadResult(readResult(data, { objectGuess }), defaultProbe(2));
    expect(summary.windowsOutsideObject).toBe(2);
    expect(summary.warnings.map((warning) => warning.code)).toContain('outside-object');
  });

  it('should warn when positions span too large an object', () => {
    const data = dataset({
      patternCount: 2,
      intensities: new Float32Array(8).fill(1),
      positionX_px: new Float32Array([0, 9000]),
      positionY_px: new Float32Array([0, 0]),
    });
    const summary = summarizeReadResult(readResult(data), defaultProbe(2));
    // ceil(9000) + 2 + 2·4 = 9010.
    expect(summary.positions.objectWidth_px).toBe(9010);
    expect(summary.warnings.map((warning) => warning.code)).toContain('object-too-large');
  });

  it('should give no warnings for clean counts', () => {
    const data = dataset({
      patternCount: 2,
      intensities: new Float32Array([1, 2, 3, 4, 2, 3, 4, 1]),
      positionX_px: new Float32Array([0, 0.5]),
      positionY_px: new Float32Array([0, 0]),
    });
    expect(summarizeReadResult(readResult(data), defaultProbe(2)).warnings).toEqual([]);
  });
});

describe('summarizeReadResult on reader fixtures', () => {
  for (const [name, expected] of Object.entries(NUMPY)) {
    it(`should match NumPy for ${name}`, async () => {
      const outcome = await readScanFile(readReaderFixture(name), name);
      if (outcome.kind !== 'dataset') throw new Error(`${name} needs a mapping`);
      const summary = summarizeReadResult(outcome, defaultProbe(outcome.dataset.patternSize));
      expect(summary.patternCount).toBe(expectedReaders[name].patternCount);
      expect(summary.overlap?.meanStep_px).toBeCloseTo(expected.meanStep_px, 5);
      expect(summary.overlap?.probeDiameter_px).toBeCloseTo(expected.probeDiameter_px, 5);
      expect(summary.overlap?.linearOverlap).toBeCloseTo(expected.linearOverlap, 6);
      expect(summary.counts.meanPerPattern / expected.meanPerPattern).toBeCloseTo(1, 6);
      expect(summary.counts.maxPixel).toBeCloseTo(expected.maxPixel, 6);
      expect(summary.counts.pixelsAtMax).toBe(expected.pixelsAtMax);
      expect(summary.counts.pixelsNearMax).toBe(expected.pixelsNearMax);
      expect(summary.positions.extentX_px).toBeCloseTo(expected.extentX_px, 5);
      expect(summary.positions.extentY_px).toBeCloseTo(expected.extentY_px, 5);
      if ('extentX_m' in expected) {
        expect((summary.positions.extentX_m ?? 0) / expected.extentX_m).toBeCloseTo(1, 6);
        expect((summary.positions.extentY_m ?? 0) / expected.extentY_m).toBeCloseTo(1, 6);
      }
      if ('outside' in expected) {
        expect(summary.windowsOutsideObject).toBe(expected.outside);
      }
    });
  }

  it('should use the mapped dataset of a generic npz', async () => {
    const outcome = await readScanFile(readReaderFixture('unknown-layout.npz'), 'unknown-layout.npz');
    if (outcome.kind !== 'mapping-required') throw new Error('unknown-layout.npz should need a mapping');
    const result = applyMapping(outcome.archive, {
      stackKey: 'frames',
      zeroFrequency: 'centre',
      positions: { kind: 'pairs', key: 'pos_yx_m', xComponent: 1 },
      positionUnit: 'metres',
      objectPixelSize_m: 5e-8,
      positionReference: 'centre',
      probeKey: 'illum',
    });
    const summary = summarizeReadResult(result, defaultProbe(16));
    // NumPy: mean nearest step 17.347173 px, probe footprint 11.98246904 px.
    expect(summary.overlap?.meanStep_px).toBeCloseTo(17.347173, 4);
    expect(summary.overlap?.probeDiameter_px).toBeCloseTo(11.98246904, 5);
    expect(summary.warnings.map((warning) => warning.code)).toContain('low-overlap');
  });
});

describe('summarizeReadResult scan checks', () => {
  it('warns about a single pattern', () => {
    const summary = summarizeReadResult(readResult(dataset({ intensities: new Float32Array([1, 2, 3, 4]) })), defaultProbe(2));
    expect(summary.warnings.map((warning) => warning.code)).toEqual(['single-position']);
  });

  it('names the first duplicate pairs', () => {
    // Positions 1 and 4 repeat 0, and 3 repeats 2 within 0.01 px: pairs (0, 1), (0, 4), (1, 4), (2, 3).
    const data = dataset({
      patternCount: 6,
      intensities: new Float32Array(24).fill(1),
      positionX_px: new Float32Array([5, 5.004, 9, 9, 5, 20]),
      positionY_px: new Float32Array([1, 1, 3, 3.002, 1, 1]),
    });
    const summary = summarizeReadResult(readResult(data), defaultProbe(2));
    expect(summary.duplicatePositions).toBe(5);
    expect(summary.duplicatePairs).toEqual([
      [0, 1],
      [0, 4],
      [1, 4],
    ]);
    const warning = summary.warnings.find((item) => item.code === 'duplicate-positions');
    expect(warning?.message).toContain('the first pairs being 0 and 1, 0 and 4, 1 and 4 (indices from 0)');
  });

  it('lists every pair below the limit', () => {
    expect(findDuplicatePairs([0, 3, 0.001, 3], [0, 0, 0, 0.5], 10)).toEqual([[0, 2]]);
  });

  it('names a single duplicate pair', () => {
    const data = dataset({
      patternCount: 3,
      intensities: new Float32Array(12).fill(1),
      positionX_px: new Float32Array([0, 4, 4]),
      positionY_px: new Float32Array([0, 0, 0]),
    });
    const summary = summarizeReadResult(readResult(data), defaultProbe(2));
    const warning = summary.warnings.find((item) => item.code === 'duplicate-positions');
    expect(warning?.message).toContain('another position, in the pairs 1 and 2 (indices from 0).');
  });
});

describe('summarizeReadResult amplitude doubt', () => {
  const count = 4;
  const size = 8;
  /** Whole photon counts from 1 to 9001. */
  const counts = Array.from({ length: count * size * size }, (_, index) => ((index * 997) % 9001) + 1);
  counts[size * size + 3] = 9001;

  async function readStored(stored: Float32Array) {
    const coordinates = Float64Array.from({ length: count }, (_, index) => 10 + 3 * index);
    const bytes = writeNpz({
      diffraction: createNpyArray('float32', [count, size, size], stored),
      xcoords: createNpyArray('float64', [count], coordinates),
      ycoords: createNpyArray('float64', [count], coordinates),
    });
    const outcome = await readScanFile(bytes, 'stored.npz');
    if (outcome.kind !== 'dataset') throw new Error(`expected a dataset, got ${outcome.kind}`);
    return summarizeReadResult(outcome, defaultProbe(size));
  }

  it('warns about scaled float intensities', async () => {
    // NumPy: (counts * 0.37).astype(np.float32), non-integer with a maximum near 3330.
    const summary = await readStored(Float32Array.from(counts, (value) => value * 0.37));
    const warning = summary.warnings.find((item) => item.code === 'amplitude-doubt');
    expect(warning?.message).toContain('the largest is 3,330.37');
    expect(warning?.message).toContain('read the values as photon counts');
  });

  it('accepts square roots of counts', async () => {
    // NumPy: np.sqrt(counts).astype(np.float32), maximum √9001 ≈ 94.9 but its square is a count.
    const summary = await readStored(Float32Array.from(counts, (value) => Math.sqrt(value)));
    expect(summary.warnings.map((item) => item.code)).not.toContain('amplitude-doubt');
  });
});

describe('formatCount', () => {
  it('rounds squared float32 amplitudes', () => {
    expect(formatCount(20920.001953125)).toBe('20,920');
    expect(formatCount(13185.9990234375)).toBe('13,186');
  });

  it('keeps fractions of scaled counts', () => {
    expect(formatCount(3330.369873046875)).toBe('3,330.37');
    expect(formatCount(0.25)).toBe('0.25');
  });
});
