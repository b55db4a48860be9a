/** Access to tensor storage inside 'cpu' backend kernels. */
import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

/** Returns the float32 values that the 'cpu' backend stores for `tensor`. */
export function readFloat32(backend: MathBackendCPU, tensor: TensorInfo): Float32Array {
  return backend.data.get(tensor.dataId).values as Float32Array;
}

/** Returns the int32 values that the 'cpu' backend stores for `tensor`. */
export function readInt32(backend: MathBackendCPU, tensor: TensorInfo): Int32Array {
  return backend.data.get(tensor.dataId).values as Int32Array;
}

/** Returns the named input of a kernel call, or throws when the caller did not pass it. */
export function requireInput(kernelName: string, inputs: Record<string, TensorInfo | undefined>, name: string): TensorInfo {
  const tensor = inputs[name];
  if (tensor === undefined) {
    throw new Error(`${kernelName}: missing input '${name}'.`);
  }
  return tensor;
}
