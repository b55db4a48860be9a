/** Registers the physics kernels for the TensorFlow.js 'webgl' backend. */
import * as tf from '@tensorflow/tfjs';

import { amplitudeResidualWebGlConfig } from './amplitudeResidual';
import { complexMultiplyWebGlConfig } from './complexMultiply';
import { conjugateProductSumWebGlConfig } from './conjugateProductSum';
import { extractPatchesWebGlConfig } from './extractPatches';
import { fft2WebGlConfig } from './fft2';
import { modulusProjectionWebGlConfig } from './modulusProjection';
import { overlapSumWebGlConfig } from './overlapSum';
import { regularizedUpdateWebGlConfig } from './regularizedUpdate';

export function registerWebGlKernels(): void {
  for (const config of [
    fft2WebGlConfig,
    extractPatchesWebGlConfig,
    overlapSumWebGlConfig,
    complexMultiplyWebGlConfig,
    modulusProjectionWebGlConfig,
    amplitudeResidualWebGlConfig,
    conjugateProductSumWebGlConfig,
    regularizedUpdateWebGlConfig,
  ]) {
    tf.registerKernel(config);
  }
}
