import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DataFormatError } from '../errors';
import { createNpyArray, writeNpy } from '../npy';
import { writeZip } from '../zip';
import { readPtychodusProduct } from './ptychodusProduct';

/** The fixtures that make_ptychodus_fixtures.py wrote with h5py and numpy.savez. */
const FIXTURE_DIR = resolve(import.meta.dirname, '../../../test/fixtures/ptychodus');

interface ExpectedProduct {
  name: string;
  comments: string;
  detectorDistance_m: number;
  probeEnergy_eV: number;
  probePhotonCount: number;
  exposureTime_s: number;
  probe: { count: number; height: number; width: number; values: number[] };
  probePixelWidth_m: number;
  probePixelHeight_m: number;
  object: { height: number; width: number; values: number[] };
  objectPixelWidth_m: number;
  objectPixelHeight_m: number;
  objectCenterX_m: number;
  objectCenterY_m: number;
  positionIndexes: number[];
  positionX_m: number[];
  positionY_m: number[];
  positionX_px: number[];
  positionY_px: number[];
  lossEpochs: number[];
  lossValues: number[];
}

const expectedProducts: Record<string, ExpectedProduct> = JSON.parse(readFileSync(join(FIXTURE_DIR, 'expected.json'), 'utf8'));

function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURE_DIR, name)));
}

/** Largest |a − b| / max(|b|, 1e-30) over the arrays, which must have the same length. */
function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-30));
  }
  return worst;
}

describe('readPtychodusProduct on h5py and NumPy fixtures', () => {
  for (const name of ['product.h5', 'product.npz', 'legacy-costs.h5', 'multilayer-opr.npz']) {
    describe(name, () => {
      const expected = expectedProducts[name];
      const reading = readPtychodusProduct(readFixture(name), name);

      it('should read the metadata', async () => {
        const { product } = await reading;
        expect(product.name).toBe(expected.name);
        expect(product.comments).toBe(expected.comments);
        expect(product.detectorDistance_m).toBe(expected.detectorDistance_m);
        expect(product.probeEnergy_eV).toBe(expected.probeEnergy_eV);
        expect(product.probePhotonCount).toBe(expected.probePhotonCount);
        expect(product.exposureTime_s).toBe(expected.exposureTime_s);
        expect(product.lengthUnit).toBe('m');
      });

      it('should read the probe modes exactly', async () => {
        const { probe } = (await reading).product;
        expect([probe.count, probe.height, probe.width]).toEqual([expected.probe.count, expected.probe.height, expected.probe.width]);
        expect(Array.from(probe.values)).toEqual(expected.probe.values);
      });

      it('should read one object layer', async () => {
        const { object } = (await reading).product;
        expect([object.count, object.height, object.width]).toEqual([1, expected.object.height, expected.object.width]);
        if (name === 'multilayer-opr.npz') {
          // NumPy multiplied the layers in complex128 and rounded once, but the reader multiplies in float32.
          expect(maxRelativeError(object.values, expected.object.values)).toBeLessThan(1e-5);
        } else {
          expect(Array.from(object.values)).toEqual(expected.object.values);
        }
      });

      it('should read pixel sizes and the centre', async () => {
        const { product } = await reading;
        expect(product.probePixelWidth_m).toBe(expected.probePixelWidth_m);
        expect(product.probePixelHeight_m).toBe(expected.probePixelHeight_m);
        expect(product.objectPixelWidth_m).toBe(expected.objectPixelWidth_m);
        expect(product.objectPixelHeight_m).toBe(expected.objectPixelHeight_m);
        expect(product.objectCenterX_m).toBe(expected.objectCenterX_m);
        expect(product.objectCenterY_m).toBe(expected.objectCenterY_m);
      });

      it('should read positions in metres exactly', async () => {
        const { product } = await reading;
        expect(Array.from(product.positionIndexes)).toEqual(expected.positionIndexes);
        expect(Array.from(product.positionX_m)).toEqual(expected.positionX_m);
        expect(Array.from(product.positionY_m)).toEqual(expected.positionY_m);
      });

      it('should convert positions to window corners', async () => {
        const result = await reading;
        expect(maxRelativeError(result.positionX_px, expected.positionX_px)).toBeLessThan(1e-12);
        expect(maxRelativeError(result.positionY_px, expected.positionY_px)).toBeLessThan(1e-12);
      });

      it('should read the loss history', async () => {
        const { product } = await reading;
        expect(Array.from(product.lossEpochs)).toEqual(expected.lossEpochs);
        expect(Array.from(product.lossValues)).toEqual(expected.lossValues);
      });
    });
  }

  it('should name the format it read', async () => {
    expect((await readPtychodusProduct(readFixture('product.h5'), 'product.h5')).format).toBe('ptychodus-h5');
    expect((await readPtychodusProduct(readFixture('product.npz'), 'product.npz')).format).toBe('ptychodus-npz');
  });

  it('should report dropped OPR modes and merged layers', async () => {
    const { notices } = await readPtychodusProduct(readFixture('multilayer-opr.npz'), 'multilayer-opr.npz');
    expect(notices.some((notice) => notice.includes('2 OPR modes'))).toBe(true);
    expect(notices.some((notice) => notice.includes('2 layers'))).toBe(true);
  });

  it('should report nothing for a plain product', async () => {
    const { notices } = await readPtychodusProduct(readFixture('product.h5'), 'product.h5');
    expect(notices).toEqual([]);
  });
});

