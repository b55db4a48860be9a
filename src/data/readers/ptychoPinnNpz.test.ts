import { describe, expect, it } from 'vitest';

import { createNpyArray, type NpyArray } from '../npy';
import { writeNpz } from '../npz';
import { validateScanDataset } from '../validate';
import { readPtychoPinnNpz } from './ptychoPinnNpz';
import { captureDataFormatError, expectedReaders, maxRelativeError, readReaderFixture } from '../../../test/fixtures/readers/readerFixtures';

// float32 has 24 bits of mantissa, so values converted once agree with NumPy's float64 to 2^-24.
const FLOAT32_TOLERANCE = 1e-6;

function readFixture(name: string, options = {}) {
  return readPtychoPinnNpz(readReaderFixture(name), name, options);
}

/** Builds a valid PtychoPINN archive of M = 3 patterns of 4×4, with `changes` replacing or removing arrays. */
function smallArchive(changes: Record<string, NpyArray | null> = {}): Uint8Array {
  const arrays: Record<string, NpyArray> = {
    diffraction: createNpyArray('float32', [3, 4, 4], new Float32Array(48).fill(0.5)),
    xcoords: createNpyArray('float64', [3], new Float64Array([10, 11, 12])),
    ycoords: createNpyArray('float64', [3], new Float64Array([20, 21, 22])),
    probeGuess: createNpyArray('complex64', [4, 4], new Float32Array(32).fill(1)),
  };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete arrays[key];
    else arrays[key] = value;
  }
  return writeNpz(arrays);
}

