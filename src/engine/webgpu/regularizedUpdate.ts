/** WebGPU kernel for REGULARIZED_UPDATE (see regularizedUpdate.wgsl). */
import * as tf from '@tensorflow/tfjs';

import { REGULARIZED_UPDATE, type RegularizedUpdateAttrs } from '../kernelNames';
import { ELEMENTWISE_WORKGROUP_SIZE, flatDispatch, runProgram, type KernelArgs, type KernelProgram, type WebGPUBackend } from './program';
import regularizedUpdateSource from './regularizedUpdate.wgsl?raw';

function regularizedUpdateKernelFunc({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { x, numerator, weights, maxWeight } = inputs as Record<'x' | 'numerator' | 'weights' | 'maxWeight', tf.TensorInfo>;
  const { step, regularization } = attrs as unknown as RegularizedUpdateAttrs;
  const shape = x.shape.join(',');
  if (x.shape[x.shape.length - 1] !== 2 || numerator.shape.join(',') !== shape || weights.shape.join(',') !== shape) {
    throw new Error(
      `${REGULARIZED_UPDATE}: expected x, numerator and weights of one shape [..., 2], received ` +
        `[${x.shape.join(', ')}], [${numerator.shape.join(', ')}] and [${weights.shape.join(', ')}].`,
    );
  }
  if (tf.util.sizeFromShape(maxWeight.shape) !== 1) {
    throw new Error(`${REGULARIZED_UPDATE}: maxWeight must have exactly one element, received shape [${maxWeight.shape.join(', ')}].`);
  }
  const program: KernelProgram = {
    wgslFile: 'regularizedUpdate.wgsl',
    wgslSource: regularizedUpdateSource,
    variableNames: ['x', 'numerator', 'weights', 'maxWeight'],
    variableComponents: [2, 2, 2, 1],
    outputComponent: 2,
    outputShape: x.shape,
    shaderKey: 'ptychoRegularizedUpdate',
    size: true,
    dispatchLayout: { x: x.shape.map((_, axis) => axis) },
    dispatch: flatDispatch(tf.util.sizeFromShape(x.shape) / 2),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    uniforms: 'stepSize : f32, regularization : f32,',
    getUserCode: () => regularizedUpdateSource,
  };
  return runProgram(backend as WebGPUBackend, program, [x, numerator, weights, maxWeight], [
    { type: 'float32', data: [step] },
    { type: 'float32', data: [regularization] },
  ]);
}

export const regularizedUpdateKernel: tf.KernelConfig = {
  kernelName: REGULARIZED_UPDATE,
  backendName: 'webgpu',
  kernelFunc: regularizedUpdateKernelFunc,
};
