import { describe, expect, it } from 'vitest';

import { computeScanGeometry } from '../solvers/pie/geometry';
import type { ScanDataset } from './dataset';
import { createNpyArray, type NpyArray } from './npy';
import { writeNpz } from './npz';
import { readCxi } from './readers/cxi';
import { loadH5wasm } from './readers/hdf5';
import { applyMapping } from './readers/mapping';
import { readPtychoPinnNpz } from './readers/ptychoPinnNpz';
import type { ReadResult } from './readers/readResult';
import { isNearlyWhole, SQUARED_AMPLITUDE_TOLERANCE, validateScanDataset } from './validate';
import { openZip } from './zip';

function makeDataset(overrides: Partial<ScanDataset> = {}): ScanDataset {
  const patternCount = 3;
  const patternSize = 4;
  const intensities = new Float32Array(patternCount * patternSize * patternSize).map((_, index) => (index % 5) + 1);
  return {
    name: 'test',
    patternCount,
    patternSize,
    intensities,
    positionX_px: new Float32Array([0, 1, 2]),
    positionY_px: new Float32Array([0, 0, 0]),
    probe: new Float32Array(2 * patternSize * patternSize).fill(1),
    provenance: 'generated in the test',
    ...overrides,
  };
}

describe('validateScanDataset', () => {
  it('returns no issues for a valid dataset', () => {
    expect(validateScanDataset(makeDataset())).toEqual({ errors: [], warnings: [] });
  });

  it('accepts a dataset without a probe', () => {
    expect(validateScanDataset(makeDataset({ probe: null })).errors).toEqual([]);
  });

  it('counts NaN and Inf and locates the first', () => {
    const dataset = makeDataset();
    dataset.intensities[21] = Number.NaN;
    dataset.intensities[40] = Infinity;
    const { errors } = validateScanDataset(dataset);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'non-finite', field: 'intensities', count: 2, firstIndex: 21 });
    expect(errors[0].message).toContain('2 NaN or infinite values');
    expect(errors[0].message).toContain('pattern 1, row 1, column 1 (flat index 21)');
  });

  it('rejects negative counts', () => {
    const dataset = makeDataset();
    dataset.intensities[3] = -2;
    const { errors } = validateScanDataset(dataset);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'negative-count', count: 1, firstIndex: 3 });
    expect(errors[0].message).toContain('The first is -2 at pattern 0, row 0, column 3');
  });

  it('warns about non-integer counts', () => {
    const dataset = makeDataset();
    dataset.intensities[17] = 0.25;
    const report = validateScanDataset(dataset);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatchObject({ code: 'non-integer-count', severity: 'warning', count: 1, firstIndex: 17 });
  });

  it('warns about all-zero patterns', () => {
    const dataset = makeDataset();
    dataset.intensities.fill(0, 16, 32);
    const report = validateScanDataset(dataset);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatchObject({ code: 'empty-pattern', count: 1, firstIndex: 1 });
    expect(report.warnings[0].message).toContain('1 pattern is all zero');
  });

  it('rejects too few positions', () => {
    const { errors } = validateScanDataset(makeDataset({ positionX_px: new Float32Array(2) }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'length-mismatch', field: 'positionX_px' });
    expect(errors[0].message).toBe('positionX_px has 2 values, but one x position per pattern (3) need 3.');
  });

  it('rejects a wrong intensities length', () => {
    const { errors } = validateScanDataset(makeDataset({ intensities: new Float32Array(47) }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'length-mismatch', field: 'intensities' });
    expect(errors[0].message).toContain('has 47 values');
    expect(errors[0].message).toContain('need 48');
  });

  it('rejects a probe of the wrong length', () => {
    const { errors } = validateScanDataset(makeDataset({ probe: new Float32Array(16) }));
    expect(errors[0]).toMatchObject({ code: 'length-mismatch', field: 'probe' });
  });

  it('rejects a non-power-of-two size', () => {
    const patternSize = 6;
    const dataset = makeDataset({
      patternSize,
      intensities: new Float32Array(3 * patternSize * patternSize).fill(1),
      probe: null,
    });
    const { errors } = validateScanDataset(dataset);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'size-not-power-of-two', field: 'patternSize' });
    expect(errors[0].message).toContain('6×6');
  });

  it('rejects a zero pattern count', () => {
    const { errors } = validateScanDataset(makeDataset({ patternCount: 0 }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'invalid-dimension', field: 'patternCount' });
  });

  it('rejects non-finite positions and probe values', () => {
    const dataset = makeDataset();
    dataset.positionY_px[2] = Number.NaN;
    dataset.probe![9] = -Infinity;
    const { errors } = validateScanDataset(dataset);
    expect(errors.map((issue) => issue.field)).toEqual(['positionY_px', 'probe']);
    expect(errors[0].message).toContain('at position 2');
    expect(errors[1].message).toContain('row 1, column 0, imaginary part (flat index 9)');
  });

  it('rejects an all-zero probe', () => {
    const { errors } = validateScanDataset(makeDataset({ probe: new Float32Array(32) }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ severity: 'error', code: 'zero-probe', field: 'probe' });
    expect(errors[0].message).toContain('The probe guess is zero everywhere');
    expect(errors[0].message).toContain('its power Σ|P|² is 0');
    expect(errors[0].message).toContain('Save the file with a nonzero probe estimate');
  });

  it('accepts a purely imaginary probe', () => {
    const probe = new Float32Array(32);
    probe[5] = 0.5;
    expect(validateScanDataset(makeDataset({ probe })).errors).toEqual([]);
  });

  it('reports a NaN probe only once', () => {
    const probe = new Float32Array(32);
    probe[3] = Number.NaN;
    const { errors } = validateScanDataset(makeDataset({ probe }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'non-finite', field: 'probe' });
  });

  it('rejects data with no counts', () => {
    const report = validateScanDataset(makeDataset({ intensities: new Float32Array(48) }));
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ severity: 'error', code: 'no-counts', field: 'intensities', count: 3 });
    expect(report.errors[0].message).toContain('All 3 patterns are zero everywhere');
    expect(report.errors[0].message).toContain('the total count is 0');
    expect(report.errors[0].message).toContain('Check that the file contains the measured counts');
  });

  it('still warns per empty pattern', () => {
    const { warnings } = validateScanDataset(makeDataset({ intensities: new Float32Array(48) }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'empty-pattern', count: 3, firstIndex: 0 });
    expect(warnings[0].message).toContain('3 patterns are all zero');
  });

  it('accepts data with one non-empty pattern', () => {
    const dataset = makeDataset();
    dataset.intensities.fill(0, 0, 32);
    const report = validateScanDataset(dataset);
    expect(report.errors).toEqual([]);
    expect(report.warnings[0]).toMatchObject({ code: 'empty-pattern', count: 2 });
  });

  it('rejects a scan too wide', () => {
    // Width = x extent 20000 + pattern size 4 + 4 pixels of padding on each side.
    const { errors } = validateScanDataset(makeDataset({ positionX_px: new Float32Array([0, 10000, 20000]) }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ severity: 'error', code: 'object-too-large', field: 'positionX_px' });
    expect(errors[0].message).toContain('span 20000 pixels in x (from 0 to 20000)');
    expect(errors[0].message).toContain('20012 pixels wide, more than the limit of 8192');
    expect(errors[0].message).toContain('Check whether they are in metres');
  });

  it('rejects a scan too high', () => {
    // Height = y extent 9000 + pattern size 4 + 2 × 4 pixels of padding.
    const { errors } = validateScanDataset(makeDataset({ positionY_px: new Float32Array([-3000, 2500, 6000]) }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'object-too-large', field: 'positionY_px' });
    expect(errors[0].message).toContain('span 9000 pixels in y (from -3000 to 6000)');
    expect(errors[0].message).toContain('9012 pixels high');
  });

  it('rejects both axes when too large', () => {
    const { errors } = validateScanDataset(
      makeDataset({
        positionX_px: new Float32Array([0, 25000, 50000]),
        positionY_px: new Float32Array([0, 12500, 25000]),
      }),
    );
    expect(errors.map((issue) => issue.field)).toEqual(['positionX_px', 'positionY_px']);
    expect(errors[0].message).toContain('50012 pixels wide');
    expect(errors[1].message).toContain('25012 pixels high');
  });

  it('accepts an object side of exactly 8192', () => {
    // 8180 + 4 + 8 = 8192, the largest side allowed.
    const { errors } = validateScanDataset(makeDataset({ positionX_px: new Float32Array([100, 5000, 8280]) }));
    expect(errors).toEqual([]);
  });

  it('uses the solver object width at the limit', () => {
    const positionX_px = new Float32Array([100, 5000, 8280]);
    const geometry = computeScanGeometry(new Float32Array(3), positionX_px, 4);
    expect(geometry.objectWidth_px).toBe(8192);
    const wider = computeScanGeometry(new Float32Array(3), new Float32Array([100, 5000, 8281]), 4);
    expect(wider.objectWidth_px).toBe(8193);
  });

  it('rejects an object side of 8193', () => {
    const { errors } = validateScanDataset(makeDataset({ positionX_px: new Float32Array([100, 5000, 8281]) }));
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toContain('span 8181 pixels in x (from 100 to 8281)');
    expect(errors[0].message).toContain('8193 pixels wide');
  });

  it('shows fractional extents to 6 digits', () => {
    // In float32 the ends are 0.100000001… and 12345.599609375, so the extent is 12345.4996…
    // It prints as 12345.5 but rounds to 12345 pixels: 12345 + 4 + 8 = 12357.
    const { errors } = validateScanDataset(makeDataset({ positionX_px: new Float32Array([0.1, 5000, 12345.6]) }));
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toContain('span 12345.5 pixels in x (from 0.1 to 12345.6)');
    expect(errors[0].message).toContain('12357 pixels wide');
  });
});

