/**
 * OVERLAP_SUM on the 'webgl' backend, written as a gather because scattered writes are not
 * available to a fragment shader: each output pixel loops over all patches in ascending order
 * and adds the pixel of every patch whose window covers it. The fixed order makes the float32
 * sum bit-for-bit reproducible. The cost is H·W·2·B loop iterations per call.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { OVERLAP_SUM } from '../kernelNames';

function makeOverlapSumProgram(patchesShape: number[], height: number, width: number): GPGPUProgram {
  const [count, size] = patchesShape;
  return {
    variableNames: ['patches', 'positions'],
    outputShape: [height, width, 2],
    packedInputs: false,
    packedOutput: false,
    userCode: `
      void main() {
        ivec3 coords = getOutputCoords();
        float sum = 0.0;
        for (int b = 0; b < ${count}; b++) {
          int row = coords.x - round(getPositions(b, 0));
          int col = coords.y - round(getPositions(b, 1));
          if (row >= 0 && row < ${size} && col >= 0 && col < ${size}) {
            sum += getPatches(b, row, col, coords.z);
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
  const program = makeOverlapSumProgram(patches.shape, Number(height), Number(width));
  return webgl.runWebGLProgram(program, [patches, positions], 'float32');
}

export const overlapSumWebGlConfig: tf.KernelConfig = {
  kernelName: OVERLAP_SUM,
  backendName: 'webgl',
  kernelFunc: overlapSumWebGl as tf.KernelFunc,
};
