/**
 * Typed entry points for the custom physics kernels. Solver code calls these, never
 * `runKernel` directly, so shapes are checked once, here, with messages that name the operand.
 */
import * as tf from '@tensorflow/tfjs';

import {
  AMPLITUDE_RESIDUAL,
  COMPLEX_MULTIPLY,
  CONJUGATE_PRODUCT_SUM,
  EXTRACT_PATCHES,
  FFT2,
  MODULUS_PROJECTION,
  OVERLAP_SUM,
  REGULARIZED_UPDATE,
  type ComplexMultiplyAttrs,
  type ExtractPatchesAttrs,
  type Fft2Attrs,
  type ModulusProjectionAttrs,
  type OverlapSumAttrs,
  type RegularizedUpdateAttrs,
} from './kernelNames';

function assertComplexField(name: string, x: tf.Tensor, ranks: number[]): void {
  if (!ranks.includes(x.rank) || x.shape[x.rank - 1] !== 2 || x.dtype !== 'float32') {
    throw new Error(
      `${name}: expected a float32 complex field of rank ${ranks.join(' or ')} with a last axis of 2 ` +
        `(real, imaginary), received ${x.dtype} [${x.shape.join(', ')}].`,
    );
  }
}

function assertPositions(name: string, positions: tf.Tensor, count: number): void {
  if (positions.rank !== 2 || positions.shape[0] !== count || positions.shape[1] !== 2 || positions.dtype !== 'int32') {
    throw new Error(
      `${name}: expected int32 positions of shape [${count}, 2] as (row, col), ` +
        `received ${positions.dtype} [${positions.shape.join(', ')}].`,
    );
  }
}

/**
 * Batched unitary 2-D FFT of x [B, N, N, 2]. The zero frequency sits at index [0, 0]
 * (no fftshift). N must be a power of two.
 */
export function fft2(x: tf.Tensor4D, direction: 'forward' | 'inverse'): tf.Tensor4D {
  assertComplexField('fft2', x, [4]);
  const n = x.shape[1];
  if (x.shape[2] !== n || n < 2 || (n & (n - 1)) !== 0) {
    throw new Error(
      `fft2: expected square fields with a power-of-two side, received ${x.shape[1]}×${x.shape[2]}. ` +
        'Crop or pad the patterns to a power of two such as 64, 128 or 256.',
    );
  }
  const attrs: Fft2Attrs = { inverse: direction === 'inverse' };
  return tf.engine().runKernel(FFT2, { x }, attrs) as tf.Tensor4D;
}

/**
 * Copies the size×size window of `object` [H, W, 2] whose top-left corner is at each of
 * `positions` int32 [B, 2] (row, col). Every window must lie inside the object.
 */
export function extractPatches(object: tf.Tensor3D, positions: tf.Tensor2D, size: number): tf.Tensor4D {
  assertComplexField('extractPatches', object, [3]);
  assertPositions('extractPatches', positions, positions.shape[0]);
  const attrs: ExtractPatchesAttrs = { size };
  return tf.engine().runKernel(EXTRACT_PATCHES, { object, positions }, attrs) as tf.Tensor4D;
}

/**
 * Adds each patch of `patches` [B, n, n, 2] into a zero object of height×width at its position,
 * the adjoint of {@link extractPatches}. A single patch [n, n, 2] is placed at every position.
 * The sum order is fixed, so equal inputs give equal bits.
 */
export function overlapSum(
  patches: tf.Tensor3D | tf.Tensor4D,
  positions: tf.Tensor2D,
  height: number,
  width: number,
): tf.Tensor3D {
  assertComplexField('overlapSum', patches, [3, 4]);
  assertPositions('overlapSum', positions, patches.rank === 4 ? patches.shape[0] : positions.shape[0]);
  const attrs: OverlapSumAttrs = { height, width };
  return tf.engine().runKernel(OVERLAP_SUM, { patches, positions }, attrs) as tf.Tensor3D;
}

/** Elementwise complex product a·b (or conj(a)·b), broadcasting a rank-3 operand over the batch. */
export function complexMultiply<T extends tf.Tensor3D | tf.Tensor4D>(a: tf.Tensor, b: tf.Tensor, conjugateA = false): T {
  assertComplexField('complexMultiply (a)', a, [3, 4]);
  assertComplexField('complexMultiply (b)', b, [3, 4]);
  const fieldA = a.shape.slice(-3).join('×');
  const fieldB = b.shape.slice(-3).join('×');
  if (fieldA !== fieldB || (a.rank === 4 && b.rank === 4 && a.shape[0] !== b.shape[0])) {
    throw new Error(
      `complexMultiply: operand shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not match; ` +
        'they must agree except that one may lack the batch axis.',
    );
  }
  const attrs: ComplexMultiplyAttrs = { conjugateA };
  return tf.engine().runKernel(COMPLEX_MULTIPLY, { a, b }, attrs) as T;
}

