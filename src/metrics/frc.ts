/**
 * Fourier ring correlation between two aligned images, with the ½-bit threshold of M. van Heel and
 * M. Schatz, "Fourier shell correlation threshold criteria", J. Struct. Biol. 151, 250 (2005).
 *
 * For ring i of spatial frequencies,
 *   FRC_i = Re Σ_{q∈i} A(q)·conj(B(q)) / √(Σ_{q∈i} |A(q)|² · Σ_{q∈i} |B(q)|²).
 * The real part is used so that the correlation of noise has zero mean. It also makes a residual
 * phase offset between the images lower the FRC instead of being hidden.
 */
import { fft2d, signedFrequencyIndex } from './fft';
import { splitPhaseAndAmplitude } from './phase';
import { checkComplexImage, checkMask, checkSameShape, type ComplexImage } from './types';

/** The quantity whose spectra are correlated. */
export type FrcQuantity = 'complex' | 'phase' | 'amplitude';

/** Edge taper applied before the FFT, so the image borders add no spurious high frequencies. */
export type ApodizationWindow = 'tukey' | 'hann' | 'none';

export interface FrcOptions {
  /** Pixels to include, one value per pixel, nonzero inside; others are set to 0. Default: every pixel. */
  mask?: Uint8Array;
  /** Default 'complex'. */
  quantity?: FrcQuantity;
  /** Default 'tukey'. */
  window?: ApodizationWindow;
  /** Fraction of each side that the Tukey window tapers, in [0, 1]. Default 0.25. */
  tukeyAlpha?: number;
}

/**
 * Relation of the FRC to the ½-bit threshold, judged on the rings with a finite FRC from ring 1 on:
 * - 'crossing': above at the first ring and below at a later one;
 * - 'above-at-all-rings': never below, so the resolution is finer than the images can show;
 * - 'below-at-all-rings': never above, so no resolution can be read off;
 * - 'below-at-first-ring': below at the first ring and above at some later one, which has no
 *   reliable crossing either;
 * - 'no-data': no ring has a finite FRC.
 */
export type FrcThresholdOutcome = 'crossing' | 'above-at-all-rings' | 'below-at-all-rings' | 'below-at-first-ring' | 'no-data';

/** The first frequency at which the FRC falls below the ½-bit threshold. */
export interface FrcCrossing {
  /** Interpolated linearly between the last ring above and the first ring below the threshold. */
  frequency_cyclesPerPx: number;
  /** Full period at the crossing, 1/frequency. */
  resolution_px: number;
}

export interface FrcResult {
  quantity: FrcQuantity;
  /** Nominal frequency of ring i, i/min(height, width). */
  frequencies_cyclesPerPx: Float64Array;
  /** FRC per ring; NaN for ring 0 (the removed mean) and where either image has no power in the ring. */
  correlation: Float64Array;
  /** ½-bit threshold per ring. */
  threshold: Float64Array;
  /** Number of Fourier pixels in each ring. */
  ringPixelCounts: Int32Array;
  /** Null unless `outcome` is 'crossing'. */
  crossing: FrcCrossing | null;
  outcome: FrcThresholdOutcome;
}

/**
 * Computes the FRC of two images of the same shape. Each image, as the chosen quantity, has its mean
 * over the mask removed, is set to 0 outside the mask and is multiplied by the window before the FFT.
 * Ring i contains the frequencies f = √((q_y/H)² + (q_x/W)²) with ⌊f·min(H, W) + ½⌋ = i, for
 * i = 0 … ⌊min(H, W)/2⌋, so the rings reach the Nyquist frequency ½ along the shorter side, and
 * the corners beyond it are left out.
 */
