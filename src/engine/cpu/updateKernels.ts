/** The CONJUGATE_PRODUCT_SUM and REGULARIZED_UPDATE kernels for the 'cpu' backend. */
import type { KernelConfig, MathBackendCPU } from '@tensorflow/tfjs';

import { CONJUGATE_PRODUCT_SUM, REGULARIZED_UPDATE } from '../kernelNames';
import { readFloat32, requireInput } from './backendData';
import { getWasmElementwise } from './wasm/wasmElementwise';

/** Lower bound of the REGULARIZED_UPDATE denominator, fixed by the kernel contract. */
const DENOMINATOR_FLOOR = 1e-30;

/** Number of fields that one pass over the float64 accumulator adds. */
const FIELDS_PER_PASS = 4;

/**
 * Writes Σ over the batch of conj(a)·b for `batch` interleaved complex fields of `fieldLength`
 * float32 values into `output`. The sum runs over ascending batch index in float64 and is rounded
 * to float32 once at the end, so equal inputs give equal bits. Each pass adds up to FIELDS_PER_PASS
 * fields to a local float64 value before storing it, which keeps that order and saves memory traffic.
 */
export function sumConjugateProducts(
  a: Float32Array,
  b: Float32Array,
  output: Float32Array,
  batch: number,
  fieldLength: number,
): void {
  const sum = new Float64Array(fieldLength);
  let field = 0;
  for (; field + FIELDS_PER_PASS <= batch; field += FIELDS_PER_PASS) {
    const o0 = field * fieldLength;
    const o1 = o0 + fieldLength;
    const o2 = o1 + fieldLength;
    const o3 = o2 + fieldLength;
    for (let i = 0; i < fieldLength; i += 2) {
      let real = sum[i];
      let imaginary = sum[i + 1];
      let ar = a[o0 + i];
      let ai = a[o0 + i + 1];
      let br = b[o0 + i];
      let bi = b[o0 + i + 1];
      real += ar * br + ai * bi;
      imaginary += ar * bi - ai * br;
      ar = a[o1 + i];
      ai = a[o1 + i + 1];
      br = b[o1 + i];
      bi = b[o1 + i + 1];
      real += ar * br + ai * bi;
      imaginary += ar * bi - ai * br;
      ar = a[o2 + i];
      ai = a[o2 + i + 1];
      br = b[o2 + i];
      bi = b[o2 + i + 1];
      real += ar * br + ai * bi;
      imaginary += ar * bi - ai * br;
      ar = a[o3 + i];
      ai = a[o3 + i + 1];
      br = b[o3 + i];
      bi = b[o3 + i + 1];
      real += ar * br + ai * bi;
      imaginary += ar * bi - ai * br;
      sum[i] = real;
      sum[i + 1] = imaginary;
    }
  }
  for (; field < batch; field += 1) {
    const offset = field * fieldLength;
    for (let i = 0; i < fieldLength; i += 2) {
      const ar = a[offset + i];
      const ai = a[offset + i + 1];
      const br = b[offset + i];
      const bi = b[offset + i + 1];
      sum[i] += ar * br + ai * bi;
      sum[i + 1] += ar * bi - ai * br;
    }
  }
  for (let i = 0; i < fieldLength; i += 1) output[i] = sum[i];
}

export const conjugateProductSumCpuKernel: KernelConfig = {
  kernelName: CONJUGATE_PRODUCT_SUM,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const cpu = backend as MathBackendCPU;
    const aInfo = requireInput(CONJUGATE_PRODUCT_SUM, inputs, 'a');
    const bInfo = requireInput(CONJUGATE_PRODUCT_SUM, inputs, 'b');
    const [batch, n, width, parts] = aInfo.shape;
    if (aInfo.shape.length !== 4 || width !== n || parts !== 2 || aInfo.shape.join(',') !== bInfo.shape.join(',')) {
      throw new Error(
        `${CONJUGATE_PRODUCT_SUM}: expected a and b of one shape [B, n, n, 2], ` +
          `received [${aInfo.shape.join(', ')}] and [${bInfo.shape.join(', ')}].`,
      );
    }

    const fieldLength = n * n * 2;
    const output = new Float32Array(fieldLength);
    sumConjugateProducts(readFloat32(cpu, aInfo), readFloat32(cpu, bInfo), output, batch, fieldLength);
    return cpu.makeTensorInfo([n, n, 2], 'float32', output);
  },
};

