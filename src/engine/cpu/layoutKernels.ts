/**
 * Flat-array Slice, SplitV, Unpack and PadV2 kernels for the TensorFlow.js 'cpu' backend, and
 * the registration of these and of the max-pool and sum kernels of poolingKernels.ts and
 * sumKernel.ts, for training the PtychoPINN network without a GPU.
 *
 * In @tensorflow/tfjs-backend-cpu 4.22 a slice that is not one contiguous block, and therefore
 * SplitV and Unpack, which call it, walk the output element by element through TensorBuffer
 * index arithmetic, and PadV2 does the same for every input element. Concat's gradient is a
 * SplitV and Slice's gradient is a PadV2, so the nearest-neighbour upsampling and the fftshift of
 * the PtychoPINN model spend most of a cpu training step there. These kernels copy whole rows of
 * the innermost axes instead and produce the same values. Strings and complex64 go to the stock
 * kernel, captured before it is unregistered.
 */
import * as tf from '@tensorflow/tfjs';

import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import { registerFastCpuPoolingKernels } from './poolingKernels';
import { registerFastCpuSumKernel } from './sumKernel';

/** A numeric typed array as the 'cpu' backend stores float32, int32 and bool tensors. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Rows shorter than this are copied element by element, because `set(subarray(...))` costs more there. */
const MIN_SET_LENGTH = 32;

let registered = false;

/**
 * Replaces the 'cpu' backend's Slice, SplitV, Unpack, PadV2, MaxPool, MaxPoolGrad and Sum with
 * flat-array versions, once per JavaScript realm. Each falls back to the stock kernel for the
 * cases that it does not take, and a kernel that 'cpu' does not register is left alone.
 */
export function registerFastCpuLayoutKernels(): void {
  if (registered) return;
  registered = true;

  replaceCpuKernel('Slice', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    return sliceKernel(args.backend as MathBackendCPU, x, begin, size) ?? stock(args);
  });

  replaceCpuKernel('SplitV', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    return splitKernel(args.backend as MathBackendCPU, x, numOrSizeSplits, axis) ?? stock(args);
  });

  replaceCpuKernel('Unpack', (args, stock) => {
    const { value } = args.inputs as { value: TensorInfo };
    const { axis } = args.attrs as unknown as { axis: number };
    return unpackKernel(args.backend as MathBackendCPU, value, axis) ?? stock(args);
  });

  replaceCpuKernel('PadV2', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { paddings, constantValue } = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
    return padKernel(args.backend as MathBackendCPU, x, paddings, constantValue) ?? stock(args);
  });

  registerFastCpuPoolingKernels(replaceCpuKernel);
  registerFastCpuSumKernel(replaceCpuKernel);
}

/** Registers `kernelFunc` for `name` on 'cpu' in place of the stock kernel, which it receives. */
export function replaceCpuKernel(
  name: string,
  kernelFunc: (args: KernelArgs, stock: tf.KernelFunc) => TensorInfo | TensorInfo[],
): void {
  const stock = tf.getKernel(name, 'cpu');
  if (stock === undefined) return;
  const stockKernel = stock.kernelFunc;
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: (args) => kernelFunc(args, stockKernel) });
}

/** Returns the stored values of a float32, int32 or bool tensor, or null for other dtypes. */
export function numericValues(backend: MathBackendCPU, tensor: TensorInfo): NumericArray | null {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32' && tensor.dtype !== 'bool') return null;
  const values = backend.data.get(tensor.dataId).values;
  if (values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array) return values;
  return null;
}

function emptyValues(dtype: tf.DataType, length: number): NumericArray {
  return tf.util.getTypedArrayFromDType(dtype as 'float32' | 'int32' | 'bool', length);
}

/**
 * Copies the box of extent `size` that starts at `sourceBegin` in the row-major array `source`
 * of shape `sourceShape` to the box at `targetBegin` in `target` of shape `targetShape`. Trailing
 * axes that both arrays hold whole are merged into one contiguous row.
 */
export function copyBox(
  source: NumericArray,
  sourceShape: number[],
  sourceBegin: number[],
  target: NumericArray,
  targetShape: number[],
  targetBegin: number[],
  size: number[],
): void {
  const rank = size.length;
  if (rank === 0) {
    if (source.length > 0) target[0] = source[0];
    return;
  }
  if (size.some((length) => length === 0)) return;
  const sourceStrides = rowMajorStrides(sourceShape);
  const targetStrides = rowMajorStrides(targetShape);

  // Axes rowAxis + 1 … rank − 1 are whole in both arrays, so one row spans all of them.
  let rowAxis = rank - 1;
  while (rowAxis > 0 && size[rowAxis] === sourceShape[rowAxis] && size[rowAxis] === targetShape[rowAxis]) rowAxis -= 1;
  const rowLength = size[rowAxis] * sourceStrides[rowAxis];
  const sourceRowStride = sourceStrides[rowAxis];
  const targetRowStride = targetStrides[rowAxis];
  let sourceStart = 0;
  let targetStart = 0;
  for (let axis = 0; axis < rank; axis += 1) {
    sourceStart += sourceBegin[axis] * sourceStrides[axis];
    targetStart += targetBegin[axis] * targetStrides[axis];
  }

  // Axes 0 … rowAxis − 1 are walked by an odometer, axis rowAxis by the inner loop.
  const outerAxes = rowAxis;
  const index = new Array<number>(outerAxes).fill(0);
  let outerCount = 1;
  for (let axis = 0; axis < outerAxes; axis += 1) outerCount *= size[axis];
  const rowsPerStep = size[rowAxis];
  const elementsPerRow = rowLength / rowsPerStep;

  for (let step = 0; step < outerCount; step += 1) {
    let sourceOffset = sourceStart;
    let targetOffset = targetStart;
    for (let axis = 0; axis < outerAxes; axis += 1) {
      sourceOffset += index[axis] * sourceStrides[axis];
      targetOffset += index[axis] * targetStrides[axis];
    }
    copyRows(source, sourceOffset, sourceRowStride, target, targetOffset, targetRowStride, rowsPerStep, elementsPerRow);
    for (let axis = outerAxes - 1; axis >= 0; axis -= 1) {
      index[axis] += 1;
      if (index[axis] < size[axis]) break;
      index[axis] = 0;
    }
  }
}