/** Value of a centred beam at pixel (row, column) of an N×N pattern: large at N/2, small elsewhere. */
function centredBeam(row: number, column: number, size: number): number {
  return row === size / 2 && column === size / 2 ? 10000 : 4;
}

/** Same beam at the corner [0, 0], as stored by formats without a shift. */
function cornerBeam(row: number, column: number): number {
  return row === 0 && column === 0 ? 10000 : 4;
}

/** Builds a float32 stack of M patterns of N×N whose pixel (m, r, c) is `value(r, c)`, stored (M, N, N) or (N, N, M). */
function buildStack(
  count: number,
  size: number,
  layout: 'patterns-first' | 'patterns-last',
  value: (row: number, column: number) => number,
): Float32Array {
  const values = new Float32Array(count * size * size);
  for (let pattern = 0; pattern < count; pattern++) {
    for (let row = 0; row < size; row++) {
      for (let column = 0; column < size; column++) {
        const index = layout === 'patterns-first' ? (pattern * size + row) * size + column : (row * size + column) * count + pattern;
        values[index] = value(row, column);
      }
    }
  }
  return values;
}

function pinnArchive(stack: NpyArray, count: number): Uint8Array {
  const coordinates = Float64Array.from({ length: count }, (_, index) => 20 + 3 * index);
  return writeNpz({
    diffraction: stack,
    xcoords: createNpyArray('float64', [count], coordinates),
    ycoords: createNpyArray('float64', [count], coordinates),
  });
}

