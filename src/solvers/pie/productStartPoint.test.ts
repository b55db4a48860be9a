import { describe, expect, it } from 'vitest';

import type { ScanDataset } from '../../data/dataset';
import { readPtychodusProduct } from '../../data/readers/ptychodusProduct';
import { toPtychodusProduct, writePtychodusProductH5, writePtychodusProductNpz } from '../../data/writers/ptychodusProduct';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { modelledStartCounts, startPointFromProduct } from './productStartPoint';
import type { PieStartPoint } from './startPoint';

const OBJECT_HEIGHT = 9;
const OBJECT_WIDTH = 11;
const PROBE_SIZE = 4;
const MODE_COUNT = 2;

/** Returns non-integer values of varied sign, so that a dtype conversion or a transposition would show. */
function pattern(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, index) => Math.sin(seed + 1.3 * index) * (1 + index / 5));
}

/** Builds a snapshot with probes of `probeSize`: PROBE_SIZE, or twice it as after far-field upsampling 2. */
function makeSnapshot(probeSize = PROBE_SIZE): ReconstructionSnapshot {
  const probeModes = pattern(MODE_COUNT * probeSize * probeSize * 2, 2);
  return {
    object: pattern(OBJECT_HEIGHT * OBJECT_WIDTH * 2, 1),
    objectHeight: OBJECT_HEIGHT,
    objectWidth: OBJECT_WIDTH,
    probe: probeModes.slice(0, probeSize * probeSize * 2),
    probeSize,
    probeModes,
    probeModeCount: MODE_COUNT,
    coverage: new Float32Array(OBJECT_HEIGHT * OBJECT_WIDTH).fill(1),
    originY_px: 2.5,
    originX_px: -4,
  };
}

function makeDataset(): ScanDataset {
  return {
    name: 'scan.npz',
    patternCount: 3,
    patternSize: PROBE_SIZE,
    intensities: new Float32Array(3 * PROBE_SIZE * PROBE_SIZE).fill(1),
    positionX_px: Float32Array.from([0, 1.5, 3.25]),
    positionY_px: Float32Array.from([6.5, 7, 8.75]),
    probe: null,
    provenance: 'synthetic',
  };
}

const WRITERS = {
  h5: writePtychodusProductH5,
  npz: async (product: Parameters<typeof writePtychodusProductNpz>[0]) => writePtychodusProductNpz(product),
};