/** Copies `rows` runs of `length` elements, the i-th from source[sourceOffset + i·sourceStride]. */
function copyRows(
  source: NumericArray,
  sourceOffset: number,
  sourceStride: number,
  target: NumericArray,
  targetOffset: number,
  targetStride: number,
  rows: number,
  length: number,
): void {
  if (sourceStride === length && targetStride === length) {
    // The rows are adjacent in both arrays, so they are one run.
    length *= rows;
    rows = 1;
  }
  if (length >= MIN_SET_LENGTH) {
    for (let row = 0; row < rows; row += 1) {
      const from = sourceOffset + row * sourceStride;
      target.set(source.subarray(from, from + length), targetOffset + row * targetStride);
    }
    return;
  }
  for (let row = 0; row < rows; row += 1) {
    const from = sourceOffset + row * sourceStride;
    const to = targetOffset + row * targetStride;
    for (let element = 0; element < length; element += 1) target[to + element] = source[from + element];
  }
}

function rowMajorStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis -= 1) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  return strides;
}

/** Copies the box [begin, begin + size) of x, whose stored values are `values`, into a new tensor. */
function extractBox(backend: MathBackendCPU, x: TensorInfo, values: NumericArray, begin: number[], size: number[]): TensorInfo {
  const output = emptyValues(x.dtype, tf.util.sizeFromShape(size));
  copyBox(values, x.shape, begin, output, size, size.map(() => 0), size);
  return backend.makeTensorInfo(size, x.dtype, output);
}

function sliceKernel(
  backend: MathBackendCPU,
  x: TensorInfo,
  begin: number | number[],
  size: number | number[] | undefined,
): TensorInfo | null {
  // parseSliceParams reads only the shape and rank of x.
  const [parsedBegin, parsedSize] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
  tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, parsedBegin, parsedSize);
  // The stock kernel returns a contiguous slice as a view without copying, which is faster still.
  if (tf.slice_util.isSliceContinous(x.shape, parsedBegin, parsedSize)) return null;
  const values = numericValues(backend, x);
  return values === null ? null : extractBox(backend, x, values, parsedBegin, parsedSize);
}

function splitKernel(
  backend: MathBackendCPU,
  x: TensorInfo,
  numOrSizeSplits: number | number[],
  axis: number,
): TensorInfo[] | null {
  const values = numericValues(backend, x);
  if (values === null) return null;
  const splitAxis = tf.util.parseAxisParam(axis, x.shape)[0];
  const splitSizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, splitAxis);
  const begin = x.shape.map(() => 0);
  const outputs: TensorInfo[] = [];
  for (const splitSize of splitSizes) {
    const size = x.shape.slice();
    size[splitAxis] = splitSize;
    outputs.push(extractBox(backend, x, values, begin, size));
    begin[splitAxis] += splitSize;
  }
  return outputs;
}

function unpackKernel(backend: MathBackendCPU, value: TensorInfo, axis: number): TensorInfo[] | null {
  const values = numericValues(backend, value);
  if (values === null) return null;
  const rank = value.shape.length;
  const unpackAxis = axis < 0 ? axis + rank : axis;
  const count = value.shape[unpackAxis];
  const outShape = value.shape.filter((_, index) => index !== unpackAxis);
  const size = value.shape.slice();
  size[unpackAxis] = 1;
  const begin = value.shape.map(() => 0);
  const targetBegin = begin.slice();
  const outputs: TensorInfo[] = [];
  for (let index = 0; index < count; index += 1) {
    begin[unpackAxis] = index;
    const output = emptyValues(value.dtype, tf.util.sizeFromShape(outShape));
    copyBox(values, value.shape, begin, output, size, targetBegin, size);
    outputs.push(backend.makeTensorInfo(outShape, value.dtype, output));
  }
  return outputs;
}

function padKernel(
  backend: MathBackendCPU,
  x: TensorInfo,
  paddings: [number, number][],
  constantValue: number,
): TensorInfo | null {
  const values = numericValues(backend, x);
  if (values === null || paddings.length !== x.shape.length) return null;
  if (paddings.some(([before, after]) => before < 0 || after < 0)) return null;
  const outShape = paddings.map(([before, after], axis) => before + x.shape[axis] + after);
  const output = emptyValues(x.dtype, tf.util.sizeFromShape(outShape));
  if (constantValue !== 0) output.fill(constantValue);
  copyBox(values, x.shape, x.shape.map(() => 0), output, outShape, paddings.map(([before]) => before), x.shape);
  return backend.makeTensorInfo(outShape, x.dtype, output);
}