export function fourierRingCorrelation(first: ComplexImage, second: ComplexImage, options: FrcOptions = {}): FrcResult {
  checkComplexImage(first, 'fourierRingCorrelation first image');
  checkComplexImage(second, 'fourierRingCorrelation second image');
  checkSameShape(first, second, 'fourierRingCorrelation');
  const { height, width } = first;
  const { mask, quantity = 'complex', window = 'tukey', tukeyAlpha = 0.25 } = options;
  checkMask(mask, height, width, 'fourierRingCorrelation');
  if (Math.min(height, width) < 4) {
    throw new Error(`fourierRingCorrelation: images need at least 4 pixels per side, received ${height}×${width}.`);
  }
  if (!(tukeyAlpha >= 0 && tukeyAlpha <= 1)) {
    throw new Error(`fourierRingCorrelation: tukeyAlpha must lie in [0, 1], received ${tukeyAlpha}.`);
  }

  const values = quantityValues(first, second, quantity, mask);
  const rowWindow = windowValues(height, window, tukeyAlpha);
  const columnWindow = windowValues(width, window, tukeyAlpha);
  const a = taper(values.first, mask, rowWindow, columnWindow);
  const b = taper(values.second, mask, rowWindow, columnWindow);
  fft2d(a.re, a.im, height, width, false);
  fft2d(b.re, b.im, height, width, false);

  const minSide = Math.min(height, width);
  const ringCount = Math.floor(minSide / 2) + 1;
  const cross = new Float64Array(ringCount);
  const powerA = new Float64Array(ringCount);
  const powerB = new Float64Array(ringCount);
  const ringPixelCounts = new Int32Array(ringCount);
  for (let qy = 0; qy < height; qy += 1) {
    const fy = signedFrequencyIndex(qy, height) / height;
    for (let qx = 0; qx < width; qx += 1) {
      const fx = signedFrequencyIndex(qx, width) / width;
      const ring = Math.floor(Math.sqrt(fy * fy + fx * fx) * minSide + 0.5);
      if (ring >= ringCount) continue;
      const i = qy * width + qx;
      cross[ring] += a.re[i] * b.re[i] + a.im[i] * b.im[i];
      powerA[ring] += a.re[i] * a.re[i] + a.im[i] * a.im[i];
      powerB[ring] += b.re[i] * b.re[i] + b.im[i] * b.im[i];
      ringPixelCounts[ring] += 1;
    }
  }

  const frequencies_cyclesPerPx = new Float64Array(ringCount);
  const correlation = new Float64Array(ringCount);
  const threshold = new Float64Array(ringCount);
  for (let ring = 0; ring < ringCount; ring += 1) {
    frequencies_cyclesPerPx[ring] = ring / minSide;
    const denominator = Math.sqrt(powerA[ring] * powerB[ring]);
    // Ring 0 holds only the zero frequency, which the mean removal empties up to rounding and the
    // window's own spectrum, so its ratio would be noise.
    correlation[ring] = ring > 0 && denominator > 0 ? cross[ring] / denominator : Number.NaN;
    threshold[ring] = halfBitThreshold(ringPixelCounts[ring]);
  }

  return {
    quantity,
    frequencies_cyclesPerPx,
    correlation,
    threshold,
    ringPixelCounts,
    crossing: findThresholdCrossing(frequencies_cyclesPerPx, correlation, threshold),
    outcome: classifyThresholdOutcome(correlation, threshold),
  };
}

/**
 * Returns the ½-bit threshold for a ring of n Fourier pixels,
 * (0.2071 + 1.9102/√n) / (1.2071 + 0.9102/√n): the FRC expected when the signal-to-noise ratio
 * is (√2 − 1)/2 = 0.2071 plus a margin for the correlation of noise over n pixels. It is 1 for
 * n = 1 and tends to 0.1716 for large n.
 */
export function halfBitThreshold(n: number): number {
  const root = Math.sqrt(n);
  return (0.2071 + 1.9102 / root) / (1.2071 + 0.9102 / root);
}

/**
 * Returns where the FRC first drops below the threshold, from ring 1 on (ring 0 is the mean,
 * removed before the transform). Rings with NaN correlation are skipped. Returns null when the FRC
 * never drops below, and also when the first finite ring is already below, because a curve that
 * starts below the threshold has no crossing to read a resolution from.
 */
export function findThresholdCrossing(
  frequencies_cyclesPerPx: ArrayLike<number>,
  correlation: ArrayLike<number>,
  threshold: ArrayLike<number>,
): FrcCrossing | null {
  let previous = -1;
  for (let ring = 1; ring < correlation.length; ring += 1) {
    const margin = correlation[ring] - threshold[ring];
    if (Number.isNaN(margin)) continue;
    if (margin < 0) {
      if (previous < 1) return null;
      const previousMargin = correlation[previous] - threshold[previous];
      const previousFrequency = frequencies_cyclesPerPx[previous];
      const frequency =
        previousFrequency + ((frequencies_cyclesPerPx[ring] - previousFrequency) * previousMargin) / (previousMargin - margin);
      return { frequency_cyclesPerPx: frequency, resolution_px: 1 / frequency };
    }
    previous = ring;
  }
  return null;
}

