// Checks the WebAssembly SIMD convolution kernels of the 'cpu' backend against NumPy references
// (wasm/make_conv2d_fixtures.py) and the gradients of a small tf.layers model against the stock
// tfjs kernels.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { relativeRms } from '../../../test/fixtures/kernels/load.mjs';
import { registerFastCpuConvolutionKernels } from './convolutionKernels';
import { WasmConv2d } from './wasm/wasmConv2d';

interface ConvCase {
  name: string;
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
}

const fixtureDir = join(import.meta.dirname, 'wasm', 'fixtures');

function readArray(caseName: string, key: string): Float32Array {
  const bytes = readFileSync(join(fixtureDir, `${caseName}.${key}.bin`));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const cases = JSON.parse(readFileSync(join(fixtureDir, 'conv2d-cases.json'), 'utf8')) as ConvCase[];
const simdAvailable = WasmConv2d.create() !== null;

/** Builds a small network of 3×3 'same' convolutions with relu, linear and sigmoid outputs. */
function buildModel(): tf.LayersModel {
  const input = tf.input({ shape: [6, 7, 2] });
  const initializer = (seed: number) => tf.initializers.glorotNormal({ seed });
  const conv = (filters: number, activation: 'relu' | 'linear' | 'sigmoid', seed: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation, kernelInitializer: initializer(seed), biasInitializer: 'randomNormal' });
  let x = conv(5, 'relu', 1).apply(input) as tf.SymbolicTensor;
  x = conv(4, 'linear', 2).apply(x) as tf.SymbolicTensor;
  x = conv(1, 'sigmoid', 3).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

/** Returns the model's loss gradients with respect to its input and to each weight, as flat arrays. */
function modelGradients(model: tf.LayersModel, input: tf.Tensor4D, weights: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(model.apply(x) as tf.Tensor, weights)) as tf.Scalar;
    const inputGradient = tf.grad(loss)(input);
    const { grads } = tf.variableGrads(() => loss(input));
    const variableGradients = model.trainableWeights.map((weight) => grads[weight.originalName]);
    return [inputGradient, ...variableGradients].map((tensor) => tensor.dataSync() as Float32Array);
  });
}

