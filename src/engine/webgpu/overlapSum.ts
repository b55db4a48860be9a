/**
 * WebGPU kernel for OVERLAP_SUM (see overlapSum.wgsl). Every index in the shader is an i32, so it
 * addresses any output that fits one storage binding exactly.
 *
 * NOTE: the output [height, width, 2] is bound as one storage buffer, so height · width · 8 bytes
 * must not exceed the device's maxStorageBufferBindingSize and maxBufferSize. Both are 1 GiB on
 * SwiftShader in Chromium 156, which allows 8192² (512 MiB) and up to about 11585².
 * assertFitsStorageBinding rejects larger outputs with an error before the dispatch.
 */
import * as tf from '@tensorflow/tfjs';

import { OVERLAP_SUM, type OverlapSumAttrs } from '../kernelNames';
import {
  assertFitsStorageBinding,
  ELEMENTWISE_WORKGROUP_SIZE,
  flatDispatch,
  runProgram,
  type KernelArgs,
  type KernelProgram,
  type WebGPUBackend,
} from './program';
import overlapSumSource from './overlapSum.wgsl?raw';

/**
 * Patch count from which the shader culls patches per workgroup tile (the tiled path in
 * overlapSum.wgsl) instead of testing every position at every pixel. Below one patch per
 * invocation the plain loop is short. Measured on SwiftShader on a 2-core machine, with the
 * patches on a 4-column grid with a step of n/4 (median of 3 runs): the tiled path took about
 * 0.8× the time of the plain loop at [64, 64, 64, 2]. It took 0.35× at [256, 64, 64, 2] and
 * 0.2× at [1024, 64, 64, 2].
 * At [32, 128, 128, 2] it took about 1.2×, because a shader with workgroup barriers runs slower
 * there.
 */
const TILED_MIN_PATCHES = ELEMENTWISE_WORKGROUP_SIZE;

function overlapSumKernelFunc({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { patches, positions } = inputs as { patches: tf.TensorInfo; positions: tf.TensorInfo };
  const { height, width } = attrs as unknown as OverlapSumAttrs;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(
      `${OVERLAP_SUM}: attributes height and width must be positive integers, received ${height}×${width}.`,
    );
  }

  const rank = patches.shape.length;
  const patchSize = patches.shape[rank - 2];
  const singlePatch = rank === 3;
  if (
    (rank !== 3 && rank !== 4) ||
    patches.shape[rank - 3] !== patchSize ||
    patches.shape[rank - 1] !== 2 ||
    positions.shape.length !== 2 ||
    positions.shape[1] !== 2 ||
    (!singlePatch && patches.shape[0] !== positions.shape[0])
  ) {
    throw new Error(
      `${OVERLAP_SUM}: expected patches [B, n, n, 2] or [n, n, 2] and positions [B, 2], ` +
        `received [${patches.shape.join(', ')}] and [${positions.shape.join(', ')}].`,
    );
  }

  const webgpu = backend as WebGPUBackend;
  assertFitsStorageBinding(webgpu, OVERLAP_SUM, 'output', [height, width, 2]);
  assertFitsStorageBinding(webgpu, OVERLAP_SUM, 'patches', patches.shape);

  // NOTE: the threshold is measured on SwiftShader only. On hardware GPUs, where barriers are
  // cheap, tiling may pay off at smaller B.
  const tiled = positions.shape[0] >= TILED_MIN_PATCHES;
  const constants = [`const WORKGROUP_SIZE: u32 = ${ELEMENTWISE_WORKGROUP_SIZE}u;`, `const TILED: bool = ${tiled};`].join('\n');
  const program: KernelProgram = {
    wgslFile: 'overlapSum.wgsl',
    wgslSource: overlapSumSource,
    variableNames: ['patches', 'positions'],
    variableComponents: [2, 2],
    outputComponent: 2,
    outputShape: [height, width, 2],
    shaderKey: `ptychoOverlapSum_${ELEMENTWISE_WORKGROUP_SIZE}_${tiled}`,
    size: true,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: flatDispatch(height * width),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    uniforms: 'patchSize : i32, patchStride : i32,',
    getUserCode: () => `${constants}\n${overlapSumSource}`,
  };
  return runProgram(webgpu, program, [patches, positions], [
    { type: 'int32', data: [patchSize] },
    { type: 'int32', data: [singlePatch ? 0 : patchSize * patchSize] },
  ]);
}

export const overlapSumKernel: tf.KernelConfig = {
  kernelName: OVERLAP_SUM,
  backendName: 'webgpu',
  kernelFunc: overlapSumKernelFunc,
};
