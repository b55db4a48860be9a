/** Registers the physics kernels for the TensorFlow.js 'webgpu' backend. */
import * as tf from '@tensorflow/tfjs';

import { complexMultiplyKernel } from './complexMultiply';
import { extractPatchesKernel } from './extractPatches';
import { fft2Kernel, registerFft2PlanFlag } from './fft2';
import { overlapSumKernel } from './overlapSum';

export { setShaderDebug, takeShaderErrors } from './program';

export function registerWebGpuKernels(): void {
  registerFft2PlanFlag();
  for (const kernel of [fft2Kernel, extractPatchesKernel, overlapSumKernel, complexMultiplyKernel]) {
    if (tf.getKernel(kernel.kernelName, 'webgpu') === undefined) tf.registerKernel(kernel);
  }
}
