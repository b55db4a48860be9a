/**
 * WebGPU kernel for EXTRACT_PATCHES (see extractPatches.wgsl). Every index in the shader is an
 * i32, so it addresses any object that fits one storage binding exactly.
 *
 * NOTE: the object [H, W, 2] is bound as one storage buffer, so H · W · 8 bytes must not exceed
 * the device's maxStorageBufferBindingSize and maxBufferSize. Both are 1 GiB on SwiftShader in
 * Chromium 156, which allows 8192² (512 MiB) and up to about 11585². assertFitsStorageBinding
 * rejects larger objects with an error before the dispatch.
 */
import * as tf from '@tensorflow/tfjs';

import { EXTRACT_PATCHES, type ExtractPatchesAttrs } from '../kernelNames';
import {
  assertFitsStorageBinding,
  ELEMENTWISE_WORKGROUP_SIZE,
  flatDispatch,
  runProgram,
  type KernelArgs,
  type KernelProgram,
  type WebGPUBackend,
} from './program';
import extractPatchesSource from './extractPatches.wgsl?raw';

function extractPatchesKernelFunc({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { object, positions } = inputs as { object: tf.TensorInfo; positions: tf.TensorInfo };
  const { size } = attrs as unknown as ExtractPatchesAttrs;
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`${EXTRACT_PATCHES}: attribute size must be a positive integer, received ${size}.`);
  }
  const patchCount = positions.shape[0];
  const webgpu = backend as WebGPUBackend;
  assertFitsStorageBinding(webgpu, EXTRACT_PATCHES, 'object', object.shape);
  assertFitsStorageBinding(webgpu, EXTRACT_PATCHES, 'output', [patchCount, size, size, 2]);
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
  return runProgram(webgpu, program, [object, positions]);
}

export const extractPatchesKernel: tf.KernelConfig = {
  kernelName: EXTRACT_PATCHES,
  backendName: 'webgpu',
  kernelFunc: extractPatchesKernelFunc,
};
