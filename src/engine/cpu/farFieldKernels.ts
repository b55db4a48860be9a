/**
 * The MODULUS_PROJECTION and AMPLITUDE_RESIDUAL kernels for the 'cpu' backend.
 *
 * Both compute |Ψ| in float64 JavaScript arithmetic. The square of any float32 component neither
 * underflows nor overflows there, so a modulus is zero only when both components are exactly zero.
 */
import type { KernelConfig, MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import { AMPLITUDE_RESIDUAL, MODULUS_PROJECTION, type ModulusProjectionAttrs } from '../kernelNames';
import { readFloat32, requireInput } from './backendData';
import { getWasmElementwise } from './wasm/wasmElementwise';

/** Throws unless `farField` is [B, N, N, 2] and `amplitudes` is its shape without the last axis. */
function requireFarFieldShapes(kernelName: string, farField: TensorInfo, amplitudes: TensorInfo): void {
  const [, n, width, parts] = farField.shape;
  if (farField.shape.length !== 4 || width !== n || parts !== 2) {
    throw new Error(`${kernelName}: expected farField of shape [B, N, N, 2], received [${farField.shape.join(', ')}].`);
  }
  const expected = farField.shape.slice(0, 3);
  if (amplitudes.shape.join(',') !== expected.join(',')) {
    throw new Error(
      `${kernelName}: expected amplitudes of shape [${expected.join(', ')}] to match the far field, ` +
        `received [${amplitudes.shape.join(', ')}].`,
    );
  }
}

/**
 * Writes a·Ψ/|Ψ|, or a·Ψ/|Ψ| − Ψ when `returnDifference`, for the interleaved complex `farField` and
 * the amplitudes a into `output`. The WebAssembly SIMD module in wasm/elementwise.wat gives the same bits.
 */
export function projectModulusScalar(
  farField: Float32Array,
  amplitudes: Float32Array,
  output: Float32Array,
  returnDifference: boolean,
): void {
  for (let pixel = 0; pixel < amplitudes.length; pixel += 1) {
    const i = 2 * pixel;
    const real = farField[i];
    const imaginary = farField[i + 1];
    const amplitude = amplitudes[pixel];
    const modulus = Math.sqrt(real * real + imaginary * imaginary);
    if (modulus === 0) {
      // The phase of zero is undefined, and the contract fixes it to zero. Ψ is zero here, so
      // the correction Ψ′ − Ψ is the same (a, 0).
      output[i] = amplitude;
      output[i + 1] = 0;
    } else if (returnDifference) {
      const scale = amplitude / modulus - 1;
      output[i] = real * scale;
      output[i + 1] = imaginary * scale;
    } else {
      const scale = amplitude / modulus;
      output[i] = real * scale;
      output[i + 1] = imaginary * scale;
    }
  }
}

/** Writes (|Ψ| − a)² per pixel into `output`. The WebAssembly SIMD module gives the same bits. */
export function amplitudeResidualScalar(farField: Float32Array, amplitudes: Float32Array, output: Float32Array): void {
  for (let pixel = 0; pixel < amplitudes.length; pixel += 1) {
    const real = farField[2 * pixel];
    const imaginary = farField[2 * pixel + 1];
    const difference = Math.sqrt(real * real + imaginary * imaginary) - amplitudes[pixel];
    output[pixel] = difference * difference;
  }
}

export const modulusProjectionCpuKernel: KernelConfig = {
  kernelName: MODULUS_PROJECTION,
  backendName: 'cpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const cpu = backend as MathBackendCPU;
    const returnDifference = (attrs as Partial<ModulusProjectionAttrs> | undefined)?.returnDifference === true;
    const farFieldInfo = requireInput(MODULUS_PROJECTION, inputs, 'farField');
    const amplitudesInfo = requireInput(MODULUS_PROJECTION, inputs, 'amplitudes');
    requireFarFieldShapes(MODULUS_PROJECTION, farFieldInfo, amplitudesInfo);

    const farField = readFloat32(cpu, farFieldInfo);
    const amplitudes = readFloat32(cpu, amplitudesInfo);
    const output = new Float32Array(farField.length);
    // The module takes pixels in pairs.
    const simd = amplitudes.length % 2 === 0 ? getWasmElementwise() : null;
    if (simd !== null) {
      simd.projectModulus(farField, amplitudes, output, returnDifference);
    } else {
      projectModulusScalar(farField, amplitudes, output, returnDifference);
    }
    return cpu.makeTensorInfo(farFieldInfo.shape, 'float32', output);
  },
};

export const amplitudeResidualCpuKernel: KernelConfig = {
  kernelName: AMPLITUDE_RESIDUAL,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const cpu = backend as MathBackendCPU;
    const farFieldInfo = requireInput(AMPLITUDE_RESIDUAL, inputs, 'farField');
    const amplitudesInfo = requireInput(AMPLITUDE_RESIDUAL, inputs, 'amplitudes');
    requireFarFieldShapes(AMPLITUDE_RESIDUAL, farFieldInfo, amplitudesInfo);

    const farField = readFloat32(cpu, farFieldInfo);
    const amplitudes = readFloat32(cpu, amplitudesInfo);
    const output = new Float32Array(amplitudes.length);
    // The module takes pixels in pairs.
    const simd = amplitudes.length % 2 === 0 ? getWasmElementwise() : null;
    if (simd !== null) {
      simd.amplitudeResidual(farField, amplitudes, output);
    } else {
      amplitudeResidualScalar(farField, amplitudes, output);
    }
    return cpu.makeTensorInfo(amplitudesInfo.shape, 'float32', output);
  },
};
