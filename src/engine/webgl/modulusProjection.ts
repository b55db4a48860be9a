/**
 * MODULUS_PROJECTION on the 'webgl' backend: Ψ·a/|Ψ| for interleaved far fields [B, N, N, 2] and
 * amplitudes [B, N, N], one fragment per output component, and (a, 0) where |Ψ| is exactly 0.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { MODULUS_PROJECTION } from '../kernelNames';

/**
 * GLSL for |re + i·im| computed as larger·sqrt(1 + (smaller/larger)²), so the squares neither
 * overflow above about 1.8e19 nor underflow below about 1e-19 in float32. Returns 0 for (0, 0).
 */
export const COMPLEX_MODULUS_GLSL = `
  float complexModulus(float re, float im) {
    float larger = max(abs(re), abs(im));
    if (larger == 0.0) return 0.0;
    float ratio = min(abs(re), abs(im)) / larger;
    return larger * sqrt(1.0 + ratio * ratio);
  }
`;

function makeModulusProjectionProgram(shape: number[]): GPGPUProgram {
  return {
    variableNames: ['farField', 'amplitudes'],
    outputShape: shape,
    packedInputs: false,
    packedOutput: false,
    userCode: `
      ${COMPLEX_MODULUS_GLSL}

      void main() {
        ivec4 coords = getOutputCoords();
        float re = getFarField(coords.x, coords.y, coords.z, 0);
        float im = getFarField(coords.x, coords.y, coords.z, 1);
        float amplitude = getAmplitudes(coords.x, coords.y, coords.z);
        float modulus = complexModulus(re, im);
        float component = coords.w == 0 ? re : im;
        // A zero field has no phase, so it takes the measured amplitude as a real number.
        if (modulus == 0.0) {
          setOutput(coords.w == 0 ? amplitude : 0.0);
        } else {
          setOutput(amplitude * (component / modulus));
        }
      }
    `,
  };
}

function modulusProjectionWebGl({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const farField = inputs.farField as tf.TensorInfo;
  const amplitudes = inputs.amplitudes as tf.TensorInfo;
  if (farField.shape.length !== 4) {
    throw new Error(
      `modulusProjection (webgl): expected farField of rank 4 [B, N, N, 2], received [${farField.shape.join(', ')}].`,
    );
  }
  const program = makeModulusProjectionProgram(farField.shape);
  return webgl.runWebGLProgram(program, [farField, amplitudes], 'float32');
}

export const modulusProjectionWebGlConfig: tf.KernelConfig = {
  kernelName: MODULUS_PROJECTION,
  backendName: 'webgl',
  kernelFunc: modulusProjectionWebGl as tf.KernelFunc,
};
