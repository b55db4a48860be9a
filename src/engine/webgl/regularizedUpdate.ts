/**
 * REGULARIZED_UPDATE on the 'webgl' backend: x + step·num / max((1 − w)·D + w·Dmax, ε) with
 * ε = 1e-30, one fragment per output component. D is the real channel of `weights` and Dmax
 * is the single value of `maxWeight`, which stays on the GPU.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { REGULARIZED_UPDATE } from '../kernelNames';

/**
 * Lower bound of the denominator. It is a normal float32 (the smallest is about 1.2e-38), so no
 * flush-to-zero mode removes it. It reaches the shader as a uniform, not a literal, so the shader
 * compiler cannot fold it.
 */
const EPSILON = 1e-30;

const COORDINATE_NAMES = ['coords.x', 'coords.y', 'coords.z', 'coords.w'];
const COORDINATE_TYPES = ['', 'int', 'ivec2', 'ivec3', 'ivec4'];

function makeRegularizedUpdateProgram(shape: number[], maxWeightRank: number): GPGPUProgram {
  const rank = shape.length;
  const coords = rank === 1 ? ['coords'] : COORDINATE_NAMES.slice(0, rank);
  const at = coords.join(', ');
  const realAt = [...coords.slice(0, -1), '0'].join(', ');
  const maxWeight = maxWeightRank === 0 ? 'getMaxWeight()' : 'getMaxWeight(0)';
  return {
    variableNames: ['x', 'numerator', 'weights', 'maxWeight'],
    outputShape: shape,
    packedInputs: false,
    packedOutput: false,
    customUniforms: [
      { name: 'step', type: 'float' },
      { name: 'regularization', type: 'float' },
      { name: 'epsilon', type: 'float' },
    ],
    userCode: `
      void main() {
        ${COORDINATE_TYPES[rank]} coords = getOutputCoords();
        float weight = getWeights(${realAt});
        float blended = (1.0 - regularization) * weight + regularization * ${maxWeight};
        float denominator = max(blended, epsilon);
        setOutput(getX(${at}) + step * (getNumerator(${at}) / denominator));
      }
    `,
  };
}

function regularizedUpdateWebGl({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const x = inputs.x as tf.TensorInfo;
  const numerator = inputs.numerator as tf.TensorInfo;
  const weights = inputs.weights as tf.TensorInfo;
  const maxWeight = inputs.maxWeight as tf.TensorInfo;
  const { step, regularization } = (attrs ?? {}) as { step?: number; regularization?: number };
  if (!Number.isFinite(step) || !(Number(regularization) >= 0 && Number(regularization) <= 1)) {
    throw new Error(
      `regularizedUpdate (webgl): invalid attrs step ${String(step)} and regularization ${String(regularization)}. ` +
        'Expected a finite step and a regularization in [0, 1].',
    );
  }
  const rank = x.shape.length;
  if (rank < 1 || rank > 4 || x.shape[rank - 1] !== 2 || maxWeight.shape.length > 1) {
    throw new Error(
      `regularizedUpdate (webgl): expected x of rank 1 to 4 with a last axis of 2 and a maxWeight of shape [] or [1], ` +
        `received [${x.shape.join(', ')}] and [${maxWeight.shape.join(', ')}].`,
    );
  }
  const program = makeRegularizedUpdateProgram(x.shape, maxWeight.shape.length);
  const uniforms = [[Number(step)], [Number(regularization)], [EPSILON]];
  return webgl.runWebGLProgram(program, [x, numerator, weights, maxWeight], 'float32', uniforms);
}

export const regularizedUpdateWebGlConfig: tf.KernelConfig = {
  kernelName: REGULARIZED_UPDATE,
  backendName: 'webgl',
  kernelFunc: regularizedUpdateWebGl as tf.KernelFunc,
};