describe('WebAssembly SIMD convolution kernels', () => {
  let stockGradients: Float32Array[] = [];
  let model: tf.LayersModel;
  let modelInput: tf.Tensor4D;
  let lossWeights: tf.Tensor;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = buildModel();
    modelInput = tf.randomNormal([3, 6, 7, 2], 0, 1, 'float32', 21) as tf.Tensor4D;
    lossWeights = tf.randomNormal([3, 6, 7, 1], 0, 1, 'float32', 22);
    stockGradients = modelGradients(model, modelInput, lossWeights);
    registerFastCpuConvolutionKernels();
  });

  it('finds WebAssembly SIMD in Node', () => {
    expect(simdAvailable).toBe(true);
  });

  for (const testCase of cases) {
    const { name, batch, height, width, inChannels, outChannels, kernel } = testCase;
    const load = () => ({
      x: tf.tensor4d(readArray(name, 'x'), [batch, height, width, inChannels]),
      w: tf.tensor4d(readArray(name, 'w'), [kernel, kernel, inChannels, outChannels]),
      bias: tf.tensor1d(readArray(name, 'bias')),
      dy: tf.tensor4d(readArray(name, 'dy'), [batch, height, width, outChannels]),
    });

    it(`fused forward with bias and relu, ${name}`, () => {
      const actual = tf.tidy(() => {
        const { x, w, bias } = load();
        return tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias, activation: 'relu' }).dataSync();
      });
      expect(relativeRms(actual, readArray(name, 'forward'))).toBeLessThan(1e-5);
    });

    it(`plain conv2d then bias and relu, ${name}`, () => {
      const actual = tf.tidy(() => {
        const { x, w, bias } = load();
        return tf.relu(tf.add(tf.conv2d(x, w, 1, 'same'), bias)).dataSync();
      });
      expect(relativeRms(actual, readArray(name, 'forward'))).toBeLessThan(1e-5);
    });

    it(`backprop input and filter, ${name}`, () => {
      const [dx, dw] = tf.tidy(() => {
        const { x, w, dy } = load();
        const loss = (input: tf.Tensor4D, filter: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(input, filter, 1, 'same'), dy));
        const [gradientX, gradientW] = tf.grads((input: tf.Tensor, filter: tf.Tensor) =>
          loss(input as tf.Tensor4D, filter as tf.Tensor4D),
        )([x, w]);
        return [gradientX.dataSync(), gradientW.dataSync()];
      });
      expect(relativeRms(dx, readArray(name, 'dx'))).toBeLessThan(1e-5);
      expect(relativeRms(dw, readArray(name, 'dw'))).toBeLessThan(1e-5);
    });
  }

  it('runs forward and input gradient in WebAssembly', () => {
    const spy = vi.spyOn(WasmConv2d.prototype, 'conv2d');
    tf.tidy(() => {
      const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 2, 3]) as tf.Tensor4D;
      tf.conv2d(x, w, 1, 'same').dataSync();
      tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: tf.ones([3]), activation: 'relu' }).dataSync();
      tf.grad((input: tf.Tensor) => tf.sum(tf.conv2d(input as tf.Tensor4D, w, 1, 'same')))(x).dataSync();
    });
    expect(spy).toHaveBeenCalledTimes(4);
    expect(spy.mock.calls.filter(([request]) => request.flipFilter)).toHaveLength(1);
    spy.mockRestore();
  });

  it('runs the filter gradient in WebAssembly', () => {
    const spy = vi.spyOn(WasmConv2d.prototype, 'filterGradient');
    tf.tidy(() => {
      const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 2, 3]) as tf.Tensor4D;
      tf.grad((filter: tf.Tensor) => tf.sum(tf.conv2d(x, filter as tf.Tensor4D, 1, 'same')))(w).dataSync();
    });
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('model gradients match the stock kernels', () => {
    const fast = modelGradients(model, modelInput, lossWeights);
    expect(fast).toHaveLength(stockGradients.length);
    fast.forEach((gradient, index) => {
      expect(relativeRms(gradient, stockGradients[index])).toBeLessThan(1e-5);
    });
  });

  it('other geometries match a loop reference', () => {
    // Valid padding, an even kernel with asymmetric 'same' padding and explicit padding go to
    // WebAssembly; stride 2 and dilation 2 go to the stock kernels.
    type Padding = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
    const settings: { pad: Padding; kernel: number; stride: number; dilation: number }[] = [
      { pad: 'valid', kernel: 3, stride: 1, dilation: 1 },
      { pad: 'same', kernel: 2, stride: 1, dilation: 1 },
      { pad: [[0, 0], [2, 1], [0, 2], [0, 0]], kernel: 3, stride: 1, dilation: 1 },
      { pad: 'same', kernel: 3, stride: 2, dilation: 1 },
      { pad: 'same', kernel: 3, stride: 1, dilation: 2 },
    ];
    for (const { pad, kernel, stride, dilation } of settings) {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 31) as tf.Tensor4D;
        const w = tf.randomNormal([kernel, kernel, 3, 5], 0, 1, 'float32', 32) as tf.Tensor4D;
        const y = tf.conv2d(x, w, stride, pad, 'NHWC', dilation);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 33);
        const expected = referenceConvolution(x, w, dy, pad, kernel, stride, dilation);
        expect(relativeRms(y.dataSync(), expected.y)).toBeLessThan(1e-5);
        // tfjs 4.22 has no conv2d gradient for dilations above 1.
        if (dilation > 1) return;
        const [dx, dw] = tf.grads((input: tf.Tensor, filter: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, stride, pad), dy)),
        )([x, w]);
        expect(relativeRms(dx.dataSync(), expected.dx)).toBeLessThan(1e-5);
        expect(relativeRms(dw.dataSync(), expected.dw)).toBeLessThan(1e-5);
      });
    }
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    modelGradients(model, modelInput, lossWeights);
    tf.tidy(() => {
      const { x, w, bias } = {
        x: tf.ones([2, 5, 7, 3]) as tf.Tensor4D,
        w: tf.ones([3, 3, 3, 4]) as tf.Tensor4D,
        bias: tf.ones([4]) as tf.Tensor1D,
      };
      tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias, activation: 'relu' }).dataSync();
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** Direct-loop convolution and its input and filter gradients for upstream `dy`, in float64. */
function referenceConvolution(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  dy: tf.Tensor,
  pad: 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]],
  kernel: number,
  stride: number,
  dilation: number,
): { y: Float64Array; dx: Float64Array; dw: Float64Array } {
  const [batch, height, width, inChannels] = x.shape;
  const outChannels = w.shape[3];
  const [, outHeight, outWidth] = dy.shape;
  const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, stride, dilation, pad, undefined, false, 'channelsLast');
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const xs = x.dataSync();
  const ws = w.dataSync();
  const dys = dy.dataSync();
  const y = new Float64Array(dys.length);
  const dx = new Float64Array(xs.length);
  const dw = new Float64Array(ws.length);
  for (let b = 0; b < batch; b += 1) {
    for (let yo = 0; yo < outHeight; yo += 1) {
      for (let xo = 0; xo < outWidth; xo += 1) {
        const out = ((b * outHeight + yo) * outWidth + xo) * outChannels;
        for (let ky = 0; ky < kernel; ky += 1) {
          const row = yo * stride + ky * dilation - top;
          if (row < 0 || row >= height) continue;
          for (let kx = 0; kx < kernel; kx += 1) {
            const col = xo * stride + kx * dilation - left;
            if (col < 0 || col >= width) continue;
            for (let ci = 0; ci < inChannels; ci += 1) {
              const input = ((b * height + row) * width + col) * inChannels + ci;
              const filter = ((ky * kernel + kx) * inChannels + ci) * outChannels;
              for (let co = 0; co < outChannels; co += 1) {
                y[out + co] += xs[input] * ws[filter + co];
                dx[input] += dys[out + co] * ws[filter + co];
                dw[filter + co] += xs[input] * dys[out + co];
              }
            }
          }
        }
      }
    }
  }
  return { y, dx, dw };
}
