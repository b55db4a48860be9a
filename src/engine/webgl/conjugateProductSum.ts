/**
 * CONJUGATE_PRODUCT_SUM on the 'webgl' backend: Σ_b conj(a_b)·b_b over the batch of two
 * interleaved fields [B, n, n, 2]. Each fragment computes one output component and loops over
 * the batch in ascending order, so the float32 sum is bit-for-bit reproducible. The cost is
 * n²·2·B loop iterations of four texel reads each.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { CONJUGATE_PRODUCT_SUM } from '../kernelNames';

function makeConjugateProductSumProgram(shape: number[]): GPGPUProgram {
  const [count, rows, cols] = shape;
  return {
    variableNames: ['a', 'b'],
    outputShape: [rows, cols, 2],
    packedInputs: false,
    packedOutput: false,
    userCode: `
      void main() {
        ivec3 coords = getOutputCoords();
        float sum = 0.0;
        for (int index = 0; index < ${count}; index++) {
          float aRe = getA(index, coords.x, coords.y, 0);
          float aIm = getA(index, coords.x, coords.y, 1);
          float bRe = getB(index, coords.x, coords.y, 0);
          float bIm = getB(index, coords.x, coords.y, 1);
          sum += coords.z == 0 ? aRe * bRe + aIm * bIm : aRe * bIm - aIm * bRe;
        }
        setOutput(sum);
      }
    `,
  };
}

function conjugateProductSumWebGl({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const a = inputs.a as tf.TensorInfo;
  const b = inputs.b as tf.TensorInfo;
  if (a.shape.length !== 4 || a.shape.join(',') !== b.shape.join(',')) {
    throw new Error(
      `conjugateProductSum (webgl): expected a and b of one shape [B, n, n, 2], ` +
        `received [${a.shape.join(', ')}] and [${b.shape.join(', ')}].`,
    );
  }
  const program = makeConjugateProductSumProgram(a.shape);
  return webgl.runWebGLProgram(program, [a, b], 'float32');
}

export const conjugateProductSumWebGlConfig: tf.KernelConfig = {
  kernelName: CONJUGATE_PRODUCT_SUM,
  backendName: 'webgl',
  kernelFunc: conjugateProductSumWebGl as tf.KernelFunc,
};
