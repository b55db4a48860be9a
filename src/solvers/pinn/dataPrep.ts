/**
 * Turns a ScanDataset into the arrays that PtychoPINN trains on: centred (fftshifted) counts and
 * normalised amplitudes, a probe in network units and scan positions on the network's pixel grid.
 *
 * Cropping: keeping the central n × n of N × N patterns keeps the low spatial frequencies only, so
 * the real-space pixel becomes N/n times larger while the n-pixel window still spans the same
 * field of view. The probe is resampled the same way: FFT_N(P), keep the central n × n frequencies,
 * then the inverse FFT_n (both unitary). That is band-limited downsampling, and it keeps the probe
 * consistent with the cropped data. Scan positions are divided by N/n to land on the coarser grid.
 */
import * as tf from '@tensorflow/tfjs';

import type { ScanDataset } from '../../data/dataset';
import { fft2 } from '../../engine/ops';
import { defaultProbe, scaleProbeToPhotons } from '../pie/probeScale';
import { computeNormalization, normalizedAmplitudes, type PinnNormalization } from './normalization';

export interface PinnDataOptions {
  /**
   * Side n of the patterns the network takes. Smaller than the dataset's N, it keeps the central
   * n × n of each pattern (see the file header). Defaults to N; must be a power of two.
   */
  patternSize?: number;
  /**
   * Object amplitude that reproduces the mean count with the scaled probe; defaults to
   * {@link DEFAULT_OBJECT_AMPLITUDE}. Amplitudes come out relative to this choice.
   */
  objectAmplitude?: number;
}

/**
 * The probe is scaled so that a uniform object of this amplitude reproduces the mean count per
 * pattern. The amplitude decoder ends in a sigmoid, so 0.5 leaves room on both sides, whereas a
 * unit object would push the sigmoid into saturation, where its gradient vanishes.
 */
export const DEFAULT_OBJECT_AMPLITUDE = 0.5;

/** The arrays of one scan in the form the trainer and the stitcher read. */
export interface PinnTrainingData {
  patternCount: number;
  /** Side n of each pattern and of the probe, in pixels. */
  patternSize: number;
  /** Photon counts [M, n, n], zero frequency at [n/2, n/2]. */
  counts: Float32Array;
  /** Network inputs √counts / s [M, n, n], zero frequency at [n/2, n/2]. */
  amplitudes: Float32Array;
  /** Probe [n, n, 2] interleaved complex in network units, scaled so that Σ|P|² = (n/2)² / objectAmplitude². */
  probe: Float32Array;
  /** Row of each window's top-left corner [M], in network object pixels. */
  positionY_px: Float32Array;
  /** Column of each window's top-left corner [M], in network object pixels. */
  positionX_px: Float32Array;
  /** Network object pixel size over the dataset's object pixel size: N/n, 1 without a crop. */
  pixelSizeRatio: number;
  normalization: PinnNormalization;
}

function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value >= 2 && (value & (value - 1)) === 0;
}

/**
 * Returns the central `cropSize` × `cropSize` of each centred pattern of `counts` [M, N, N], whose
 * zero frequency is at [0, 0]. The result has its zero frequency at [cropSize/2, cropSize/2].
 */
export function centreAndCropPatterns(
  counts: Float32Array,
  patternCount: number,
  patternSize: number,
  cropSize: number,
): Float32Array {
  const half = patternSize / 2;
  const border = (patternSize - cropSize) / 2;
  const result = new Float32Array(patternCount * cropSize * cropSize);
  for (let pattern = 0; pattern < patternCount; pattern += 1) {
    const source = pattern * patternSize * patternSize;
    const target = pattern * cropSize * cropSize;
    for (let row = 0; row < cropSize; row += 1) {
      const sourceRow = (row + border + half) % patternSize;
      for (let col = 0; col < cropSize; col += 1) {
        const sourceCol = (col + border + half) % patternSize;
        result[target + row * cropSize + col] = counts[source + sourceRow * patternSize + sourceCol];
      }
    }
  }
  return result;
}

