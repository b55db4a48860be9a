/**
 * EXTRACT_PATCHES on the 'webgl' backend: one fragment per output element copies the object
 * pixel under it. Positions arrive as float texels (int32 tensors are stored as floats on
 * WebGL) and are rounded, which is exact for integers below 2^24.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { EXTRACT_PATCHES } from '../kernelNames';

/** Builds the gather program. Object pixels outside [0, H) × [0, W) read as zero. */
function makeExtractPatchesProgram(objectShape: number[], count: number, size: number): GPGPUProgram {
  const [height, width] = objectShape;
  return {
    variableNames: ['object', 'positions'],
    outputShape: [count, size, size, 2],
    packedInputs: false,
    packedOutput: false,
    userCode: `
      void main() {
        ivec4 coords = getOutputCoords();
        int row = round(getPositions(coords.x, 0)) + coords.y;
        int col = round(getPositions(coords.x, 1)) + coords.z;
        bool inside = row >= 0 && row < ${height} && col >= 0 && col < ${width};
        setOutput(inside ? getObject(row, col, coords.w) : 0.0);
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
  const program = makeExtractPatchesProgram(object.shape, positions.shape[0], size);
  return webgl.runWebGLProgram(program, [object, positions], 'float32');
}

export const extractPatchesWebGlConfig: tf.KernelConfig = {
  kernelName: EXTRACT_PATCHES,
  backendName: 'webgl',
  kernelFunc: extractPatchesWebGl as tf.KernelFunc,
};
