/**
 * MODULUS_PROJECTION on the 'webgl' backend: Ψ′ = Ψ·a/|Ψ| for interleaved far fields [B, N, N, 2]
 * and amplitudes [B, N, N], one fragment per output component, and (a, 0) where |Ψ| is exactly 0.
 * With the `returnDifference` attr the output is the correction Ψ′ − Ψ.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { MODULUS_PROJECTION, type ModulusProjectionAttrs } from '../kernelNames';

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

function makeModulusProjectionProgram(shape: number[], returnDifference: boolean): GPGPUProgram {
  // tfjs caches compiled programs by their source, so each value of the flag gets its own shader.
  // component / modulus is at most 1 in magnitude, so neither form overflows for tiny |Ψ|.
  const value = returnDifference ? 'amplitude * (component / modulus) - component' : 'amplitude * (component / modulus)';
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
        // A zero field has no phase, so it takes the measured amplitude as a real number. Ψ is
        // zero there, so the correction is the same (a, 0).
        if (modulus == 0.0) {
          setOutput(coords.w == 0 ? amplitude : 0.0);
        } else {
          setOutput(${value});
        }
      }
    `,
  };
}

function modulusProjectionWebGl({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const farField = inputs.farField as tf.TensorInfo;
  const amplitudes = inputs.amplitudes as tf.TensorInfo;
  if (farField.shape.length !== 4) {
    throw new Error(
      `modulusProjection (webgl): expected farField of rank 4 [B, N, N, 2], received [${farField.shape.join(', ')}].`,
    );
  }
  const returnDifference = (attrs as Partial<ModulusProjectionAttrs> | undefined)?.returnDifference === true;
  const program = makeModulusProjectionProgram(farField.shape, returnDifference);
  return webgl.runWebGLProgram(program, [farField, amplitudes], 'float32');
}

export const modulusProjectionWebGlConfig: tf.KernelConfig = {
  kernelName: MODULUS_PROJECTION,
  backendName: 'webgl',
  kernelFunc: modulusProjectionWebGl as tf.KernelFunc,
};
