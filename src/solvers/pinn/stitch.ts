/**
 * Inference and stitching: the network predicts one object patch per pattern, and the central
 * region of every patch is placed at its scan position and averaged where patches overlap.
 */
import * as tf from '@tensorflow/tfjs';

import { fastCpuConvolutionHelpersReady, registerFastCpuConvolutionKernels } from '../../engine/cpu/convolutionKernels';
import { registerFlatArrayCpuKernels } from '../../engine/cpu/flatArrayKernels';

import type { PinnTrainingData } from './dataPrep';

/** Predicted object patches, each [M, n, n] row-major. */
export interface PredictedPatches {
  amplitude: Float32Array;
  phase: Float32Array;
}

export interface StitchOptions {
  /** Side of the central region of each patch that is kept; defaults to n/2, what the network predicts. */
  cropSize?: number;
  /** Empty border around the scanned area, in object pixels. */
  padding_px?: number;
  /**
   * true places patches at their exact positions with bilinear weights; false rounds positions to
   * whole pixels as the PIE solvers and the simulator do.
   */
  subpixel?: boolean;
}

export interface StitchedObject {
  /** Complex object [height, width, 2] interleaved; zero where no patch lands. */
  object: Float32Array;
  height: number;
  width: number;
  /** Summed placement weights [height, width]; the object was divided by them where positive. */
  weights: Float32Array;
  /** Position coordinate of object row 0 and column 0, to map pixels back to scan positions. */
  originY_px: number;
  originX_px: number;
}

/** Error for predicted patches that contain NaN or infinite values, which would make the object invalid. */
export class NonFiniteObjectError extends Error {
  override readonly name = 'NonFiniteObjectError';
}

/**
 * Runs the network on the normalised amplitudes [M, n, n] in batches and returns amplitude and phase patches.
 *
 * NOTE: this is slow on a software WebGPU adapter (SwiftShader in Chromium 156). TensorFlow.js
 * 4.22's FusedConv2D shaders took about 99 % of the time there, 6 to 9 s per batch of 16 at 1/8
 * width on a shared 2-core machine. The time grows in proportion to the batch size, so a larger
 * batch does not help. The programs tfjs picks for a 3 × 3 convolution (a tiled matrix product,
 * or im2col and then one) stage tiles in workgroup memory behind barriers. Its
 * `WEBGPU_USE_NAIVE_CONV2D_DEBUG` program has none, but there it gave different values on every
 * run, with invalid-pipeline warnings in the console, so it is not used.
 */
export async function predictPatches(
  model: tf.LayersModel,
  amplitudes: Float32Array,
  patternCount: number,
  patternSize: number,
  batchSize = 32,
): Promise<PredictedPatches> {
  const pixels = patternSize * patternSize;
  if (amplitudes.length !== patternCount * pixels) {
    throw new Error(
      `predictPatches: expected ${patternCount} patterns of ${patternSize}×${patternSize}, received ${amplitudes.length} values.`,
    );
  }
  // A model loaded for inference only never passes through PinnTrainer, which registers these too.
  if (tf.getBackend() === 'cpu') {
    registerFastCpuConvolutionKernels();
    registerFlatArrayCpuKernels();
    await fastCpuConvolutionHelpersReady();
  }
  const amplitude = new Float32Array(patternCount * pixels);
  const phase = new Float32Array(patternCount * pixels);
  for (let start = 0; start < patternCount; start += batchSize) {
    const count = Math.min(batchSize, patternCount - start);
    const outputs = tf.tidy(() => {
      const input = tf.tensor4d(amplitudes.subarray(start * pixels, (start + count) * pixels), [count, patternSize, patternSize, 1]);
      return model.predict(input) as tf.Tensor[];
    });
    amplitude.set((await outputs[0].data()) as Float32Array, start * pixels);
    phase.set((await outputs[1].data()) as Float32Array, start * pixels);
    tf.dispose(outputs);
  }
  return { amplitude, phase };
}

/**
 * One patch's kept region as complex values in float64, with a border of zeros one pixel wide so
 * that a bilinear footprint can read one pixel past every edge. Pixel (row, col) of the region is
 * at index (row + 1)·stride + col + 1.
 */
interface PaddedRegion {
  re: Float64Array;
  im: Float64Array;
  size: number;
  stride: number;
}

/** Bilinear weights of the four object pixels that each patch pixel is spread over. */
interface CornerWeights {
  /** Weight of the pixel one row down and one column right: fractionY·fractionX. */
  downRight: number;
  /** Weight of the pixel one row down: fractionY·(1 − fractionX). */
  down: number;
  /** Weight of the pixel one column right: (1 − fractionY)·fractionX. */
  right: number;
  /** Weight of the pixel itself: (1 − fractionY)·(1 − fractionX). */
  same: number;
}

