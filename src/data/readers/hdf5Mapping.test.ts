import { describe, expect, it } from 'vitest';

import {
  captureDataFormatError,
  expectedReaders,
  maxRelativeError,
  readReaderFixture,
} from '../../../test/fixtures/readers/readerFixtures';
import { readScanFile } from './detect';
import { applyHdf5Mapping, readHdf5Scan } from './hdf5Mapping';
import type { ScanMapping } from './mapping';
import type { Hdf5MappingRequired } from './readResult';

const BEAMLINE_MAPPING: ScanMapping = {
  stackKey: '/data/frames',
  zeroFrequency: 'centre',
  positions: { kind: 'separate', xKey: '/positions/x', yKey: '/positions/y' },
  positionUnit: 'pixels',
  positionReference: 'corner',
  probeKey: null,
};

const PTYCHODUS_MAPPING: ScanMapping = {
  stackKey: '/diffraction',
  measurement: 'amplitude',
  zeroFrequency: 'centre',
  positions: { kind: 'separate', xKey: '/probe_position_x_m', yKey: '/probe_position_y_m' },
  positionUnit: 'metres',
  objectPixelSize_m: 5e-8,
  positionReference: 'centre',
  probeKey: '/probe',
};

async function requestFor(name: string): Promise<Hdf5MappingRequired> {
  const outcome = await readScanFile(readReaderFixture(name), name);
  if (outcome.kind !== 'hdf5-mapping-required') throw new Error(`${name} should need a mapping, but read as ${outcome.kind}`);
  return outcome;
}

describe('HDF5 dataset listing', () => {
  it('should list every dataset by path', async () => {
    const request = await requestFor('beamline-generic.h5');
    expect(request.arrays.map((array) => array.key).sort()).toEqual([
      '/data/frames',
      '/metadata/comment',
      '/metadata/exposure_s',
      '/positions/x',
      '/positions/y',
    ]);
    const byPath = Object.fromEntries(request.arrays.map((array) => [array.key, array]));
    expect(byPath['/data/frames']).toMatchObject({ shape: [6, 16, 16], dtype: 'uint16', readable: true });
    expect(byPath['/positions/x']).toMatchObject({ shape: [6], dtype: 'float64', readable: true });
    expect(byPath['/positions/y']).toMatchObject({ shape: [6], dtype: 'float32', readable: true });
    expect(byPath['/metadata/exposure_s']).toMatchObject({ shape: [], dtype: 'float64', readable: true });
    expect(byPath['/metadata/comment'].readable).toBe(false);
    expect(byPath['/metadata/comment'].dtype).toBe('string');
    expect(request.reason).toContain('CXI');
  });

  it('should name complex compounds complex64', async () => {
    const request = await requestFor('ptychodus-like.h5');
    const probe = request.arrays.find((array) => array.key === '/probe');
    expect(probe).toMatchObject({ shape: [1, 16, 16], dtype: 'complex64', readable: true });
  });

  it('should mark datasets over the limit unreadable', async () => {
    const outcome = await readHdf5Scan(readReaderFixture('beamline-generic.h5'), 'small-limit.h5', { maxDatasetBytes: 100 });
    if (outcome.kind !== 'hdf5-mapping-required') throw new Error('expected a mapping request');
    const frames = outcome.arrays.find((array) => array.key === '/data/frames');
    expect(frames?.readable).toBe(false);
    expect(frames?.problem).toContain('more than');
    expect(outcome.arrays.find((array) => array.key === '/positions/x')?.readable).toBe(true);
  });

  it('should still read CXI files as CXI', async () => {
    const outcome = await readScanFile(readReaderFixture('scan-n3.cxi'), 'scan-n3.cxi');
    expect(outcome.kind).toBe('dataset');
  });
});

describe('HDF5 mapping', () => {
  it('should build the beamline dataset h5py wrote', async () => {
    const expected = expectedReaders['beamline-generic.h5'];
    const request = await requestFor('beamline-generic.h5');
    const result = await applyHdf5Mapping(request.bytes, request.fileName, BEAMLINE_MAPPING);
    expect(result.format).toBe('mapped-hdf5');
    expect(result.dataset.patternCount).toBe(expected.patternCount);
    expect(result.dataset.patternSize).toBe(expected.patternSize);
    expect(maxRelativeError(result.dataset.intensities, expected.intensities)).toBeLessThan(1e-6);
    expect(maxRelativeError(result.dataset.positionX_px, expected.positionX_px)).toBeLessThan(1e-6);
    expect(maxRelativeError(result.dataset.positionY_px, expected.positionY_px)).toBeLessThan(1e-6);
    expect(result.dataset.probe).toBeNull();
    expect(result.measurement?.assumed).toBe('counts');
  });

  it('should build the Ptychodus-like dataset h5py wrote', async () => {
    const expected = expectedReaders['ptychodus-like.h5'];
    const request = await requestFor('ptychodus-like.h5');
    const result = await applyHdf5Mapping(request.bytes, request.fileName, PTYCHODUS_MAPPING);
    expect(maxRelativeError(result.dataset.intensities, expected.intensities, 1e-3)).toBeLessThan(1e-5);
    expect(maxRelativeError(result.dataset.positionX_px, expected.positionX_px)).toBeLessThan(1e-5);
    expect(maxRelativeError(result.dataset.positionY_px, expected.positionY_px)).toBeLessThan(1e-5);
    expect(maxRelativeError(result.dataset.probe ?? [], expected.probe ?? [])).toBeLessThan(1e-6);
    expect(result.measurement?.assumed).toBe('amplitude');
  });

  it('should reject a path that is not listed', async () => {
    const request = await requestFor('beamline-generic.h5');
    const error = await captureDataFormatError(() => applyHdf5Mapping(request.bytes, request.fileName, { ...BEAMLINE_MAPPING, stackKey: '/data/missing' }));
    expect(error.entry).toBe('/data/missing');
    expect(error.problem).toContain('missing');
  });

  it('should reject a string dataset as the stack', async () => {
    const request = await requestFor('beamline-generic.h5');
    const error = await captureDataFormatError(() => applyHdf5Mapping(request.bytes, request.fileName, { ...BEAMLINE_MAPPING, stackKey: '/metadata/comment' }));
    expect(error.entry).toBe('/metadata/comment');
    expect(error.problem).toContain('cannot be read');
  });

  it('should reject positions of the wrong length', async () => {
    const request = await requestFor('beamline-generic.h5');
    const mapping: ScanMapping = { ...BEAMLINE_MAPPING, positions: { kind: 'separate', xKey: '/positions/x', yKey: '/metadata/exposure_s' } };
    const error = await captureDataFormatError(() => applyHdf5Mapping(request.bytes, request.fileName, mapping));
    expect(error.entry).toBe('/metadata/exposure_s');
  });
});
