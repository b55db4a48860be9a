import { describe, expect, it } from 'vitest';

import { captureDataFormatError, expectedReaders } from '../../../test/fixtures/readers/readerFixtures';
import { defaultProbe } from '../../solvers/pie/probeScale';
import {
  buildIntensities,
  decideMeasurement,
  describeDefaultProbe,
  detectZeroFrequency,
  resolveStackGeometry,
  resolveZeroFrequency,
  type RealArray,
  type StackGeometry,
} from './stack';

const LOCATION = { file: 'test.npz', entry: 'diffraction.npy' };

function floatStack(shape: number[], values: ArrayLike<number>): RealArray {
  return { shape, dtype: 'float32', isInteger: false, values };
}

/** Builds one N×N pattern with a single bright pixel at (row, column) on a dim background. */
function beamAt(size: number, row: number, column: number): Float32Array {
  const pattern = new Float32Array(size * size).fill(1);
  pattern[row * size + column] = 1000;
  return pattern;
}

describe('buildIntensities', () => {
  const reference = expectedReaders['ifftshift-odd'];
  const geometry: StackGeometry = { layout: 'patterns-first', patternCount: 3, patternSize: 5 };

  it('should match ifftshift for odd N', () => {
    const result = buildIntensities(floatStack([3, 5, 5], reference.input ?? []), geometry, 'counts', true);
    expect(Array.from(result)).toEqual(reference.intensities);
  });

  it('should reorder patterns-last stacks', () => {
    const input = reference.input ?? [];
    // The same stack stored as (N, N, M): element [r, c, m] is the pattern-first element [m, r, c].
    const patternsLast = new Float32Array(input.length);
    for (let m = 0; m < 3; m++) {
      for (let pixel = 0; pixel < 25; pixel++) {
        patternsLast[pixel * 3 + m] = input[m * 25 + pixel];
      }
    }
    const result = buildIntensities(floatStack([5, 5, 3], patternsLast), { ...geometry, layout: 'patterns-last' }, 'counts', true);
    expect(Array.from(result)).toEqual(reference.intensities);
  });

  it('should square amplitudes', () => {
    const result = buildIntensities(floatStack([1, 2, 2], [0.5, 1, 2, 3]), { layout: 'patterns-first', patternCount: 1, patternSize: 2 }, 'amplitude', false);
    expect(Array.from(result)).toEqual([0.25, 1, 4, 9]);
  });

  it('should convert float32 in place', () => {
    const values = Float32Array.from(reference.input ?? []);
    const result = buildIntensities(floatStack([3, 5, 5], values), geometry, 'counts', true, true);
    expect(result).toBe(values);
    expect(Array.from(result)).toEqual(reference.intensities);
  });

  it('should square amplitudes in place', () => {
    const values = Float32Array.from([0.5, 1, 2, 3]);
    const result = buildIntensities(floatStack([1, 2, 2], values), { layout: 'patterns-first', patternCount: 1, patternSize: 2 }, 'amplitude', true, true);
    expect(result).toBe(values);
    // ifftshift of [[0.25, 1], [4, 9]] for N = 2 swaps both axes.
    expect(Array.from(result)).toEqual([9, 4, 1, 0.25]);
  });

  it('should copy float64 stacks', () => {
    const float64 = Float64Array.from(reference.input ?? []);
    const result = buildIntensities({ shape: [3, 5, 5], dtype: 'float64', isInteger: false, values: float64 }, geometry, 'counts', true, true);
    expect(Array.from(result)).toEqual(reference.intensities);
    expect(Array.from(float64)).toEqual(Array.from(reference.input ?? []));
  });
});

describe('detectZeroFrequency', () => {
  const geometry: StackGeometry = { layout: 'patterns-first', patternCount: 1, patternSize: 16 };

  it('should find a centred beam', () => {
    const detected = detectZeroFrequency(floatStack([1, 16, 16], beamAt(16, 8, 8)), geometry, 'counts');
    expect(detected.row_px).toBeCloseTo(8, 6);
    expect(detected.column_px).toBeCloseTo(8, 6);
  });

  it('should find a beam at the corner', () => {
    // A plain centroid of this pattern would be near (7.5, 7.5); the circular mean is at 0.
    const detected = detectZeroFrequency(floatStack([1, 16, 16], beamAt(16, 0, 0)), geometry, 'counts');
    const distanceToZero = (value: number) => Math.min(value, 16 - value);
    expect(distanceToZero(detected.row_px)).toBeLessThan(1e-6);
    expect(distanceToZero(detected.column_px)).toBeLessThan(1e-6);
  });

  it('should let detect mode keep corner data', () => {
    const detected = detectZeroFrequency(floatStack([1, 16, 16], beamAt(16, 0, 1)), geometry, 'counts');
    const { location, notice } = resolveZeroFrequency(detected, 16, 'detect', 'test');
    expect(location.shifted).toBe(false);
    expect(notice.severity).toBe('info');
  });

  it('should warn when centred data peak elsewhere', () => {
    const detected = detectZeroFrequency(floatStack([1, 16, 16], beamAt(16, 0, 0)), geometry, 'counts');
    const { location, notice } = resolveZeroFrequency(detected, 16, 'centre', 'PtychoPINN');
    expect(location.shifted).toBe(true);
    expect(notice.severity).toBe('warning');
    expect(notice.message).toContain('PtychoPINN stores centred patterns');
  });
});

