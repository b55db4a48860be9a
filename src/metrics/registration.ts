/**
 * Sub-pixel image registration by upsampled cross-correlation, after M. Guizar-Sicairos,
 * S. T. Thurman and J. R. Fienup, "Efficient subpixel image registration algorithms",
 * Opt. Lett. 33, 156 (2008), and the Fourier shift that applies the result.
 *
 * The cross-correlation c(p) = Σ_r a(r)·conj(b(r − p)) is largest at the shift p that moves b onto
 * a. Its integer peak comes from one inverse FFT of A·conj(B). The peak is then refined on a grid
 * of 1/upsampleFactor pixel over ±0.75 pixel around it, by evaluating the inverse DFT of A·conj(B)
 * only at those points as two small matrix products, so no large zero-padded FFT is needed.
 *
 * Within a region, both images are weighted by the region's mask with a soft edge w, the
 * estimate's mask moving with it, and the score is the masked normalised cross-correlation of
 * D. Padfield, "Masked object registration in the Fourier domain", IEEE Transactions on Image
 * Processing (2012), doi:10.1109/TIP.2011.2181402. Over the overlap of the two masks, each image
 * loses its own weighted mean and the product is divided by both weighted variances. Every sum is a correlation, so six spectra give
 * the score at all shifts. Shifts whose overlap is under half the largest are skipped, because a
 * small overlap can correlate well by chance.
 *
 * A plain correlation of the masked reference with the whole estimate grows where the estimate
 * has more power under the shifted mask: a reconstruction compared with itself came out
 * (−0.35, 0.10) px off that way. In NumPy trials (96×80 images, random shifts within
 * ±2 px, noise or a flat border outside an elliptical region, with and without a phase ramp) the
 * masked score stayed within 0.045 px and found the identity exactly.
 */
import { fft2d, signedFrequencyIndex } from './fft';
import { checkComplexImage, checkMask, checkSameShape, type ComplexImage } from './types';

/** The quantity that registration correlates. */
export type RegistrationQuantity = 'complex' | 'amplitude';

export interface RegistrationOptions {
  /**
   * Pixels to correlate, one value per pixel, nonzero inside. Both images are weighted by the mask
   * with a soft edge ({@link softMaskWeights}), the estimate's mask moving with the shift tried.
   * Default: every pixel, with the images taken as periodic.
   */
  mask?: Uint8Array;
  /** Refinement steps per pixel; 1 returns the integer peak. Default 20, so a 0.05 px grid. */
  upsampleFactor?: number;
  /**
   * 'complex' correlates the complex fields; 'amplitude' correlates their moduli, which a phase
   * ramp between the images cannot disturb but which carries no signal for a pure phase object.
   * Default 'complex'.
   */
  quantity?: RegistrationQuantity;
}

/** The translation that moves the estimate onto the reference: aligned(y, x) = estimate(y − rows, x − columns). */
export interface Registration {
  shiftRows_px: number;
  shiftColumns_px: number;
}

/**
 * Returns the translation, to 1/upsampleFactor pixel, that best aligns `estimate` with `reference`.
 * Both images have their mean over the mask removed first.
 */
export function registerImages(
  reference: ComplexImage,
  estimate: ComplexImage,
  options: RegistrationOptions = {},
): Registration {
  checkComplexImage(reference, 'registerImages reference');
  checkComplexImage(estimate, 'registerImages estimate');
  checkSameShape(reference, estimate, 'registerImages');
  const { height, width } = reference;
  const { mask, upsampleFactor = 20, quantity = 'complex' } = options;
  checkMask(mask, height, width, 'registerImages');
  if (!Number.isInteger(upsampleFactor) || upsampleFactor < 1) {
    throw new Error(`registerImages: upsampleFactor must be a positive integer, received ${upsampleFactor}.`);
  }

  if (mask !== undefined) {
    return registerMasked(reference, estimate, mask, quantity, upsampleFactor);
  }
  const a = prepareForCorrelation(reference, mask, quantity);
  const b = prepareForCorrelation(estimate, mask, quantity);
  fft2d(a.re, a.im, height, width, false);
  fft2d(b.re, b.im, height, width, false);
  const cross = crossSpectrum(a, b);
  const correlation = inverseFft(cross, height, width);
  return locatePeak(
    height,
    width,
    upsampleFactor,
    (i) => correlation.re[i] * correlation.re[i] + correlation.im[i] * correlation.im[i],
    (shifts) => {
      const upsampled = inverseDftAt(cross, height, width, shifts.rows, shifts.columns);
      return (i) => upsampled.re[i] * upsampled.re[i] + upsampled.im[i] * upsampled.im[i];
    },
  );
}

