/** WebGPU kernel for MODULUS_PROJECTION (see modulusProjection.wgsl). */
import * as tf from '@tensorflow/tfjs';

import { MODULUS_PROJECTION, type ModulusProjectionAttrs } from '../kernelNames';
import { assertAmplitudesMatch } from './amplitudeResidual';
import { ELEMENTWISE_WORKGROUP_SIZE, flatDispatch, runProgram, type KernelArgs, type KernelProgram, type WebGPUBackend } from './program';
import modulusProjectionSource from './modulusProjection.wgsl?raw';

function modulusProjectionKernelFunc({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { farField, amplitudes } = inputs as { farField: tf.TensorInfo; amplitudes: tf.TensorInfo };
  const returnDifference = (attrs as Partial<ModulusProjectionAttrs> | undefined)?.returnDifference === true;
  assertAmplitudesMatch(MODULUS_PROJECTION, farField, amplitudes);
  const program: KernelProgram = {
    wgslFile: 'modulusProjection.wgsl',
    wgslSource: modulusProjectionSource,
    variableNames: ['farField', 'amplitudes'],
    variableComponents: [2, 1],
    outputComponent: 2,
    outputShape: farField.shape,
    shaderKey: 'ptychoModulusProjection',
    size: true,
    dispatchLayout: { x: farField.shape.map((_, axis) => axis) },
    dispatch: flatDispatch(tf.util.sizeFromShape(amplitudes.shape)),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    // A uniform rather than a shader constant, so both modes share one compiled pipeline.
    uniforms: 'returnDifference : i32,',
    getUserCode: () => modulusProjectionSource,
  };
  return runProgram(backend as WebGPUBackend, program, [farField, amplitudes], [
    { type: 'int32', data: [returnDifference ? 1 : 0] },
  ]);
}

export const modulusProjectionKernel: tf.KernelConfig = {
  kernelName: MODULUS_PROJECTION,
  backendName: 'webgpu',
  kernelFunc: modulusProjectionKernelFunc,
};