describe('startPointFromProduct', () => {
  for (const [format, write] of Object.entries(WRITERS)) {
    it(`should read back a written ${format} product`, async () => {
      const snapshot = makeSnapshot();
      const dataset = makeDataset();
      const bytes = await write(toPtychodusProduct({ snapshot, dataset, fourierErrors: [0.5, 0.4] }));
      const result = await readPtychodusProduct(bytes, `product.${format}`);
      const start = startPointFromProduct(result, dataset, `product.${format}`, true);

      expect(start.objectHeight_px).toBe(OBJECT_HEIGHT);
      expect(start.objectWidth_px).toBe(OBJECT_WIDTH);
      expect(Array.from(start.object)).toEqual(Array.from(snapshot.object));
      expect(start.probeModeCount).toBe(MODE_COUNT);
      expect(start.probeSize_px).toBe(PROBE_SIZE);
      expect(Array.from(start.probeModes)).toEqual(Array.from(snapshot.probeModes));
      expect(start.originY_px).toBeCloseTo(snapshot.originY_px, 9);
      expect(start.originX_px).toBeCloseTo(snapshot.originX_px, 9);
      expect(start.positions).toBeDefined();
      for (let i = 0; i < dataset.patternCount; i += 1) {
        expect(start.positions?.positionY_px[i]).toBeCloseTo(dataset.positionY_px[i], 5);
        expect(start.positions?.positionX_px[i]).toBeCloseTo(dataset.positionX_px[i], 5);
      }
    });
  }

  it('should place an upsampled product as the run placed it', async () => {
    const snapshot = makeSnapshot(2 * PROBE_SIZE);
    const dataset = makeDataset();
    const bytes = await writePtychodusProductH5(toPtychodusProduct({ snapshot, dataset, fourierErrors: [0.5] }));
    const result = await readPtychodusProduct(bytes, 'product.h5');
    const start = startPointFromProduct(result, dataset, 'product.h5', true);

    expect(start.probeSize_px).toBe(2 * PROBE_SIZE);
    // The 8-pixel probe is centred where the 4-pixel pattern windows are, so the origin is unchanged.
    expect(start.originY_px).toBeCloseTo(snapshot.originY_px, 9);
    expect(start.originX_px).toBeCloseTo(snapshot.originX_px, 9);
    for (let i = 0; i < dataset.patternCount; i += 1) {
      expect(start.positions?.positionY_px[i]).toBeCloseTo(dataset.positionY_px[i], 5);
      expect(start.positions?.positionX_px[i]).toBeCloseTo(dataset.positionX_px[i], 5);
    }
  });

  it('should leave positions out on request', async () => {
    const dataset = makeDataset();
    const bytes = writePtychodusProductNpz(toPtychodusProduct({ snapshot: makeSnapshot(), dataset, fourierErrors: [] }));
    const result = await readPtychodusProduct(bytes, 'product.npz');
    expect(startPointFromProduct(result, dataset, 'product.npz', false).positions).toBeUndefined();
  });

  it('should reject another probe size', async () => {
    const dataset = makeDataset();
    const bytes = writePtychodusProductNpz(toPtychodusProduct({ snapshot: makeSnapshot(), dataset, fourierErrors: [] }));
    const result = await readPtychodusProduct(bytes, 'product.npz');
    const larger = { ...dataset, patternSize: 8 };
    expect(() => startPointFromProduct(result, larger, 'product.npz', true)).toThrow(
      /probe in product\.npz is 4×4 pixels but the loaded scan's patterns are 8×8/,
    );
  });

  it('should reject another pattern count', async () => {
    const dataset = makeDataset();
    const bytes = writePtychodusProductNpz(toPtychodusProduct({ snapshot: makeSnapshot(), dataset, fourierErrors: [] }));
    const result = await readPtychodusProduct(bytes, 'product.npz');
    const longer: ScanDataset = {
      ...dataset,
      patternCount: 4,
      positionX_px: Float32Array.from([0, 1.5, 3.25, 4]),
      positionY_px: Float32Array.from([6.5, 7, 8.75, 9]),
    };
    expect(() => startPointFromProduct(result, longer, 'product.npz', true)).toThrow(
      /product\.npz has 3 probe positions and the loaded scan 4/,
    );
  });

  it('should reject a NaN in the object at pick time', async () => {
    const dataset = makeDataset();
    const snapshot = makeSnapshot();
    // The imaginary part of row 7, column 2 of the 9 × 11 object.
    snapshot.object[2 * (7 * OBJECT_WIDTH + 2) + 1] = Number.NaN;
    const result = await readPtychodusProduct(await writePtychodusProductH5(toPtychodusProduct({ snapshot, dataset, fourierErrors: [] })), 'nan.h5');
    expect(() => startPointFromProduct(result, dataset, 'nan.h5', true)).toThrow(
      /^The object in nan\.h5 \(dataset \/object\) contains a non-finite value, NaN, at pixel \(7, 2\) as \(row, column\), so it cannot be used as a start point\./,
    );
  });

  it('should reject a zero probe at pick time', async () => {
    const dataset = makeDataset();
    const snapshot = { ...makeSnapshot(), probeModes: new Float32Array(MODE_COUNT * PROBE_SIZE * PROBE_SIZE * 2) };
    const result = await readPtychodusProduct(writePtychodusProductNpz(toPtychodusProduct({ snapshot, dataset, fourierErrors: [] })), 'zero.npz');
    expect(() => startPointFromProduct(result, dataset, 'zero.npz', true)).toThrow(/^The probe in zero\.npz \(array probe\.npy\) is zero everywhere/);
  });

  it('should reject an object that models no photons', async () => {
    // With the origin at row 4.5 every window lies inside the 9 × 11 object, which is zero.
    const dataset = makeDataset();
    const snapshot = { ...makeSnapshot(), originY_px: 4.5, object: new Float32Array(OBJECT_HEIGHT * OBJECT_WIDTH * 2) };
    const result = await readPtychodusProduct(writePtychodusProductNpz(toPtychodusProduct({ snapshot, dataset, fourierErrors: [] })), 'dark.npz');
    expect(() => startPointFromProduct(result, dataset, 'dark.npz', false)).toThrow(
      /^The product in dark\.npz models a total photon count of 0 on the loaded scan/,
    );
  });
});

describe('modelledStartCounts', () => {
  it('should sum object power times probe power', () => {
    // A 3 × 3 object with |O|² = 1 … 9 row by row, origin (10, 20), and one 2 × 2 window whose corner
    // (10.4, 21.3) rounds to object pixel (0, 1). |P|² = 1, 4, 0, 2 (mode 0) plus 1, 0, 0, 0 (mode 1).
    const object = new Float32Array(18);
    for (let i = 0; i < 9; i += 1) object[2 * i + 1] = Math.sqrt(i + 1);
    const start: PieStartPoint = {
      object,
      objectHeight_px: 3,
      objectWidth_px: 3,
      originY_px: 10,
      originX_px: 20,
      probeModes: Float32Array.from([1, 0, 0, 2, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]),
      probeModeCount: 2,
      probeSize_px: 2,
      positions: { positionY_px: Float32Array.from([10.4]), positionX_px: Float32Array.from([21.3]) },
    };
    const dataset = { ...makeDataset(), patternCount: 1, patternSize: 2 };
    // Window pixels |O|² = 2, 3, 5, 6 against |P|² = 2, 4, 0, 2.
    expect(modelledStartCounts(start, dataset)).toBeCloseTo(2 * 2 + 3 * 4 + 6 * 2, 5);
  });

  it('should count pixels outside the object as 1', () => {
    const start: PieStartPoint = {
      object: new Float32Array(2),
      objectHeight_px: 1,
      objectWidth_px: 1,
      originY_px: 0,
      originX_px: 0,
      probeModes: Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0]),
      probeModeCount: 1,
      probeSize_px: 2,
    };
    const dataset = { ...makeDataset(), patternCount: 1, patternSize: 2, positionY_px: Float32Array.from([0]), positionX_px: Float32Array.from([0]) };
    // Pixel (0, 0) is the zero object; the other three are outside it.
    expect(modelledStartCounts(start, dataset)).toBe(3);
  });
});
