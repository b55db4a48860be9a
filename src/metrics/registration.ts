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
 * Within a region, only the reference is masked, and with a soft edge. Masking both images adds
 * the overlap of the two masks to c(p), which is largest at zero shift and pulls the peak towards
 * it. In ten NumPy trials (random shifts within ±2 px, noise-free 96×80 band-limited images, a
 * 76×64 rectangle) the error reached 0.09 px, against at most 0.025 px (half the grid step) for
 * the whole periodic image without a mask. A hard edge also gives full weight to content that the
 * shift moves across it.
 *
 * NOTE: |c(p)|² also grows where the estimate has more power under the shifted mask, so an object
 * whose power changes across the region's edge is registered off its true shift. A reconstruction
 * compared with itself came out (−0.35, 0.10) px off. Dividing by the estimate's power under the
 * shifted mask fixed that case but moved others by 0.1 to 0.3 px, so it was not adopted.
 */
import { fft2d, signedFrequencyIndex } from './fft';
import { checkComplexImage, checkMask, checkSameShape, type ComplexImage } from './types';

/** The quantity that registration correlates. */
export type RegistrationQuantity = 'complex' | 'amplitude';

export interface RegistrationOptions {
  /**
   * Pixels of the reference to correlate, one value per pixel, nonzero inside. The reference is
   * weighted by the mask with a soft edge ({@link softMaskWeights}); the estimate is used whole,
   * so pass images that extend a few pixels beyond the mask where the data allow. Default: every
   * pixel.
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

  const weights = mask === undefined ? null : softMaskWeights(mask, height, width);
  const a = prepareForCorrelation(reference, mask, quantity, weights);
  const b = prepareForCorrelation(estimate, mask, quantity, null);
  fft2d(a.re, a.im, height, width, false);
  fft2d(b.re, b.im, height, width, false);

  // Cross-power spectrum X = A·conj(B).
  const pixels = height * width;
  const crossRe = new Float64Array(pixels);
  const crossIm = new Float64Array(pixels);
  for (let i = 0; i < pixels; i += 1) {
    crossRe[i] = a.re[i] * b.re[i] + a.im[i] * b.im[i];
    crossIm[i] = a.im[i] * b.re[i] - a.re[i] * b.im[i];
  }

  const correlationRe = Float64Array.from(crossRe);
  const correlationIm = Float64Array.from(crossIm);
  fft2d(correlationRe, correlationIm, height, width, true);
  let peak = 0;
  let peakPower = -1;
  for (let i = 0; i < pixels; i += 1) {
    const power = correlationRe[i] * correlationRe[i] + correlationIm[i] * correlationIm[i];
    if (power > peakPower) {
      peakPower = power;
      peak = i;
    }
  }
  const coarseRows = signedFrequencyIndex(Math.floor(peak / width), height);
  const coarseColumns = signedFrequencyIndex(peak % width, width);
  if (upsampleFactor === 1) return { shiftRows_px: coarseRows, shiftColumns_px: coarseColumns };

  return refinePeak(crossRe, crossIm, height, width, coarseRows, coarseColumns, upsampleFactor);
}

/**
 * Returns the image's values as split float64 arrays with the mean over the mask removed, times
 * `weights` when given.
 */
function prepareForCorrelation(
  image: ComplexImage,
  mask: Uint8Array | undefined,
  quantity: RegistrationQuantity,
  weights: Float64Array | null,
): { re: Float64Array; im: Float64Array } {
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
    const weight = weights === null ? 1 : weights[i];
    re[i] = (re[i] - meanRe) * weight;
    im[i] = (im[i] - meanIm) * weight;
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

/**
 * Evaluates the cross-correlation Σ_q X(q)·e^{2πi(q_y·s_y/H + q_x·s_x/W)} at shifts s spaced
 * 1/upsampleFactor apart within ±0.75 px of the integer peak, and returns the shift of the largest
 * modulus. The first of equal maxima in row-major order wins, as numpy.argmax.
 */
function refinePeak(
  crossRe: Float64Array,
  crossIm: Float64Array,
  height: number,
  width: number,
  coarseRows: number,
  coarseColumns: number,
  upsampleFactor: number,
): Registration {
  const halfSteps = Math.floor(Math.ceil(1.5 * upsampleFactor) / 2);
  const steps = 2 * halfSteps + 1;
  const rowShifts = new Float64Array(steps);
  const columnShifts = new Float64Array(steps);
  for (let k = 0; k < steps; k += 1) {
    rowShifts[k] = coarseRows + (k - halfSteps) / upsampleFactor;
    columnShifts[k] = coarseColumns + (k - halfSteps) / upsampleFactor;
  }

  // partial[q_y][b] = Σ_{q_x} X(q_y, q_x)·e^{2πi·q_x·s_x[b]/W}
  const partialRe = new Float64Array(height * steps);
  const partialIm = new Float64Array(height * steps);
  const kernelRe = new Float64Array(width * steps);
  const kernelIm = new Float64Array(width * steps);
  for (let qx = 0; qx < width; qx += 1) {
    const frequency = signedFrequencyIndex(qx, width) / width;
    for (let b = 0; b < steps; b += 1) {
      const angle = 2 * Math.PI * frequency * columnShifts[b];
      kernelRe[qx * steps + b] = Math.cos(angle);
      kernelIm[qx * steps + b] = Math.sin(angle);
    }
  }
  for (let qy = 0; qy < height; qy += 1) {
    for (let qx = 0; qx < width; qx += 1) {
      const xr = crossRe[qy * width + qx];
      const xi = crossIm[qy * width + qx];
      for (let b = 0; b < steps; b += 1) {
        const kr = kernelRe[qx * steps + b];
        const ki = kernelIm[qx * steps + b];
        partialRe[qy * steps + b] += xr * kr - xi * ki;
        partialIm[qy * steps + b] += xr * ki + xi * kr;
      }
    }
  }

  let bestPower = -1;
  let bestRow = 0;
  let bestColumn = 0;
  const sumRe = new Float64Array(steps);
  const sumIm = new Float64Array(steps);
  for (let a = 0; a < steps; a += 1) {
    sumRe.fill(0);
    sumIm.fill(0);
    for (let qy = 0; qy < height; qy += 1) {
      const angle = (2 * Math.PI * signedFrequencyIndex(qy, height) * rowShifts[a]) / height;
      const kr = Math.cos(angle);
      const ki = Math.sin(angle);
      for (let b = 0; b < steps; b += 1) {
        const pr = partialRe[qy * steps + b];
        const pi = partialIm[qy * steps + b];
        sumRe[b] += pr * kr - pi * ki;
        sumIm[b] += pr * ki + pi * kr;
      }
    }
    for (let b = 0; b < steps; b += 1) {
      const power = sumRe[b] * sumRe[b] + sumIm[b] * sumIm[b];
      if (power > bestPower) {
        bestPower = power;
        bestRow = a;
        bestColumn = b;
      }
    }
  }
  return { shiftRows_px: rowShifts[bestRow], shiftColumns_px: columnShifts[bestColumn] };
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