function assertAmplitudes(name: string, farField: tf.Tensor, amplitudes: tf.Tensor): void {
  const expected = farField.shape.slice(0, -1);
  if (amplitudes.dtype !== 'float32' || amplitudes.shape.join(',') !== expected.join(',')) {
    throw new Error(
      `${name}: expected float32 amplitudes of shape [${expected.join(', ')}] to match the far field, ` +
        `received ${amplitudes.dtype} [${amplitudes.shape.join(', ')}].`,
    );
  }
}

function runModulusProjection(
  name: string,
  farField: tf.Tensor4D,
  amplitudes: tf.Tensor3D,
  returnDifference: boolean,
): tf.Tensor4D {
  assertComplexField(name, farField, [4]);
  assertAmplitudes(name, farField, amplitudes);
  const attrs: ModulusProjectionAttrs = { returnDifference };
  return tf.engine().runKernel(MODULUS_PROJECTION, { farField, amplitudes }, attrs) as tf.Tensor4D;
}

/** Replaces the modulus of `farField` [B, N, N, 2] by `amplitudes` [B, N, N], keeping its phase. */
export function modulusProjection(farField: tf.Tensor4D, amplitudes: tf.Tensor3D): tf.Tensor4D {
  return runModulusProjection('modulusProjection', farField, amplitudes, false);
}

/**
 * Computes the correction Ψ′ − Ψ that {@link modulusProjection} would apply to `farField` Ψ
 * [B, N, N, 2], in one pass. Its inverse FFT is the exit-wave change that the PIE update needs.
 */
export function modulusCorrection(farField: tf.Tensor4D, amplitudes: tf.Tensor3D): tf.Tensor4D {
  return runModulusProjection('modulusCorrection', farField, amplitudes, true);
}

/** (|Ψ| − a)² per pixel, [B, N, N], for `farField` Ψ [B, N, N, 2] and `amplitudes` a [B, N, N]. */
export function amplitudeResidual(farField: tf.Tensor4D, amplitudes: tf.Tensor3D): tf.Tensor3D {
  assertComplexField('amplitudeResidual', farField, [4]);
  assertAmplitudes('amplitudeResidual', farField, amplitudes);
  return tf.engine().runKernel(AMPLITUDE_RESIDUAL, { farField, amplitudes }) as tf.Tensor3D;
}

/** Σ_b conj(a_b)·b_b over the batch axis of `a` and `b` [B, n, n, 2]; returns [n, n, 2]. */
export function conjugateProductSum(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor3D {
  assertComplexField('conjugateProductSum (a)', a, [4]);
  assertComplexField('conjugateProductSum (b)', b, [4]);
  if (a.shape.join(',') !== b.shape.join(',')) {
    throw new Error(
      `conjugateProductSum: operand shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] must be equal.`,
    );
  }
  return tf.engine().runKernel(CONJUGATE_PRODUCT_SUM, { a, b }) as tf.Tensor3D;
}

/**
 * x + step·numerator / max((1 − regularization)·D + regularization·maxWeight, 1e-30), where D is
 * the real channel of `weights`. `x`, `numerator` and `weights` share one shape [..., 2].
 */
export function regularizedUpdate<T extends tf.Tensor>(
  x: T,
  numerator: tf.Tensor,
  weights: tf.Tensor,
  maxWeight: tf.Scalar | tf.Tensor1D,
  step: number,
  regularization: number,
): T {
  assertComplexField('regularizedUpdate (x)', x, [3, 4]);
  for (const [name, operand] of [
    ['numerator', numerator],
    ['weights', weights],
  ] as const) {
    if (operand.shape.join(',') !== x.shape.join(',') || operand.dtype !== 'float32') {
      throw new Error(
        `regularizedUpdate: ${name} must be float32 [${x.shape.join(', ')}] like x, ` +
          `received ${operand.dtype} [${operand.shape.join(', ')}].`,
      );
    }
  }
  if (maxWeight.size !== 1) {
    throw new Error(`regularizedUpdate: maxWeight must hold one value, received shape [${maxWeight.shape.join(', ')}].`);
  }
  if (!(regularization >= 0 && regularization <= 1) || !Number.isFinite(step)) {
    throw new Error(
      `regularizedUpdate: regularization must lie in [0, 1] and step must be finite, received ${regularization} and ${step}.`,
    );
  }
  const attrs: RegularizedUpdateAttrs = { step, regularization };
  return tf.engine().runKernel(REGULARIZED_UPDATE, { x, numerator, weights, maxWeight }, attrs) as T;
}
