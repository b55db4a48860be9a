/**
 * Flat-array MaxPool and MaxPoolGrad for the TensorFlow.js 'cpu' backend: NHWC float32, any
 * window, stride and padding, dilation 1. The stock MaxPoolGrad of @tensorflow/tfjs-backend-cpu
 * 4.22 reads every element through TensorBuffer.get; these walk the arrays with the channel
 * axis innermost.
 *
 * Both follow the stock kernels exactly. A window's maximum is searched row by row with a strict
 * `>` from −∞, so among equal maxima the first in row-major order wins and gets the whole
 * gradient. NaN inputs are skipped, and a window of only NaN or −∞ gets no gradient. Where
 * windows overlap, an input's gradient is the double-precision sum of its contributions in
 * row-major order of the outputs, rounded once to float32, as the stock kernel sums them.
 */
import * as tf from '@tensorflow/tfjs';

import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import type { replaceCpuKernel } from './flatArrayKernels';

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Replaces MaxPool and MaxPoolGrad through `replace`; called by registerFlatArrayCpuKernels. */
export function registerFastCpuPoolingKernels(replace: typeof replaceCpuKernel): void {
  replace('MaxPool', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    return maxPool(args.backend as MathBackendCPU, x, args.attrs as unknown as PoolAttrs) ?? stock(args);
  });
  replace('MaxPoolGrad', (args, stock) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    return maxPoolGrad(args.backend as MathBackendCPU, dy, input, args.attrs as unknown as PoolAttrs) ?? stock(args);
  });
}

/** Returns the pooling geometry when these kernels take the case, else null. */
function poolGeometry(x: TensorInfo, attrs: PoolAttrs): tf.backend_util.Conv2DInfo | null {
  if (x.dtype !== 'float32' || x.shape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (info.filterHeight === 1 && info.filterWidth === 1 && tf.util.arraysEqual(info.inShape, info.outShape)) return null;
  return info;
}

function floatValues(backend: MathBackendCPU, tensor: TensorInfo): Float32Array | null {
  const values = backend.data.get(tensor.dataId).values;
  return values instanceof Float32Array ? values : null;
}

/** Returns the input rows or columns [first, end) that window `outIndex` covers, clipped to the input. */
function windowRange(outIndex: number, stride: number, padBefore: number, filter: number, inLength: number): [number, number] {
  const corner = outIndex * stride - padBefore;
  return [Math.max(0, corner), Math.min(inLength, corner + filter)];
}

function maxPool(backend: MathBackendCPU, x: TensorInfo, attrs: PoolAttrs): TensorInfo | null {
  const info = poolGeometry(x, attrs);
  const input = info === null ? null : floatValues(backend, x);
  if (info === null || input === null) return null;
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const output = new Float32Array(batchSize * outHeight * outWidth * channels).fill(Number.NEGATIVE_INFINITY);

  for (let b = 0; b < batchSize; b += 1) {
    for (let yOut = 0; yOut < outHeight; yOut += 1) {
      const [rowFirst, rowEnd] = windowRange(yOut, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let xOut = 0; xOut < outWidth; xOut += 1) {
        const [colFirst, colEnd] = windowRange(xOut, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        const outOffset = ((b * outHeight + yOut) * outWidth + xOut) * channels;
        for (let row = rowFirst; row < rowEnd; row += 1) {
          for (let col = colFirst; col < colEnd; col += 1) {
            const inOffset = ((b * inHeight + row) * inWidth + col) * channels;
            for (let c = 0; c < channels; c += 1) {
              const value = input[inOffset + c];
              if (value > output[outOffset + c]) output[outOffset + c] = value;
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(info.outShape, 'float32', output);
}

function maxPoolGrad(backend: MathBackendCPU, dy: TensorInfo, x: TensorInfo, attrs: PoolAttrs): TensorInfo | null {
  const info = poolGeometry(x, attrs);
  if (info === null || dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, info.outShape)) return null;
  const input = floatValues(backend, x);
  const upstream = floatValues(backend, dy);
  if (input === null || upstream === null) return null;
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;

  // Without overlap every input gets at most one contribution, and 0 + dy rounds to dy exactly.
  const overlapping = info.strideHeight < info.filterHeight || info.strideWidth < info.filterWidth;
  const inputSize = batchSize * inHeight * inWidth * channels;
  const sums = overlapping ? new Float64Array(inputSize) : new Float32Array(inputSize);
  const bestValue = new Float32Array(channels);
  const bestOffset = new Int32Array(channels);

  for (let b = 0; b < batchSize; b += 1) {
    for (let yOut = 0; yOut < outHeight; yOut += 1) {
      const [rowFirst, rowEnd] = windowRange(yOut, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let xOut = 0; xOut < outWidth; xOut += 1) {
        const [colFirst, colEnd] = windowRange(xOut, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        bestValue.fill(Number.NEGATIVE_INFINITY);
        bestOffset.fill(-1);
        for (let row = rowFirst; row < rowEnd; row += 1) {
          for (let col = colFirst; col < colEnd; col += 1) {
            const inOffset = ((b * inHeight + row) * inWidth + col) * channels;
            for (let c = 0; c < channels; c += 1) {
              const value = input[inOffset + c];
              if (value > bestValue[c]) {
                bestValue[c] = value;
                bestOffset[c] = inOffset + c;
              }
            }
          }
        }
        const outOffset = ((b * outHeight + yOut) * outWidth + xOut) * channels;
        for (let c = 0; c < channels; c += 1) {
          if (bestOffset[c] >= 0) sums[bestOffset[c]] += upstream[outOffset + c];
        }
      }
    }
  }
  const dx = sums instanceof Float32Array ? sums : Float32Array.from(sums);
  return backend.makeTensorInfo(x.shape, 'float32', dx);
}
