/**
 * AMPLITUDE_RESIDUAL on the 'webgl' backend: (|Ψ| − a)² per pixel for interleaved far fields
 * [B, N, N, 2] and amplitudes [B, N, N], one fragment per output pixel.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { AMPLITUDE_RESIDUAL } from '../kernelNames';
import { COMPLEX_MODULUS_GLSL } from './modulusProjection';

function makeAmplitudeResidualProgram(shape: number[]): GPGPUProgram {
  return {
    variableNames: ['farField', 'amplitudes'],
    outputShape: shape.slice(0, 3),
    packedInputs: false,
    packedOutput: false,
    userCode: `
      ${COMPLEX_MODULUS_GLSL}

      void main() {
        ivec3 coords = getOutputCoords();
        float modulus = complexModulus(
          getFarField(coords.x, coords.y, coords.z, 0),
          getFarField(coords.x, coords.y, coords.z, 1));
        float difference = modulus - getAmplitudes(coords.x, coords.y, coords.z);
        setOutput(difference * difference);
      }
    `,
  };
}

function amplitudeResidualWebGl({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const farField = inputs.farField as tf.TensorInfo;
  const amplitudes = inputs.amplitudes as tf.TensorInfo;
  if (farField.shape.length !== 4) {
    throw new Error(
      `amplitudeResidual (webgl): expected farField of rank 4 [B, N, N, 2], received [${farField.shape.join(', ')}].`,
    );
  }
  const program = makeAmplitudeResidualProgram(farField.shape);
  return webgl.runWebGLProgram(program, [farField, amplitudes], 'float32');
}

export const amplitudeResidualWebGlConfig: tf.KernelConfig = {
  kernelName: AMPLITUDE_RESIDUAL,
  backendName: 'webgl',
  kernelFunc: amplitudeResidualWebGl as tf.KernelFunc,
};
