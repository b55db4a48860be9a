// Checks each 'cpu' physics kernel, called through ops.ts, against the NumPy reference cases, and
// the edge cases of the fused kernels that the reference cases do not pin down bit for bit.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadKernelCases, relativeRms, type FixtureArray } from '../../../test/fixtures/kernels/load.mjs';
import { runLabKernel } from '../../lab/kernelCases';
import { modulusProjection, overlapSum, regularizedUpdate } from '../ops';
import { registerPhysicsKernels } from '../register';
import { randomValues } from './testValues';

const FFT_TOLERANCE = 1e-5;
const OTHER_TOLERANCE = 1e-6;

function toTensor(array: FixtureArray): tf.Tensor {
  return tf.tensor(array.data, array.shape, array.dtype);
}

/** Returns the raw bits of float32 values, so that equality means bitwise equality. */
function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPhysicsKernels();
});

describe('cpu kernels against NumPy', () => {
  const cases = loadKernelCases();

  it('covers every kernel', () => {
    const kernels = new Set(cases.map((testCase) => testCase.kernel));
    expect([...kernels].sort()).toEqual([
      'amplitudeResidual',
      'complexMultiply',
      'conjugateProductSum',
      'extractPatches',
      'fft2',
      'ifft2',
      'modulusProjection',
      'overlapSum',
      'regularizedUpdate',
    ]);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const actual = tf.tidy(() => {
      const tensors = Object.fromEntries(Object.entries(testCase.inputs).map(([key, array]) => [key, toTensor(array)]));
      return runLabKernel(testCase.kernel, tensors, testCase.attrs);
    });
    expect(actual.shape).toEqual(testCase.expected.shape);
    const tolerance = testCase.kernel === 'fft2' || testCase.kernel === 'ifft2' ? FFT_TOLERANCE : OTHER_TOLERANCE;
    expect(relativeRms(await actual.data(), testCase.expected.data)).toBeLessThanOrEqual(tolerance);
    actual.dispose();
  });
});

describe('fused kernel edge cases', () => {
  it('modulusProjection maps zero to (a, 0)', async () => {
    // Pixel 0 is +0 + 0i and pixel 1 is -0 - 0i. Pixels 2 and 3 are ordinary values for contrast.
    const farField = tf.tensor4d([0, 0, -0, -0, 3, 4, 0, -2], [1, 2, 2, 2]);
    const amplitudes = tf.tensor3d([2.5, 0.75, 10, 1], [1, 2, 2]);
    const projected = modulusProjection(farField, amplitudes);
    const values = await projected.data();

    expect(values[0]).toBe(2.5);
    expect(values[1]).toBe(0);
    expect(values[2]).toBe(0.75);
    expect(values[3]).toBe(0);
    expect(values[4]).toBe(6);
    expect(values[5]).toBe(8);
    expect(values[6]).toBe(0);
    expect(values[7]).toBe(-1);
    tf.dispose([farField, amplitudes, projected]);
  });

  it('regularizedUpdate with w = 0 keeps uncovered pixels', async () => {
    // Pixels 0 and 1 have D = 0 and a zero numerator, so only ε keeps their denominator non-zero.
    // Pixel 2 has D = 4 and must move by step·numerator / D.
    const xValues = new Float32Array([1.5, -2, 0.25, 7, 1, 1]);
    const x = tf.tensor3d(xValues, [1, 3, 2]);
    const numerator = tf.tensor3d([0, 0, 0, 0, 2, -4], [1, 3, 2]);
    const weights = tf.tensor3d([0, 9, 0, -3, 4, 100], [1, 3, 2]);
    const maxWeight = tf.tensor1d([4]);
    const updated = regularizedUpdate(x, numerator, weights, maxWeight, 0.5, 0);
    const values = await updated.data();

    for (const value of values) {
      expect(Number.isFinite(value)).toBe(true);
    }
    expect(Array.from(values.subarray(0, 4))).toEqual(Array.from(xValues.subarray(0, 4)));
    expect(values[4]).toBe(1.25);
    expect(values[5]).toBe(0.5);
    tf.dispose([x, numerator, weights, maxWeight, updated]);
  });

  it('overlapSum of one patch equals repeating it', async () => {
    const size = 8;
    const count = 5;
    const patchValues = randomValues(size * size * 2, 11);
    const repeatedValues = new Float32Array(count * patchValues.length);
    for (let patch = 0; patch < count; patch += 1) {
      repeatedValues.set(patchValues, patch * patchValues.length);
    }
    // Overlapping windows and a repeated position, so that several patches add into one pixel.
    const positions = tf.tensor2d([0, 0, 3, 2, 3, 2, 12, 10, 6, 7], [count, 2], 'int32');
    const single = tf.tensor3d(patchValues, [size, size, 2]);
    const repeated = tf.tensor4d(repeatedValues, [count, size, size, 2]);

    const fromSingle = overlapSum(single, positions, 20, 18);
    const fromRepeated = overlapSum(repeated, positions, 20, 18);
    expect(fromSingle.shape).toEqual([20, 18, 2]);
    expect(bitsOf((await fromSingle.data()) as Float32Array)).toEqual(bitsOf((await fromRepeated.data()) as Float32Array));
    tf.dispose([positions, single, repeated, fromSingle, fromRepeated]);
  });
});
