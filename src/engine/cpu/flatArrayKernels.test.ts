// Checks the flat-array Slice, SplitV, Unpack, PadV2, GatherV2, Concat, MaxPool, MaxPoolGrad, Sum,
// Add, Multiply, Relu and Step kernels of the 'cpu' backend against the stock tfjs-backend-cpu kernels, value for value, with NaN, −0 and
// ties among the inputs. Also checks the gradients of a small model that uses all of them.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { registerFlatArrayCpuKernels } from './flatArrayKernels';
import { randomValues } from './testValues';

const KERNEL_NAMES = ['Slice', 'SplitV', 'Unpack', 'PadV2', 'GatherV2', 'Concat', 'MaxPool', 'MaxPoolGrad', 'Sum', 'Add', 'Multiply', 'Relu', 'Step'];

let stockConfigs: tf.KernelConfig[] = [];
let fastConfigs: tf.KernelConfig[] = [];

function install(configs: tf.KernelConfig[]): void {
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, 'cpu');
    tf.registerKernel(config);
  }
}

function kernelConfigs(): tf.KernelConfig[] {
  return KERNEL_NAMES.map((name) => {
    const config = tf.getKernel(name, 'cpu');
    if (config === undefined) throw new Error(`No ${name} kernel on the cpu backend.`);
    return { ...config };
  });
}

/** Returns the shapes, dtypes and values of compute()'s outputs, as plain arrays. */
function outputsOf(compute: () => tf.Tensor | tf.Tensor[]): { shape: number[]; dtype: string; values: number[] }[] {
  return tf.tidy(() => {
    const result = compute();
    const tensors = Array.isArray(result) ? result : [result];
    return tensors.map((tensor) => ({ shape: tensor.shape, dtype: tensor.dtype, values: Array.from(tensor.dataSync()) }));
  });
}

/** Runs compute() with the stock kernels and with the flat-array ones and expects identical outputs. */
function expectSameAsStock(compute: () => tf.Tensor | tf.Tensor[]): void {
  install(stockConfigs);
  const expected = outputsOf(compute);
  install(fastConfigs);
  const actual = outputsOf(compute);
  expect(actual.length).toBe(expected.length);
  actual.forEach((output, index) => {
    expect(output.shape).toEqual(expected[index].shape);
    expect(output.dtype).toBe(expected[index].dtype);
    // Object.is distinguishes −0 from +0 and treats NaN as equal to NaN.
    const mismatches = output.values.filter((value, i) => !Object.is(value, expected[index].values[i]));
    expect(mismatches).toEqual([]);
  });
}

function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(tf.util.sizeFromShape(shape), seed), shape);
}

/** Integers in [-levels, levels), so that pooling windows hold many ties. */
function tiedTensor(shape: number[], seed: number, levels = 2): tf.Tensor {
  const values = randomValues(tf.util.sizeFromShape(shape), seed).map((value) => Math.floor(value * levels));
  return tf.tensor(values, shape);
}

function intTensor(shape: number[], seed: number): tf.Tensor {
  const values = Int32Array.from(randomValues(tf.util.sizeFromShape(shape), seed), (value) => Math.floor(value * 1000));
  return tf.tensor(values, shape, 'int32');
}

/** Random values with NaN, ±∞ and −0 at fixed places. */
function specialTensor(shape: number[], seed: number): tf.Tensor {
  const values = randomValues(tf.util.sizeFromShape(shape), seed);
  const specials = [Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -0, 0];
  for (let i = 0; i < values.length; i += 3) values[i] = specials[(i / 3) % specials.length];
  return tf.tensor(values, shape);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  stockConfigs = kernelConfigs();
  registerFlatArrayCpuKernels();
  fastConfigs = kernelConfigs();
});

