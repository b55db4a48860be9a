/**
 * Relu and Step (the mask of relu's gradient) for the TensorFlow.js 'cpu' backend, float32 and
 * int32, as plain loops. The stock kernels of @tensorflow/tfjs-backend-cpu 4.22 call the
 * operation through a closure per element. The values are the stock ones: relu(x) = max(0, x),
 * so relu(NaN) = NaN and relu(−0) = +0, and step(x) = 1 for x > 0, NaN for NaN, alpha otherwise.
 */
import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import type { replaceCpuKernel } from './flatArrayKernels';

/** Replaces Relu and Step through `replace`; called by registerFlatArrayCpuKernels. */
export function registerFastCpuActivationKernels(replace: typeof replaceCpuKernel): void {
  replace('Relu', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const backend = args.backend as MathBackendCPU;
    const values = storedValues(backend, x);
    if (values === null) return stock(args);
    const output = values instanceof Float32Array ? new Float32Array(values.length) : new Int32Array(values.length);
    for (let i = 0; i < values.length; i += 1) output[i] = Math.max(0, values[i]);
    return backend.makeTensorInfo(x.shape, x.dtype, output);
  });

  replace('Step', (args, stock) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { alpha } = args.attrs as unknown as { alpha: number };
    const backend = args.backend as MathBackendCPU;
    const values = storedValues(backend, x);
    if (values === null) return stock(args);
    const output = values instanceof Float32Array ? new Float32Array(values.length) : new Int32Array(values.length);
    for (let i = 0; i < values.length; i += 1) {
      const value = values[i];
      output[i] = value > 0 ? 1 : Number.isNaN(value) ? Number.NaN : alpha;
    }
    return backend.makeTensorInfo(x.shape, x.dtype, output);
  });
}

function storedValues(backend: MathBackendCPU, tensor: TensorInfo): Float32Array | Int32Array | null {
  const values = backend.data.get(tensor.dataId).values;
  if (tensor.dtype === 'float32' && values instanceof Float32Array) return values;
  if (tensor.dtype === 'int32' && values instanceof Int32Array) return values;
  return null;
}
