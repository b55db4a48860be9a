/** The CONJUGATE_PRODUCT_SUM and REGULARIZED_UPDATE kernels for the 'cpu' backend. */
import type { KernelConfig, MathBackendCPU } from '@tensorflow/tfjs';

import { CONJUGATE_PRODUCT_SUM, REGULARIZED_UPDATE } from '../kernelNames';
import { readFloat32, requireInput } from './backendData';

/** Lower bound of the REGULARIZED_UPDATE denominator, fixed by the kernel contract. */
const DENOMINATOR_FLOOR = 1e-30;

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

    // The sum runs over ascending batch index in a float64 accumulator and is rounded to float32
    // once at the end, so equal inputs give equal bits.
    const a = readFloat32(cpu, aInfo);
    const b = readFloat32(cpu, bInfo);
    const fieldLength = n * n * 2;
    const sum = new Float64Array(fieldLength);
    for (let field = 0; field < batch; field += 1) {
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
    return cpu.makeTensorInfo([n, n, 2], 'float32', Float32Array.from(sum));
  },
};

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
    for (let i = 0; i < x.length; i += 2) {
      // Only the real channel of `weights` is D, and the one real denominator divides both channels.
      const denominator = Math.max(localShare * weights[i] + regularizedMax, DENOMINATOR_FLOOR);
      output[i] = x[i] + (step * numerator[i]) / denominator;
      output[i + 1] = x[i + 1] + (step * numerator[i + 1]) / denominator;
    }
    return cpu.makeTensorInfo(xInfo.shape, 'float32', output);
  },
};
