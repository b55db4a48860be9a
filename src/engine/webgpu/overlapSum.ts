/** WebGPU kernel for OVERLAP_SUM (see overlapSum.wgsl). */
import * as tf from '@tensorflow/tfjs';

import { OVERLAP_SUM, type OverlapSumAttrs } from '../kernelNames';
import { ELEMENTWISE_WORKGROUP_SIZE, flatDispatch, runProgram, type KernelArgs, type KernelProgram, type WebGPUBackend } from './program';
import overlapSumSource from './overlapSum.wgsl?raw';

function overlapSumKernelFunc({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { patches, positions } = inputs as { patches: tf.TensorInfo; positions: tf.TensorInfo };
  const { height, width } = attrs as unknown as OverlapSumAttrs;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(
      `${OVERLAP_SUM}: attributes height and width must be positive integers, received ${height}×${width}.`,
    );
  }
  const program: KernelProgram = {
    wgslFile: 'overlapSum.wgsl',
    wgslSource: overlapSumSource,
    variableNames: ['patches', 'positions'],
    variableComponents: [2, 2],
    outputComponent: 2,
    outputShape: [height, width, 2],
    shaderKey: 'ptychoOverlapSum',
    size: true,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: flatDispatch(height * width),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    getUserCode: () => overlapSumSource,
  };
  return runProgram(backend as WebGPUBackend, program, [patches, positions]);
}

export const overlapSumKernel: tf.KernelConfig = {
  kernelName: OVERLAP_SUM,
  backendName: 'webgpu',
  kernelFunc: overlapSumKernelFunc,
};
