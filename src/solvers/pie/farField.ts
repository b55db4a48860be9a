/**
 * Far-field upsampling: the far field is modelled on a U-times finer grid than the detector's, and
 * the U×U fine intensities that fall on one detector pixel are summed to model that pixel. This
 * accounts for the integration over each detector pixel and lets the probe be larger than the
 * window that the detector's sampling allows.
 *
 * The real-space pixel size stays the same, so the window (probe, object patch, exit wave, FFT)
 * grows from the pattern size N to M = U·N and the probe gets room for its tails. The start probe
 * is zero-padded into the centre of the window and multiplied by the phase ramp
 * exp(2πi·o·(x + y)/M), o = (U − 1)/2, which shifts its far field by o fine samples. The U×U block
 * of fine samples U·k … U·k + U − 1 (FFT order, zero frequency at [0, 0]) then centres on measured
 * pixel k, so binning is a reshape and a sum.
 *
 * NOTE: the ramp stays in the reconstructed probe, so its phase shows a linear tilt of o·2π/M per
 * pixel along rows and columns when U > 1.
 */
import * as tf from '@tensorflow/tfjs';

/** Upsampling factors the solver accepts. */
export const FAR_FIELD_UPSAMPLING_FACTORS = [1, 2] as const;
export type FarFieldUpsampling = (typeof FAR_FIELD_UPSAMPLING_FACTORS)[number];

/** Largest window M = U·N, the largest size that the FFT kernels transform (they take 32 to 512). */
export const MAX_WINDOW_SIZE_PX = 512;

/**
 * Returns the ramp exp(2πi·o·(x + y)/M) on the M×M window as interleaved complex [M, M, 2], with
 * o = (U − 1)/2 and x, y the column and row indices. It is 1 everywhere for U = 1.
 */
export function upsamplingRamp(windowSize: number, upsampling: number): Float32Array {
  const offset = (upsampling - 1) / 2;
  const ramp = new Float32Array(windowSize * windowSize * 2);
  for (let row = 0; row < windowSize; row += 1) {
    for (let col = 0; col < windowSize; col += 1) {
      const angle = (2 * Math.PI * offset * (row + col)) / windowSize;
      const index = 2 * (row * windowSize + col);
      ramp[index] = Math.cos(angle);
      ramp[index + 1] = Math.sin(angle);
    }
  }
  return ramp;
}

/**
 * Zero-pads `count` modes [count, N, N, 2] into the centre of [count, M, M, 2], M = U·N, and
 * multiplies them by {@link upsamplingRamp}. Σ|P|² is unchanged. With U = 1 it returns a copy.
 */
export function padProbeModes(modes: Float32Array, size: number, count: number, upsampling: number): Float32Array {
  const windowSize = upsampling * size;
  if (modes.length !== count * size * size * 2) {
    throw new Error(`padProbeModes: ${count} modes of ${size}×${size} need ${count * size * size * 2} values, received ${modes.length}.`);
  }
  if (upsampling === 1) return Float32Array.from(modes);

  const ramp = upsamplingRamp(windowSize, upsampling);
  const start = (windowSize - size) / 2;
  const padded = new Float32Array(count * windowSize * windowSize * 2);
  for (let mode = 0; mode < count; mode += 1) {
    for (let row = 0; row < size; row += 1) {
      for (let col = 0; col < size; col += 1) {
        const source = 2 * ((mode * size + row) * size + col);
        const pixel = (row + start) * windowSize + col + start;
        const target = 2 * (mode * windowSize * windowSize + pixel);
        const [re, im] = [modes[source], modes[source + 1]];
        const [rampRe, rampIm] = [ramp[2 * pixel], ramp[2 * pixel + 1]];
        padded[target] = re * rampRe - im * rampIm;
        padded[target + 1] = re * rampIm + im * rampRe;
      }
    }
  }
  return padded;
}

/**
 * Returns the central N×N part of one probe [M, M, 2] with the ramp of {@link upsamplingRamp}
 * removed, N = M / U: the inverse of padProbeModes for one mode. The probe's tails outside the
 * central N×N are lost. It is for files whose probe must have the pattern size.
 */
