// Checks the cpu phase activation kernel and its gradient against tf.mul(tf.tanh(x), Math.PI) on
// the stock tfjs ops, value for value, with NaN, ±∞, ±0 and large inputs.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { PHASE_ACTIVATION } from '../kernelNames';
import { phaseActivation, registerPhaseActivationCpuKernel } from './phaseActivationKernel';
import { randomValues } from './testValues';

function phaseByOps(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.tanh(x), Math.PI);
}

/** Returns the forward output and the gradient of Σ activation(x)·upstream. */
function forwardAndGradient(
  activation: (x: tf.Tensor) => tf.Tensor,
  input: Float32Array,
  upstream: Float32Array,
  shape: number[],
): { output: Float32Array; gradient: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor(input, shape);
    const weights = tf.tensor(upstream, shape);
    const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(activation(t), weights)))(x);
    return { output: activation(x).dataSync() as Float32Array, gradient: gradient.dataSync() as Float32Array };
  });
}

function mismatchCount(actual: Float32Array, expected: Float32Array): number {
  // Object.is distinguishes −0 from +0 and treats NaN as equal to NaN.
  return actual.reduce((count, value, i) => (Object.is(value, expected[i]) ? count : count + 1), 0);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPhaseActivationCpuKernel();
});

describe('phaseActivation cpu kernel', () => {
  it('registers once', () => {
    const kernel = tf.getKernel(PHASE_ACTIVATION, 'cpu')?.kernelFunc;
    registerPhaseActivationCpuKernel();
    expect(kernel).toBeDefined();
    expect(tf.getKernel(PHASE_ACTIVATION, 'cpu')?.kernelFunc).toBe(kernel);
  });

  it('matches tanh then multiply', () => {
    const shape = [4, 16, 16, 1];
    const size = tf.util.sizeFromShape(shape);
    // Inputs spread over [-8, 8), where tanh goes from linear to saturated.
    const input = randomValues(size, 41).map((value) => 8 * value);
    const upstream = randomValues(size, 42);
    const expected = forwardAndGradient(phaseByOps, input, upstream, shape);
    const actual = forwardAndGradient(phaseActivation, input, upstream, shape);
    expect(mismatchCount(actual.output, expected.output)).toBe(0);
    expect(mismatchCount(actual.gradient, expected.gradient)).toBe(0);
  });

  it('matches tanh then multiply at special values', () => {
    const input = Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e-30, -1e-30, 20, -20, 3.4e38]);
    const upstream = Float32Array.from([1, -2, 0.5, -0, 3, Number.NaN, 1, -1, Number.POSITIVE_INFINITY, 2]);
    const expected = forwardAndGradient(phaseByOps, input, upstream, [input.length]);
    const actual = forwardAndGradient(phaseActivation, input, upstream, [input.length]);
    expect(mismatchCount(actual.output, expected.output)).toBe(0);
    expect(mismatchCount(actual.gradient, expected.gradient)).toBe(0);
  });

  it('matches NumPy float32 values', () => {
    // np.float32(np.pi) * np.tanh(np.float32(x)) for x = 0.5, -2 and 30, in NumPy float32.
    const input = Float32Array.from([0.5, -2, 30]);
    const output = tf.tidy(() => phaseActivation(tf.tensor(input)).dataSync() as Float32Array);
    const reference = [1.451784, -3.028582, 3.1415927];
    reference.forEach((value, i) => expect(output[i]).toBeCloseTo(value, 5));
  });

  it('rejects int32 input', () => {
    const x = tf.zeros([2, 2], 'int32');
    expect(() => phaseActivation(x)).toThrow(/expected 'x' to be float32/);
    x.dispose();
  });
});
