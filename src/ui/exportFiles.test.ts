import { describe, expect, it } from 'vitest';

import type { ScanDataset } from '../data/dataset';
import { readNpy } from '../data/npy';
import { readNpz } from '../data/npz';
import { readPtychodusProduct } from '../data/readers/ptychodusProduct';
import type { ReconstructionSnapshot } from '../worker/protocol';
import { readScanFile } from '../data/readers/detect';
import { padProbeModes } from '../solvers/pie/farField';
import { objectNpy, ptychodusProductH5, ptychodusProductNpz, reconstructionNpz } from './exportFiles';

function makeSnapshot(): ReconstructionSnapshot {
  const probeModes = Float32Array.from({ length: 2 * 2 * 2 * 2 }, (_, i) => 0.25 * i - 1.5);
  return {
    object: Float32Array.from({ length: 3 * 5 * 2 }, (_, i) => Math.cos(0.7 * i)),
    objectHeight: 3,
    objectWidth: 5,
    probe: probeModes.slice(0, 8),
    probeSize: 2,
    probeModes,
    probeModeCount: 2,
    coverage: new Float32Array(15).fill(1),
    originY_px: 10,
    originX_px: -4,
  };
}

function makeDataset(): ScanDataset {
  return {
    name: 'scan.cxi',
    patternCount: 2,
    patternSize: 2,
    intensities: new Float32Array(8),
    positionX_px: Float32Array.from([-4, -2.5]),
    positionY_px: Float32Array.from([10, 11]),
    probe: null,
    provenance: 'synthetic',
  };
}

describe('reconstructionNpz read back with readNpz', () => {
  const snapshot = makeSnapshot();
  const arrays = readNpz(reconstructionNpz(snapshot, makeDataset(), [0.4, 0.3]), 'reconstruction.npz');

  it("should use PtychoPINN's key names", () => {
    expect([...arrays.keys()]).toEqual([
      'diffraction',
      'objectGuess',
      'probeGuess',
      'probeModes',
      'xcoords',
      'ycoords',
      'fourier_error',
    ]);
  });

  it('should store the object as complex64', () => {
    const object = arrays.get('objectGuess');
    expect(object?.dtype).toBe('complex64');
    expect(object?.shape).toEqual([3, 5]);
    expect(object?.data).toEqual(snapshot.object);
  });

  it('should store the main mode and all modes', () => {
    expect(arrays.get('probeGuess')?.shape).toEqual([2, 2]);
    expect(arrays.get('probeGuess')?.data).toEqual(snapshot.probe);
    expect(arrays.get('probeModes')?.shape).toEqual([2, 2, 2]);
    expect(arrays.get('probeModes')?.data).toEqual(snapshot.probeModes);
  });

  it('should store window centres in object pixels', () => {
    // Corner − origin + N/2: x (−4 + 4 + 1, −2.5 + 4 + 1), y (10 − 10 + 1, 11 − 10 + 1).
    expect(arrays.get('xcoords')?.dtype).toBe('float64');
    expect(Array.from(arrays.get('xcoords')?.data as Float64Array)).toEqual([1, 2.5]);
    expect(Array.from(arrays.get('ycoords')?.data as Float64Array)).toEqual([1, 2]);
  });

  it('should store the Fourier error history', () => {
    expect(Array.from(arrays.get('fourier_error')?.data as Float64Array)).toEqual([0.4, 0.3]);
  });
});

describe('objectNpy', () => {
  it('should store the object as complex64', () => {
    const snapshot = makeSnapshot();
    const array = readNpy(objectNpy(snapshot), { file: 'object.npy' });
    expect(array.dtype).toBe('complex64');
    expect(array.shape).toEqual([3, 5]);
    expect(array.data).toEqual(snapshot.object);
  });
});

