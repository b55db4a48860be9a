/** WebGPU kernel for EXTRACT_PATCHES (see extractPatches.wgsl). */
import * as tf from '@tensorflow/tfjs';

import { EXTRACT_PATCHES, type ExtractPatchesAttrs } from '../kernelNames';
import { ELEMENTWISE_WORKGROUP_SIZE, flatDispatch, runProgram, type KernelArgs, type KernelProgram, type WebGPUBackend } from './program';
import extractPatchesSource from './extractPatches.wgsl?raw';

function extractPatchesKernelFunc({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { object, positions } = inputs as { object: tf.TensorInfo; positions: tf.TensorInfo };
  const { size } = attrs as unknown as ExtractPatchesAttrs;
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`${EXTRACT_PATCHES}: attribute size must be a positive integer, received ${size}.`);
  }
  const patchCount = positions.shape[0];
  const program: KernelProgram = {
    wgslFile: 'extractPatches.wgsl',
    wgslSource: extractPatchesSource,
    variableNames: ['objectField', 'positions'],
    variableComponents: [2, 2],
    outputComponent: 2,
    outputShape: [patchCount, size, size, 2],
    shaderKey: 'ptychoExtractPatches',
    size: true,
    dispatchLayout: { x: [0, 1, 2, 3] },
    dispatch: flatDispatch(patchCount * size * size),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    getUserCode: () => extractPatchesSource,
  };
  return runProgram(backend as WebGPUBackend, program, [object, positions]);
}

export const extractPatchesKernel: tf.KernelConfig = {
  kernelName: EXTRACT_PATCHES,
  backendName: 'webgpu',
  kernelFunc: extractPatchesKernelFunc,
};