/** Classifies the FRC against the threshold over the finite rings from ring 1 on; see {@link FrcThresholdOutcome}. */
export function classifyThresholdOutcome(correlation: ArrayLike<number>, threshold: ArrayLike<number>): FrcThresholdOutcome {
  let firstBelow: boolean | null = null;
  let anyAbove = false;
  let anyBelow = false;
  for (let ring = 1; ring < correlation.length; ring += 1) {
    const margin = correlation[ring] - threshold[ring];
    if (Number.isNaN(margin)) continue;
    const below = margin < 0;
    if (firstBelow === null) firstBelow = below;
    if (below) anyBelow = true;
    else anyAbove = true;
  }
  if (firstBelow === null) return 'no-data';
  if (firstBelow) return anyAbove ? 'below-at-first-ring' : 'below-at-all-rings';
  return anyBelow ? 'crossing' : 'above-at-all-rings';
}

/** Returns the symmetric window of length n: Tukey with the given taper fraction, Hann, or all ones. */
export function windowValues(n: number, window: ApodizationWindow, tukeyAlpha: number): Float64Array {
  const values = new Float64Array(n).fill(1);
  if (window === 'none' || n === 1) return values;
  const alpha = window === 'hann' ? 1 : tukeyAlpha;
  if (alpha === 0) return values;
  for (let k = 0; k < n; k += 1) {
    const x = k / (n - 1);
    if (x < alpha / 2) values[k] = 0.5 * (1 - Math.cos((2 * Math.PI * x) / alpha));
    else if (x > 1 - alpha / 2) values[k] = 0.5 * (1 - Math.cos((2 * Math.PI * (1 - x)) / alpha));
  }
  return values;
}

/** Converts both images to split complex arrays of the chosen quantity, with a zero imaginary part for real quantities. */
function quantityValues(
  first: ComplexImage,
  second: ComplexImage,
  quantity: FrcQuantity,
  mask: Uint8Array | undefined,
): { first: { re: Float64Array; im: Float64Array }; second: { re: Float64Array; im: Float64Array } } {
  const pixels = first.height * first.width;
  if (quantity === 'complex') {
    const split = (image: ComplexImage) => {
      const re = new Float64Array(pixels);
      const im = new Float64Array(pixels);
      for (let i = 0; i < pixels; i += 1) {
        re[i] = image.data[2 * i];
        im[i] = image.data[2 * i + 1];
      }
      return { re, im };
    };
    return { first: split(first), second: split(second) };
  }
  const maps = splitPhaseAndAmplitude(first, second, mask);
  if (quantity === 'phase') {
    return {
      first: { re: maps.referencePhase_rad, im: new Float64Array(pixels) },
      second: { re: maps.estimatePhase_rad, im: new Float64Array(pixels) },
    };
  }
  return {
    first: { re: maps.referenceAmplitude, im: new Float64Array(pixels) },
    second: { re: maps.estimateAmplitude, im: new Float64Array(pixels) },
  };
}

/** Returns (values − mean over the mask)·mask·window, as new arrays. */
function taper(
  values: { re: Float64Array; im: Float64Array },
  mask: Uint8Array | undefined,
  rowWindow: Float64Array,
  columnWindow: Float64Array,
): { re: Float64Array; im: Float64Array } {
  const height = rowWindow.length;
  const width = columnWindow.length;
  let sumRe = 0;
  let sumIm = 0;
  let count = 0;
  for (let i = 0; i < height * width; i += 1) {
    if (mask === undefined || mask[i]) {
      sumRe += values.re[i];
      sumIm += values.im[i];
      count += 1;
    }
  }
  if (count === 0) throw new Error('fourierRingCorrelation: the mask selects no pixel.');
  const meanRe = sumRe / count;
  const meanIm = sumIm / count;
  const re = new Float64Array(height * width);
  const im = new Float64Array(height * width);
  for (let row = 0; row < height; row += 1) {
    for (let column = 0; column < width; column += 1) {
      const i = row * width + column;
      if (mask !== undefined && !mask[i]) continue;
      const weight = rowWindow[row] * columnWindow[column];
      re[i] = (values.re[i] - meanRe) * weight;
      im[i] = (values.im[i] - meanIm) * weight;
    }
  }
  return { re, im };
}