function validateRead(result: ReadResult) {
  return validateScanDataset(result.dataset, { stackSource: result.stackSource, measurement: result.measurement?.assumed });
}

describe('validateScanDataset locations in the file', () => {
  const count = 5;
  const size = 16;

  it('gives file indices for a NaN in a centred (M, N, N) stack', () => {
    const values = buildStack(count, size, 'patterns-first', (row, column) => Math.sqrt(centredBeam(row, column, size)));
    values[(3 * size + 5) * size + 5] = Number.NaN;
    const archive = pinnArchive(createNpyArray('float32', [count, size, size], values), count);
    const result = readPtychoPinnNpz(archive, 'nan.npz');
    expect(result.zeroFrequency?.shifted).toBe(true);

    const { errors } = validateRead(result);
    expect(errors).toHaveLength(1);
    expect(errors[0].fileIndex).toEqual([3, 5, 5]);
    expect(errors[0].message).toContain('diffraction[3, 5, 5] in the file');
  });

  it('gives file indices for a NaN at the corner of centred data', () => {
    const values = buildStack(count, size, 'patterns-first', (row, column) => Math.sqrt(centredBeam(row, column, size)));
    values[3 * size * size] = Number.NaN;
    const result = readPtychoPinnNpz(pinnArchive(createNpyArray('float32', [count, size, size], values), count), 'nan.npz');

    const { errors } = validateRead(result);
    expect(errors[0].fileIndex).toEqual([3, 0, 0]);
    expect(errors[0].message).toContain('diffraction[3, 0, 0] in the file');
  });

  it('gives file indices for a negative count in corner data', () => {
    const values = buildStack(count, size, 'patterns-first', cornerBeam);
    values[(4 * size + 6) * size + 6] = -3;
    const archive = pinnArchive(createNpyArray('float32', [count, size, size], values), count);
    const result = readPtychoPinnNpz(archive, 'negative.npz', { zeroFrequency: 'detect' });
    expect(result.zeroFrequency?.shifted).toBe(false);

    const { errors } = validateRead(result);
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe('negative-count');
    expect(errors[0].fileIndex).toEqual([4, 6, 6]);
    expect(errors[0].message).toContain('One is -3 at diffraction[4, 6, 6] in the file');
  });

  it('gives file indices in (N, N, M) axis order', () => {
    const values = buildStack(count, size, 'patterns-last', (row, column) => centredBeam(row, column, size));
    values[(6 * size + 6) * count + 4] = -3;
    const result = readPtychoPinnNpz(pinnArchive(createNpyArray('float32', [size, size, count], values), count), 'nnm.npz');
    expect(result.stackSource?.layout).toBe('patterns-last');

    const { errors } = validateRead(result);
    expect(errors[0].fileIndex).toEqual([6, 6, 4]);
    expect(errors[0].message).toContain('diffraction[6, 6, 4] in the file (pattern 4)');
  });

  it('gives file indices for a mapped stack with a channel axis', () => {
    const values = buildStack(count, size, 'patterns-first', (row, column) => centredBeam(row, column, size));
    values[(2 * size + 1) * size + 9] = Number.NaN;
    const archive = openZip(
      writeNpz({
        frames: createNpyArray('float32', [count, size, size, 1], values),
        pos: createNpyArray('float64', [count, 2], new Float64Array(2 * count).map((_, index) => 3 * index)),
      }),
      'mapped.npz',
    );
    const result = applyMapping(archive, {
      stackKey: 'frames',
      zeroFrequency: 'centre',
      positions: { kind: 'pairs', key: 'pos', xComponent: 1 },
      positionUnit: 'pixels',
      positionReference: 'corner',
      probeKey: null,
    });

    const { errors } = validateRead(result);
    expect(errors[0].fileIndex).toEqual([2, 1, 9, 0]);
    expect(errors[0].message).toContain('frames[2, 1, 9, 0] in the file');
  });

  it('keeps dataset locations without a stack source', () => {
    const values = buildStack(count, size, 'patterns-first', cornerBeam);
    values[(3 * size + 5) * size + 5] = Number.NaN;
    const dataset = makeDataset({ patternCount: count, patternSize: size, intensities: values, positionX_px: new Float32Array(count), positionY_px: new Float32Array(count), probe: null });

    const { errors } = validateScanDataset(dataset);
    expect(errors[0].fileIndex).toBeUndefined();
    expect(errors[0].message).toContain('pattern 3, row 5, column 5');
  });
});

