import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { validateScanDataset } from '../validate';
import { CXI_TRANSLATION_PATH, readCxi } from './cxi';
import { findHdf5Superblock, requireCompleteHdf5 } from './hdf5';
import { captureDataFormatError, expectedReaders, maxRelativeError, readReaderFixture } from '../../../test/fixtures/readers/readerFixtures';

// The reference computes in float64, and the reader rounds each result to float32 once.
const FLOAT32_TOLERANCE = 1e-6;
const MINIMAL_CXI = resolve(import.meta.dirname, '../../../../shared/data/cxi/minimal.cxi');

describe('readCxi on h5py fixtures', () => {
  for (const name of ['scan-n3.cxi', 'scan-3n-detector.cxi']) {
    describe(name, () => {
      const expected = expectedReaders[name];
      const reading = readCxi(readReaderFixture(name), name);

      it('should return the pattern count and size', async () => {
        const { dataset } = await reading;
        expect(dataset.patternCount).toBe(expected.patternCount);
        expect(dataset.patternSize).toBe(expected.patternSize);
      });

      it('should return counts with the zero frequency at [0, 0]', async () => {
        const { dataset } = await reading;
        expect(maxRelativeError(dataset.intensities, expected.intensities)).toBeLessThan(FLOAT32_TOLERANCE);
      });

      it('should return the geometry used for units', async () => {
        const { geometry } = await reading;
        for (const [key, value] of Object.entries(expected.geometry ?? {})) {
          const actual = (geometry as unknown as Record<string, number>)[key];
          expect(Math.abs(actual - value) / value, key).toBeLessThan(1e-9);
        }
      });

      it('should convert translations to corner pixels', async () => {
        const { dataset } = await reading;
        expect(maxRelativeError(dataset.positionX_px, expected.positionX_px)).toBeLessThan(FLOAT32_TOLERANCE);
        expect(maxRelativeError(dataset.positionY_px, expected.positionY_px)).toBeLessThan(FLOAT32_TOLERANCE);
      });

      it('should pass validation', async () => {
        const { dataset } = await reading;
        expect(validateScanDataset(dataset).errors).toEqual([]);
      });
    });
  }

  it('should read the illumination as the probe', async () => {
    const expected = expectedReaders['scan-n3.cxi'];
    const { dataset } = await readCxi(readReaderFixture('scan-n3.cxi'), 'scan-n3.cxi');
    expect(maxRelativeError(dataset.probe ?? [], expected.probe ?? [])).toBeLessThan(FLOAT32_TOLERANCE);
  });

  it('should shift the mask with the frames', async () => {
    const expected = expectedReaders['scan-n3.cxi'];
    const { validPixels, notices } = await readCxi(readReaderFixture('scan-n3.cxi'), 'scan-n3.cxi');
    expect(Array.from(validPixels ?? [])).toEqual(expected.validPixels);
    expect(notices.find((notice) => notice.topic === 'detector-mask')?.message).toContain('17 of 256');
  });

  it('should note a missing probe and transposed translations', async () => {
    const { dataset, notices } = await readCxi(readReaderFixture('scan-3n-detector.cxi'), 'scan-3n-detector.cxi');
    expect(dataset.probe).toBeNull();
    expect(notices.some((notice) => notice.topic === 'probe' && notice.severity === 'warning')).toBe(true);
    expect(notices.some((notice) => notice.message.includes('(3, 6)'))).toBe(true);
  });

  it('should find the beam at the frame centre', async () => {
    const { zeroFrequency } = await readCxi(readReaderFixture('scan-n3.cxi'), 'scan-n3.cxi');
    expect(zeroFrequency?.shifted).toBe(true);
    expect(Math.abs((zeroFrequency?.detectedRow_px ?? NaN) - 8)).toBeLessThan(0.5);
    expect(Math.abs((zeroFrequency?.detectedColumn_px ?? NaN) - 8)).toBeLessThan(0.5);
  });
});