describe('readPtychodusProduct on malformed input', () => {
  const scalar = (value: number) => writeNpy(createNpyArray('float64', [], new Float64Array([value])));
  const complexArray = (shape: number[]) =>
    writeNpy(createNpyArray('complex64', shape, new Float32Array(shape.reduce((a, b) => a * b, 2))));

  function npzWithout(omitted: string, overrides: Record<string, Uint8Array> = {}): Uint8Array {
    const members: Record<string, Uint8Array> = {
      probe_position_x_m: writeNpy(createNpyArray('float64', [2], new Float64Array([0, 1]))),
      probe_position_y_m: writeNpy(createNpyArray('float64', [2], new Float64Array([0, 1]))),
      probe: complexArray([1, 4, 4]),
      object: complexArray([8, 8]),
      probe_pixel_width_m: scalar(1),
      probe_pixel_height_m: scalar(1),
      object_pixel_width_m: scalar(1),
      object_pixel_height_m: scalar(1),
      object_center_x_m: scalar(0),
      object_center_y_m: scalar(0),
      ...overrides,
    };
    delete members[omitted];
    return writeZip(Object.entries(members).map(([key, data]) => ({ name: `${key}.npy`, data })));
  }

  it('should accept the minimal member set', async () => {
    const { product } = await readPtychodusProduct(npzWithout(''), 'minimal.npz');
    expect(product.positionX_m.length).toBe(2);
    expect(product.lossValues.length).toBe(0);
  });

  it('should reject a missing object centre', async () => {
    await expect(readPtychodusProduct(npzWithout('object_center_x_m'), 'no-centre.npz')).rejects.toThrow(DataFormatError);
    await expect(readPtychodusProduct(npzWithout('object_center_x_m'), 'no-centre.npz')).rejects.toThrow(/object_center_x_m\.npy is missing/);
  });

  it('should reject a missing probe', async () => {
    await expect(readPtychodusProduct(npzWithout('probe'), 'no-probe.npz')).rejects.toThrow(/probe\.npy is missing/);
  });

  it('should reject a zero pixel size', async () => {
    await expect(readPtychodusProduct(npzWithout('', { object_pixel_width_m: scalar(0) }), 'zero.npz')).rejects.toThrow(
      /object pixel width is invalid/,
    );
  });

  it('should reject a 1-D object', async () => {
    await expect(readPtychodusProduct(npzWithout('', { object: complexArray([64]) }), 'flat.npz')).rejects.toThrow(
      /object has the wrong shape/,
    );
  });

  it('should reject positions of unequal length', async () => {
    const shortY = writeNpy(createNpyArray('float64', [1], new Float64Array([0])));
    await expect(readPtychodusProduct(npzWithout('', { probe_position_y_m: shortY }), 'short.npz')).rejects.toThrow(
      /position arrays differ in length/,
    );
  });
});

describe('readPtychodusProduct on files that are not products', () => {
  for (const name of ['empty.h5', 'empty.npz']) {
    it(`should call ${name} empty`, async () => {
      const read = readPtychodusProduct(new Uint8Array(0), name);
      await expect(read).rejects.toThrow(DataFormatError);
      await expect(read).rejects.toThrow(new RegExp(`^${name.replace('.', '\\.')}: the file is empty \\(0 bytes\\)`));
      await expect(read).rejects.toThrow(/\.h5 or \.npz file written by Ptychodus/);
      await expect(read).rejects.not.toThrow(/numpy\.savez|ZIP archive/);
    });
  }

  it('should give HDF5 advice for a text file named .h5', async () => {
    const read = readPtychodusProduct(new TextEncoder().encode('not a product\n'), 'notes.h5');
    await expect(read).rejects.toThrow(/^notes\.h5: the file is not an HDF5 file\. An \.h5 product is an HDF5 file/);
    await expect(read).rejects.toThrow(/Received 14 bytes/);
    await expect(read).rejects.not.toThrow(/numpy\.savez/);
  });

  it('should name both formats for another name', async () => {
    const read = readPtychodusProduct(new TextEncoder().encode('x'), 'product.bin');
    await expect(read).rejects.toThrow(/neither an HDF5 file nor an NPZ \(ZIP\) archive/);
  });

  it('should name the missing dataset of a scan .h5', async () => {
    const scan = readFileSync(resolve(import.meta.dirname, '../../../test/fixtures/readers/scan-n3.cxi'));
    await expect(readPtychodusProduct(new Uint8Array(scan), 'scan.h5')).rejects.toThrow(/is missing.*product file written by Ptychodus/s);
  });
});
