/**
 * EXTRACT_PATCHES on the 'webgl' backend: one fragment per output element copies the object
 * pixel under it. Positions arrive as float texels (int32 tensors are stored as floats on
 * WebGL) and are rounded, which is exact for integers below 2^24.
 *
 * On WebGL 2 the object is read with texelFetch at an integer flat index (see
 * unpackedTexelFetch in texelFetch.ts), so every index is exact up to the largest object a
 * texture can store. On WebGL 1, and for objects so small that tfjs passes them as a uniform
 * array, it goes through tfjs's getter instead.
 *
 * NOTE: an unpacked float32 texture stores one value per texel, so the object's H·W·2 floats
 * must fit in WEBGL_MAX_TEXTURE_SIZE². That is 8192² texels in headless Chromium 156 on
 * SwiftShader, so objects up to 4096 × 8192 (or about 5792²) fit there and 8192² does not. Larger
 * objects are rejected by assertFitsUnpackedTexture with an error before anything runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { EXTRACT_PATCHES } from '../kernelNames';
import { assertFitsUnpackedTexture, canUseTexelFetch, unpackedTexelFetch } from './texelFetch';

/** Builds the gather program. Object pixels outside [0, H) × [0, W) read as zero. */
function makeExtractPatchesProgram(
  objectShape: number[],
  count: number,
  size: number,
  texelFetch: boolean,
): GPGPUProgram {
  const [height, width] = objectShape;
  const readObject = texelFetch
    ? `fetchObject((row * ${width} + col) * 2 + coords.w)`
    : 'getObject(row, col, coords.w)';
  return {
    variableNames: ['object', 'positions'],
    outputShape: [count, size, size, 2],
    packedInputs: false,
    packedOutput: false,
    userCode: `
      ${texelFetch ? unpackedTexelFetch('object', 'fetchObject') : ''}
      void main() {
        ivec4 coords = getOutputCoords();
        int row = round(getPositions(coords.x, 0)) + coords.y;
        int col = round(getPositions(coords.x, 1)) + coords.z;
        bool inside = row >= 0 && row < ${height} && col >= 0 && col < ${width};
        setOutput(inside ? ${readObject} : 0.0);
      }
    `,
  };
}

function extractPatchesWebGl({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const object = inputs.object as tf.TensorInfo;
  const positions = inputs.positions as tf.TensorInfo;
  const size = Number((attrs as { size?: number } | undefined)?.size);
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`extractPatches (webgl): invalid attr size ${String(size)}. Expected a positive integer.`);
  }
  assertFitsUnpackedTexture('extractPatches (webgl)', 'object', object.shape);
  assertFitsUnpackedTexture('extractPatches (webgl)', 'output', [positions.shape[0], size, size, 2]);
  const program = makeExtractPatchesProgram(object.shape, positions.shape[0], size, canUseTexelFetch(object.shape));
  return webgl.runWebGLProgram(program, [object, positions], 'float32');
}

export const extractPatchesWebGlConfig: tf.KernelConfig = {
  kernelName: EXTRACT_PATCHES,
  backendName: 'webgl',
  kernelFunc: extractPatchesWebGl as tf.KernelFunc,
};
