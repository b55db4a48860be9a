/** WebGPU kernel for AMPLITUDE_RESIDUAL (see amplitudeResidual.wgsl). */
import * as tf from '@tensorflow/tfjs';

import { AMPLITUDE_RESIDUAL } from '../kernelNames';
import { ELEMENTWISE_WORKGROUP_SIZE, flatDispatch, runProgram, type KernelArgs, type KernelProgram, type WebGPUBackend } from './program';
import amplitudeResidualSource from './amplitudeResidual.wgsl?raw';

/**
 * Throws unless `farField` is [..., 2] and `amplitudes` has its shape without the last axis.
 * Shared by the kernels that compare a far field with measured amplitudes.
 */
export function assertAmplitudesMatch(kernelName: string, farField: tf.TensorInfo, amplitudes: tf.TensorInfo): void {
  const expected = farField.shape.slice(0, -1);
  if (farField.shape[farField.shape.length - 1] !== 2 || amplitudes.shape.join(',') !== expected.join(',')) {
    throw new Error(
      `${kernelName}: expected farField [..., 2] and amplitudes of the same shape without the last axis, ` +
        `received [${farField.shape.join(', ')}] and [${amplitudes.shape.join(', ')}].`,
    );
  }
}

function amplitudeResidualKernelFunc({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { farField, amplitudes } = inputs as { farField: tf.TensorInfo; amplitudes: tf.TensorInfo };
  assertAmplitudesMatch(AMPLITUDE_RESIDUAL, farField, amplitudes);
  const program: KernelProgram = {
    wgslFile: 'amplitudeResidual.wgsl',
    wgslSource: amplitudeResidualSource,
    variableNames: ['farField', 'amplitudes'],
    variableComponents: [2, 1],
    outputComponent: 1,
    outputShape: amplitudes.shape,
    shaderKey: 'ptychoAmplitudeResidual',
    size: true,
    dispatchLayout: { x: amplitudes.shape.map((_, axis) => axis) },
    dispatch: flatDispatch(tf.util.sizeFromShape(amplitudes.shape)),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    getUserCode: () => amplitudeResidualSource,
  };
  return runProgram(backend as WebGPUBackend, program, [farField, amplitudes]);
}

export const amplitudeResidualKernel: tf.KernelConfig = {
  kernelName: AMPLITUDE_RESIDUAL,
  backendName: 'webgpu',
  kernelFunc: amplitudeResidualKernelFunc,
};
