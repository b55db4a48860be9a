/** Registers the physics kernels for the TensorFlow.js 'webgl' backend. */
import * as tf from '@tensorflow/tfjs';

import { complexMultiplyWebGlConfig } from './complexMultiply';
import { extractPatchesWebGlConfig } from './extractPatches';
import { fft2WebGlConfig } from './fft2';
import { overlapSumWebGlConfig } from './overlapSum';

export function registerWebGlKernels(): void {
  for (const config of [fft2WebGlConfig, extractPatchesWebGlConfig, overlapSumWebGlConfig, complexMultiplyWebGlConfig]) {
    tf.registerKernel(config);
  }
}
