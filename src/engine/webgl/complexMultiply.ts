/**
 * COMPLEX_MULTIPLY on the 'webgl' backend: a · b or conj(a) · b on interleaved complex fields,
 * one fragment per output component. A rank-3 operand [n, n, 2] is broadcast over the batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { COMPLEX_MULTIPLY } from '../kernelNames';

/** Returns the GLSL row and column arguments that read an operand of rank `rank` at the output pixel. */
function operandCoords(rank: number, outputRank: number): string {
  if (outputRank === 3) return 'coords.x, coords.y';
  return rank === 4 ? 'coords.x, coords.y, coords.z' : 'coords.y, coords.z';
}

function makeComplexMultiplyProgram(aShape: number[], bShape: number[], conjugateA: boolean): GPGPUProgram {
  const outputShape = aShape.length >= bShape.length ? aShape : bShape;
  const rank = outputShape.length;
  const coordsType = rank === 4 ? 'ivec4' : 'ivec3';
  const component = rank === 4 ? 'coords.w' : 'coords.z';
  const aAt = operandCoords(aShape.length, rank);
  const bAt = operandCoords(bShape.length, rank);
  const imagSign = conjugateA ? '-' : '';
  return {
    variableNames: ['a', 'b'],
    outputShape,
    packedInputs: false,
    packedOutput: false,
    userCode: `
      void main() {
        ${coordsType} coords = getOutputCoords();
        float aRe = getA(${aAt}, 0);
        float aIm = ${imagSign}getA(${aAt}, 1);
        float bRe = getB(${bAt}, 0);
        float bIm = getB(${bAt}, 1);
        setOutput(${component} == 0 ? aRe * bRe - aIm * bIm : aRe * bIm + aIm * bRe);
      }
    `,
  };
}

function complexMultiplyWebGl({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const a = inputs.a as tf.TensorInfo;
  const b = inputs.b as tf.TensorInfo;
  const conjugateA = Boolean((attrs as { conjugateA?: boolean } | undefined)?.conjugateA);
  const program = makeComplexMultiplyProgram(a.shape, b.shape, conjugateA);
  return webgl.runWebGLProgram(program, [a, b], 'float32');
}

export const complexMultiplyWebGlConfig: tf.KernelConfig = {
  kernelName: COMPLEX_MULTIPLY,
  backendName: 'webgl',
  kernelFunc: complexMultiplyWebGl as tf.KernelFunc,
};
