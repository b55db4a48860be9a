/**
 * The differentiable forward model that turns the network's object patch into diffraction
 * amplitudes: exit wave ψ = P·O, far field Ψ = FFT2(ψ) with the unitary FFT of src/engine, and
 * predicted amplitude s·|fftshift(Ψ)| in √counts, centred like the network's input.
 *
 * Scale: src/engine's fft2 is unitary, the same as NumPy's norm="ortho", so no extra factor of N
 * enters. With the probe in network units (as dataPrep.ts scales it) and the intensity scale s of
 * normalization.ts, the predicted intensity s²·|Ψ|² is in photon counts. The
 * PtychoPINN golden vectors check this: |fftshift(fft2(s·P·O, norm="ortho"))|² = (s·|fftshift(Ψ)|)².
 */
import * as tf from '@tensorflow/tfjs';

import { complexMultiply, fft2 } from '../../engine/ops';

/** Added under the square root of |Ψ| so that its gradient stays finite where Ψ = 0. */
export const MODULUS_EPSILON = 1e-12;

/** Builds O = A·e^{iφ} as an interleaved field [B, N, N, 2] from amplitude and phase [B, N, N]. */
export function objectFromAmplitudePhase(amplitude: tf.Tensor3D, phase: tf.Tensor3D): tf.Tensor4D {
  if (amplitude.shape.join(',') !== phase.shape.join(',')) {
    throw new Error(
      `objectFromAmplitudePhase: amplitude [${amplitude.shape.join(', ')}] and phase [${phase.shape.join(', ')}] ` +
        'must have the same shape [B, N, N].',
    );
  }
  return tf.tidy(() => tf.stack([tf.mul(amplitude, tf.cos(phase)), tf.mul(amplitude, tf.sin(phase))], -1) as tf.Tensor4D);
}

/**
 * Moves the zero frequency of x [B, N, N, ...] from [0, 0] to [N/2, N/2] (NumPy's fftshift over
 * axes 1 and 2, for even N). Built from slice and concat, so TensorFlow.js differentiates it.
 */
export function fftshift2d<T extends tf.Tensor>(x: T): T {
  const rows = x.shape[1];
  const cols = x.shape[2];
  if (rows === undefined || cols === undefined || rows % 2 !== 0 || cols % 2 !== 0) {
    throw new Error(`fftshift2d: expected even sizes on axes 1 and 2, received shape [${x.shape.join(', ')}].`);
  }
  return tf.tidy(() => {
    const byRows = rollHalf(x, 1, rows);
    return rollHalf(byRows, 2, cols);
  }) as T;
}

/** Swaps the two halves of x along `axis`, whose length is the even `size`. */
function rollHalf(x: tf.Tensor, axis: number, size: number): tf.Tensor {
  const half = size / 2;
  const begin = x.shape.map(() => 0);
  const firstSize = x.shape.map((length, index) => (index === axis ? half : length));
  const secondBegin = begin.map((value, index) => (index === axis ? half : value));
  const first = tf.slice(x, begin, firstSize);
  const second = tf.slice(x, secondBegin, firstSize);
  return tf.concat([second, first], axis);
}

/** Computes |z| = √(re² + im² + ε) of an interleaved field [..., 2], dropping the last axis. */
export function complexModulus(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sqrt(tf.add(tf.sum(tf.square(z), -1), MODULUS_EPSILON)));
}

/**
 * Predicts the centred diffraction amplitudes s·|fftshift(FFT2(P·O))| [B, N, N] in √counts from
 * the object patches `object` [B, N, N, 2], the probe [N, N, 2] in network units and the
 * intensity scale s.
 */
export function predictAmplitudes(object: tf.Tensor4D, probe: tf.Tensor3D, intensityScale: number | tf.Scalar): tf.Tensor3D {
  return tf.tidy(() => {
    const exitWave = complexMultiply<tf.Tensor4D>(probe, object);
    const farField = fftshift2d(fft2(exitWave, 'forward'));
    return tf.mul(complexModulus(farField), intensityScale) as tf.Tensor3D;
  });
}

/** Chains {@link objectFromAmplitudePhase} and {@link predictAmplitudes}. */
export function predictAmplitudesFromAmplitudePhase(
  amplitude: tf.Tensor3D,
  phase: tf.Tensor3D,
  probe: tf.Tensor3D,
  intensityScale: number | tf.Scalar,
): tf.Tensor3D {
  return tf.tidy(() => predictAmplitudes(objectFromAmplitudePhase(amplitude, phase), probe, intensityScale));
}