describe('decideMeasurement', () => {
  it('should take integer dtypes as counts', () => {
    const stack: RealArray = { shape: [2], dtype: 'uint16', isInteger: true, values: new Uint16Array([1, 2]) };
    expect(decideMeasurement(stack).assumed).toBe('counts');
  });

  it('should take whole floats as counts', () => {
    expect(decideMeasurement(floatStack([3], [0, 4, 963])).assumed).toBe('counts');
  });

  it('should take fractional floats as amplitudes', () => {
    const decision = decideMeasurement(floatStack([3], [0.1, 0.5, 0.9]));
    expect(decision.assumed).toBe('amplitude');
    expect(decision.reason).toContain('3 of 3');
  });

  it('should doubt large fractional values', () => {
    const decision = decideMeasurement(floatStack([2], [0.5, 4000.5]));
    expect(decision.assumed).toBe('amplitude');
    expect(decision.reason).toContain('choose counts instead');
  });

  it('should obey a forced domain', () => {
    expect(decideMeasurement(floatStack([1], [2]), 'amplitude')).toEqual({ assumed: 'amplitude', forced: true, reason: 'The caller chose amplitude.' });
  });
});

describe('resolveStackGeometry', () => {
  it('should accept a trailing channel axis', () => {
    expect(resolveStackGeometry([6, 16, 16, 1], LOCATION)).toEqual({ layout: 'patterns-first', patternCount: 6, patternSize: 16 });
    expect(resolveStackGeometry([16, 16, 6, 1], LOCATION)).toEqual({ layout: 'patterns-last', patternCount: 6, patternSize: 16 });
  });

  it('should reject an empty stack', async () => {
    const error = await captureDataFormatError(() => resolveStackGeometry([0, 16, 16], LOCATION));
    expect(error.problem).toBe('the diffraction stack is empty');
  });

  it('should reject a layout that does not fit', async () => {
    const error = await captureDataFormatError(() => resolveStackGeometry([6, 16, 16], LOCATION, 'patterns-last'));
    expect(error.problem).toContain('does not fit the requested layout');
  });
});

describe('describeDefaultProbe', () => {
  it('states the radius of defaultProbe', () => {
    // defaultProbe's edge is 1 / (1 + exp((r − R) / 1.5)), so the amplitude along the central
    // row crosses 0.5 at r = R, the radius that the description states as N/4.
    const size = 32;
    const probe = defaultProbe(size);
    const centre = (size - 1) / 2;
    let crossing = Number.NaN;
    for (let column = Math.ceil(centre); column < size - 1; column++) {
      const inner = probe[(16 * size + column) * 2];
      const outer = probe[(16 * size + column + 1) * 2];
      if (inner >= 0.5 && outer < 0.5) {
        crossing = column + (inner - 0.5) / (inner - outer);
        break;
      }
    }
    const distance = Math.hypot(crossing - centre, 16 - centre);
    expect(Math.abs(distance - size / 4)).toBeLessThan(0.1);
    expect(describeDefaultProbe(size)).toContain('radius 8 pixels (N/4) in the 32×32 window');
  });
});

describe('decideMeasurement doubt', () => {
  it('marks scaled intensities doubtful', () => {
    // Counts 1..4000 times 0.37 as float32: non-integer, maximum 1480, squares not whole.
    const values = Float32Array.from({ length: 4000 }, (_, index) => (index + 1) * 0.37);
    const decision = decideMeasurement(floatStack([1000, 2, 2], values));
    expect(decision.assumed).toBe('amplitude');
    expect(decision.doubtful).toBe(true);
  });

  it('trusts square roots of counts', () => {
    const values = Float32Array.from({ length: 4000 }, (_, index) => Math.sqrt(index * 5 + 1));
    const decision = decideMeasurement(floatStack([1000, 2, 2], values));
    expect(decision.assumed).toBe('amplitude');
    expect(decision.doubtful).toBe(false);
  });
});