interface SplitComplex {
  re: Float64Array;
  im: Float64Array;
}

/** The six correlations, as spectra, that give the masked normalised cross-correlation. */
interface MaskedSpectra {
  /** Σ w(r)·w(r − p), the overlap of the two masks. */
  overlap: SplitComplex;
  /** Σ w(r)·w(r − p)·a(r). */
  referenceSum: SplitComplex;
  /** Σ w(r)·w(r − p)·conj(b(r − p)). */
  estimateSumConjugate: SplitComplex;
  /** Σ w(r)·w(r − p)·|a(r)|². */
  referencePower: SplitComplex;
  /** Σ w(r)·w(r − p)·|b(r − p)|². */
  estimatePower: SplitComplex;
  /** Σ w(r)·w(r − p)·a(r)·conj(b(r − p)). */
  product: SplitComplex;
}

/** Fraction of the largest mask overlap below which a shift is not considered. */
const MIN_OVERLAP_FRACTION = 0.5;

/** Smallest variance product divided by, so that a flat overlap scores 0 rather than NaN. */
const MIN_VARIANCE_PRODUCT = 1e-300;

/** Registers within a region by the masked normalised cross-correlation (see the file's comment). */
function registerMasked(
  reference: ComplexImage,
  estimate: ComplexImage,
  mask: Uint8Array,
  quantity: RegistrationQuantity,
  upsampleFactor: number,
): Registration {
  const { height, width } = reference;
  const pixels = height * width;
  const weights = softMaskWeights(mask, height, width);
  const a = prepareForCorrelation(reference, mask, quantity);
  const b = prepareForCorrelation(estimate, mask, quantity);

  const transform = (re: Float64Array, im: Float64Array): SplitComplex => {
    fft2d(re, im, height, width, false);
    return { re, im };
  };
  const weighted = (values: (i: number) => [number, number]): SplitComplex => {
    const re = new Float64Array(pixels);
    const im = new Float64Array(pixels);
    for (let i = 0; i < pixels; i += 1) {
      const [valueRe, valueIm] = values(i);
      re[i] = weights[i] * valueRe;
      im[i] = weights[i] * valueIm;
    }
    return transform(re, im);
  };
  const weightSpectrum = weighted(() => [1, 0]);
  const referenceSpectrum = weighted((i) => [a.re[i], a.im[i]]);
  const referencePowerSpectrum = weighted((i) => [a.re[i] * a.re[i] + a.im[i] * a.im[i], 0]);
  const estimateSpectrum = weighted((i) => [b.re[i], b.im[i]]);
  const estimatePowerSpectrum = weighted((i) => [b.re[i] * b.re[i] + b.im[i] * b.im[i], 0]);

  const spectra: MaskedSpectra = {
    overlap: crossSpectrum(weightSpectrum, weightSpectrum),
    referenceSum: crossSpectrum(referenceSpectrum, weightSpectrum),
    estimateSumConjugate: crossSpectrum(weightSpectrum, estimateSpectrum),
    referencePower: crossSpectrum(referencePowerSpectrum, weightSpectrum),
    estimatePower: crossSpectrum(weightSpectrum, estimatePowerSpectrum),
    product: crossSpectrum(referenceSpectrum, estimateSpectrum),
  };

  const atAllShifts = mapSpectra(spectra, (spectrum) => inverseFft(spectrum, height, width));
  let largestOverlap = 0;
  for (let i = 0; i < pixels; i += 1) largestOverlap = Math.max(largestOverlap, atAllShifts.overlap.re[i]);
  const minOverlap = MIN_OVERLAP_FRACTION * largestOverlap;

  return locatePeak(
    height,
    width,
    upsampleFactor,
    (i) => maskedScore(atAllShifts, i, minOverlap),
    (shifts) => {
      const onGrid = mapSpectra(spectra, (spectrum) => inverseDftAt(spectrum, height, width, shifts.rows, shifts.columns));
      return (i) => maskedScore(onGrid, i, minOverlap);
    },
  );
}