describe('readPtychoPinnNpz on NumPy fixtures', () => {
  for (const name of ['pinn-amplitude.npz', 'pinn-diff3d-uint16-nnm.npz', 'pinn-counts-float64.npz']) {
    describe(name, () => {
      const expected = expectedReaders[name];
      const result = readFixture(name);
      const { dataset } = result;

      it('should return the pattern count and size', () => {
        expect(dataset.patternCount).toBe(expected.patternCount);
        expect(dataset.patternSize).toBe(expected.patternSize);
      });

      it('should return counts with the zero frequency at [0, 0]', () => {
        expect(maxRelativeError(dataset.intensities, expected.intensities)).toBeLessThan(FLOAT32_TOLERANCE);
      });

      it('should return top-left corners as centre minus N/2', () => {
        expect(maxRelativeError(dataset.positionX_px, expected.positionX_px)).toBeLessThan(FLOAT32_TOLERANCE);
        expect(maxRelativeError(dataset.positionY_px, expected.positionY_px)).toBeLessThan(FLOAT32_TOLERANCE);
      });

      it('should return the probe as interleaved complex', () => {
        expect(dataset.probe).not.toBeNull();
        expect(maxRelativeError(dataset.probe as Float32Array, expected.probe as number[])).toBeLessThan(FLOAT32_TOLERANCE);
      });

      it('should detect the measurement domain', () => {
        expect(result.measurement?.assumed).toBe(expected.assumed);
        expect(result.measurement?.forced).toBe(false);
        expect(result.notices.some((notice) => notice.topic === 'measurement-domain')).toBe(true);
      });

      it('should find the beam at the pattern centre', () => {
        const zero = result.zeroFrequency;
        expect(zero?.shifted).toBe(true);
        expect(Math.abs((zero?.detectedRow_px ?? NaN) - 8)).toBeLessThan(0.5);
        expect(Math.abs((zero?.detectedColumn_px ?? NaN) - 8)).toBeLessThan(0.5);
        const after = [zero?.datasetRow_px ?? NaN, zero?.datasetColumn_px ?? NaN].map((value) => Math.min(value, 16 - value));
        expect(Math.max(...after)).toBeLessThan(0.5);
      });

      it('should pass validation', () => {
        expect(validateScanDataset(dataset).errors).toEqual([]);
      });
    });
  }

  it('should return objectGuess with its shape', () => {
    const expected = expectedReaders['pinn-amplitude.npz'].objectGuess;
    const { objectGuess } = readFixture('pinn-amplitude.npz');
    expect(objectGuess?.height).toBe(expected?.height);
    expect(objectGuess?.width).toBe(expected?.width);
    expect(maxRelativeError(objectGuess?.values ?? [], expected?.values ?? [])).toBeLessThan(FLOAT32_TOLERANCE);
  });

  it('should skip the pickled _metadata with a notice', () => {
    const { notices } = readFixture('pinn-amplitude.npz');
    const skipped = notices.filter((notice) => notice.topic === 'skipped-entry');
    expect(skipped.map((notice) => notice.message).join(' ')).toContain('"_metadata" was not read');
  });

  it('should note the legacy (N, N, M) layout', () => {
    const { notices } = readFixture('pinn-diff3d-uint16-nnm.npz');
    expect(notices.some((notice) => notice.topic === 'stack-layout')).toBe(true);
  });

  it('should use start coordinates on request', () => {
    const expected = expectedReaders['pinn-counts-float64.npz'];
    const { dataset, notices } = readFixture('pinn-counts-float64.npz', { useStartCoordinates: true });
    expect(maxRelativeError(dataset.positionX_px, expected.startX_px ?? [])).toBeLessThan(FLOAT32_TOLERANCE);
    expect(maxRelativeError(dataset.positionY_px, expected.startY_px ?? [])).toBeLessThan(FLOAT32_TOLERANCE);
    expect(notices.some((notice) => notice.message.includes('position correction'))).toBe(true);
  });

  it('should square amplitudes only when forced to', () => {
    const amplitude = readFixture('pinn-counts-float64.npz', { measurement: 'amplitude' });
    const counts = readFixture('pinn-counts-float64.npz');
    expect(amplitude.measurement).toMatchObject({ assumed: 'amplitude', forced: true });
    expect(amplitude.dataset.intensities[1]).toBe(counts.dataset.intensities[1] ** 2);
  });

  it('should keep the corner layout when told', () => {
    const expected = expectedReaders['pinn-counts-float64.npz'];
    const { dataset, zeroFrequency } = readFixture('pinn-counts-float64.npz', { zeroFrequency: 'corner' });
    expect(zeroFrequency?.shifted).toBe(false);
    // Unshifted, pixel [0, 0] is the stored pixel [0, 0], which the shifted reference has at [8, 8].
    expect(dataset.intensities[0]).toBe(expected.intensities[8 * 16 + 8]);
  });
});

