/**
 * A flat-array Sum for the TensorFlow.js 'cpu' backend. The stock kernel of
 * @tensorflow/tfjs-backend-cpu 4.22 first transposes the reduced axes to the end, element by
 * element, whenever they are not already the innermost ones, as in the bias gradients of the
 * convolutions (axes 0, 1, 2 of NHWC). This one takes float32 and int32 tensors whose reduced
 * axes are adjacent, views them as [outer, reduced, inner], and adds whole rows of `inner`
 * elements. Every output is the double-precision sum of its inputs in row-major order, rounded
 * once, which is what the stock kernel computes. Other cases go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';

import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import type { replaceCpuKernel } from './flatArrayKernels';

/** Replaces Sum through `replace`; called by registerFlatArrayCpuKernels. */
export function registerFastCpuSumKernel(replace: typeof replaceCpuKernel): void {
  replace('Sum', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    return sum(args.backend as MathBackendCPU, x, axis, keepDims) ?? stock(args);
  });
}

function sum(backend: MathBackendCPU, x: TensorInfo, axis: number | number[], keepDims: boolean): TensorInfo | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const values = backend.data.get(x.dataId).values;
  if (!(values instanceof Float32Array || values instanceof Int32Array)) return null;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  if (axes.length === 0) return null;
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (last - first + 1 !== axes.length) return null;

  const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
  const reduced = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
  const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
  const output = x.dtype === 'float32' ? new Float32Array(outer * inner) : new Int32Array(outer * inner);

  if (inner === 1) {
    for (let o = 0; o < outer; o += 1) {
      let total = 0;
      const start = o * reduced;
      for (let r = 0; r < reduced; r += 1) total += values[start + r];
      output[o] = total;
    }
  } else {
    const totals = new Float64Array(inner);
    for (let o = 0; o < outer; o += 1) {
      totals.fill(0);
      for (let r = 0; r < reduced; r += 1) {
        const start = (o * reduced + r) * inner;
        for (let i = 0; i < inner; i += 1) totals[i] += values[start + i];
      }
      output.set(totals, o * inner);
    }
  }

  const outShape = keepDims
    ? x.shape.map((length, index) => (index >= first && index <= last ? 1 : length))
    : x.shape.filter((_, index) => index < first || index > last);
  return backend.makeTensorInfo(outShape, x.dtype, output);
}