function mapSpectra(spectra: MaskedSpectra, map: (spectrum: SplitComplex) => SplitComplex): MaskedSpectra {
  return {
    overlap: map(spectra.overlap),
    referenceSum: map(spectra.referenceSum),
    estimateSumConjugate: map(spectra.estimateSumConjugate),
    referencePower: map(spectra.referencePower),
    estimatePower: map(spectra.estimatePower),
    product: map(spectra.product),
  };
}

/**
 * Returns |NCC|² at shift index i: the weighted covariance of the two images over the masks'
 * overlap, squared, divided by the product of their weighted variances there. Zero where the
 * overlap is under `minOverlap`.
 */
function maskedScore(sums: MaskedSpectra, i: number, minOverlap: number): number {
  const overlap = sums.overlap.re[i];
  if (overlap < minOverlap || overlap <= 0) return 0;
  const aRe = sums.referenceSum.re[i];
  const aIm = sums.referenceSum.im[i];
  const bConjRe = sums.estimateSumConjugate.re[i];
  const bConjIm = sums.estimateSumConjugate.im[i];
  // Covariance: Σ w w' a b* − (Σ w w' a)(Σ w w' b*)/overlap.
  const covarianceRe = sums.product.re[i] - (aRe * bConjRe - aIm * bConjIm) / overlap;
  const covarianceIm = sums.product.im[i] - (aRe * bConjIm + aIm * bConjRe) / overlap;
  const referenceVariance = sums.referencePower.re[i] - (aRe * aRe + aIm * aIm) / overlap;
  const estimateVariance = sums.estimatePower.re[i] - (bConjRe * bConjRe + bConjIm * bConjIm) / overlap;
  const variances = Math.max(referenceVariance * estimateVariance, MIN_VARIANCE_PRODUCT);
  return (covarianceRe * covarianceRe + covarianceIm * covarianceIm) / variances;
}

/** Returns X = A·conj(B). */
function crossSpectrum(a: SplitComplex, b: SplitComplex): SplitComplex {
  const re = new Float64Array(a.re.length);
  const im = new Float64Array(a.re.length);
  for (let i = 0; i < a.re.length; i += 1) {
    re[i] = a.re[i] * b.re[i] + a.im[i] * b.im[i];
    im[i] = a.im[i] * b.re[i] - a.re[i] * b.im[i];
  }
  return { re, im };
}

/** Returns the inverse FFT of a spectrum, leaving the spectrum as it was. */
function inverseFft(spectrum: SplitComplex, height: number, width: number): SplitComplex {
  const result = { re: Float64Array.from(spectrum.re), im: Float64Array.from(spectrum.im) };
  fft2d(result.re, result.im, height, width, true);
  return result;
}

/** Returns the image's values as split float64 arrays with the mean over the mask removed. */
function prepareForCorrelation(image: ComplexImage, mask: Uint8Array | undefined, quantity: RegistrationQuantity): SplitComplex {
  const pixels = image.height * image.width;
  const re = new Float64Array(pixels);
  const im = new Float64Array(pixels);
  let sumRe = 0;
  let sumIm = 0;
  let count = 0;
  for (let i = 0; i < pixels; i += 1) {
    if (quantity === 'amplitude') {
      re[i] = Math.hypot(image.data[2 * i], image.data[2 * i + 1]);
    } else {
      re[i] = image.data[2 * i];
      im[i] = image.data[2 * i + 1];
    }
    if (mask === undefined || mask[i]) {
      sumRe += re[i];
      sumIm += im[i];
      count += 1;
    }
  }
  if (count === 0) throw new Error('registerImages: the mask selects no pixel.');
  const meanRe = sumRe / count;
  const meanIm = sumIm / count;
  for (let i = 0; i < pixels; i += 1) {
    re[i] -= meanRe;
    im[i] -= meanIm;
  }
  return { re, im };
}

