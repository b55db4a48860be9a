/** Peak signal-to-noise ratio against a reference, with the data's own range as the peak. */
import { checkMask, checkRealImage, checkSameShape, type RealImage } from './types';

/**
 * Returns 10·log10(L² / MSE) in decibels, with the mean squared error over the mask (every pixel
 * when omitted) and L = `dataRange`, the range the reference really spans (such as its max − min;
 * never a fixed 255). Returns Infinity when the images agree exactly on the mask.
 */
export function peakSignalToNoiseRatio_dB(
  reference: RealImage,
  estimate: RealImage,
  dataRange: number,
  mask?: Uint8Array,
): number {
  checkRealImage(reference, 'peakSignalToNoiseRatio_dB reference');
  checkRealImage(estimate, 'peakSignalToNoiseRatio_dB estimate');
  checkSameShape(reference, estimate, 'peakSignalToNoiseRatio_dB');
  checkMask(mask, reference.height, reference.width, 'peakSignalToNoiseRatio_dB');
  if (!(dataRange > 0 && Number.isFinite(dataRange))) {
    throw new Error(
      `peakSignalToNoiseRatio_dB: dataRange must be positive and finite, received ${dataRange}. ` +
        'Pass the range of the reference data, such as its max − min.',
    );
  }

  let sum = 0;
  let count = 0;
  for (let i = 0; i < reference.data.length; i += 1) {
    if (mask !== undefined && !mask[i]) continue;
    const difference = reference.data[i] - estimate.data[i];
    sum += difference * difference;
    count += 1;
  }
  if (count === 0) throw new Error('peakSignalToNoiseRatio_dB: the mask selects no pixel.');
  const meanSquaredError = sum / count;
  if (meanSquaredError === 0) return Infinity;
  return 10 * Math.log10((dataRange * dataRange) / meanSquaredError);
}
