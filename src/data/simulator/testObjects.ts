/**
 * Test objects for the simulator: a pattern in [0, 1] per pixel that becomes amplitude and phase.
 * A pixel with pattern value p gets amplitude 1 − (1 − minAmplitude)·p and phase phaseRange_rad·p,
 * so 0 is free space and 1 the most absorbing, most phase-shifting feature.
 */
import { seededRandom } from '../../util/random';

/** A grey image with values in [0, 1], row-major. */
export interface GrayImage {
  width: number;
  height: number;
  values: Float32Array;
}

export type BuiltInObject = 'siemens-star' | 'blobs';

export const BUILT_IN_OBJECT_LABELS: Record<BuiltInObject, string> = {
  'siemens-star': 'Siemens star',
  blobs: 'Random blobs',
};

/** Draws a Siemens star of 18 spokes filling 90 % of the square, on a value-0 background. */
export function siemensStarPattern(size: number): GrayImage {
  const values = new Float32Array(size * size);
  const centre = (size - 1) / 2;
  const radius = 0.45 * size;
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      const dy = row - centre;
      const dx = col - centre;
      if (Math.hypot(dy, dx) >= radius) continue;
      values[row * size + col] = Math.sin(9 * Math.atan2(dy, dx)) > 0 ? 1 : 0;
    }
  }
  return { width: size, height: size, values };
}

/** Draws seeded overlapping Gaussian blobs of several sizes, normalised to [0, 1]. */
export function blobsPattern(size: number, seed: number): GrayImage {
  const random = seededRandom(seed);
  const values = new Float32Array(size * size);
  const count = 40;
  for (let blob = 0; blob < count; blob += 1) {
    const centreY = random() * size;
    const centreX = random() * size;
    const sigma = size * (0.01 + 0.05 * random());
    const weight = 0.3 + 0.7 * random();
    const reach = Math.ceil(3 * sigma);
    for (let row = Math.max(0, Math.floor(centreY - reach)); row < Math.min(size, centreY + reach); row += 1) {
      for (let col = Math.max(0, Math.floor(centreX - reach)); col < Math.min(size, centreX + reach); col += 1) {
        const distance2 = (row - centreY) ** 2 + (col - centreX) ** 2;
        values[row * size + col] += weight * Math.exp(-distance2 / (2 * sigma * sigma));
      }
    }
  }
  let max = 0;
  for (const value of values) max = Math.max(max, value);
  if (max > 0) for (let i = 0; i < values.length; i += 1) values[i] = Math.min(1, values[i] / max);
  return { width: size, height: size, values };
}

/** Resamples `image` bilinearly to size×size, stretching it to the square. */
export function resampleToSquare(image: GrayImage, size: number): GrayImage {
  const values = new Float32Array(size * size);
  const scaleY = image.height / size;
  const scaleX = image.width / size;
  for (let row = 0; row < size; row += 1) {
    const y = Math.min(Math.max((row + 0.5) * scaleY - 0.5, 0), image.height - 1);
    const y0 = Math.floor(y);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const fy = y - y0;
    for (let col = 0; col < size; col += 1) {
      const x = Math.min(Math.max((col + 0.5) * scaleX - 0.5, 0), image.width - 1);
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const fx = x - x0;
      const top = image.values[y0 * image.width + x0] * (1 - fx) + image.values[y0 * image.width + x1] * fx;
      const bottom = image.values[y1 * image.width + x0] * (1 - fx) + image.values[y1 * image.width + x1] * fx;
      values[row * size + col] = top * (1 - fy) + bottom * fy;
    }
  }
  return { width: size, height: size, values };
}

/** Converts RGBA pixels (as from a canvas) to luminance in [0, 1] with the Rec. 709 weights. */
export function rgbaToGray(rgba: Uint8ClampedArray, width: number, height: number): GrayImage {
  const expected = width * height * 4;
  if (rgba.length !== expected) {
    throw new Error(`rgbaToGray: expected ${expected} bytes for ${width}×${height} RGBA, received ${rgba.length}.`);
  }
  const values = new Float32Array(width * height);
  for (let i = 0; i < values.length; i += 1) {
    values[i] = (0.2126 * rgba[4 * i] + 0.7152 * rgba[4 * i + 1] + 0.0722 * rgba[4 * i + 2]) / 255;
  }
  return { width, height, values };
}

/**
 * Builds the complex object [size, size, 2] from an amplitude pattern and a phase pattern (both
 * size×size, values in [0, 1]) as described in this module's header.
 */
export function composeObject(
  amplitudePattern: GrayImage,
  phasePattern: GrayImage,
  minAmplitude: number,
  phaseRange_rad: number,
): Float32Array {
  const pixels = amplitudePattern.values.length;
  if (phasePattern.values.length !== pixels) {
    throw new Error(
      `composeObject: the amplitude pattern has ${pixels} pixels and the phase pattern ${phasePattern.values.length}; they must match.`,
    );
  }
  const object = new Float32Array(pixels * 2);
  for (let i = 0; i < pixels; i += 1) {
    const amplitude = 1 - (1 - minAmplitude) * amplitudePattern.values[i];
    const phase = phaseRange_rad * phasePattern.values[i];
    object[2 * i] = amplitude * Math.cos(phase);
    object[2 * i + 1] = amplitude * Math.sin(phase);
  }
  return object;
}