describe('readCxi on unusable input', () => {
  it('should say plainly that minimal.cxi is not a scan', async () => {
    const error = await captureDataFormatError(() => readCxi(new Uint8Array(readFileSync(MINIMAL_CXI)), 'minimal.cxi'));
    expect(error.file).toBe('minimal.cxi');
    expect(error.entry).toBe(CXI_TRANSLATION_PATH);
    expect(error.problem).toBe('this CXI file is not a ptychography scan, because it has no scan positions');
    expect(error.received).toBe('frames at /entry_1/data_1/data and no translations');
  });

  it('should reject a truncated file before HDF5 sees it', async () => {
    const bytes = readReaderFixture('scan-n3.cxi');
    const error = await captureDataFormatError(() => readCxi(bytes.subarray(0, bytes.length >> 1), 'cut.cxi'));
    expect(error.problem).toBe('the HDF5 file is truncated');
    expect(error.received).toBe(`${bytes.length >> 1} bytes, but the superblock records ${bytes.length}`);
  });

  it('should reject a file cut inside the superblock', async () => {
    const bytes = readReaderFixture('scan-n3.cxi');
    const error = await captureDataFormatError(() => requireCompleteHdf5(bytes.subarray(0, 20), 'stub.cxi'));
    expect(error.received).toContain('inside the superblock');
  });

  it('should reject damaged bytes that HDF5 cannot open', async () => {
    const bytes = readReaderFixture('scan-n3.cxi').slice();
    bytes.fill(0, 100, 2000);
    const error = await captureDataFormatError(() => readCxi(bytes, 'damaged.cxi'));
    expect(error.file).toBe('damaged.cxi');
    expect(error.problem).toBe('the HDF5 library could not open the file');
  });

  it('should reject bytes without the HDF5 signature', async () => {
    const error = await captureDataFormatError(() => readCxi(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 'x.cxi'));
    expect(error.problem).toBe('the HDF5 signature is missing');
  });

  it('should reject a file without a distance', async () => {
    const error = await captureDataFormatError(() => readCxi(readReaderFixture('no-distance-energy.cxi'), 'g.cxi'));
    expect(error.entry).toBe('/entry_1/instrument_1/detector_1/distance');
    expect(error.problem).toBe('the detector distance is missing');
    expect(error.action).toContain('distance_m');
  });

  it('should take missing geometry from the options', async () => {
    const expected = expectedReaders['no-distance-energy.cxi'];
    const options = { distance_m: expected.geometry?.distance_m, energy_J: expected.geometry?.energy_J };
    const { dataset, geometry, notices } = await readCxi(readReaderFixture('no-distance-energy.cxi'), 'g.cxi', options);
    expect(Math.abs((geometry?.objectPixelSizeX_m ?? NaN) / (expected.geometry?.objectPixelSizeX_m ?? NaN) - 1)).toBeLessThan(1e-9);
    expect(maxRelativeError(dataset.positionX_px, expected.positionX_px)).toBeLessThan(FLOAT32_TOLERANCE);
    expect(maxRelativeError(dataset.intensities, expected.intensities)).toBeLessThan(FLOAT32_TOLERANCE);
    expect(notices.filter((notice) => notice.message.includes('from the options'))).toHaveLength(2);
  });

  it('should prefer stored geometry to the options', async () => {
    const { geometry } = await readCxi(readReaderFixture('scan-n3.cxi'), 'scan-n3.cxi', { distance_m: 99 });
    expect(geometry?.distance_m).toBe(2);
  });

  it('should read an energy in eV with a warning', async () => {
    const expected = expectedReaders['no-distance-energy.cxi'];
    const options = { distance_m: 3, energy_J: 9000 };
    const { geometry, notices } = await readCxi(readReaderFixture('no-distance-energy.cxi'), 'g.cxi', options);
    expect(Math.abs((geometry?.energy_J ?? NaN) / (expected.geometry?.energy_J ?? NaN) - 1)).toBeLessThan(1e-12);
    expect(notices.some((notice) => notice.severity === 'warning' && notice.message.includes('eV'))).toBe(true);
  });
});

describe('findHdf5Superblock', () => {
  it('should find the signature after a user block', () => {
    const bytes = new Uint8Array(1024 + 16);
    bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 1024);
    expect(findHdf5Superblock(bytes)).toBe(1024);
  });

  it('should return -1 for a ZIP archive', () => {
    expect(findHdf5Superblock(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0]))).toBe(-1);
  });
});
