/** WebGPU kernel for CONJUGATE_PRODUCT_SUM (see conjugateProductSum.wgsl). */
import * as tf from '@tensorflow/tfjs';

import { CONJUGATE_PRODUCT_SUM } from '../kernelNames';
import { ELEMENTWISE_WORKGROUP_SIZE, flatDispatch, runProgram, type KernelArgs, type KernelProgram, type WebGPUBackend } from './program';
import conjugateProductSumSource from './conjugateProductSum.wgsl?raw';

function conjugateProductSumKernelFunc({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  if (a.shape.length !== 4 || a.shape[3] !== 2 || a.shape.join(',') !== b.shape.join(',')) {
    throw new Error(
      `${CONJUGATE_PRODUCT_SUM}: expected a and b of one shape [B, n, n, 2], ` +
        `received [${a.shape.join(', ')}] and [${b.shape.join(', ')}].`,
    );
  }
  const outputShape = a.shape.slice(1);
  const program: KernelProgram = {
    wgslFile: 'conjugateProductSum.wgsl',
    wgslSource: conjugateProductSumSource,
    variableNames: ['a', 'b'],
    variableComponents: [2, 2],
    outputComponent: 2,
    outputShape,
    shaderKey: 'ptychoConjugateProductSum',
    size: true,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: flatDispatch(outputShape[0] * outputShape[1]),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    getUserCode: () => conjugateProductSumSource,
  };
  return runProgram(backend as WebGPUBackend, program, [a, b]);
}

export const conjugateProductSumKernel: tf.KernelConfig = {
  kernelName: CONJUGATE_PRODUCT_SUM,
  backendName: 'webgpu',
  kernelFunc: conjugateProductSumKernelFunc,
};
