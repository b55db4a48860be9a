/** Poisson likelihood loss of PtychoPINN, on the photon-count scale. */
import * as tf from '@tensorflow/tfjs';

/** Added to λ inside the logarithm so that a zero predicted intensity gives a finite loss. */
export const POISSON_EPSILON = 1e-8;

/**
 * Returns the Poisson negative log-likelihood of the measured counts k [B, N, N] given the
 * predicted amplitudes [B, N, N] (√counts, so λ = amplitude²): Σ_pixels (λ − k·ln(λ + ε)) per
 * pattern, averaged over the batch. The constant Σ ln k! is left out because it does not depend
 * on the prediction.
 */
export function poissonLoss(predictedAmplitudes: tf.Tensor3D, counts: tf.Tensor3D): tf.Scalar {
  if (predictedAmplitudes.shape.join(',') !== counts.shape.join(',')) {
    throw new Error(
      `poissonLoss: predicted amplitudes [${predictedAmplitudes.shape.join(', ')}] and counts ` +
        `[${counts.shape.join(', ')}] must have the same shape [B, N, N].`,
    );
  }
  return tf.tidy(() => {
    const intensity = tf.square(predictedAmplitudes);
    const perPixel = tf.sub(intensity, tf.mul(counts, tf.log(tf.add(intensity, POISSON_EPSILON))));
    return tf.mean(tf.sum(perPixel, [1, 2])) as tf.Scalar;
  });
}
