/**
 * Runs one physics kernel by the name used in test/fixtures/kernels/manifest.json, so the NumPy
 * reference cases drive every backend through the same code: Vitest on the CPU backend and the
 * kernel lab page in Chromium.
 */
import * as tf from '@tensorflow/tfjs';

import {
  amplitudeResidual,
  complexMultiply,
  conjugateProductSum,
  extractPatches,
  fft2,
  modulusCorrection,
  modulusProjection,
  overlapSum,
  regularizedUpdate,
} from '../engine/ops';

export type LabKernel =
  | 'fft2'
  | 'ifft2'
  | 'extractPatches'
  | 'overlapSum'
  | 'complexMultiply'
  | 'modulusProjection'
  | 'amplitudeResidual'
  | 'conjugateProductSum'
  | 'regularizedUpdate';

export function runLabKernel(
  kernel: LabKernel,
  tensors: Record<string, tf.Tensor>,
  attrs: Record<string, number | boolean> = {},
): tf.Tensor {
  switch (kernel) {
    case 'fft2':
      return fft2(tensors.x as tf.Tensor4D, 'forward');
    case 'ifft2':
      return fft2(tensors.x as tf.Tensor4D, 'inverse');
    case 'extractPatches':
      return extractPatches(tensors.object as tf.Tensor3D, tensors.positions as tf.Tensor2D, Number(attrs.size));
    case 'overlapSum':
      return overlapSum(
        tensors.patches as tf.Tensor3D | tf.Tensor4D,
        tensors.positions as tf.Tensor2D,
        Number(attrs.height),
        Number(attrs.width),
      );
    case 'complexMultiply':
      return complexMultiply(tensors.a, tensors.b, Boolean(attrs.conjugateA));
    case 'modulusProjection':
      // Manifest cases select the correction Ψ′ − Ψ with the attr returnDifference: true.
      return attrs.returnDifference === true
        ? modulusCorrection(tensors.farField as tf.Tensor4D, tensors.amplitudes as tf.Tensor3D)
        : modulusProjection(tensors.farField as tf.Tensor4D, tensors.amplitudes as tf.Tensor3D);
    case 'amplitudeResidual':
      return amplitudeResidual(tensors.farField as tf.Tensor4D, tensors.amplitudes as tf.Tensor3D);
    case 'conjugateProductSum':
      return conjugateProductSum(tensors.a as tf.Tensor4D, tensors.b as tf.Tensor4D);
    case 'regularizedUpdate':
      return regularizedUpdate(
        tensors.x,
        tensors.numerator,
        tensors.weights,
        tensors.maxWeight as tf.Tensor1D,
        Number(attrs.step),
        Number(attrs.regularization),
      );
    default:
      throw new Error(`Unknown lab kernel "${String(kernel)}".`);
  }
}
