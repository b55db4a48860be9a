/**
 * Flat-array MaxPool and MaxPoolGrad for the TensorFlow.js 'cpu' backend: NHWC float32, any
 * window, stride and padding, dilation 1. The stock MaxPoolGrad of @tensorflow/tfjs-backend-cpu
 * 4.22 reads every element through TensorBuffer.get; these walk the arrays with the channel
 * axis innermost. Whole 2 × 2 windows at stride 2, PtychoPINN's pooling, take a shorter path:
 * WebAssembly SIMD (wasmMaxPool.ts) when the channel count is a multiple of 4, else a branch-free
 * JavaScript loop.
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
import { getWasmMaxPool } from './wasmMaxPool';

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

/**
 * Returns true when every window is a whole 2 × 2 block at stride 2 with no padding, as in
 * PtychoPINN's encoder: 'valid', or 'same' with an even height and width.
 */
function isWhole2x2Stride2(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth
  );
}

/** Bit pattern of float32 −∞, as an int32. */
const NEGATIVE_INFINITY_BITS = 0xff800000 | 0;
/** Bit pattern of float32 +∞. Larger int32 values are the bit patterns of positive NaNs. */
const POSITIVE_INFINITY_BITS = 0x7f800000;
/** Key of the positive NaNs, below the keys of all other float32 bit patterns. */
const LOWEST_KEY = -2147483648;

/**
 * Maps float32 bits (as int32) to an int32 key that orders like the float values, with −0 and
 * +0 both mapped to 0 and every NaN mapped below the key of −∞. Comparing keys with a strict `>`
 * therefore skips NaN and keeps the first of −0 and +0, as `>` on the floats does.
 */
function orderKey(bits: number): number {
  // Negative floats order in reverse of their bits: flip the magnitude bits, then shift by one
  // so that −0 meets +0. Positive NaNs are above +∞ and are moved to the bottom.
  const key = (bits ^ ((bits >> 31) & 0x7fffffff)) - (bits >> 31);
  return key ^ ((key ^ LOWEST_KEY) & -Number(key > POSITIVE_INFINITY_BITS));
}

/**
 * MaxPool over whole 2 × 2 windows at stride 2, without branches on the values. Random-looking
 * activations make a branch on every comparison mispredict about half the time, which made the
 * plain loop about twice as slow (measured in Node 20 on a [32, 64, 64, 8] input). Each window is
 * reduced as a tree on {@link orderKey} keys, with selects built from all-ones or all-zero masks:
 * top-left against top-right and bottom-left against bottom-right, the earlier one winning ties,
 * then the two winners, then the winner against −∞. The result is the first maximum in row-major
 * order among the non-NaN values, or −∞ when there is none: the same bits as the general loop.
 */
function maxPool2x2Stride2(info: tf.backend_util.Conv2DInfo, input: Float32Array): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const inputBits = new Int32Array(input.buffer, input.byteOffset, input.length);
  const outputBits = new Int32Array(batchSize * outHeight * outWidth * channels);
  const inRowLength = inWidth * channels;
  const negativeInfinityKey = orderKey(NEGATIVE_INFINITY_BITS);
  let target = 0;
  for (let b = 0; b < batchSize; b += 1) {
    for (let yOut = 0; yOut < outHeight; yOut += 1) {
      const top = (b * inHeight + 2 * yOut) * inRowLength;
      const bottom = top + inRowLength;
      for (let xOut = 0; xOut < outWidth; xOut += 1) {
        const left = 2 * xOut * channels;
        const right = left + channels;
        for (let c = 0; c < channels; c += 1) {
          const topLeft = inputBits[top + left + c];
          const topRight = inputBits[top + right + c];
          const bottomLeft = inputBits[bottom + left + c];
          const bottomRight = inputBits[bottom + right + c];
          const topLeftKey = orderKey(topLeft);
          const topRightKey = orderKey(topRight);
          const bottomLeftKey = orderKey(bottomLeft);
          const bottomRightKey = orderKey(bottomRight);

          const topMask = -Number(topRightKey > topLeftKey);
          const topKey = topLeftKey ^ ((topRightKey ^ topLeftKey) & topMask);
          const topBits = topLeft ^ ((topRight ^ topLeft) & topMask);
          const bottomMask = -Number(bottomRightKey > bottomLeftKey);
          const bottomKey = bottomLeftKey ^ ((bottomRightKey ^ bottomLeftKey) & bottomMask);
          const bottomBits = bottomLeft ^ ((bottomRight ^ bottomLeft) & bottomMask);
          const windowMask = -Number(bottomKey > topKey);
          const windowKey = topKey ^ ((bottomKey ^ topKey) & windowMask);
          const windowBits = topBits ^ ((bottomBits ^ topBits) & windowMask);
          const finiteMask = -Number(windowKey > negativeInfinityKey);
          outputBits[target + c] = NEGATIVE_INFINITY_BITS ^ ((windowBits ^ NEGATIVE_INFINITY_BITS) & finiteMask);
        }
        target += channels;
      }
    }
  }
  return new Float32Array(outputBits.buffer);
}

