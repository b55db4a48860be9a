import { describe, expect, it } from 'vitest';

import type { ScanDataset } from '../../data/dataset';
import { readPtychodusProduct } from '../../data/readers/ptychodusProduct';
import { toPtychodusProduct, writePtychodusProductH5, writePtychodusProductNpz } from '../../data/writers/ptychodusProduct';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { startPointFromProduct } from './productStartPoint';

const OBJECT_HEIGHT = 9;
const OBJECT_WIDTH = 11;
const PROBE_SIZE = 4;
const MODE_COUNT = 2;

/** Returns non-integer values of varied sign, so that a dtype conversion or a transposition would show. */
function pattern(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, index) => Math.sin(seed + 1.3 * index) * (1 + index / 5));
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
});
