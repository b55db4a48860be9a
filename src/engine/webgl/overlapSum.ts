/**
 * OVERLAP_SUM on the 'webgl' backend, written as a gather because scattered writes are not
 * available to a fragment shader: each output pixel visits the patches in ascending order and
 * adds the pixel of every patch whose window covers it. The fixed order makes the float32 sum
 * bit-for-bit reproducible.
 *
 * A small first pass writes, for every object row and every object column, a bit mask of the
 * patches whose window spans it. The main pass ANDs the row and column masks of its pixel, so
 * it reads positions and patch texels only for the patches that cover the pixel. Without the
 * masks every pixel reads both coordinates of all B positions. The masks cut the median call
 * from 115 to 87 ms, read-back included, with unchanged output bits. That was measured for
 * [32, 128, 128, 2] patches at scattered positions on a 360×360 object, in headless Chromium on
 * SwiftShader WebGL with two busy CPU cores.
 *
 * On WebGL 2 the patches are read with texelFetch at an integer flat index (see texelFetch.ts).
 * Each output pixel takes its coordinates from tfjs's getOutputCoords, which turns the fragment's
 * texture position into a texel row and column and derives the flat output index from them in
 * integers.
 *
 * NOTE: the output [height, width, 2] is an unpacked float32 texture, so height · width · 2 must
 * not exceed WEBGL_MAX_TEXTURE_SIZE². With the 8192 of SwiftShader WebGL 2 that allows objects up
 * to 4096 × 8192 (or about 5792²) but not 8192². Larger outputs are rejected by
 * assertFitsUnpackedTexture before anything runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { OVERLAP_SUM } from '../kernelNames';
import { assertFitsUnpackedTexture, canUseTexelFetch, unpackedTexelFetch } from './texelFetch';

/**
 * Returns how many patch bits one float texel of the mask texture stores, or 0 where the masks
 * cannot be used. The bits must be integers that the texture format stores exactly: below 2^24
 * in float32 and below 2^11 in float16. Integer bit operations need GLSL ES 3.00 (WebGL 2).
 * NOTE: the tests run only the float32 WebGL 2 path; the float16 and WebGL 1 paths are untested.
 */
function maskBitsPerTexel(): number {
  if (tf.env().getNumber('WEBGL_VERSION') < 2) return 0;
  return tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 24 : 11;
}

/**
 * Builds the mask pass with output [height + width, words]. Row r < height marks the patches
 * whose rows span object row r, and row height + c those whose columns span object column c.
 * Bit k of word w is set for patch w·bitsPerTexel + k.
 */
function makeCoverageMaskProgram(
  count: number,
  size: number,
  height: number,
  width: number,
  bitsPerTexel: number,
): GPGPUProgram {
  return {
    variableNames: ['positions'],
    outputShape: [height + width, Math.ceil(count / bitsPerTexel)],
    packedInputs: false,
    packedOutput: false,
    userCode: `
      void main() {
        ivec2 coords = getOutputCoords();
        bool isRow = coords.x < ${height};
        int pixel = isRow ? coords.x : coords.x - ${height};
        int axis = isRow ? 0 : 1;
        int mask = 0;
        for (int bit = 0; bit < ${bitsPerTexel}; bit++) {
          int b = coords.y * ${bitsPerTexel} + bit;
          if (b < ${count}) {
            int offset = pixel - round(getPositions(b, axis));
            if (offset >= 0 && offset < ${size}) mask |= 1 << bit;
          }
        }
        setOutput(float(mask));
      }
    `,
  };
}

/**
 * Returns the GLSL expression for element (b, row, col, coords.z) of `patches`. A rank-3
 * `patches` is one patch that every position reuses, so its reads drop the batch index.
 */
function patchRead(patchesShape: number[], texelFetch: boolean): string {
  const size = patchesShape[patchesShape.length - 2];
  const batched = patchesShape.length === 4;
  if (!texelFetch) return batched ? 'getPatches(b, row, col, coords.z)' : 'getPatches(row, col, coords.z)';
  const pixel = batched ? `(b * ${size} + row) * ${size} + col` : `row * ${size} + col`;
  return `fetchPatches((${pixel}) * 2 + coords.z)`;
}

