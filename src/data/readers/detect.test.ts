import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { createNpyArray, writeNpy } from '../npy';
import { writeNpz } from '../npz';
import { openZip } from '../zip';
import { applyMapping, detectContainer, readScanFile, summarizeArrays, type ScanMapping } from './detect';
import type { MappingRequired, ReadResult } from './readResult';
import { captureDataFormatError, expectedReaders, maxRelativeError, readReaderFixture } from '../../../test/fixtures/readers/readerFixtures';

const FLOAT32_TOLERANCE = 1e-6;
const MINIMAL_CXI = resolve(import.meta.dirname, '../../../../shared/data/cxi/minimal.cxi');

async function readFixture(name: string) {
  return readScanFile(readReaderFixture(name), name);
}

const UNKNOWN_MAPPING: ScanMapping = {
  stackKey: 'frames',
  zeroFrequency: 'centre',
  positions: { kind: 'pairs', key: 'pos_yx_m', xComponent: 1 },
  positionUnit: 'metres',
  objectPixelSize_m: 5e-8,
  positionReference: 'centre',
  probeKey: 'illum',
};

describe('detectContainer', () => {
  it('should recognise each signature', () => {
    expect(detectContainer(readReaderFixture('tike-layout.npz'))).toBe('zip');
    expect(detectContainer(readReaderFixture('scan-n3.cxi'))).toBe('hdf5');
    expect(detectContainer(writeNpy(createNpyArray('float32', [2], new Float32Array(2))))).toBe('npy');
    expect(detectContainer(new TextEncoder().encode('hello world'))).toBe('unknown');
  });
});

describe('readScanFile', () => {
  it('should read tike layout with the bundled reader', async () => {
    const expected = expectedReaders['tike-layout.npz'];
    const result = (await readFixture('tike-layout.npz')) as ReadResult;
    expect(result.format).toBe('tike-npz');
    expect(maxRelativeError(result.dataset.intensities, expected.intensities)).toBe(0);
    expect(maxRelativeError(result.dataset.positionX_px, expected.positionX_px)).toBeLessThan(FLOAT32_TOLERANCE);
    expect(maxRelativeError(result.dataset.positionY_px, expected.positionY_px)).toBeLessThan(FLOAT32_TOLERANCE);
    expect(maxRelativeError(result.dataset.probe ?? [], expected.probe ?? [])).toBeLessThan(FLOAT32_TOLERANCE);
  });

  it('should read PtychoPINN keys with its reader', async () => {
    const result = (await readFixture('pinn-diff3d-uint16-nnm.npz')) as ReadResult;
    expect(result.format).toBe('ptychopinn-npz');
    expect(result.measurement?.assumed).toBe('counts');
  });

  it('should read HDF5 with the CXI reader', async () => {
    const result = (await readFixture('scan-n3.cxi')) as ReadResult;
    expect(result.format).toBe('cxi');
    expect(result.geometry?.distance_m).toBe(2);
  });

  it('should pass the provenance to every reader', async () => {
    for (const name of ['tike-layout.npz', 'pinn-amplitude.npz', 'scan-n3.cxi']) {
      const result = (await readScanFile(readReaderFixture(name), name, { provenance: 'test' })) as ReadResult;
      expect(result.dataset.provenance, name).toBe('test');
    }
  });

  it('should say plainly that minimal.cxi is not a scan', async () => {
    const error = await captureDataFormatError(() => readScanFile(new Uint8Array(readFileSync(MINIMAL_CXI)), 'minimal.cxi'));
    expect(error.problem).toContain('not a ptychography scan');
  });

  it('should reject a lone .npy', async () => {
    const bytes = writeNpy(createNpyArray('float32', [2], new Float32Array(2)));
    const error = await captureDataFormatError(() => readScanFile(bytes, 'one.npy'));
    expect(error.problem).toBe('the file is a single NumPy array, not a scan');
  });

  it('should reject an unknown format', async () => {
    const error = await captureDataFormatError(() => readScanFile(new TextEncoder().encode('x,y\n1,2\n'), 'scan.csv'));
    expect(error.file).toBe('scan.csv');
    expect(error.problem).toBe('the file format is not recognised');
    expect(error.received).toContain('78 2c 79');
  });

  it('should reject a 12 GiB header claim', async () => {
    const error = await captureDataFormatError(() => readFixture('pinn-huge-header.npz'));
    expect(error.entry).toBe('diffraction.npy');
    expect(error.problem).toBe('the NPY array is too large to load');
  });

  it('should reject a truncated zip', async () => {
    const bytes = readReaderFixture('tike-layout.npz');
    const error = await captureDataFormatError(() => readScanFile(bytes.subarray(0, 1000), 'cut.npz'));
    expect(error.problem).toBe('the ZIP archive is truncated');
  });

  it('should reject a truncated HDF5 file', async () => {
    const bytes = readReaderFixture('scan-3n-detector.cxi');
    const error = await captureDataFormatError(() => readScanFile(bytes.subarray(0, 4000), 'cut.cxi'));
    expect(error.problem).toBe('the HDF5 file is truncated');
  });
});