/**
 * Adds `weight`·(re, im) and `weight` for every pixel of the region, shifted so that its pixel
 * (0, 0) lands at object pixel (top, left), skipping the pixels outside the object.
 */
function depositShiftedRegion(
  sums: Float64Array,
  weightSums: Float64Array,
  width: number,
  height: number,
  region: PaddedRegion,
  top: number,
  left: number,
  weight: number,
): void {
  const { re, im, size, stride } = region;
  const rowFirst = Math.max(0, -top);
  const rowEnd = Math.min(size, height - top);
  const colFirst = Math.max(0, -left);
  const colEnd = Math.min(size, width - left);
  for (let row = rowFirst; row < rowEnd; row += 1) {
    let index = (top + row) * width + left + colFirst;
    const rowStart = (row + 1) * stride + 1;
    for (let k = rowStart + colFirst; k < rowStart + colEnd; k += 1) {
      sums[2 * index] += weight * re[k];
      sums[2 * index + 1] += weight * im[k];
      weightSums[index] += weight;
      index += 1;
    }
  }
}

/**
 * Spreads the region over the object with bilinear weights, its pixel (0, 0) at object pixel
 * (row0, col0). Each object pixel receives its terms from the down-right, down, right and same
 * corners in that order. This is the order in which a loop over the region's pixels in raster
 * order adds them, so the float64 sums do not depend on which of the two paths below runs.
 */
function depositBilinear(
  sums: Float64Array,
  weightSums: Float64Array,
  width: number,
  height: number,
  region: PaddedRegion,
  row0: number,
  col0: number,
  weights: CornerWeights,
): void {
  const { size } = region;
  if (row0 >= 0 && col0 >= 0 && row0 + size < height && col0 + size < width) {
    depositFootprintInside(sums, weightSums, width, region, row0, col0, weights);
    return;
  }
  const corners = [
    [1, 1, weights.downRight],
    [1, 0, weights.down],
    [0, 1, weights.right],
    [0, 0, weights.same],
  ] as const;
  for (const [dy, dx, weight] of corners) {
    if (weight === 0) continue;
    depositShiftedRegion(sums, weightSums, width, height, region, row0 + dy, col0 + dx, weight);
  }
}

/**
 * depositBilinear for a (size + 1)² footprint that lies inside the object: one pass that reads
 * and writes each object pixel once. A term whose source pixel lies outside the region gets
 * weight 0 and reads a zero of the border. Sums and weight sums start at +0 and never become −0,
 * so adding such a ±0 term leaves them unchanged, the same as skipping it.
 */
function depositFootprintInside(
  sums: Float64Array,
  weightSums: Float64Array,
  width: number,
  region: PaddedRegion,
  row0: number,
  col0: number,
  weights: CornerWeights,
): void {
  const { re, im, size, stride } = region;
  for (let row = 0; row <= size; row += 1) {
    // Footprint row `row` takes the down corners of region row row − 1 and the others of row `row`.
    const hasRowAbove = row >= 1;
    const hasRow = row < size;
    const downRight = hasRowAbove ? weights.downRight : 0;
    const down = hasRowAbove ? weights.down : 0;
    const right = hasRow ? weights.right : 0;
    const same = hasRow ? weights.same : 0;
    let index = (row0 + row) * width + col0;
    let k = (row + 1) * stride + 1;
    for (let col = 0; col <= size; col += 1) {
      // Column 0 has no source pixel to its left, column `size` none at its own column.
      const left = col >= 1 ? 1 : 0;
      const here = col < size ? 1 : 0;
      const wDownRight = downRight * left;
      const wDown = down * here;
      const wRight = right * left;
      const wSame = same * here;
      let sumRe = sums[2 * index];
      let sumIm = sums[2 * index + 1];
      let weightSum = weightSums[index];
      sumRe += wDownRight * re[k - stride - 1];
      sumIm += wDownRight * im[k - stride - 1];
      weightSum += wDownRight;
      sumRe += wDown * re[k - stride];
      sumIm += wDown * im[k - stride];
      weightSum += wDown;
      sumRe += wRight * re[k - 1];
      sumIm += wRight * im[k - 1];
      weightSum += wRight;
      sumRe += wSame * re[k];
      sumIm += wSame * im[k];
      weightSum += wSame;
      sums[2 * index] = sumRe;
      sums[2 * index + 1] = sumIm;
      weightSums[index] = weightSum;
      index += 1;
      k += 1;
    }
  }
}

/**
 * Averages the central cropSize × cropSize of every patch A·e^{iφ} into one complex object. Patch
 * j covers the window whose top-left corner is (positionY_px[j], positionX_px[j]). Positions are
 * shifted so the smallest lands `padding_px` from the edge. Averaging the complex values, not the
 * phases, keeps phase wraps from smearing. Throws NonFiniteObjectError when a kept patch region
 * contains NaN or an infinity, so a broken model cannot pass off a blank object as a result. The
 * averages of finite float32 values are finite, so the object needs no check of its own.
 */