describe('validateScanDataset squared amplitudes', () => {
  // Math.fround(Math.sqrt(k)) is NumPy's np.sqrt(k).astype(np.float32): both round the correctly
  // rounded float64 square root to the nearest float32.
  function squaredAmplitudes(counts: number[]): Float32Array {
    return Float32Array.from(counts, (countValue) => Math.fround(Math.sqrt(countValue)) ** 2);
  }
  const counts = Array.from({ length: 4096 }, (_, index) => index * 37 + (index % 3));

  it('finds the squares of float32 amplitudes not exactly whole', () => {
    const intensities = squaredAmplitudes(counts);
    expect(intensities.some((value) => value !== Math.round(value))).toBe(true);
  });

  it('accepts squared amplitudes of whole counts', () => {
    const dataset = makeDataset({ patternCount: 16, patternSize: 16, intensities: squaredAmplitudes(counts), positionX_px: new Float32Array(16), positionY_px: new Float32Array(16), probe: null });
    expect(validateScanDataset(dataset, { measurement: 'amplitude' }).warnings).toEqual([]);
  });

  it('warns about squared amplitudes of scaled counts', () => {
    const scaled = counts.map((countValue) => countValue * 0.37);
    const dataset = makeDataset({ patternCount: 16, patternSize: 16, intensities: squaredAmplitudes(scaled), positionX_px: new Float32Array(16), positionY_px: new Float32Array(16), probe: null });
    const { warnings } = validateScanDataset(dataset, { measurement: 'amplitude' });
    expect(warnings.map((warning) => warning.code)).toEqual(['non-integer-count']);
    expect(warnings[0].message).toContain(', the square of the stored amplitude, at pattern');
  });

  it('keeps the exact check for counts', () => {
    const dataset = makeDataset({ patternCount: 16, patternSize: 16, intensities: squaredAmplitudes(counts), positionX_px: new Float32Array(16), positionY_px: new Float32Array(16), probe: null });
    expect(validateScanDataset(dataset, { measurement: 'counts' }).warnings.map((warning) => warning.code)).toEqual(['non-integer-count']);
  });
});

