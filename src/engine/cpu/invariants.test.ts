// Properties of the 'cpu' physics kernels that hold for any input: inverse pairs, energy
// conservation, the adjoint relation between patch extraction and overlap sum, reproducibility
// and input validation.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { relativeRms } from '../../../test/fixtures/kernels/load.mjs';
import { extractPatches, fft2, overlapSum } from '../ops';
import { registerPhysicsKernels } from '../register';
import { randomValues } from './testValues';

function sumOfSquares(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += values[i] * values[i];
  return sum;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i] * b[i];
  return sum;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPhysicsKernels();
});

describe('fft2 invariants', () => {
  it('round trip at N=512 restores the input', () => {
    const input = randomValues(2 * 512 * 512 * 2, 1);
    const x = tf.tensor4d(input, [2, 512, 512, 2]);
    const restored = tf.tidy(() => fft2(fft2(x, 'forward'), 'inverse'));
    expect(relativeRms(restored.dataSync(), input)).toBeLessThanOrEqual(1e-6);
    tf.dispose([x, restored]);
  });

  it('inverse then forward restores the input', () => {
    const input = randomValues(3 * 16 * 16 * 2, 2);
    const x = tf.tensor4d(input, [3, 16, 16, 2]);
    const restored = tf.tidy(() => fft2(fft2(x, 'inverse'), 'forward'));
    expect(relativeRms(restored.dataSync(), input)).toBeLessThanOrEqual(1e-6);
    tf.dispose([x, restored]);
  });

  it.each([2, 4, 8, 128, 256])('conserves energy at N=%i (Parseval)', (n) => {
    const input = randomValues(2 * n * n * 2, n);
    const x = tf.tensor4d(input, [2, n, n, 2]);
    for (const direction of ['forward', 'inverse'] as const) {
      const y = fft2(x, direction);
      const energyIn = sumOfSquares(input);
      const energyOut = sumOfSquares(y.dataSync());
      expect(Math.abs(energyOut - energyIn) / energyIn).toBeLessThanOrEqual(1e-6);
      y.dispose();
    }
    x.dispose();
  });

  it('maps a unit impulse at [0, 0] to a constant 1/N', () => {
    const n = 32;
    const input = new Float32Array(n * n * 2);
    input[0] = 1;
    const y = fft2(tf.tensor4d(input, [1, n, n, 2]), 'forward');
    const values = y.dataSync();
    for (let i = 0; i < n * n; i += 1) {
      expect(values[2 * i]).toBeCloseTo(1 / n, 7);
      expect(values[2 * i + 1]).toBeCloseTo(0, 7);
    }
    y.dispose();
  });

  it('rejects a non-power-of-two size', () => {
    const x = tf.zeros([1, 48, 48, 2]) as tf.Tensor4D;
    expect(() => fft2(x, 'forward')).toThrow(/power-of-two side, received 48×48/);
    x.dispose();
  });

  it('rejects a non-square field', () => {
    const x = tf.zeros([1, 32, 64, 2]) as tf.Tensor4D;
    expect(() => fft2(x, 'forward')).toThrow(/received 32×64/);
    x.dispose();
  });
});

describe('patch kernel invariants', () => {
  const height = 70;
  const width = 90;
  const size = 24;
  const positionValues = [
    [0, 0],
    [46, 66],
    [10, 30],
    [10, 30],
    [33, 5],
    [0, 66],
    [46, 0],
    [20, 41],
  ];

  it('overlapSum is the adjoint of extractPatches', () => {
    const count = positionValues.length;
    const objectValues = randomValues(height * width * 2, 11);
    const patchValues = randomValues(count * size * size * 2, 12);
    const positions = tf.tensor2d(positionValues, [count, 2], 'int32');
    const object = tf.tensor3d(objectValues, [height, width, 2]);
    const patches = tf.tensor4d(patchValues, [count, size, size, 2]);

    const extracted = extractPatches(object, positions, size);
    const summed = overlapSum(patches, positions, height, width);
    const left = dot(extracted.dataSync(), patchValues);
    const right = dot(objectValues, summed.dataSync());
    expect(Math.abs(left - right) / Math.abs(left)).toBeLessThanOrEqual(1e-5);
    tf.dispose([positions, object, patches, extracted, summed]);
  });

  it('overlapSum gives identical bits on two runs', () => {
    const count = positionValues.length;
    const positions = tf.tensor2d(positionValues, [count, 2], 'int32');
    const patches = tf.tensor4d(randomValues(count * size * size * 2, 13), [count, size, size, 2]);
    const first = overlapSum(patches, positions, height, width);
    const second = overlapSum(patches, positions, height, width);
    const firstBits = new Uint32Array(first.dataSync().buffer.slice(0));
    const secondBits = new Uint32Array(second.dataSync().buffer.slice(0));
    expect(secondBits).toEqual(firstBits);
    tf.dispose([positions, patches, first, second]);
  });

  it('extractPatches names the window outside the object', () => {
    const object = tf.zeros([height, width, 2]) as tf.Tensor3D;
    const positions = tf.tensor2d([[0, 0], [47, 10]], [2, 2], 'int32');
    expect(() => extractPatches(object, positions, size)).toThrow(
      'PtychoExtractPatches: patch 1 at (row 47, col 10) with a 24×24 window does not lie inside the 70×90 object.',
    );
    tf.dispose([object, positions]);
  });

  it('overlapSum names the window outside the object', () => {
    const patches = tf.zeros([3, size, size, 2]) as tf.Tensor4D;
    const positions = tf.tensor2d([[0, 0], [5, 5], [-1, 3]], [3, 2], 'int32');
    expect(() => overlapSum(patches, positions, height, width)).toThrow(
      'PtychoOverlapSum: patch 2 at (row -1, col 3) with a 24×24 window does not lie inside the 70×90 object.',
    );
    tf.dispose([patches, positions]);
  });

  it('extractPatches rejects a window past the right edge', () => {
    const object = tf.zeros([height, width, 2]) as tf.Tensor3D;
    const positions = tf.tensor2d([[0, 67]], [1, 2], 'int32');
    expect(() => extractPatches(object, positions, size)).toThrow(/patch 0 at \(row 0, col 67\)/);
    tf.dispose([object, positions]);
  });
});
