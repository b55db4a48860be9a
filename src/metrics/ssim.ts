/**
 * Structural similarity (SSIM) of Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image
 * quality assessment: from error visibility to structural similarity", IEEE Trans. Image Process.
 * 13, 600 (2004): local means, variances and covariance under an 11×11 Gaussian window of
 * σ = 1.5 px, with K1 = 0.01 and K2 = 0.03.
 */
import { checkMask, checkRealImage, checkSameShape, type RealImage } from './types';

/** Side of the square Gaussian window, in pixels. */
export const SSIM_WINDOW_SIZE_PX = 11;
/** Standard deviation of the Gaussian window, in pixels. */
export const SSIM_WINDOW_SIGMA_PX = 1.5;
export const SSIM_K1 = 0.01;
export const SSIM_K2 = 0.03;

/**
 * Returns the mean SSIM of two real images of the same shape.
 *
 * `dataRange` is L in C1 = (K1·L)² and C2 = (K2·L)², the range the data really span (such as
 * max − min of the reference), never a fixed 255. The SSIM map is evaluated only where the whole
 * window fits inside the image, and the mean is taken over the window positions that lie wholly
 * inside `mask`, so pixels outside the compared region never enter. Throws when no window fits.
 */
export function structuralSimilarity(
  first: RealImage,
  second: RealImage,
  dataRange: number,
  mask?: Uint8Array,
): number {
  checkRealImage(first, 'structuralSimilarity first image');
  checkRealImage(second, 'structuralSimilarity second image');
  checkSameShape(first, second, 'structuralSimilarity');
  const { height, width } = first;
  checkMask(mask, height, width, 'structuralSimilarity');
  if (!(dataRange > 0 && Number.isFinite(dataRange))) {
    throw new Error(
      `structuralSimilarity: dataRange must be positive and finite, received ${dataRange}. ` +
        'Pass the range of the reference data, such as its max − min.',
    );
  }
  if (height < SSIM_WINDOW_SIZE_PX || width < SSIM_WINDOW_SIZE_PX) {
    throw new Error(
      `structuralSimilarity: the ${SSIM_WINDOW_SIZE_PX}×${SSIM_WINDOW_SIZE_PX} window does not fit in a ` +
        `${height}×${width} image. Compare a region of at least ${SSIM_WINDOW_SIZE_PX} pixels per side.`,
    );
  }

  const pixels = height * width;
  const x = first.data;
  const y = second.data;
  const xx = new Float64Array(pixels);
  const yy = new Float64Array(pixels);
  const xy = new Float64Array(pixels);
  for (let i = 0; i < pixels; i += 1) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const weights = gaussianWindow();
  const meanX = filterValid(x, height, width, weights);
  const meanY = filterValid(y, height, width, weights);
  const meanXX = filterValid(xx, height, width, weights);
  const meanYY = filterValid(yy, height, width, weights);
  const meanXY = filterValid(xy, height, width, weights);

  // A window lies inside the mask when the unweighted count of mask pixels under it is full.
  let inside: Float64Array | null = null;
  if (mask !== undefined) {
    inside = filterValid(Float64Array.from(mask, (value) => (value ? 1 : 0)), height, width, new Float64Array(SSIM_WINDOW_SIZE_PX).fill(1));
  }
  const fullCount = SSIM_WINDOW_SIZE_PX * SSIM_WINDOW_SIZE_PX;

  const c1 = (SSIM_K1 * dataRange) ** 2;
  const c2 = (SSIM_K2 * dataRange) ** 2;
  let total = 0;
  let count = 0;
  for (let i = 0; i < meanX.length; i += 1) {
    if (inside !== null && inside[i] < fullCount - 0.5) continue;
    const mx = meanX[i];
    const my = meanY[i];
    const varianceX = meanXX[i] - mx * mx;
    const varianceY = meanYY[i] - my * my;
    const covariance = meanXY[i] - mx * my;
    total += ((2 * mx * my + c1) * (2 * covariance + c2)) / ((mx * mx + my * my + c1) * (varianceX + varianceY + c2));
    count += 1;
  }
  if (count === 0) {
    throw new Error(
      `structuralSimilarity: no ${SSIM_WINDOW_SIZE_PX}×${SSIM_WINDOW_SIZE_PX} window lies wholly inside the mask. ` +
        'Use a region that contains such a square.',
    );
  }
  return total / count;
}

/** Returns the normalised 1-D Gaussian weights; the 2-D window is their outer product. */
function gaussianWindow(): Float64Array {
  const half = (SSIM_WINDOW_SIZE_PX - 1) / 2;
  const weights = new Float64Array(SSIM_WINDOW_SIZE_PX);
  let sum = 0;
  for (let k = 0; k < SSIM_WINDOW_SIZE_PX; k += 1) {
    weights[k] = Math.exp(-((k - half) ** 2) / (2 * SSIM_WINDOW_SIGMA_PX ** 2));
    sum += weights[k];
  }
  for (let k = 0; k < SSIM_WINDOW_SIZE_PX; k += 1) weights[k] /= sum;
  return weights;
}

/**
 * Correlates the image with the separable window weights ⊗ weights at every position where the
 * window fits: output [height − n + 1, width − n + 1], entry (i, j) covering rows i … i + n − 1.
 */
function filterValid(values: ArrayLike<number>, height: number, width: number, weights: Float64Array): Float64Array {
  const n = weights.length;
  const outHeight = height - n + 1;
  const outWidth = width - n + 1;
  const rowsFiltered = new Float64Array(height * outWidth);
  for (let row = 0; row < height; row += 1) {
    for (let column = 0; column < outWidth; column += 1) {
      let sum = 0;
      for (let k = 0; k < n; k += 1) sum += weights[k] * values[row * width + column + k];
      rowsFiltered[row * outWidth + column] = sum;
    }
  }
  const result = new Float64Array(outHeight * outWidth);
  for (let row = 0; row < outHeight; row += 1) {
    for (let column = 0; column < outWidth; column += 1) {
      let sum = 0;
      for (let k = 0; k < n; k += 1) sum += weights[k] * rowsFiltered[(row + k) * outWidth + column];
      result[row * outWidth + column] = sum;
    }
  }
  return result;
}