describe('Ptychodus product exports', () => {
  it('should write a readable HDF5 product', async () => {
    const snapshot = makeSnapshot();
    const bytes = await ptychodusProductH5(snapshot, makeDataset(), [0.4, 0.3], null);
    const { format, product, positionX_px } = await readPtychodusProduct(bytes, 'product.h5');
    expect(format).toBe('ptychodus-h5');
    expect(product.object.values).toEqual(snapshot.object);
    expect(product.lengthUnit).toBe('pixel');
    expect(Array.from(positionX_px)).toEqual([0, 1.5]);
  });

  it('should write a readable NPZ product', async () => {
    const snapshot = makeSnapshot();
    const bytes = ptychodusProductNpz(snapshot, makeDataset(), [0.4, 0.3], null);
    const { format, product } = await readPtychodusProduct(bytes, 'product.npz');
    expect(format).toBe('ptychodus-npz');
    expect(product.probe.values).toEqual(snapshot.probeModes);
    expect(Array.from(product.lossValues)).toEqual([0.4, 0.3]);
  });
});

describe('reconstructionNpz diffraction', () => {
  it('stores √counts centred, pattern by pattern', () => {
    const dataset = { ...makeDataset(), intensities: Float32Array.from([0, 1, 4, 9, 16, 25, 36, 49]) };
    const arrays = readNpz(reconstructionNpz(makeSnapshot(), dataset, []), 'reconstruction.npz');
    const diffraction = arrays.get('diffraction');
    expect(diffraction?.dtype).toBe('float32');
    expect(diffraction?.shape).toEqual([2, 2, 2]);
    // For N = 2 the centring shift swaps both axes: [a b; c d] becomes [d c; b a].
    expect(Array.from(diffraction?.data as Float32Array)).toEqual([3, 2, 1, 0, 7, 6, 5, 4]);
  });

  it('stores an upsampled probe guess at the pattern size', async () => {
    const n = 4;
    const dataset: ScanDataset = { ...makeDataset(), patternCount: 1, patternSize: n, intensities: new Float32Array(n * n).fill(4) };
    const probe = Float32Array.from({ length: n * n * 2 }, (_, i) => Math.cos(0.9 * i));
    const upsampled = padProbeModes(probe, n, 1, 2);
    const snapshot = { ...makeSnapshot(), probe: upsampled, probeSize: 2 * n, probeModes: upsampled, probeModeCount: 1 };
    const bytes = reconstructionNpz(snapshot, dataset, [0.2]);
    const arrays = readNpz(bytes, 'reconstruction.npz');

    expect(arrays.get('probeGuess')?.shape).toEqual([n, n]);
    (arrays.get('probeGuess')?.data as Float32Array).forEach((value, i) => expect(value).toBeCloseTo(probe[i], 5));
    expect(arrays.get('probeModes')?.shape).toEqual([1, 2 * n, 2 * n]);
    const outcome = await readScanFile(bytes, 'reconstruction.npz');
    expect(outcome.kind).toBe('dataset');
  });

  it('reopens as the same scan with the object', async () => {
    const n = 4;
    const counts = Float32Array.from({ length: 3 * n * n }, (_, i) => (i * 37) % 101 + 2);
    const dataset: ScanDataset = {
      name: 'scan.npz',
      patternCount: 3,
      patternSize: n,
      intensities: counts,
      positionX_px: Float32Array.from([-4, -2.5, 0]),
      positionY_px: Float32Array.from([10, 11, 12.5]),
      probe: null,
      provenance: 'synthetic',
    };
    const probe = new Float32Array(n * n * 2).fill(0.5);
    const snapshot = { ...makeSnapshot(), probe, probeSize: n, probeModes: probe, probeModeCount: 1 };
    const outcome = await readScanFile(reconstructionNpz(snapshot, dataset, [0.2]), 'reconstruction.npz');
    expect(outcome.kind).toBe('dataset');
    if (outcome.kind !== 'dataset') return;
    const reread = outcome.dataset;
    reread.intensities.forEach((value, i) => expect(Math.abs(value - counts[i]) / counts[i]).toBeLessThan(1e-5));
    // Positions come back on the object array's frame: corner − origin.
    expect(Array.from(reread.positionX_px)).toEqual([0, 1.5, 4]);
    expect(Array.from(reread.positionY_px)).toEqual([0, 1, 2.5]);
    expect(outcome.objectGuess?.values).toEqual(snapshot.object);
    expect(outcome.measurement?.assumed).toBe('amplitude');
  });
});
