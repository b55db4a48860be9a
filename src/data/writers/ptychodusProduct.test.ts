import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { ScanDataset } from '../dataset';
import { readPtychodusProduct } from '../readers/ptychodusProduct';
import type { CxiGeometry } from '../readers/readResult';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { toPtychodusProduct, writePtychodusProductH5, writePtychodusProductNpz } from './ptychodusProduct';

const OBJECT_HEIGHT = 6;
const OBJECT_WIDTH = 7;
const PROBE_SIZE = 4;
const MODE_COUNT = 2;

/** Non-integer values of varied sign and magnitude, so that any conversion through another dtype would show. */
function pattern(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, index) => Math.sin(seed + 1.7 * index) * (1 + index / 3));
}

function makeSnapshot(): ReconstructionSnapshot {
  const probeModes = pattern(MODE_COUNT * PROBE_SIZE * PROBE_SIZE * 2, 2);
  return {
    object: pattern(OBJECT_HEIGHT * OBJECT_WIDTH * 2, 1),
    objectHeight: OBJECT_HEIGHT,
    objectWidth: OBJECT_WIDTH,
    probe: probeModes.slice(0, PROBE_SIZE * PROBE_SIZE * 2),
    probeSize: PROBE_SIZE,
    probeModes,
    probeModeCount: MODE_COUNT,
    coverage: new Float32Array(OBJECT_HEIGHT * OBJECT_WIDTH).fill(1),
    originY_px: -3,
    originX_px: 5,
  };
}

function makeDataset(): ScanDataset {
  return {
    name: 'star.npz',
    patternCount: 3,
    patternSize: PROBE_SIZE,
    intensities: new Float32Array(3 * PROBE_SIZE * PROBE_SIZE),
    positionX_px: Float32Array.from([5, 6.5, 7.25]),
    positionY_px: Float32Array.from([-3, -2, -1.5]),
    probe: null,
    provenance: 'synthetic',
  };
}

const GEOMETRY: CxiGeometry = {
  energy_J: 8800 * 1.602176634e-19,
  wavelength_m: 1.4089e-10,
  distance_m: 1.92,
  detectorPixelSizeX_m: 75e-6,
  detectorPixelSizeY_m: 75e-6,
  objectPixelSizeX_m: 4e-8,
  objectPixelSizeY_m: 5e-8,
};

const FOURIER_ERRORS = [0.5, 0.25, 0.125, 0.1];

describe('toPtychodusProduct', () => {
  it('should write pixel units without geometry', () => {
    const product = toPtychodusProduct({ snapshot: makeSnapshot(), dataset: makeDataset(), fourierErrors: FOURIER_ERRORS });
    expect(product.lengthUnit).toBe('pixel');
    expect(product.objectPixelWidth_m).toBe(1);
    expect(product.probePixelHeight_m).toBe(1);
    expect(product.comments).toMatch(/object pixels/);
    expect(product.detectorDistance_m).toBe(0);
    expect(product.probeEnergy_eV).toBe(0);
  });

  it('should place probe centres in the dataset frame', () => {
    const product = toPtychodusProduct({ snapshot: makeSnapshot(), dataset: makeDataset(), fourierErrors: FOURIER_ERRORS });
    // Corner + N/2, with N = 4.
    expect(Array.from(product.positionX_m)).toEqual([7, 8.5, 9.25]);
    expect(Array.from(product.positionY_m)).toEqual([-1, 0, 0.5]);
    expect(Array.from(product.positionIndexes)).toEqual([0, 1, 2]);
    // Origin + size/2: (5 + 3.5, -3 + 3).
    expect(product.objectCenterX_m).toBe(8.5);
    expect(product.objectCenterY_m).toBe(0);
  });

  it('should scale lengths by the CXI geometry', () => {
    const product = toPtychodusProduct({ snapshot: makeSnapshot(), dataset: makeDataset(), fourierErrors: FOURIER_ERRORS, geometry: GEOMETRY });
    expect(product.lengthUnit).toBe('m');
    expect(product.objectPixelWidth_m).toBe(4e-8);
    expect(product.objectPixelHeight_m).toBe(5e-8);
    expect(product.probePixelWidth_m).toBe(4e-8);
    expect(product.positionX_m[0]).toBeCloseTo(7 * 4e-8, 20);
    expect(product.positionY_m[2]).toBeCloseTo(0.5 * 5e-8, 20);
    expect(product.objectCenterX_m).toBeCloseTo(8.5 * 4e-8, 20);
    expect(product.detectorDistance_m).toBe(1.92);
    expect(product.probeEnergy_eV).toBeCloseTo(8800, 9);
  });

  it('should keep the loss history', () => {
    const product = toPtychodusProduct({ snapshot: makeSnapshot(), dataset: makeDataset(), fourierErrors: FOURIER_ERRORS });
    expect(Array.from(product.lossValues)).toEqual(FOURIER_ERRORS);
    expect(Array.from(product.lossEpochs)).toEqual([0, 1, 2, 3]);
  });

  it('should reject a probe of another size', () => {
    const dataset = { ...makeDataset(), patternSize: 8 };
    expect(() => toPtychodusProduct({ snapshot: makeSnapshot(), dataset, fourierErrors: [] })).toThrow(/probe is 4 pixels wide/);
  });

  it('should reject a short mode array', () => {
    const snapshot = { ...makeSnapshot(), probeModeCount: 3 };
    expect(() => toPtychodusProduct({ snapshot, dataset: makeDataset(), fourierErrors: [] })).toThrow(/3 probe modes/);
  });
});