describe('flat-array cpu kernels', () => {
  it('registers once', () => {
    const before = KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc);
    registerFlatArrayCpuKernels();
    const after = KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc);
    expect(after).toEqual(before);
    expect(before).not.toEqual(stockConfigs.map((config) => config.kernelFunc));
  });

  it('Slice matches stock', () => {
    const x = randomTensor([3, 5, 7, 4], 1);
    expectSameAsStock(() => tf.slice(x, [1, 0, 2, 1], [2, 5, 3, 2]));
    expectSameAsStock(() => tf.slice(x, [0, 1, 0, 0], [3, 3, -1, -1]));
    expectSameAsStock(() => tf.slice(x, [2, 4, 6, 3], [1, 1, 1, 1]));
    expectSameAsStock(() => tf.slice(x, [0, 0, 0, 1], [3, 5, 7, 1]));
    // Contiguous: the stock kernel handles it.
    expectSameAsStock(() => tf.slice(x, [1, 0, 0, 0], [2, 5, 7, 4]));
    expectSameAsStock(() => tf.slice(x, [0, 2, 0, 0], [3, 0, 7, 4]));
    expectSameAsStock(() => tf.slice(randomTensor([9], 2), [3], [4]));
    expectSameAsStock(() => tf.slice(randomTensor([40, 70], 3), [5, 3], [30, 64]));
  });

  it('Slice matches stock for int32, bool and special values', () => {
    expectSameAsStock(() => tf.slice(intTensor([4, 6, 5], 4), [1, 2, 1], [2, 3, 3]));
    expectSameAsStock(() => tf.slice(tf.greater(randomTensor([4, 6, 5], 5), 0), [0, 1, 2], [4, 4, 2]));
    expectSameAsStock(() => tf.slice(specialTensor([5, 6, 3], 6), [1, 1, 0], [3, 4, 2]));
  });

  it('SplitV matches stock', () => {
    const interleaved = randomTensor([2, 4, 6, 2], 7);
    expectSameAsStock(() => tf.split(interleaved, 2, -1));
    expectSameAsStock(() => tf.split(interleaved, [1, 2, 3], 2));
    expectSameAsStock(() => tf.split(interleaved, [3, -1], 1));
    expectSameAsStock(() => tf.split(interleaved, [0, 2], 0));
    expectSameAsStock(() => tf.split(randomTensor([3, 5, 40], 8), [7, 33], 2));
    expectSameAsStock(() => tf.split(intTensor([3, 8, 2], 9), 4, 1));
    expectSameAsStock(() => tf.split(specialTensor([3, 8, 2], 10), [5, 3], 1));
  });

  it('Unpack matches stock', () => {
    const x = randomTensor([3, 4, 5, 2], 11);
    expectSameAsStock(() => tf.unstack(x, -1));
    expectSameAsStock(() => tf.unstack(x, 0));
    expectSameAsStock(() => tf.unstack(x, 2));
    expectSameAsStock(() => tf.unstack(intTensor([2, 3, 4], 12), 1));
    expectSameAsStock(() => tf.unstack(tf.zeros([0, 3, 2]), 2));
  });

  it('PadV2 matches stock', () => {
    const x = randomTensor([3, 4, 5], 13);
    expectSameAsStock(() => tf.pad(x, [[1, 2], [0, 3], [2, 0]]));
    expectSameAsStock(() => tf.pad(x, [[0, 0], [0, 0], [0, 0]]));
    expectSameAsStock(() => tf.pad(x, [[1, 0], [2, 2], [0, 1]], 1.5));
    expectSameAsStock(() => tf.pad(specialTensor([2, 3, 4, 2], 14), [[0, 0], [16, 16], [16, 16], [0, 0]]));
    expectSameAsStock(() => tf.pad(intTensor([3, 4], 15), [[2, 1], [1, 2]], -7));
    expectSameAsStock(() => tf.pad(tf.zeros([0, 3]), [[1, 1], [2, 0]], 2));
    expectSameAsStock(() => tf.pad(randomTensor([7], 16), [[3, 4]]));
  });

  it('GatherV2 matches stock', () => {
    const x = randomTensor([5, 4, 3, 2], 36);
    const indices = tf.tensor1d([3, 0, 3, 4], 'int32');
    expectSameAsStock(() => tf.gather(x, indices));
    expectSameAsStock(() => tf.gather(x, tf.tensor2d([1, 2, 0, 1], [2, 2], 'int32'), 1));
    expectSameAsStock(() => tf.gather(x, tf.tensor1d([1, 1], 'int32'), -1));
    expectSameAsStock(() => tf.gather(x, tf.tensor1d([], 'int32'), 2));
    expectSameAsStock(() => tf.gather(randomTensor([6, 64, 3], 37), tf.tensor1d([5, 2, 2], 'int32')));
    expectSameAsStock(() => tf.gather(intTensor([6, 2], 38), tf.tensor1d([5, 0], 'int32'), 0));
  });

  it('Concat matches stock', () => {
    const x = randomTensor([2, 3, 4, 8], 44);
    const y = randomTensor([2, 3, 5, 8], 45);
    expectSameAsStock(() => tf.concat([x, y, x], 2));
    expectSameAsStock(() => tf.concat([x, x], 0));
    expectSameAsStock(() => tf.concat([x, specialTensor([2, 3, 4, 1], 46)], -1));
    expectSameAsStock(() => tf.concat([tf.reshape(x, [2, 3, 1, 32]), tf.reshape(x, [2, 3, 1, 32])], 2));
    expectSameAsStock(() => tf.concat([intTensor([3, 2], 47), intTensor([3, 5], 48)], 1));
    expectSameAsStock(() => tf.concat([tf.zeros([2, 0]), x.reshape([2, 96]), tf.zeros([2, 0])], 1));
    expectSameAsStock(() => tf.concat([tf.zeros([2, 0]), tf.zeros([2, 0])], 1));
    expectSameAsStock(() => tf.concat([tf.scalar(1).reshape([1]), tf.tensor1d([2, 3])]));
  });

  it('GatherV2 rejects indices out of range', () => {
    install(fastConfigs);
    const x = randomTensor([5, 3], 39);
    expect(() => tf.gather(x, tf.tensor1d([5], 'int32'))).toThrow(/not in \[0, 4\]/);
    expect(() => tf.gather(x, tf.tensor1d([-1], 'int32'))).toThrow(/not in \[0, 4\]/);
  });

  it('Relu and Step match stock', () => {
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), randomTensor(input.shape, 40))));
    for (const x of [specialTensor([4, 5, 6, 3], 41), intTensor([3, 7], 42)]) {
      expectSameAsStock(() => tf.relu(x));
      expectSameAsStock(() => tf.step(x, 0.25));
      expectSameAsStock(() => tf.step(x));
    }
    expectSameAsStock(() => gradient(specialTensor([4, 5, 6, 3], 43)));
  });

  const poolCases: { name: string; shape: [number, number, number, number]; size: number; stride: number; pad: 'valid' | 'same' }[] = [
    { name: '2×2 stride 2 valid, odd sizes', shape: [2, 7, 9, 3], size: 2, stride: 2, pad: 'valid' },
    { name: '2×2 stride 2 same, odd sizes', shape: [2, 7, 9, 3], size: 2, stride: 2, pad: 'same' },
    { name: '3×3 stride 2 same, overlapping', shape: [2, 8, 7, 5], size: 3, stride: 2, pad: 'same' },
    { name: '3×3 stride 1 valid, overlapping', shape: [1, 6, 6, 2], size: 3, stride: 1, pad: 'valid' },
    { name: '2×2 stride 2 valid, network sizes', shape: [4, 16, 16, 8], size: 2, stride: 2, pad: 'valid' },
    { name: '2×2 stride 2 same, even sizes', shape: [3, 8, 6, 4], size: 2, stride: 2, pad: 'same' },
    { name: '2×2 stride 2 valid, one channel', shape: [2, 6, 10, 1], size: 2, stride: 2, pad: 'valid' },
    { name: '2×2 stride 2 valid, one window', shape: [1, 2, 2, 5], size: 2, stride: 2, pad: 'valid' },
  ];

  for (const { name, shape, size, stride, pad } of poolCases) {
    it(`MaxPool matches stock, ${name}`, () => {
      const pool = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, size, stride, pad);
      expectSameAsStock(() => pool(randomTensor(shape, 17)));
      expectSameAsStock(() => pool(tiedTensor(shape, 18)));
      expectSameAsStock(() => pool(specialTensor(shape, 19)));
    });

    it(`MaxPoolGrad matches stock with ties, ${name}`, () => {
      const dy = (x: tf.Tensor) => randomTensor(tf.maxPool(x as tf.Tensor4D, size, stride, pad).shape, 20);
      const gradient = (x: tf.Tensor) => {
        const upstream = dy(x);
        return tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, size, stride, pad), upstream)))(x);
      };
      expectSameAsStock(() => gradient(randomTensor(shape, 21)));
      expectSameAsStock(() => gradient(tiedTensor(shape, 22, 1)));
      expectSameAsStock(() => gradient(tiedTensor(shape, 23, 3)));
      expectSameAsStock(() => gradient(specialTensor(shape, 24)));
      expectSameAsStock(() => gradient(tf.fill(shape, Number.NaN)));
      expectSameAsStock(() => gradient(tf.fill(shape, Number.NEGATIVE_INFINITY)));
    });

    it(`MaxPoolGrad matches stock with special dy, ${name}`, () => {
      const x = tiedTensor(shape, 26);
      const upstream = specialTensor(tf.maxPool(x as tf.Tensor4D, size, stride, pad).shape, 27);
      expectSameAsStock(() =>
        tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, size, stride, pad), upstream)))(x),
      );
    });
  }

  // Channel counts that are not and are a multiple of 4, which take the JavaScript and the
  // WebAssembly path of the 2 × 2 stride-2 pooling.
  for (const shape of [
    [2, 6, 8, 3],
    [2, 6, 8, 4],
    [1, 4, 6, 8],
  ] as [number, number, number, number][]) {
    it(`MaxPool keeps the first of tied zeros like stock, [${shape.join(', ')}]`, () => {
      // Windows of −0, +0, NaN and −∞ only: the output shows which of −0 and +0 came first.
      const choices = [-0, 0, Number.NaN, Number.NEGATIVE_INFINITY];
      const values = randomValues(tf.util.sizeFromShape(shape), 28).map((value) => choices[Math.floor((value + 1) * 2)]);
      const x = tf.tensor4d(values, shape);
      expectSameAsStock(() => tf.maxPool(x, 2, 2, 'valid'));
      expectSameAsStock(() => tf.maxPool(x, 3, 2, 'same'));
      x.dispose();
    });

    it(`MaxPool skips NaNs of either sign like stock, [${shape.join(', ')}]`, () => {
      // NaN bit patterns with the sign bit set or clear, next to ±∞, ±0 and the extreme finite floats.
      const bitChoices = [0x7fc00000, 0x7f800001, 0xffc00000, 0xff800001, 0xff800000, 0x7f800000, 0x80000000, 0, 0x7f7fffff, 0xff7fffff];
      const values = new Float32Array(tf.util.sizeFromShape(shape));
      const bits = new Int32Array(values.buffer);
      randomValues(values.length, 29).forEach((value, i) => {
        bits[i] = bitChoices[Math.floor(((value + 1) / 2) * bitChoices.length)] | 0;
      });
      const x = tf.tensor4d(values, shape);
      expectSameAsStock(() => tf.maxPool(x, 2, 2, 'valid'));
      expectSameAsStock(() => tf.maxPool(x, 3, 2, 'same'));
      x.dispose();
    });
  }

  it('MaxPoolGrad gives ties to the first position', () => {
    install(fastConfigs);
    // Rows [3, 3, 1, 1] and [0, 3, 2, 2]: the left window has three 3s, the right one two 2s.
    const x = tf.tensor4d([3, 3, 1, 1, 0, 3, 2, 2], [1, 2, 4, 1]);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid')))(x);
    expect(Array.from(dx.dataSync())).toEqual([1, 0, 0, 0, 0, 0, 1, 0]);
    tf.dispose([x, dx]);
  });

  it('Sum matches stock', () => {
    const x = randomTensor([4, 5, 6, 3], 25);
    expectSameAsStock(() => tf.sum(x, [0, 1, 2]));
    expectSameAsStock(() => tf.sum(x, [1, 2], true));
    expectSameAsStock(() => tf.sum(x, -1));
    expectSameAsStock(() => tf.sum(x, 0));
    expectSameAsStock(() => tf.sum(x));
    // Axes that are not adjacent: the stock kernel handles them.
    expectSameAsStock(() => tf.sum(x, [0, 2]));
    expectSameAsStock(() => tf.sum(tf.mul(randomTensor([64, 3, 300], 26), 1e6), 0));
    expectSameAsStock(() => tf.sum(intTensor([5, 7, 3], 27), [0, 1]));
    expectSameAsStock(() => tf.sum(tf.tensor([2e9, 2e9, 1], [3], 'int32')));
    expectSameAsStock(() => tf.sum(specialTensor([6, 4, 3], 28), [0, 1]));
    expectSameAsStock(() => tf.sum(tf.zeros([0, 4, 3]), [0, 1]));
    expectSameAsStock(() => tf.sum(tf.zeros([3, 0, 2]), 1, true));
  });

  const binaryCases: { name: string; aShape: number[]; bShape: number[] }[] = [
    { name: 'same shape', aShape: [4, 6, 5, 3], bShape: [4, 6, 5, 3] },
    { name: 'scalar', aShape: [4, 6, 5], bShape: [] },
    { name: 'scalar first', aShape: [], bShape: [7, 3] },
    { name: 'per-channel bias', aShape: [3, 4, 5, 8], bShape: [8] },
    { name: 'channel 1 against 2', aShape: [3, 4, 5, 1], bShape: [3, 4, 5, 2] },
    { name: 'outer product', aShape: [3, 1, 5], bShape: [1, 4, 1] },
    { name: 'rank 2 against 4', aShape: [2, 3, 6, 5], bShape: [6, 1] },
    { name: 'probe against batch', aShape: [6, 6, 2], bShape: [5, 6, 6, 2] },
    { name: 'both scalar', aShape: [], bShape: [] },
    { name: 'zero size', aShape: [0, 3], bShape: [3] },
  ];

  for (const { name, aShape, bShape } of binaryCases) {
    it(`Add and Multiply match stock, ${name}`, () => {
      const a = specialTensor(aShape, 32);
      const b = randomTensor(bShape, 33);
      expectSameAsStock(() => [tf.add(a, b), tf.mul(a, b), tf.add(b, a), tf.mul(b, a)]);
      const aInt = intTensor(aShape, 34);
      const bInt = tf.mul(intTensor(bShape, 35), 3_000_000);
      expectSameAsStock(() => [tf.add(aInt, bInt), tf.mul(aInt, bInt)]);
    });
  }

  it('small model gradients match stock', () => {
    const x = randomTensor([3, 8, 8, 2], 29);
    const filter = randomTensor([3, 3, 2, 4], 30);
    const bias = randomTensor([4], 31);
    const loss = (input: tf.Tensor, weights: tf.Tensor, offset: tf.Tensor): tf.Scalar => {
      const features = tf.relu(tf.add(tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, 1, 'same'), offset));
      const pooled = tf.maxPool(features as tf.Tensor4D, 2, 2, 'valid');
      const doubled = tf.concat([pooled, pooled], 2);
      const cropped = tf.slice(doubled, [0, 1, 1, 0], [3, 2, 6, 4]);
      const padded = tf.pad(cropped, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const [first, second] = tf.unstack(tf.reshape(padded, [3, 4, 8, 2, 2]), -1);
      return tf.sum(tf.mul(tf.square(first), second));
    };
    expectSameAsStock(() => tf.grads(loss)([x, filter, bias]));
  });
});