export function stitchPatches(
  patches: PredictedPatches,
  patternCount: number,
  patternSize: number,
  positionY_px: Float32Array,
  positionX_px: Float32Array,
  options: StitchOptions = {},
): StitchedObject {
  const cropSize = options.cropSize ?? patternSize / 2;
  const padding_px = options.padding_px ?? 4;
  const subpixel = options.subpixel ?? true;
  if (!Number.isInteger(cropSize) || cropSize < 1 || cropSize > patternSize || (patternSize - cropSize) % 2 !== 0) {
    throw new Error(
      `stitchPatches: cropSize must be an integer in [1, ${patternSize}] with the same parity as ${patternSize}, received ${cropSize}.`,
    );
  }
  if (positionY_px.length !== patternCount || positionX_px.length !== patternCount) {
    throw new Error(
      `stitchPatches: expected ${patternCount} positions, received ${positionY_px.length} rows and ${positionX_px.length} columns.`,
    );
  }

  let minY = Infinity;
  let minX = Infinity;
  let maxY = -Infinity;
  let maxX = -Infinity;
  for (let j = 0; j < patternCount; j += 1) {
    minY = Math.min(minY, positionY_px[j]);
    minX = Math.min(minX, positionX_px[j]);
    maxY = Math.max(maxY, positionY_px[j]);
    maxX = Math.max(maxX, positionX_px[j]);
  }
  const originY_px = minY - padding_px;
  const originX_px = minX - padding_px;
  // The same extent as the PIE solvers' geometry, so rounded placements give the same array.
  const height = Math.round(maxY - originY_px) + patternSize + padding_px;
  const width = Math.round(maxX - originX_px) + patternSize + padding_px;

  const sums = new Float64Array(height * width * 2);
  const weightSums = new Float64Array(height * width);
  const border = (patternSize - cropSize) / 2;
  const pixels = patternSize * patternSize;

  const stride = cropSize + 2;
  const region: PaddedRegion = {
    re: new Float64Array(stride * stride),
    im: new Float64Array(stride * stride),
    size: cropSize,
    stride,
  };
  let invalidPatternCount = 0;
  for (let j = 0; j < patternCount; j += 1) {
    let top = positionY_px[j] - originY_px + border;
    let left = positionX_px[j] - originX_px + border;
    if (!subpixel) {
      top = Math.round(positionY_px[j] - originY_px) + border;
      left = Math.round(positionX_px[j] - originX_px) + border;
    }
    const row0 = Math.floor(top);
    const col0 = Math.floor(left);
    const fractionY = top - row0;
    const fractionX = left - col0;
    let patternIsValid = true;
    for (let row = 0; row < cropSize; row += 1) {
      for (let col = 0; col < cropSize; col += 1) {
        const source = j * pixels + (row + border) * patternSize + (col + border);
        const amplitude = patches.amplitude[source];
        const phase = patches.phase[source];
        const re = amplitude * Math.cos(phase);
        const im = amplitude * Math.sin(phase);
        region.re[(row + 1) * stride + col + 1] = re;
        region.im[(row + 1) * stride + col + 1] = im;
        patternIsValid &&= Number.isFinite(re) && Number.isFinite(im);
      }
    }
    depositBilinear(sums, weightSums, width, height, region, row0, col0, {
      downRight: fractionY * fractionX,
      down: fractionY * (1 - fractionX),
      right: (1 - fractionY) * fractionX,
      same: (1 - fractionY) * (1 - fractionX),
    });
    if (!patternIsValid) invalidPatternCount += 1;
  }
  if (invalidPatternCount > 0) {
    throw new NonFiniteObjectError(
      `The network predicted NaN or infinite values for ${invalidPatternCount} of ${patternCount} patterns, so the stitched object is invalid. ` +
        'The model is broken, most likely because training diverged: train it again (a lower learning rate often helps) or load another model.',
    );
  }

  const object = new Float32Array(height * width * 2);
  const weights = new Float32Array(height * width);
  for (let index = 0; index < height * width; index += 1) {
    weights[index] = weightSums[index];
    if (weightSums[index] > 0) {
      object[2 * index] = sums[2 * index] / weightSums[index];
      object[2 * index + 1] = sums[2 * index + 1] / weightSums[index];
    }
  }
  return { object, height, width, weights, originY_px, originX_px };
}

/** Predicts every pattern of `data` and stitches the patches into one object. */
export async function reconstructObject(
  model: tf.LayersModel,
  data: PinnTrainingData,
  options: StitchOptions = {},
): Promise<StitchedObject> {
  const patches = await predictPatches(model, data.amplitudes, data.patternCount, data.patternSize);
  return stitchPatches(patches, data.patternCount, data.patternSize, data.positionY_px, data.positionX_px, options);
}