/**
 * Resamples a probe [N, N, 2] to [n, n, 2] by keeping its central n × n spatial frequencies
 * (unitary FFTs, so Σ|P|² changes only by the power outside those frequencies).
 */
export async function fourierCropProbe(probe: Float32Array, patternSize: number, cropSize: number): Promise<Float32Array> {
  if (cropSize === patternSize) return probe.slice();
  const cropped = tf.tidy(() => {
    const spectrum = fft2(tf.tensor4d(probe, [1, patternSize, patternSize, 2]), 'forward');
    const half = cropSize / 2;
    // The kept frequencies are −n/2 … n/2 − 1 on each axis. In the unshifted layout they are the
    // four corners, which concatenate into an n × n spectrum that is again unshifted.
    const rows = tf.concat(
      [tf.slice(spectrum, [0, 0, 0, 0], [1, half, -1, 2]), tf.slice(spectrum, [0, patternSize - half, 0, 0], [1, half, -1, 2])],
      1,
    );
    const corners = tf.concat(
      [tf.slice(rows, [0, 0, 0, 0], [1, -1, half, 2]), tf.slice(rows, [0, 0, patternSize - half, 0], [1, -1, half, 2])],
      2,
    );
    return fft2(corners as tf.Tensor4D, 'inverse');
  });
  const values = (await cropped.data()) as Float32Array;
  cropped.dispose();
  return values;
}

/** Builds the training arrays of `dataset`. Runs the probe resampling on the active backend. */
export async function preparePinnData(dataset: ScanDataset, options: PinnDataOptions = {}): Promise<PinnTrainingData> {
  const sourceSize = dataset.patternSize;
  const patternSize = options.patternSize ?? sourceSize;
  if (!isPowerOfTwo(patternSize) || patternSize > sourceSize) {
    throw new Error(
      `preparePinnData: patternSize must be a power of two no larger than the dataset's ${sourceSize}, ` +
        `received ${patternSize}. Use 64 for 128 × 128 patterns.`,
    );
  }
  const { patternCount } = dataset;
  if (dataset.intensities.length !== patternCount * sourceSize * sourceSize) {
    throw new Error(
      `preparePinnData: the dataset declares ${patternCount} patterns of ${sourceSize}×${sourceSize} ` +
        `but holds ${dataset.intensities.length} intensity values.`,
    );
  }

  const counts = centreAndCropPatterns(dataset.intensities, patternCount, sourceSize, patternSize);
  const normalization = computeNormalization(counts, patternCount, patternSize, sourceSize);
  const amplitudes = normalizedAmplitudes(counts, normalization);

  const sourceProbe = dataset.probe ?? defaultProbe(sourceSize);
  const resampledProbe = await fourierCropProbe(sourceProbe, sourceSize, patternSize);
  // On the photon scale, Σ|P|² equals the mean count per pattern divided by the assumed object
  // intensity; dividing by s gives network units.
  const objectAmplitude = options.objectAmplitude ?? DEFAULT_OBJECT_AMPLITUDE;
  if (!(objectAmplitude > 0 && objectAmplitude < 1)) {
    throw new Error(`preparePinnData: objectAmplitude must lie in (0, 1), received ${objectAmplitude}.`);
  }
  const photonProbe = scaleProbeToPhotons(resampledProbe, counts, patternCount);
  const probeFactor = normalization.amplitudeScale / objectAmplitude;
  const probe = photonProbe.map((value) => value * probeFactor);

  const pixelSizeRatio = sourceSize / patternSize;
  return {
    patternCount,
    patternSize,
    counts,
    amplitudes,
    probe,
    positionY_px: dataset.positionY_px.map((value) => value / pixelSizeRatio),
    positionX_px: dataset.positionX_px.map((value) => value / pixelSizeRatio),
    pixelSizeRatio,
    normalization,
  };
}
