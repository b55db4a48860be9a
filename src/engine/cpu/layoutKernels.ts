/**
 * Flat-array Slice, SplitV, Unpack, PadV2, GatherV2 and Concat kernels for the TensorFlow.js
 * 'cpu' backend, registered by flatArrayKernels.ts.
 *
 * In @tensorflow/tfjs-backend-cpu 4.22 a slice that is not one contiguous block, and therefore
 * SplitV and Unpack, which call it, walk the output element by element through TensorBuffer
 * index arithmetic. PadV2 and GatherV2 do the same for every input or output element. Concat's
 * gradient is a SplitV and Slice's gradient is a PadV2, so the nearest-neighbour upsampling and
 * the fftshift of the PtychoPINN model spent most of a cpu training step there. These kernels
 * copy whole rows of the innermost axes instead and produce the same values. Strings and
 * complex64 go to the stock kernel. The stock Concat is flat already but copies element by
 * element; this one copies rows with `set`.
 */
import * as tf from '@tensorflow/tfjs';

import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import type { replaceCpuKernel } from './flatArrayKernels';

/** A numeric typed array as the 'cpu' backend stores float32, int32 and bool tensors. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

/**
 * Rows shorter than this are copied element by element, where `set(subarray(...))` is expected to
 * cost more. NOTE: an untuned guess.
 */
const MIN_SET_LENGTH = 32;

/** Replaces Slice, SplitV, Unpack, PadV2, GatherV2 and Concat through `replace`. */
export function registerFastCpuLayoutKernels(replace: typeof replaceCpuKernel): void {
  replace('Slice', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    return sliceKernel(args.backend as MathBackendCPU, x, begin, size) ?? stock(args);
  });

  replace('SplitV', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    return splitKernel(args.backend as MathBackendCPU, x, numOrSizeSplits, axis) ?? stock(args);
  });

  replace('Unpack', (args, stock) => {
    const { value } = args.inputs as { value: TensorInfo };
    const { axis } = args.attrs as unknown as { axis: number };
    return unpackKernel(args.backend as MathBackendCPU, value, axis) ?? stock(args);
  });

  replace('PadV2', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { paddings, constantValue } = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
    return padKernel(args.backend as MathBackendCPU, x, paddings, constantValue) ?? stock(args);
  });

  replace('GatherV2', (args, stock) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims?: number };
    return gatherKernel(args.backend as MathBackendCPU, x, indices, axis, batchDims ?? 0) ?? stock(args);
  });

  replace('Concat', (args, stock) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const { axis } = args.attrs as unknown as { axis: number };
    return concatKernel(args.backend as MathBackendCPU, inputs, axis) ?? stock(args);
  });
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
 * axes that both arrays contain whole are merged into one contiguous row.
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

/**
 * Gathers whole slices of x along `axis` for batchDims 0. Returns null for other cases and for an
 * index out of range, so that the stock kernel raises its own error.
 */
function gatherKernel(backend: MathBackendCPU, x: TensorInfo, indices: TensorInfo, axis: number, batchDims: number): TensorInfo | null {
  const values = numericValues(backend, x);
  const indexValues = backend.data.get(indices.dataId).values;
  if (values === null || batchDims !== 0 || indices.dtype !== 'int32' || !(indexValues instanceof Int32Array)) return null;
  const gatherAxis = tf.util.parseAxisParam(axis, x.shape)[0];
  const axisLength = x.shape[gatherAxis];
  if (indexValues.some((index) => index < 0 || index >= axisLength)) return null;

  const outer = tf.util.sizeFromShape(x.shape.slice(0, gatherAxis));
  const sliceLength = tf.util.sizeFromShape(x.shape.slice(gatherAxis + 1));
  const count = indexValues.length;
  const outShape = [...x.shape.slice(0, gatherAxis), ...indices.shape, ...x.shape.slice(gatherAxis + 1)];
  const output = emptyValues(x.dtype, outer * count * sliceLength);
  for (let o = 0; o < outer; o += 1) {
    for (let k = 0; k < count; k += 1) {
      const from = (o * axisLength + indexValues[k]) * sliceLength;
      copyRows(values, from, sliceLength, output, (o * count + k) * sliceLength, sliceLength, 1, sliceLength);
    }
  }
  return backend.makeTensorInfo(outShape, x.dtype, output);
}

/**
 * Concatenates numeric tensors of one dtype along `axis`. Returns null, for the stock kernel,
 * when the output is empty or only one input is non-empty, because the stock kernel then returns
 * an empty tensor or that input itself.
 */
function concatKernel(backend: MathBackendCPU, inputs: TensorInfo[], axis: number): TensorInfo | null {
  if (inputs.length === 0) return null;
  const dtype = inputs[0].dtype;
  const nonEmpty = inputs.filter((input) => tf.util.sizeFromShape(input.shape) > 0);
  if (nonEmpty.length < 2 || inputs.some((input) => input.dtype !== dtype)) return null;
  const sources = nonEmpty.map((input) => numericValues(backend, input));
  if (sources.some((values) => values === null)) return null;

  const concatAxis = tf.util.parseAxisParam(axis, inputs[0].shape)[0];
  tf.backend_util.assertParamsConsistent(
    inputs.map((input) => input.shape),
    concatAxis,
  );
  const outShape = tf.backend_util.computeOutShape(
    inputs.map((input) => input.shape),
    concatAxis,
  );
  const output = emptyValues(dtype, tf.util.sizeFromShape(outShape));
  const targetBegin = outShape.map(() => 0);
  nonEmpty.forEach((input, index) => {
    copyBox(sources[index] as NumericArray, input.shape, targetBegin.map(() => 0), output, outShape, targetBegin, input.shape);
    targetBegin[concatAxis] += input.shape[concatAxis];
  });
  return backend.makeTensorInfo(outShape, dtype, output);
}