/** Standard deviation of the Gaussian that softens the reference's mask edge, in pixels. */
const MASK_EDGE_SIGMA_PX = 3;

/**
 * Returns mask·clamp(2·(g ∗ mask) − 1, 0, 1), with g a Gaussian of σ = MASK_EDGE_SIGMA_PX and zeros
 * assumed beyond the image. The weight is 0 on and outside a straight mask edge and rises to 1
 * about 2σ inside it. When the region is too thin for any weight to remain, returns the mask.
 */
export function softMaskWeights(mask: Uint8Array, height: number, width: number): Float64Array {
  const radius = Math.ceil(3 * MASK_EDGE_SIGMA_PX);
  const kernel = new Float64Array(2 * radius + 1);
  let kernelSum = 0;
  for (let k = -radius; k <= radius; k += 1) {
    kernel[k + radius] = Math.exp(-(k * k) / (2 * MASK_EDGE_SIGMA_PX ** 2));
    kernelSum += kernel[k + radius];
  }
  for (let k = 0; k < kernel.length; k += 1) kernel[k] /= kernelSum;

  const blurredRows = new Float64Array(height * width);
  for (let row = 0; row < height; row += 1) {
    for (let column = 0; column < width; column += 1) {
      let sum = 0;
      for (let k = -radius; k <= radius; k += 1) {
        const c = column + k;
        if (c >= 0 && c < width && mask[row * width + c]) sum += kernel[k + radius];
      }
      blurredRows[row * width + column] = sum;
    }
  }
  const weights = new Float64Array(height * width);
  let total = 0;
  for (let row = 0; row < height; row += 1) {
    for (let column = 0; column < width; column += 1) {
      const i = row * width + column;
      if (!mask[i]) continue;
      let blurred = 0;
      for (let k = -radius; k <= radius; k += 1) {
        const r = row + k;
        if (r >= 0 && r < height) blurred += kernel[k + radius] * blurredRows[r * width + column];
      }
      weights[i] = Math.min(1, Math.max(0, 2 * blurred - 1));
      total += weights[i];
    }
  }
  if (total > 0) return weights;
  return Float64Array.from(mask, (value) => (value ? 1 : 0));
}

/** Shifts spaced 1/upsampleFactor apart within ±0.75 px of the integer peak, per axis. */
function refinementGrid(coarseRows: number, coarseColumns: number, upsampleFactor: number): ShiftGrid {
  const halfSteps = Math.floor(Math.ceil(1.5 * upsampleFactor) / 2);
  const steps = 2 * halfSteps + 1;
  const rows = new Float64Array(steps);
  const columns = new Float64Array(steps);
  for (let k = 0; k < steps; k += 1) {
    rows[k] = coarseRows + (k - halfSteps) / upsampleFactor;
    columns[k] = coarseColumns + (k - halfSteps) / upsampleFactor;
  }
  return { rows, columns };
}

interface ShiftGrid {
  rows: Float64Array;
  columns: Float64Array;
}

/**
 * Finds the integer shift with the best `coarseScore`, one score per pixel in FFT order, then the
 * best of the scores that `gridScore` gives on the 1/upsampleFactor grid around it.
 */
function locatePeak(
  height: number,
  width: number,
  upsampleFactor: number,
  coarseScore: (i: number) => number,
  gridScore: (shifts: ShiftGrid) => (i: number) => number,
): Registration {
  const peak = argmax(height * width, coarseScore);
  const coarseRows = signedFrequencyIndex(Math.floor(peak / width), height);
  const coarseColumns = signedFrequencyIndex(peak % width, width);
  if (upsampleFactor === 1) return { shiftRows_px: coarseRows, shiftColumns_px: coarseColumns };

  const shifts = refinementGrid(coarseRows, coarseColumns, upsampleFactor);
  const columns = shifts.columns.length;
  const best = argmax(shifts.rows.length * columns, gridScore(shifts));
  return { shiftRows_px: shifts.rows[Math.floor(best / columns)], shiftColumns_px: shifts.columns[best % columns] };
}