describe('mapping unknown arrays', () => {
  it('should list arrays with shapes and dtypes', async () => {
    const outcome = (await readFixture('unknown-layout.npz')) as MappingRequired;
    expect(outcome.kind).toBe('mapping-required');
    expect(outcome.reason).toContain('"frames"');
    const byKey = Object.fromEntries(outcome.arrays.map((array) => [array.key, array]));
    expect(byKey.frames).toMatchObject({ shape: [6, 16, 16], dtype: 'float32', readable: true });
    expect(byKey.pos_yx_m).toMatchObject({ shape: [6, 2], dtype: 'float64', readable: true });
    expect(byKey.illum).toMatchObject({ shape: [16, 16], dtype: 'complex64', readable: true });
    expect(byKey.label.readable).toBe(false);
    expect(byKey.label.dtype).toBe('<U10');
  });

  it('should mark an oversized array unreadable', () => {
    const arrays = summarizeArrays(openZip(readReaderFixture('pinn-huge-header.npz'), 'huge.npz'));
    const diffraction = arrays.find((array) => array.key === 'diffraction');
    expect(diffraction?.readable).toBe(false);
    expect(diffraction?.problem).toContain('too large');
    expect(arrays.find((array) => array.key === 'xcoords')?.readable).toBe(true);
  });

  it('should build the dataset NumPy expects', async () => {
    const expected = expectedReaders['unknown-layout.npz'];
    const outcome = (await readFixture('unknown-layout.npz')) as MappingRequired;
    const { dataset, measurement } = applyMapping(outcome.archive, UNKNOWN_MAPPING);
    expect(measurement?.assumed).toBe('counts');
    expect(maxRelativeError(dataset.intensities, expected.intensities)).toBeLessThan(FLOAT32_TOLERANCE);
    expect(maxRelativeError(dataset.positionX_px, expected.positionX_px)).toBeLessThan(FLOAT32_TOLERANCE);
    expect(maxRelativeError(dataset.positionY_px, expected.positionY_px)).toBeLessThan(FLOAT32_TOLERANCE);
    expect(maxRelativeError(dataset.probe ?? [], expected.probe ?? [])).toBeLessThan(FLOAT32_TOLERANCE);
  });

  it('should read separate x and y arrays', () => {
    const archive = openZip(
      writeNpz({
        stack: createNpyArray('uint16', [2, 4, 4], new Uint16Array(32).fill(3)),
        col: createNpyArray('float32', [2], new Float32Array([1, 2])),
        row: createNpyArray('float32', [2], new Float32Array([5, 6])),
      }),
      'xy.npz',
    );
    const mapping: ScanMapping = {
      stackKey: 'stack',
      zeroFrequency: 'corner',
      positions: { kind: 'separate', xKey: 'col', yKey: 'row' },
      positionUnit: 'pixels',
      positionReference: 'corner',
      probeKey: null,
    };
    const { dataset } = applyMapping(archive, mapping);
    expect(Array.from(dataset.positionX_px)).toEqual([1, 2]);
    expect(Array.from(dataset.positionY_px)).toEqual([5, 6]);
    expect(dataset.probe).toBeNull();
  });

  it('should reject a mapped array that is missing', async () => {
    const outcome = (await readFixture('unknown-layout.npz')) as MappingRequired;
    const error = await captureDataFormatError(() => applyMapping(outcome.archive, { ...UNKNOWN_MAPPING, stackKey: 'nope' }));
    expect(error.entry).toBe('nope.npy');
    expect(error.problem).toBe('the mapped array "nope" is missing');
  });

  it('should reject positions that do not match', async () => {
    const outcome = (await readFixture('unknown-layout.npz')) as MappingRequired;
    const mapping: ScanMapping = { ...UNKNOWN_MAPPING, positions: { kind: 'pairs', key: 'illum', xComponent: 0 } };
    const error = await captureDataFormatError(() => applyMapping(outcome.archive, mapping));
    expect(error.entry).toBe('illum.npy');
  });

  it('should reject a string array as the stack', async () => {
    const outcome = (await readFixture('unknown-layout.npz')) as MappingRequired;
    const error = await captureDataFormatError(() => applyMapping(outcome.archive, { ...UNKNOWN_MAPPING, stackKey: 'label' }));
    expect(error.entry).toBe('label.npy');
    expect(error.problem).toBe('the NPY dtype is not supported');
  });

  it('should require a pixel size for metres', async () => {
    const outcome = (await readFixture('unknown-layout.npz')) as MappingRequired;
    expect(() => applyMapping(outcome.archive, { ...UNKNOWN_MAPPING, objectPixelSize_m: undefined })).toThrow(/objectPixelSize_m/);
  });
});

describe('Ptychodus products opened as a scan', () => {
  const productDirectory = resolve(import.meta.dirname, '../../../test/fixtures/ptychodus');

  for (const name of ['product.h5', 'product.npz']) {
    it(`rejects ${name} with product advice`, async () => {
      const bytes = new Uint8Array(readFileSync(resolve(productDirectory, name)));
      const error = await captureDataFormatError(() => readScanFile(bytes, name));
      expect(error.problem).toContain('is a Ptychodus product');
      expect(error.received).toContain('probe_position_x_m');
      expect(error.action).toContain('Start from a Ptychodus product of this scan');
      expect(error.action).toContain('Compare with a Ptychodus product of this scan');
    });
  }

  it('still maps an npz with only some product keys', async () => {
    const bytes = writeNpz({
      object: createNpyArray('complex64', [4, 4], new Float32Array(32)),
      probe: createNpyArray('complex64', [2, 2], new Float32Array(8)),
    });
    const outcome = await readScanFile(bytes, 'partial.npz');
    expect(outcome.kind).toBe('mapping-required');
  });
});
