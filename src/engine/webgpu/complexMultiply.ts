/** WebGPU kernel for COMPLEX_MULTIPLY (see complexMultiply.wgsl). */
import * as tf from '@tensorflow/tfjs';

import { COMPLEX_MULTIPLY, type ComplexMultiplyAttrs } from '../kernelNames';
import { ELEMENTWISE_WORKGROUP_SIZE, flatDispatch, runProgram, type KernelArgs, type KernelProgram, type WebGPUBackend } from './program';
import complexMultiplySource from './complexMultiply.wgsl?raw';

function complexMultiplyKernelFunc({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { conjugateA } = attrs as unknown as ComplexMultiplyAttrs;
  const outputShape = a.shape.length >= b.shape.length ? a.shape : b.shape;
  const aCount = tf.util.sizeFromShape(a.shape) / 2;
  const bCount = tf.util.sizeFromShape(b.shape) / 2;
  const outputCount = tf.util.sizeFromShape(outputShape) / 2;
  if (outputCount % aCount !== 0 || outputCount % bCount !== 0) {
    throw new Error(
      `${COMPLEX_MULTIPLY}: operand shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not broadcast; ` +
        'they must agree except that one may lack the batch axis.',
    );
  }
  const program: KernelProgram = {
    wgslFile: 'complexMultiply.wgsl',
    wgslSource: complexMultiplySource,
    variableNames: ['a', 'b'],
    variableComponents: [2, 2],
    outputComponent: 2,
    outputShape,
    shaderKey: 'ptychoComplexMultiply',
    size: true,
    dispatchLayout: { x: outputShape.map((_, axis) => axis) },
    dispatch: flatDispatch(outputCount),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    uniforms: 'aCount : i32, bCount : i32, conjugateSign : f32,',
    getUserCode: () => complexMultiplySource,
  };
  return runProgram(backend as WebGPUBackend, program, [a, b], [
    { type: 'int32', data: [aCount] },
    { type: 'int32', data: [bCount] },
    { type: 'float32', data: [conjugateA ? -1 : 1] },
  ]);
}

export const complexMultiplyKernel: tf.KernelConfig = {
  kernelName: COMPLEX_MULTIPLY,
  backendName: 'webgpu',
  kernelFunc: complexMultiplyKernelFunc,
};