/** Returns the index of the largest score. The first of equal maxima wins, as numpy.argmax. */
function argmax(count: number, score: (i: number) => number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < count; i += 1) {
    const value = score(i);
    if (value > bestScore) {
      bestScore = value;
      best = i;
    }
  }
  return best;
}

/**
 * Evaluates Σ_q X(q)·e^{2πi(q_y·s_y/H + q_x·s_x/W)} at every pair of `rowShifts` and
 * `columnShifts` as two small matrix products. Returns values indexed [row shift][column shift].
 */
function inverseDftAt(spectrum: SplitComplex, height: number, width: number, rowShifts: Float64Array, columnShifts: Float64Array): SplitComplex {
  const rows = rowShifts.length;
  const columns = columnShifts.length;
  // partial[q_y][b] = Σ_{q_x} X(q_y, q_x)·e^{2πi·q_x·s_x[b]/W}
  const partialRe = new Float64Array(height * columns);
  const partialIm = new Float64Array(height * columns);
  const kernelRe = new Float64Array(width * columns);
  const kernelIm = new Float64Array(width * columns);
  for (let qx = 0; qx < width; qx += 1) {
    const frequency = signedFrequencyIndex(qx, width) / width;
    for (let b = 0; b < columns; b += 1) {
      const angle = 2 * Math.PI * frequency * columnShifts[b];
      kernelRe[qx * columns + b] = Math.cos(angle);
      kernelIm[qx * columns + b] = Math.sin(angle);
    }
  }
  for (let qy = 0; qy < height; qy += 1) {
    for (let qx = 0; qx < width; qx += 1) {
      const xr = spectrum.re[qy * width + qx];
      const xi = spectrum.im[qy * width + qx];
      for (let b = 0; b < columns; b += 1) {
        const kr = kernelRe[qx * columns + b];
        const ki = kernelIm[qx * columns + b];
        partialRe[qy * columns + b] += xr * kr - xi * ki;
        partialIm[qy * columns + b] += xr * ki + xi * kr;
      }
    }
  }

  const re = new Float64Array(rows * columns);
  const im = new Float64Array(rows * columns);
  for (let a = 0; a < rows; a += 1) {
    for (let qy = 0; qy < height; qy += 1) {
      const angle = (2 * Math.PI * signedFrequencyIndex(qy, height) * rowShifts[a]) / height;
      const kr = Math.cos(angle);
      const ki = Math.sin(angle);
      for (let b = 0; b < columns; b += 1) {
        const pr = partialRe[qy * columns + b];
        const pi = partialIm[qy * columns + b];
        re[a * columns + b] += pr * kr - pi * ki;
        im[a * columns + b] += pr * ki + pi * kr;
      }
    }
  }
  return { re, im };
}

/**
 * Translates a complex image by a possibly fractional number of pixels with the Fourier shift
 * theorem: result(y, x) = image(y − shiftRows_px, x − shiftColumns_px), periodic at the edges.
 * Returns split float64 real and imaginary parts.
 */
export function fourierShift(
  image: ComplexImage,
  shiftRows_px: number,
  shiftColumns_px: number,
): { re: Float64Array; im: Float64Array } {
  const { height, width } = image;
  const pixels = height * width;
  const re = new Float64Array(pixels);
  const im = new Float64Array(pixels);
  for (let i = 0; i < pixels; i += 1) {
    re[i] = image.data[2 * i];
    im[i] = image.data[2 * i + 1];
  }
  if (shiftRows_px === 0 && shiftColumns_px === 0) return { re, im };

  fft2d(re, im, height, width, false);
  for (let qy = 0; qy < height; qy += 1) {
    const rowPhase = (signedFrequencyIndex(qy, height) * shiftRows_px) / height;
    for (let qx = 0; qx < width; qx += 1) {
      const angle = -2 * Math.PI * (rowPhase + (signedFrequencyIndex(qx, width) * shiftColumns_px) / width);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const i = qy * width + qx;
      const xr = re[i];
      const xi = im[i];
      re[i] = xr * c - xi * s;
      im[i] = xr * s + xi * c;
    }
  }
  fft2d(re, im, height, width, true);
  return { re, im };
}
