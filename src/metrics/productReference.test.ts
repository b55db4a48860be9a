import { describe, expect, it } from 'vitest';

import type { ScanDataset } from '../data/dataset';
import { readPtychodusProductNpz } from '../data/readers/ptychodusProduct';
import { toPtychodusProduct, writePtychodusProductNpz } from '../data/writers/ptychodusProduct';
import type { ReconstructionSnapshot } from '../worker/protocol';
import { referenceFromProduct } from './productReference';
import { cropTruthToSnapshot } from './truthComparison';

function makeCase(): { snapshot: ReconstructionSnapshot; dataset: ScanDataset } {
  const n = 4;
  const height = 12;
  const width = 14;
  const probe = new Float32Array(n * n * 2).fill(0.5);
  const snapshot: ReconstructionSnapshot = {
    object: Float32Array.from({ length: height * width * 2 }, (_, i) => Math.sin(0.37 * i)),
    objectHeight: height,
    objectWidth: width,
    probe,
    probeSize: n,
    probeModes: probe,
    probeModeCount: 1,
    coverage: new Float32Array(height * width).fill(1),
    originY_px: 20,
    originX_px: -7,
  };
  const dataset: ScanDataset = {
    name: 'scan',
    patternCount: 3,
    patternSize: n,
    intensities: new Float32Array(3 * n * n).fill(1),
    positionX_px: Float32Array.from([-5, -3, 0]),
    positionY_px: Float32Array.from([22, 24, 25]),
    probe: null,
    provenance: 'synthetic',
  };
  return { snapshot, dataset };
}

describe('referenceFromProduct', () => {
  it('puts an exported product back on the scan frame', () => {
    const { snapshot, dataset } = makeCase();
    const product = toPtychodusProduct({ snapshot, dataset, fourierErrors: [0.1] });
    const read = readPtychodusProductNpz(writePtychodusProductNpz(product), 'product.npz');
    const reference = referenceFromProduct(read, dataset, 'product.npz');
    // The product's object is the snapshot's, so cropping it onto the snapshot gives it back.
    expect(cropTruthToSnapshot(reference, snapshot)).toEqual(snapshot.object);
  });

  it('rejects a product of another scan', () => {
    const { snapshot, dataset } = makeCase();
    const product = toPtychodusProduct({ snapshot, dataset, fourierErrors: [] });
    const read = readPtychodusProductNpz(writePtychodusProductNpz(product), 'other.npz');
    const shuffled = { ...dataset, positionX_px: Float32Array.from([0, -3, -5]) };
    expect(() => referenceFromProduct(read, shuffled, 'other.npz')).toThrow(/differ from the loaded scan's by up to 5\.0 px/);
    const fewer = { ...dataset, patternCount: 2 };
    expect(() => referenceFromProduct(read, fewer, 'other.npz')).toThrow(/has 3 probe positions and the loaded scan 2/);
  });
});