/**
 * Writes x + step·numerator / max((1 − α)·D + α·max D, DENOMINATOR_FLOOR) for interleaved complex
 * arrays into `output`, with `localShare` = 1 − α and `regularizedMax` = α·max D. The WebAssembly SIMD
 * module gives the same bits.
 */
export function applyRegularizedUpdate(
  x: Float32Array,
  numerator: Float32Array,
  weights: Float32Array,
  output: Float32Array,
  step: number,
  localShare: number,
  regularizedMax: number,
): void {
  const length = x.length;
  for (let i = 0; i < length; i += 2) {
    // Only the real channel of `weights` is D, and the one real denominator divides both channels.
    const denominator = Math.max(localShare * weights[i] + regularizedMax, DENOMINATOR_FLOOR);
    output[i] = x[i] + (step * numerator[i]) / denominator;
    output[i + 1] = x[i + 1] + (step * numerator[i + 1]) / denominator;
  }
}

export const regularizedUpdateCpuKernel: KernelConfig = {
  kernelName: REGULARIZED_UPDATE,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const xInfo = requireInput(REGULARIZED_UPDATE, inputs, 'x');
    const numeratorInfo = requireInput(REGULARIZED_UPDATE, inputs, 'numerator');
    const weightsInfo = requireInput(REGULARIZED_UPDATE, inputs, 'weights');
    const maxWeightInfo = requireInput(REGULARIZED_UPDATE, inputs, 'maxWeight');
    const shape = xInfo.shape.join(',');
    if (
      xInfo.shape[xInfo.shape.length - 1] !== 2 ||
      numeratorInfo.shape.join(',') !== shape ||
      weightsInfo.shape.join(',') !== shape
    ) {
      throw new Error(
        `${REGULARIZED_UPDATE}: expected x, numerator and weights of one shape [..., 2], received ` +
          `[${xInfo.shape.join(', ')}], [${numeratorInfo.shape.join(', ')}] and [${weightsInfo.shape.join(', ')}].`,
      );
    }
    if (maxWeightInfo.shape.reduce((size, length) => size * length, 1) !== 1) {
      throw new Error(
        `${REGULARIZED_UPDATE}: expected maxWeight of shape [] or [1], received [${maxWeightInfo.shape.join(', ')}].`,
      );
    }
    const step = attrs?.step;
    const regularization = attrs?.regularization;
    if (typeof step !== 'number' || !Number.isFinite(step)) {
      throw new Error(`${REGULARIZED_UPDATE}: attribute 'step' must be a finite number, received ${String(step)}.`);
    }
    if (typeof regularization !== 'number' || !(regularization >= 0 && regularization <= 1)) {
      throw new Error(
        `${REGULARIZED_UPDATE}: attribute 'regularization' must be a number in [0, 1], ` +
          `received ${String(regularization)}.`,
      );
    }

    const x = readFloat32(cpu, xInfo);
    const numerator = readFloat32(cpu, numeratorInfo);
    const weights = readFloat32(cpu, weightsInfo);
    const regularizedMax = regularization * readFloat32(cpu, maxWeightInfo)[0];
    const localShare = 1 - regularization;
    const output = new Float32Array(x.length);
    const simd = getWasmElementwise();
    if (simd !== null) {
      simd.applyRegularizedUpdate(x, numerator, weights, output, step, localShare, regularizedMax);
    } else {
      applyRegularizedUpdate(x, numerator, weights, output, step, localShare, regularizedMax);
    }
    return cpu.makeTensorInfo(xInfo.shape, 'float32', output);
  },
};
