/**
 * Flat-array Add and Multiply for the TensorFlow.js 'cpu' backend, float32 and int32. The stock
 * kernels of @tensorflow/tfjs-backend-cpu 4.22 call the operation through a closure with a
 * modulo per element, or convert every output index to coordinates and back when an operand is
 * broadcast. These walk the output with the innermost axes merged and one add or multiply per
 * element, computed in double precision and stored in the output's dtype, as the stock kernels
 * compute them. Other dtypes and mixed dtypes go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';

import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import type { replaceCpuKernel } from './flatArrayKernels';

type Operation = 'add' | 'multiply';
type Values = Float32Array | Int32Array;

/** Replaces Add and Multiply through `replace`; called by registerFlatArrayCpuKernels. */
export function registerFastCpuBinaryKernels(replace: typeof replaceCpuKernel): void {
  replace('Add', (args, stock) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    return binary(args.backend as MathBackendCPU, a, b, 'add') ?? stock(args);
  });
  replace('Multiply', (args, stock) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    return binary(args.backend as MathBackendCPU, a, b, 'multiply') ?? stock(args);
  });
}

function storedValues(backend: MathBackendCPU, tensor: TensorInfo): Values | null {
  const values = backend.data.get(tensor.dataId).values;
  if (tensor.dtype === 'float32' && values instanceof Float32Array) return values;
  if (tensor.dtype === 'int32' && values instanceof Int32Array) return values;
  return null;
}

/** Returns the strides of `shape` over the axes of the broadcast `outShape`, 0 where it is broadcast. */
function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let axis = 1; axis <= shape.length; axis += 1) {
    const length = shape[shape.length - axis];
    if (length !== 1) strides[outShape.length - axis] = stride;
    stride *= length;
  }
  return strides;
}

function binary(backend: MathBackendCPU, a: TensorInfo, b: TensorInfo, operation: Operation): TensorInfo | null {
  if (a.dtype !== b.dtype) return null;
  const aValues = storedValues(backend, a);
  const bValues = storedValues(backend, b);
  if (aValues === null || bValues === null) return null;
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(outShape);
  const output = a.dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
  if (size > 0) broadcastLoop(aValues, broadcastStrides(a.shape, outShape), bValues, broadcastStrides(b.shape, outShape), outShape, output, operation);
  return backend.makeTensorInfo(outShape, a.dtype, output);
}

/**
 * Fills `output` (row-major, shape `outShape`) with a op b. Adjacent axes along which both
 * operands advance evenly are merged first, so the innermost loop usually covers whole rows.
 */
function broadcastLoop(
  a: Values,
  aStrides: number[],
  b: Values,
  bStrides: number[],
  outShape: number[],
  output: Values,
  operation: Operation,
): void {
  const shape: number[] = [];
  const aStep: number[] = [];
  const bStep: number[] = [];
  for (let axis = 0; axis < outShape.length; axis += 1) {
    if (outShape[axis] === 1) continue;
    const last = shape.length - 1;
    const mergeable =
      last >= 0 && aStep[last] === aStrides[axis] * outShape[axis] && bStep[last] === bStrides[axis] * outShape[axis];
    if (mergeable) {
      shape[last] *= outShape[axis];
      aStep[last] = aStrides[axis];
      bStep[last] = bStrides[axis];
    } else {
      shape.push(outShape[axis]);
      aStep.push(aStrides[axis]);
      bStep.push(bStrides[axis]);
    }
  }
  if (shape.length === 0) {
    shape.push(1);
    aStep.push(0);
    bStep.push(0);
  }

  const inner = shape.length - 1;
  const rowLength = shape[inner];
  const aInner = aStep[inner];
  const bInner = bStep[inner];
  const index = new Array<number>(inner).fill(0);
  const rows = output.length / rowLength;
  let aOffset = 0;
  let bOffset = 0;
  for (let row = 0; row < rows; row += 1) {
    const outOffset = row * rowLength;
    if (operation === 'add') {
      addRow(a, aOffset, aInner, b, bOffset, bInner, output, outOffset, rowLength);
    } else {
      multiplyRow(a, aOffset, aInner, b, bOffset, bInner, output, outOffset, rowLength);
    }
    // Advance the odometer over the outer axes and move both operand offsets with it.
    for (let axis = inner - 1; axis >= 0; axis -= 1) {
      index[axis] += 1;
      aOffset += aStep[axis];
      bOffset += bStep[axis];
      if (index[axis] < shape[axis]) break;
      aOffset -= aStep[axis] * shape[axis];
      bOffset -= bStep[axis] * shape[axis];
      index[axis] = 0;
    }
  }
}

function addRow(a: Values, aStart: number, aStep: number, b: Values, bStart: number, bStep: number, out: Values, outStart: number, length: number): void {
  if (aStep === 1 && bStep === 1) {
    for (let i = 0; i < length; i += 1) out[outStart + i] = a[aStart + i] + b[bStart + i];
    return;
  }
  let ai = aStart;
  let bi = bStart;
  for (let i = 0; i < length; i += 1) {
    out[outStart + i] = a[ai] + b[bi];
    ai += aStep;
    bi += bStep;
  }
}

function multiplyRow(a: Values, aStart: number, aStep: number, b: Values, bStart: number, bStep: number, out: Values, outStart: number, length: number): void {
  if (aStep === 1 && bStep === 1) {
    for (let i = 0; i < length; i += 1) out[outStart + i] = a[aStart + i] * b[bStart + i];
    return;
  }
  let ai = aStart;
  let bi = bStart;
  for (let i = 0; i < length; i += 1) {
    out[outStart + i] = a[ai] * b[bi];
    ai += aStep;
    bi += bStep;
  }
}