/**
 * Builds the gather program for `count` positions. With bitsPerTexel 0 the program takes no
 * masks and tests every position itself.
 */
function makeOverlapSumProgram(
  patchesShape: number[],
  count: number,
  height: number,
  width: number,
  bitsPerTexel: number,
): GPGPUProgram {
  const size = patchesShape[patchesShape.length - 2];
  const texelFetch = canUseTexelFetch(patchesShape);
  const patchAt = patchRead(patchesShape, texelFetch);
  const fetchFunction = texelFetch ? unpackedTexelFetch('patches', 'fetchPatches') : '';
  const program = {
    variableNames: ['patches', 'positions'],
    outputShape: [height, width, 2],
    packedInputs: false,
    packedOutput: false,
  };
  if (bitsPerTexel === 0) {
    return {
      ...program,
      userCode: `
        ${fetchFunction}
        void main() {
          ivec3 coords = getOutputCoords();
          float sum = 0.0;
          for (int b = 0; b < ${count}; b++) {
            int row = coords.x - round(getPositions(b, 0));
            int col = coords.y - round(getPositions(b, 1));
            if (row >= 0 && row < ${size} && col >= 0 && col < ${size}) {
              sum += ${patchAt};
            }
          }
          setOutput(sum);
        }
      `,
    };
  }
  return {
    ...program,
    variableNames: ['patches', 'positions', 'masks'],
    userCode: `
      ${fetchFunction}
      void main() {
        ivec3 coords = getOutputCoords();
        float sum = 0.0;
        for (int word = 0; word < ${Math.ceil(count / bitsPerTexel)}; word++) {
          int covering = int(getMasks(coords.x, word)) & int(getMasks(${height} + coords.y, word));
          for (int bit = 0; bit < ${bitsPerTexel}; bit++) {
            if ((covering & (1 << bit)) != 0) {
              int b = word * ${bitsPerTexel} + bit;
              int row = coords.x - round(getPositions(b, 0));
              int col = coords.y - round(getPositions(b, 1));
              sum += ${patchAt};
            }
          }
        }
        setOutput(sum);
      }
    `,
  };
}

function overlapSumWebGl({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const patches = inputs.patches as tf.TensorInfo;
  const positions = inputs.positions as tf.TensorInfo;
  const { height, width } = (attrs ?? {}) as { height?: number; width?: number };
  if (!Number.isInteger(height) || !Number.isInteger(width) || Number(height) < 1 || Number(width) < 1) {
    throw new Error(
      `overlapSum (webgl): invalid attrs height ${String(height)} and width ${String(width)}. ` +
        'Expected positive integers.',
    );
  }
  assertFitsUnpackedTexture('overlapSum (webgl)', 'output', [Number(height), Number(width), 2]);
  assertFitsUnpackedTexture('overlapSum (webgl)', 'patches', patches.shape);
  const count = positions.shape[0];
  const size = patches.shape[patches.shape.length - 2];
  // With no positions there is nothing to mask, and a mask texture would have no columns.
  const bitsPerTexel = count > 0 ? maskBitsPerTexel() : 0;
  const program = makeOverlapSumProgram(patches.shape, count, Number(height), Number(width), bitsPerTexel);
  if (bitsPerTexel === 0) {
    return webgl.runWebGLProgram(program, [patches, positions], 'float32');
  }
  const maskProgram = makeCoverageMaskProgram(count, size, Number(height), Number(width), bitsPerTexel);
  const masks = webgl.runWebGLProgram(maskProgram, [positions], 'float32');
  const output = webgl.runWebGLProgram(program, [patches, positions, masks], 'float32');
  webgl.disposeIntermediateTensorInfo(masks);
  return output;
}

export const overlapSumWebGlConfig: tf.KernelConfig = {
  kernelName: OVERLAP_SUM,
  backendName: 'webgl',
  kernelFunc: overlapSumWebGl as tf.KernelFunc,
};