export function cropProbeToPatternSize(probe: Float32Array, windowSize: number, patternSize: number): Float32Array {
  const upsampling = windowSize / patternSize;
  if (!Number.isInteger(upsampling) || probe.length !== windowSize * windowSize * 2) {
    throw new Error(
      `cropProbeToPatternSize: expected a ${windowSize}×${windowSize} probe (${windowSize * windowSize * 2} values) ` +
        `whose size is a whole multiple of ${patternSize}, received ${probe.length} values.`,
    );
  }
  const ramp = upsamplingRamp(windowSize, upsampling);
  const start = (windowSize - patternSize) / 2;
  const cropped = new Float32Array(patternSize * patternSize * 2);
  for (let row = 0; row < patternSize; row += 1) {
    for (let col = 0; col < patternSize; col += 1) {
      const pixel = (row + start) * windowSize + col + start;
      const [re, im] = [probe[2 * pixel], probe[2 * pixel + 1]];
      const [rampRe, rampIm] = [ramp[2 * pixel], ramp[2 * pixel + 1]];
      const target = 2 * (row * patternSize + col);
      // Multiply by conj(ramp).
      cropped[target] = re * rampRe + im * rampIm;
      cropped[target + 1] = im * rampRe - re * rampIm;
    }
  }
  return cropped;
}

/**
 * Sums the U×U blocks of fine intensities [B, M, M] into measured pixels [B, N, N], N = M / U.
 * It runs as a U×U average pool times U², which is exact because U² is a power of two. On the cpu
 * backend this took about 20 ms for 32 × 256² values, and a reshape to [B, N, U, N, U] with a sum
 * over two inner axes about 300 ms (Node 20, 2 cores, one timing each).
 */
export function binIntensities(fine: tf.Tensor3D, upsampling: number): tf.Tensor3D {
  const [batch, windowSize] = fine.shape;
  const size = windowSize / upsampling;
  return tf.tidy(() => {
    const channels = tf.reshape(fine, [batch, windowSize, windowSize, 1]) as tf.Tensor4D;
    const means = tf.avgPool(channels, upsampling, upsampling, 'valid');
    return tf.reshape(tf.mul(means, upsampling * upsampling), [batch, size, size]) as tf.Tensor3D;
  });
}

/**
 * Repeats every measured-pixel value [B, N, N, C] over its U×U block of fine samples, [B, M, M, C].
 * A nearest-neighbour resize by an integer factor does exactly that: output index i reads input
 * floor(i / U). On the cpu backend it took about 27 ms for 32 × 256² values, and broadcasting a
 * [B, N, 1, N, 1] reshape about 260 ms (as measured for binIntensities).
 */
export function spreadToFineGrid(values: tf.Tensor4D, upsampling: number): tf.Tensor4D {
  const size = values.shape[1];
  return tf.image.resizeNearestNeighbor(values, [size * upsampling, size * upsampling], false, false);
}

/**
 * Returns the problems with a far-field upsampling factor for patterns of `patternSize`, each a
 * sentence that names the value and the rule.
 */
export function validateFarFieldUpsampling(upsampling: number, patternSize?: number): string[] {
  if (!(FAR_FIELD_UPSAMPLING_FACTORS as readonly number[]).includes(upsampling)) {
    return [`Far-field upsampling must be 1 (off) or 2, received ${String(upsampling)}.`];
  }
  if (patternSize !== undefined && upsampling * patternSize > MAX_WINDOW_SIZE_PX) {
    return [
      `Far-field upsampling ${upsampling} on ${patternSize}×${patternSize} patterns needs a ` +
        `${upsampling * patternSize}×${upsampling * patternSize} window, but the FFT takes at most ` +
        `${MAX_WINDOW_SIZE_PX}×${MAX_WINDOW_SIZE_PX}. Set far-field upsampling to 1.`,
    ];
  }
  return [];
}
