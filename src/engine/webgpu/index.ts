/**
 * Registers the physics kernels for the TensorFlow.js 'webgpu' backend, and the convolutions that
 * replace tfjs's own on software adapters (conv2d.ts).
 */
import * as tf from '@tensorflow/tfjs';

import { amplitudeResidualKernel } from './amplitudeResidual';
import { complexMultiplyKernel } from './complexMultiply';
import { conjugateProductSumKernel } from './conjugateProductSum';
import { registerConv2dKernels } from './conv2d';
import { extractPatchesKernel } from './extractPatches';
import { fft2Kernel, registerFft2PlanFlag } from './fft2';
import { modulusProjectionKernel } from './modulusProjection';
import { overlapSumKernel } from './overlapSum';
import { regularizedUpdateKernel } from './regularizedUpdate';

export { setShaderDebug, takeShaderErrors } from './program';

export function registerWebGpuKernels(): void {
  registerFft2PlanFlag();
  const kernels = [
    fft2Kernel,
    extractPatchesKernel,
    overlapSumKernel,
    complexMultiplyKernel,
    modulusProjectionKernel,
    amplitudeResidualKernel,
    conjugateProductSumKernel,
    regularizedUpdateKernel,
  ];
  for (const kernel of kernels) {
    if (tf.getKernel(kernel.kernelName, 'webgpu') === undefined) tf.registerKernel(kernel);
  }
  registerConv2dKernels();
}
