/** Registers the physics kernels for the TensorFlow.js 'cpu' backend. */
import * as tf from '@tensorflow/tfjs';

import { complexMultiplyCpuKernel } from './complexMultiplyKernel';
import { amplitudeResidualCpuKernel, modulusProjectionCpuKernel } from './farFieldKernels';
import { fft2CpuKernel } from './fft2Kernel';
import { extractPatchesCpuKernel, overlapSumCpuKernel } from './patchKernels';
import { conjugateProductSumCpuKernel, regularizedUpdateCpuKernel } from './updateKernels';

export function registerCpuKernels(): void {
  for (const kernel of [
    fft2CpuKernel,
    extractPatchesCpuKernel,
    overlapSumCpuKernel,
    complexMultiplyCpuKernel,
    modulusProjectionCpuKernel,
    amplitudeResidualCpuKernel,
    conjugateProductSumCpuKernel,
    regularizedUpdateCpuKernel,
  ]) {
    tf.registerKernel(kernel);
  }
}