describe('isNearlyWhole', () => {
  it('allows float32 rounding relative to the value', () => {
    expect(isNearlyWhole(13185.9990234375, SQUARED_AMPLITUDE_TOLERANCE)).toBe(true);
    expect(isNearlyWhole(20920.002, SQUARED_AMPLITUDE_TOLERANCE)).toBe(true);
    expect(isNearlyWhole(0.37, SQUARED_AMPLITUDE_TOLERANCE)).toBe(false);
    expect(isNearlyWhole(2.5, 0)).toBe(false);
  });
});

describe('validateScanDataset locations in a CXI file', () => {
  it('gives file indices for a centred CXI frame', async () => {
    const count = 4;
    const size = 16;
    const frames = buildStack(count, size, 'patterns-first', (row, column) => centredBeam(row, column, size));
    frames[(2 * size + 3) * size + 12] = Number.NaN;
    const translation = Float64Array.from({ length: 3 * count }, (_, index) => (index % 3 === 2 ? 0 : 1e-7 * index));

    const { File, fs } = await loadH5wasm();
    const memfs = fs as typeof fs & { readFile(path: string): Uint8Array };
    const path = '/validate-cxi-test.h5';
    const file = new File(path, 'w');
    try {
      for (const group of ['entry_1', 'entry_1/data_1', 'entry_1/sample_1', 'entry_1/sample_1/geometry_1']) file.create_group(group);
      file.create_dataset({ name: '/entry_1/data_1/data', data: frames, shape: [count, size, size], dtype: '<f' });
      file.create_dataset({ name: '/entry_1/sample_1/geometry_1/translation', data: translation, shape: [count, 3], dtype: '<d' });
    } finally {
      file.close();
    }
    const bytes = memfs.readFile(path);
    memfs.unlink(path);

    const result = await readCxi(bytes, 'frames.cxi', { distance_m: 1, detectorPixelSize_m: 75e-6, energy_J: 1.6e-15 });
    const { errors } = validateRead(result);
    expect(errors[0].fileIndex).toEqual([2, 3, 12]);
    expect(errors[0].message).toContain('/entry_1/data_1/data[2, 3, 12] in the file');
  });
});