describe('readPtychoPinnNpz on malformed input', () => {
  it('should reject a cube stack as ambiguous', async () => {
    const error = await captureDataFormatError(() => readFixture('pinn-ambiguous.npz'));
    expect(error.entry).toBe('diffraction.npy');
    expect(error.problem).toContain('ambiguous');
    expect(error.received).toBe('shape (16, 16, 16)');
    expect(error.action).toContain('layout explicitly');
  });

  it('should read a cube with an explicit layout', () => {
    const { dataset } = readFixture('pinn-ambiguous.npz', { stackLayout: 'patterns-first' });
    expect(dataset.patternCount).toBe(16);
  });

  it('should reject a string stack', async () => {
    const error = await captureDataFormatError(() => readFixture('pinn-string-diffraction.npz'));
    expect(error.file).toBe('pinn-string-diffraction.npz');
    expect(error.entry).toBe('diffraction.npy');
    expect(error.received).toContain('Unicode string');
  });

  it('should reject a 12 GiB header before allocating', async () => {
    const error = await captureDataFormatError(() => readFixture('pinn-huge-header.npz'));
    expect(error.entry).toBe('diffraction.npy');
    expect(error.problem).toBe('the NPY array is too large to load');
    expect(error.received).toContain('(100000, 128, 128)');
  });

  it('should reject a truncated archive', async () => {
    const bytes = readReaderFixture('pinn-amplitude.npz');
    const error = await captureDataFormatError(() => readPtychoPinnNpz(bytes.subarray(0, bytes.length >> 1), 'cut.npz'));
    expect(error.file).toBe('cut.npz');
    expect(error.problem).toBe('the ZIP archive is truncated');
  });

  it('should reject complex diffraction', async () => {
    const complex = createNpyArray('complex64', [3, 4, 4], new Float32Array(96));
    const error = await captureDataFormatError(() => readPtychoPinnNpz(smallArchive({ diffraction: complex }), 'c.npz'));
    expect(error.entry).toBe('diffraction.npy');
    expect(error.problem).toBe('the diffraction array is complex');
  });

  it('should reject a 1-D stack', async () => {
    const flat = createNpyArray('float32', [48], new Float32Array(48));
    const error = await captureDataFormatError(() => readPtychoPinnNpz(smallArchive({ diffraction: flat }), 'flat.npz'));
    expect(error.problem).toBe('the diffraction stack has the wrong number of dimensions');
    expect(error.received).toBe('shape (48,)');
  });

  it('should reject non-square patterns', async () => {
    const oblong = createNpyArray('float32', [3, 4, 5], new Float32Array(60));
    const error = await captureDataFormatError(() => readPtychoPinnNpz(smallArchive({ diffraction: oblong }), 'oblong.npz'));
    expect(error.problem).toBe('the diffraction patterns are not square');
  });

  it('should reject more positions than patterns', async () => {
    const x = createNpyArray('float64', [4], new Float64Array(4));
    const error = await captureDataFormatError(() => readPtychoPinnNpz(smallArchive({ xcoords: x }), 'count.npz'));
    expect(error.entry).toBe('xcoords.npy');
    expect(error.problem).toBe('the number of positions does not match the number of patterns');
    expect(error.rule).toContain('(3,)');
  });

  it('should reject missing coordinates', async () => {
    const error = await captureDataFormatError(() => readPtychoPinnNpz(smallArchive({ ycoords: null }), 'noy.npz'));
    expect(error.entry).toBe('ycoords.npy');
    expect(error.problem).toBe('the array "ycoords" is missing');
    expect(error.received).toContain('"xcoords"');
  });

  it('should reject NaN positions', async () => {
    const y = createNpyArray('float64', [3], new Float64Array([1, NaN, 3]));
    const error = await captureDataFormatError(() => readPtychoPinnNpz(smallArchive({ ycoords: y }), 'nan.npz'));
    expect(error.entry).toBe('ycoords.npy');
    expect(error.received).toContain('index 1');
  });

  it('should reject negative amplitudes', async () => {
    const values = new Float32Array(48).fill(0.5);
    values[5] = -0.25;
    const diffraction = createNpyArray('float32', [3, 4, 4], values);
    const error = await captureDataFormatError(() => readPtychoPinnNpz(smallArchive({ diffraction }), 'neg.npz'));
    expect(error.received).toContain('flat index 5');
    // Flat index 5 of a (3, 4, 4) array is [0, 1, 1], as NumPy's np.unravel_index(5, (3, 4, 4)) gives.
    expect(error.received).toContain('index [0, 1, 1]');
  });

  it('should reject a probe of the wrong size', async () => {
    const probeGuess = createNpyArray('complex64', [8, 8], new Float32Array(128));
    const error = await captureDataFormatError(() => readPtychoPinnNpz(smallArchive({ probeGuess }), 'probe.npz'));
    expect(error.entry).toBe('probeGuess.npy');
    expect(error.rule).toContain('4×4');
  });

  it('should accept a missing probe with a warning', () => {
    const result = readPtychoPinnNpz(smallArchive({ probeGuess: null }), 'noprobe.npz');
    expect(result.dataset.probe).toBeNull();
    expect(result.notices.some((notice) => notice.topic === 'probe' && notice.severity === 'warning')).toBe(true);
  });
});
