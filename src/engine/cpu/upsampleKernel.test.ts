// Checks the cpu nearest-neighbour ×2 upsampling kernel and its gradient against the same
// upsampling built from stock tfjs concat and reshape ops, value for value, and against a direct
// 2 × 2 block sum computed here in double precision.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { UPSAMPLE_NEAREST_2X, UPSAMPLE_NEAREST_2X_GRAD } from '../kernelNames';
import { randomValues } from './testValues';
import { registerUpsampleNearest2xCpuKernels, upsampleNearest2x } from './upsampleKernel';

/** Upsamples x with two concats and reshapes of stock tfjs ops: the reference for the kernel. */
function upsampleByConcat(x: tf.Tensor4D): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  const rows = tf.reshape(x, [batch, height, 1, width * channels]);
  const tallRows = tf.reshape(tf.concat([rows, rows], 2), [batch * 2 * height, width, 1, channels]);
  const wide = tf.concat([tallRows, tallRows], 2);
  return tf.reshape(wide, [batch, 2 * height, 2 * width, channels]);
}

/** Random values with NaN, ±∞ and −0 at fixed places. */
function specialValues(size: number, seed: number): Float32Array {
  const values = randomValues(size, seed);
  const specials = [Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -0, 0];
  for (let i = 0; i < values.length; i += 3) values[i] = specials[(i / 3) % specials.length];
  return values;
}

/** Returns the output of `upsample` and the gradient of Σ upsample(x)·upstream. */
function forwardAndGradient(
  upsample: (x: tf.Tensor4D) => tf.Tensor4D,
  input: Float32Array,
  upstream: Float32Array,
  shape: [number, number, number, number],
): { output: Float32Array; gradient: Float32Array } {
  return tf.tidy(() => {
    const [batch, height, width, channels] = shape;
    const x = tf.tensor4d(input, shape);
    const weights = tf.tensor4d(upstream, [batch, 2 * height, 2 * width, channels]);
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.mul(upsample(t as tf.Tensor4D), weights)))(x);
    value.dispose();
    return { output: upsample(x).dataSync() as Float32Array, gradient: grad.dataSync() as Float32Array };
  });
}

function mismatchCount(actual: Float32Array, expected: Float32Array): number {
  // Object.is distinguishes −0 from +0 and treats NaN as equal to NaN.
  return actual.reduce((count, value, i) => (Object.is(value, expected[i]) ? count : count + 1), 0);
}

const shapes: [number, number, number, number][] = [
  [2, 3, 4, 3],
  [1, 1, 1, 1],
  [3, 5, 2, 1],
  [4, 8, 8, 16],
];

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerUpsampleNearest2xCpuKernels();
});

describe('upsampleNearest2x cpu kernel', () => {
  it('registers both kernels once', () => {
    const forward = tf.getKernel(UPSAMPLE_NEAREST_2X, 'cpu')?.kernelFunc;
    registerUpsampleNearest2xCpuKernels();
    expect(forward).toBeDefined();
    expect(tf.getKernel(UPSAMPLE_NEAREST_2X, 'cpu')?.kernelFunc).toBe(forward);
    expect(tf.getKernel(UPSAMPLE_NEAREST_2X_GRAD, 'cpu')).toBeDefined();
  });

  for (const shape of shapes) {
    it(`matches concat upsampling, shape [${shape.join(', ')}]`, () => {
      const size = tf.util.sizeFromShape(shape);
      const cases = [
        { input: randomValues(size, 31), upstream: randomValues(4 * size, 32) },
        { input: specialValues(size, 33), upstream: specialValues(4 * size, 34) },
      ];
      for (const { input, upstream } of cases) {
        const expected = forwardAndGradient(upsampleByConcat, input, upstream, shape);
        const actual = forwardAndGradient(upsampleNearest2x, input, upstream, shape);
        expect(mismatchCount(actual.output, expected.output)).toBe(0);
        expect(mismatchCount(actual.gradient, expected.gradient)).toBe(0);
      }
    });
  }

  it('gradient sums 2 × 2 blocks', () => {
    const shape: [number, number, number, number] = [2, 3, 5, 4];
    const [batch, height, width, channels] = shape;
    const size = tf.util.sizeFromShape(shape);
    const upstream = randomValues(4 * size, 35);
    const { gradient } = forwardAndGradient(upsampleNearest2x, new Float32Array(size), upstream, shape);

    const at = (b: number, row: number, col: number, c: number): number =>
      upstream[((b * 2 * height + row) * 2 * width + col) * channels + c];
    let maxError = 0;
    for (let b = 0; b < batch; b += 1) {
      for (let row = 0; row < height; row += 1) {
        for (let col = 0; col < width; col += 1) {
          for (let c = 0; c < channels; c += 1) {
            const blockSum =
              at(b, 2 * row, 2 * col, c) + at(b, 2 * row, 2 * col + 1, c) + at(b, 2 * row + 1, 2 * col, c) + at(b, 2 * row + 1, 2 * col + 1, c);
            maxError = Math.max(maxError, Math.abs(gradient[((b * height + row) * width + col) * channels + c] - blockSum));
          }
        }
      }
    }
    expect(maxError).toBeLessThan(1e-5);
  });

  it('rejects int32 input', () => {
    const x = tf.zeros([1, 2, 2, 1], 'int32') as tf.Tensor4D;
    expect(() => upsampleNearest2x(x)).toThrow(/float32 of rank 4/);
    x.dispose();
  });
});