const ENCODERS = {
  h5: writePtychodusProductH5,
  npz: async (product: Parameters<typeof writePtychodusProductNpz>[0]) => writePtychodusProductNpz(product),
};

describe('Ptychodus product round trip', () => {
  for (const [extension, encode] of Object.entries(ENCODERS)) {
    for (const geometry of [null, GEOMETRY]) {
      const label = `${extension} ${geometry === null ? 'in pixels' : 'in metres'}`;

      it(`should return the same arrays (${label})`, async () => {
        const snapshot = makeSnapshot();
        const product = toPtychodusProduct({ snapshot, dataset: makeDataset(), fourierErrors: FOURIER_ERRORS, geometry });
        const { product: read } = await readPtychodusProduct(await encode(product), `product.${extension}`);

        expect(read.object.values).toEqual(snapshot.object);
        expect([read.object.height, read.object.width]).toEqual([OBJECT_HEIGHT, OBJECT_WIDTH]);
        expect(read.probe.values).toEqual(snapshot.probeModes);
        expect([read.probe.count, read.probe.height, read.probe.width]).toEqual([MODE_COUNT, PROBE_SIZE, PROBE_SIZE]);
        expect(read.positionX_m).toEqual(product.positionX_m);
        expect(read.positionY_m).toEqual(product.positionY_m);
        expect(read.positionIndexes).toEqual(product.positionIndexes);
        expect(read.lossValues).toEqual(product.lossValues);
        expect(read.lossEpochs).toEqual(product.lossEpochs);
      });

      it(`should return the same metadata (${label})`, async () => {
        const product = toPtychodusProduct({ snapshot: makeSnapshot(), dataset: makeDataset(), fourierErrors: FOURIER_ERRORS, geometry });
        const { product: read } = await readPtychodusProduct(await encode(product), `product.${extension}`);
        expect(read.name).toBe(product.name);
        expect(read.comments).toBe(product.comments);
        expect(read.lengthUnit).toBe(product.lengthUnit);
        expect(read.detectorDistance_m).toBe(product.detectorDistance_m);
        expect(read.probeEnergy_eV).toBe(product.probeEnergy_eV);
        expect(read.objectPixelWidth_m).toBe(product.objectPixelWidth_m);
        expect(read.objectPixelHeight_m).toBe(product.objectPixelHeight_m);
        expect(read.probePixelWidth_m).toBe(product.probePixelWidth_m);
        expect(read.objectCenterX_m).toBe(product.objectCenterX_m);
        expect(read.objectCenterY_m).toBe(product.objectCenterY_m);
      });

      it(`should map positions back to corners (${label})`, async () => {
        const snapshot = makeSnapshot();
        const dataset = makeDataset();
        const product = toPtychodusProduct({ snapshot, dataset, fourierErrors: FOURIER_ERRORS, geometry });
        const read = await readPtychodusProduct(await encode(product), `product.${extension}`);
        for (let i = 0; i < dataset.patternCount; i += 1) {
          expect(read.positionX_px[i]).toBeCloseTo(dataset.positionX_px[i] - snapshot.originX_px, 9);
          expect(read.positionY_px[i]).toBeCloseTo(dataset.positionY_px[i] - snapshot.originY_px, 9);
        }
      });
    }
  }

  it('should write an empty loss history', async () => {
    const product = toPtychodusProduct({ snapshot: makeSnapshot(), dataset: makeDataset(), fourierErrors: [] });
    const { product: read } = await readPtychodusProduct(await writePtychodusProductH5(product), 'empty.h5');
    expect(read.lossValues.length).toBe(0);
    expect(read.lossEpochs.length).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The files as h5py and NumPy read them, through the --check mode of the fixture script, which
// indexes every key that Ptychodus's readers index without a fallback.
// ---------------------------------------------------------------------------------------------

const PYTHON = '/usr/bin/python3';
const CHECK_SCRIPT = resolve(import.meta.dirname, '../../../test/fixtures/make_ptychodus_fixtures.py');
const HAS_H5PY = spawnSync(PYTHON, ['-c', 'import h5py, numpy'], { encoding: 'utf8' }).status === 0;

interface CheckedArray {
  dtype: string;
  shape: number[];
  values: number[];
}

interface CheckReport {
  name: string;
  comments: string;
  ptychoscope_length_unit: string;
  object_pixel_width_m: number;
  object_center_x_m: number;
  arrays: Record<string, CheckedArray>;
}

function checkWithPython(bytes: Uint8Array, fileName: string): CheckReport {
  const directory = mkdtempSync(join(tmpdir(), 'ptychoscope-product-'));
  try {
    const path = join(directory, fileName);
    writeFileSync(path, bytes);
    const result = spawnSync(PYTHON, [CHECK_SCRIPT, '--check', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.status !== 0) {
      throw new Error(`The Ptychodus-style read of ${fileName} failed (exit ${result.status}): ${result.stderr}`);
    }
    return JSON.parse(result.stdout) as CheckReport;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe.skipIf(!HAS_H5PY)('Ptychodus product read by h5py and NumPy', () => {
  for (const [extension, encode] of Object.entries(ENCODERS)) {
    it(`should match Ptychodus's dtypes and shapes (${extension})`, async () => {
      const product = toPtychodusProduct({ snapshot: makeSnapshot(), dataset: makeDataset(), fourierErrors: FOURIER_ERRORS, geometry: GEOMETRY });
      const report = checkWithPython(await encode(product), `product.${extension}`);
      const { arrays } = report;
      expect(arrays.probe.dtype).toBe('complex64');
      expect(arrays.probe.shape).toEqual([1, MODE_COUNT, PROBE_SIZE, PROBE_SIZE]);
      expect(arrays.object.dtype).toBe('complex64');
      expect(arrays.object.shape).toEqual([1, OBJECT_HEIGHT, OBJECT_WIDTH]);
      expect(arrays.probe_position_indexes.dtype).toBe('int64');
      expect(arrays.probe_position_x_m.dtype).toBe('float64');
      expect(arrays.object_layer_spacing_m.shape).toEqual([0]);
      expect(arrays.loss_epochs.dtype).toBe('int64');
      expect(arrays.loss_values.dtype).toBe('float64');
    });

    it(`should hold our values for NumPy (${extension})`, async () => {
      const snapshot = makeSnapshot();
      const product = toPtychodusProduct({ snapshot, dataset: makeDataset(), fourierErrors: FOURIER_ERRORS, geometry: GEOMETRY });
      const report = checkWithPython(await encode(product), `product.${extension}`);
      expect(report.name).toBe('star.npz');
      expect(report.comments).toBe(product.comments);
      expect(report.ptychoscope_length_unit).toBe('m');
      expect(report.object_pixel_width_m).toBe(4e-8);
      expect(report.object_center_x_m).toBe(product.objectCenterX_m);
      expect(report.arrays.object.values).toEqual(Array.from(snapshot.object));
      expect(report.arrays.probe.values).toEqual(Array.from(snapshot.probeModes));
      expect(report.arrays.probe_position_x_m.values).toEqual(Array.from(product.positionX_m));
      expect(report.arrays.probe_position_indexes.values).toEqual([0, 1, 2]);
      expect(report.arrays.loss_values.values).toEqual(FOURIER_ERRORS);
    });
  }
});
