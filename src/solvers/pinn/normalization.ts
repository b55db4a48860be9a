/**
 * Intensity normalisation of PtychoPINN (Hoidn, Mishra and Mehta, "Physics constrained
 * unsupervised deep learning for rapid, high resolution scanning coherent diffraction
 * reconstruction", Scientific Reports 13, 22789, 2023).
 *
 * The network takes diffraction amplitudes √k scaled so that the mean over patterns of Σ amplitude²
 * is (N/2)². The intensity scale s = √nphotons / (N/2), with nphotons the mean photon count per
 * pattern, maps those network units back to √counts, so √k = s · a_network.
 */

/** Everything a saved model needs to treat new data as it treated its training data. */
export interface PinnNormalization {
  /** Side N of the patterns the network takes, in detector pixels. */
  patternSize: number;
  /** Side of the measured patterns before any crop, in detector pixels. */
  sourcePatternSize: number;
  /** True when the central patternSize × patternSize of larger patterns was kept. */
  cropped: boolean;
  /** Mean photon count per pattern (after any crop), nphotons. */
  photonsPerPattern: number;
  /** s = √nphotons / (N/2); predicted √counts = s · network amplitude. */
  intensityScale: number;
  /** Factor applied to √counts to get network amplitudes, 1/s. */
  amplitudeScale: number;
}

/**
 * Computes the normalisation of `counts` [M, N, N] (photon counts, any pixel order).
 * Throws when the mean count per pattern is not a positive finite number.
 */
export function computeNormalization(
  counts: Float32Array,
  patternCount: number,
  patternSize: number,
  sourcePatternSize = patternSize,
): PinnNormalization {
  const expectedLength = patternCount * patternSize * patternSize;
  if (counts.length !== expectedLength) {
    throw new Error(
      `computeNormalization: expected ${patternCount} patterns of ${patternSize}×${patternSize} ` +
        `(${expectedLength} values), received ${counts.length} values.`,
    );
  }
  let total = 0;
  for (let i = 0; i < counts.length; i += 1) total += counts[i];
  const photonsPerPattern = total / patternCount;
  if (!(photonsPerPattern > 0) || !Number.isFinite(photonsPerPattern)) {
    throw new Error(
      `computeNormalization: the mean photon count per pattern is ${photonsPerPattern}; it must be positive and finite. ` +
        'Check that the intensities are photon counts and not all zero.',
    );
  }
  const intensityScale = Math.sqrt(photonsPerPattern) / (patternSize / 2);
  return {
    patternSize,
    sourcePatternSize,
    cropped: sourcePatternSize !== patternSize,
    photonsPerPattern,
    intensityScale,
    amplitudeScale: 1 / intensityScale,
  };
}

/** Returns the network input amplitudes √k / s for counts k, as a new array. */
export function normalizedAmplitudes(counts: Float32Array, normalization: PinnNormalization): Float32Array {
  const amplitudes = new Float32Array(counts.length);
  for (let i = 0; i < counts.length; i += 1) {
    amplitudes[i] = Math.sqrt(Math.max(counts[i], 0)) * normalization.amplitudeScale;
  }
  return amplitudes;
}
