/**
 * Turns complex fields (interleaved re, im) into amplitude and phase images for display.
 */
import { getColormap, type ColormapName } from './colormaps';

export interface RealImage {
  width: number;
  height: number;
  /** Row-major values. */
  values: Float32Array;
}

export interface FieldImages {
  amplitude: RealImage;
  /** Phase in radians, wrapped to [−π, π]. */
  phase: RealImage;
}

/**
 * Splits an interleaved complex field into amplitude and phase. When `referenceWeights` is given,
 * the global phase offset is removed first: the field is rotated so that the weighted sum of its
 * values is real and positive (weights are typically the probe coverage, so unscanned pixels count
 * for nothing).
 */
export function toFieldImages(
  field: Float32Array,
  width: number,
  height: number,
  referenceWeights?: Float32Array,
): FieldImages {
  const pixels = width * height;
  if (field.length !== pixels * 2) {
    throw new Error(`Expected ${pixels * 2} interleaved values for a ${height}×${width} field, received ${field.length}.`);
  }
  let sumRe = 0;
  let sumIm = 0;
  if (referenceWeights) {
    for (let i = 0; i < pixels; i += 1) {
      // Skipping zero weights keeps invalid (NaN) pixels outside the weighted area out of the sum.
      if (!(referenceWeights[i] > 0)) continue;
      sumRe += referenceWeights[i] * field[2 * i];
      sumIm += referenceWeights[i] * field[2 * i + 1];
    }
  }
  const offset = referenceWeights && (sumRe !== 0 || sumIm !== 0) ? Math.atan2(sumIm, sumRe) : 0;
  const rotateRe = Math.cos(-offset);
  const rotateIm = Math.sin(-offset);
  const amplitude = new Float32Array(pixels);
  const phase = new Float32Array(pixels);
  for (let i = 0; i < pixels; i += 1) {
    const re = field[2 * i];
    const im = field[2 * i + 1];
    amplitude[i] = Math.hypot(re, im);
    phase[i] = Math.atan2(re * rotateIm + im * rotateRe, re * rotateRe - im * rotateIm);
  }
  return { amplitude: { width, height, values: amplitude }, phase: { width, height, values: phase } };
}

/** Minimum and maximum over the pixels where `mask` is non-zero (all pixels without a mask). */
export function valueRange(image: RealImage, mask?: Float32Array): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < image.values.length; i += 1) {
    if (mask && !(mask[i] > 0)) continue;
    const value = image.values[i];
    if (!Number.isFinite(value)) continue;
    if (value < low) low = value;
    if (value > high) high = value;
  }
  return low <= high ? [low, high] : [0, 1];
}

/**
 * Maps values in [low, high] through a colour map to RGBA pixels. Non-finite values mark invalid
 * pixels (for example pixels shifted in from outside an image) and become fully transparent.
 */
export function toRgba(
  image: RealImage,
  colormap: ColormapName,
  low: number,
  high: number,
): Uint8ClampedArray<ArrayBuffer> {
  const table = getColormap(colormap);
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  const span = high > low ? high - low : 1;
  for (let i = 0; i < image.values.length; i += 1) {
    const fraction = (image.values[i] - low) / span;
    if (!Number.isFinite(fraction)) continue;
    const index = Math.min(255, Math.max(0, Math.floor(fraction * 256)));
    rgba[4 * i] = table[index * 3];
    rgba[4 * i + 1] = table[index * 3 + 1];
    rgba[4 * i + 2] = table[index * 3 + 2];
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/** Returns a copy of the image with the pixels where `mask` is not positive set to NaN, which views draw as invalid. */
export function invalidateOutside(image: RealImage, mask: ArrayLike<number>): RealImage {
  const values = Float32Array.from(image.values);
  for (let i = 0; i < values.length; i += 1) {
    if (!(mask[i] > 0)) values[i] = Number.NaN;
  }
  return { width: image.width, height: image.height, values };
}
