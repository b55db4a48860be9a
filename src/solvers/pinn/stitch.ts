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

/** Adds `weight`·(re, im) and `weight` at object pixel (row, col) when it lies inside the object. */
function deposit(
  sums: Float64Array,
  weights: Float64Array,
  width: number,
  height: number,
  row: number,
  col: number,
  weight: number,
  re: number,
  im: number,
): void {
  if (weight === 0 || row < 0 || col < 0 || row >= height || col >= width) return;
  const index = row * width + col;
  sums[2 * index] += weight * re;
  sums[2 * index + 1] += weight * im;
  weights[index] += weight;
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
    const corners = [
      [0, 0, (1 - fractionY) * (1 - fractionX)],
      [0, 1, (1 - fractionY) * fractionX],
      [1, 0, fractionY * (1 - fractionX)],
      [1, 1, fractionY * fractionX],
    ] as const;

    let patternIsValid = true;
    for (let row = 0; row < cropSize; row += 1) {
      for (let col = 0; col < cropSize; col += 1) {
        const source = j * pixels + (row + border) * patternSize + (col + border);
        const amplitude = patches.amplitude[source];
        const phase = patches.phase[source];
        const re = amplitude * Math.cos(phase);
        const im = amplitude * Math.sin(phase);
        patternIsValid &&= Number.isFinite(re) && Number.isFinite(im);
        for (const [dy, dx, weight] of corners) {
          deposit(sums, weightSums, width, height, row0 + row + dy, col0 + col + dx, weight, re, im);
        }
      }
    }
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