function maxPool(backend: MathBackendCPU, x: TensorInfo, attrs: PoolAttrs): TensorInfo | null {
  const info = poolGeometry(x, attrs);
  const input = info === null ? null : floatValues(backend, x);
  if (info === null || input === null) return null;
  if (isWhole2x2Stride2(info)) {
    const wasm = info.inChannels % 4 === 0 ? getWasmMaxPool() : null;
    const output =
      wasm === null ? maxPool2x2Stride2(info, input) : wasm.pool(input, { ...info, channels: info.inChannels });
    return backend.makeTensorInfo(info.outShape, 'float32', output);
  }

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

/**
 * MaxPoolGrad over whole 2 × 2 windows at stride 2. Windows do not overlap, so each input gets
 * either its window's dy or zero. The maximum is searched as in maxPool2x2Stride2.
 */
function maxPoolGrad2x2Stride2(info: tf.backend_util.Conv2DInfo, input: Float32Array, upstream: Float32Array): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const dx = new Float32Array(batchSize * inHeight * inWidth * channels);
  const inRowLength = inWidth * channels;
  let outOffset = 0;
  for (let b = 0; b < batchSize; b += 1) {
    for (let yOut = 0; yOut < outHeight; yOut += 1) {
      const top = (b * inHeight + 2 * yOut) * inRowLength;
      const bottom = top + inRowLength;
      for (let xOut = 0; xOut < outWidth; xOut += 1) {
        const left = 2 * xOut * channels;
        const right = left + channels;
        for (let c = 0; c < channels; c += 1) {
          let max = Number.NEGATIVE_INFINITY;
          let best = -1;
          if (input[top + left + c] > max) {
            max = input[top + left + c];
            best = top + left + c;
          }
          if (input[top + right + c] > max) {
            max = input[top + right + c];
            best = top + right + c;
          }
          if (input[bottom + left + c] > max) {
            max = input[bottom + left + c];
            best = bottom + left + c;
          }
          if (input[bottom + right + c] > max) best = bottom + right + c;
          // += rather than =, so that a dy of −0 gives +0 as in the general loop.
          if (best >= 0) dx[best] += upstream[outOffset + c];
        }
        outOffset += channels;
      }
    }
  }
  return dx;
}

function maxPoolGrad(backend: MathBackendCPU, dy: TensorInfo, x: TensorInfo, attrs: PoolAttrs): TensorInfo | null {
  const info = poolGeometry(x, attrs);
  if (info === null || dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, info.outShape)) return null;
  const input = floatValues(backend, x);
  const upstream = floatValues(backend, dy);
  if (input === null || upstream === null) return null;
  if (isWhole2x2Stride2(info)) return backend.makeTensorInfo(x.shape, 'float32', maxPoolGrad2x2Stride2(info, input, upstream));

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
