/**
 * Conv2D and FusedConv2D for the 'webgpu' backend on software adapters (see conv2d.wgsl).
 *
 * TensorFlow.js 4.22's webgpu convolutions stage tiles in workgroup memory behind barriers, and
 * SwiftShader runs them slowly: one PtychoPINN batch of 16 patterns at N = 64 and width 1/8 spent
 * 8.26 s in FusedConv2D (bench/pinn-inference, docs/performance.md). The direct convolution here
 * uses neither. Under the software plan it runs float32 NHWC convolutions of any filter size,
 * stride, dilation and padding, with linear, relu or sigmoid activation and an optional bias of
 * one value per output channel. Every other call goes to the stock tfjs kernel, and so does every
 * call on a hardware adapter unless CONV2D_PLAN_FLAG is 'software'.
 *
 * Gradients are not affected: the Conv2D gradient and the custom gradient of tf.fused.conv2d call
 * Conv2DBackpropInput and Conv2DBackpropFilter, which stay the stock kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { Conv2DAttrs, FusedConv2DAttrs } from '@tensorflow/tfjs';

import {
  assertFitsStorageBinding,
  ELEMENTWISE_WORKGROUP_SIZE,
  flatDispatch,
  isSoftwareAdapter,
  runProgram,
  type KernelArgs,
  type KernelProgram,
  type WebGPUBackend,
} from './program';
import conv2dSource from './conv2d.wgsl?raw';

/**
 * tfjs flag that picks the convolution program on 'webgpu': 'auto' (this file's direct
 * convolution on software adapters, the stock tfjs kernels on hardware ones), 'gpu' (always stock)
 * or 'software' (always the direct convolution where it applies). Tests set it to compare both.
 */
export const CONV2D_PLAN_FLAG = 'PTYCHO_WEBGPU_CONV2D_PLAN';

let planFlagRegistered = false;

/** Registers {@link CONV2D_PLAN_FLAG} with its default, 'auto', once per JavaScript realm. */
export function registerConv2dPlanFlag(): void {
  if (planFlagRegistered) return;
  tf.env().registerFlag(CONV2D_PLAN_FLAG, () => 'auto');
  planFlagRegistered = true;
}

function usesSoftwarePlan(backend: WebGPUBackend): boolean {
  const choice = tf.env().get(CONV2D_PLAN_FLAG);
  if (choice === 'gpu' || choice === 'software') return choice === 'software';
  // NOTE: hardware adapters keep tfjs's tiled kernels. The direct convolution has been timed on
  // SwiftShader only, so whether it would be faster on a real GPU is not known.
  return isSoftwareAdapter(backend);
}

type SupportedActivation = 'linear' | 'relu' | 'sigmoid';

const ACTIVATION_SNIPPETS: Record<SupportedActivation, string> = {
  linear: 'return value;',
  relu: 'return max(value, vec4<f32>(0.0));',
  sigmoid: 'return 1.0 / (1.0 + exp(-value));',
};

function isSupportedActivation(activation: string | undefined): activation is SupportedActivation {
  return activation === undefined || activation in ACTIVATION_SNIPPETS;
}

/** One convolution that the direct program computes, after the checks in {@link planConvolution}. */
interface DirectConvolution {
  x: tf.TensorInfo;
  filter: tf.TensorInfo;
  bias: tf.TensorInfo | null;
  convInfo: tf.backend_util.Conv2DInfo;
  activation: SupportedActivation;
}

/**
 * Returns the convolution to run with the direct program, or null when the call belongs to the
 * stock kernel. That is the case for another dtype or data format, a PReLU or other activation,
 * a bias that is not one value per output channel, and an empty output.
 */
function planConvolution(
  inputs: { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo },
  attrs: Conv2DAttrs & Partial<Pick<FusedConv2DAttrs, 'activation'>>,
): DirectConvolution | null {
  const { x, filter, bias, preluActivationWeights } = inputs;
  const activation = attrs.activation ?? 'linear';
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || attrs.dataFormat === 'NCHW') return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
  if (preluActivationWeights !== undefined || !isSupportedActivation(activation)) return null;
  const outChannels = filter.shape[3];
  if (bias !== undefined && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== outChannels)) {
    return null;
  }
  const convInfo = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (tf.util.sizeFromShape(convInfo.outShape) === 0) return null;
  return { x, filter, bias: bias ?? null, convInfo, activation };
}

/**
 * Builds the WGSL constant and functions that conv2d.wgsl calls and that depend on the bindings.
 * Input values are read as vec4 when Cin is a multiple of 4, filter values when Cout is, and the
 * bias array exists only when there is a bias.
 */
function bindingFunctions(
  inputComponents: 1 | 4,
  filterComponents: 1 | 4,
  hasBias: boolean,
  activation: SupportedActivation,
): string {
  const inputChannels =
    inputComponents === 4
      ? `const CHANNELS_PER_STEP: i32 = 4;

fn inputChannels(offset: i32, valid: bool) -> vec4<f32> {
  return select(vec4<f32>(0.0), x[offset / 4], valid);
}`
      : `const CHANNELS_PER_STEP: i32 = 1;

fn inputChannels(offset: i32, valid: bool) -> vec4<f32> {
  return vec4<f32>(select(0.0, x[offset], valid), 0.0, 0.0, 0.0);
}`;
  const filterQuad =
    filterComponents === 4
      ? `fn filterQuad(tap: i32, group: i32) -> vec4<f32> {
  return filterValues[tap * (uniforms.filterValuesShape.w / 4) + group];
}`
      : `fn filterQuad(tap: i32, group: i32) -> vec4<f32> {
  let outChannels = uniforms.filterValuesShape.w;
  let first = 4 * group;
  let base = tap * outChannels + first;
  var quad = vec4<f32>(0.0);
  for (var k = 0; k < 4 && first + k < outChannels; k += 1) {
    quad[k] = filterValues[base + k];
  }
  return quad;
}`;
  const biasQuad = hasBias
    ? `fn biasQuad(group: i32) -> vec4<f32> {
  let outChannels = uniforms.outShape.w;
  var quad = vec4<f32>(0.0);
  for (var k = 0; k < 4 && 4 * group + k < outChannels; k += 1) {
    quad[k] = bias[4 * group + k];
  }
  return quad;
}`
    : `fn biasQuad(group: i32) -> vec4<f32> {
  return vec4<f32>(0.0);
}`;
  const activate = `fn activate(value: vec4<f32>) -> vec4<f32> {
  ${ACTIVATION_SNIPPETS[activation]}
}`;
  return [inputChannels, filterQuad, biasQuad, activate].join('\n\n');
}

/** Output pixels of one row that one invocation computes, PIXELS_PER_INVOCATION in conv2d.wgsl. */
const PIXELS_PER_INVOCATION = 4;

/** Uniform fields of the direct program, after the shapes that tfjs declares itself. */
const CONVOLUTION_UNIFORMS =
  'invocationCount : i32, padTop : i32, padLeft : i32, strideHeight : i32, strideWidth : i32, ' +
  'dilationHeight : i32, dilationWidth : i32,';

function runDirectConvolution(backend: WebGPUBackend, kernelName: string, convolution: DirectConvolution): tf.TensorInfo {
  const { x, filter, bias, convInfo, activation } = convolution;
  const outShape = convInfo.outShape;
  assertFitsStorageBinding(backend, kernelName, 'x', x.shape);
  assertFitsStorageBinding(backend, kernelName, 'output', outShape);

  const outChannels = convInfo.outChannels;
  const channelGroups = Math.ceil(outChannels / 4);
  const blocksPerRow = Math.ceil(convInfo.outWidth / PIXELS_PER_INVOCATION);
  const invocationCount = convInfo.batchSize * convInfo.outHeight * blocksPerRow * channelGroups;
  const inputComponents = convInfo.inChannels % 4 === 0 ? 4 : 1;
  const filterComponents = outChannels % 4 === 0 ? 4 : 1;
  const hasBias = bias !== null;
  const userCode = `${bindingFunctions(inputComponents, filterComponents, hasBias, activation)}\n\n${conv2dSource}`;
  const program: KernelProgram = {
    wgslFile: 'conv2d.wgsl',
    wgslSource: conv2dSource,
    variableNames: hasBias ? ['x', 'filterValues', 'bias'] : ['x', 'filterValues'],
    variableComponents: hasBias ? [inputComponents, filterComponents, 1] : [inputComponents, filterComponents],
    outputShape: outShape,
    shaderKey: `ptychoConv2d_${inputComponents}_${filterComponents}_${hasBias}_${activation}`,
    dispatchLayout: { x: [0, 1, 2, 3] },
    dispatch: flatDispatch(invocationCount),
    workgroupSize: [ELEMENTWISE_WORKGROUP_SIZE, 1, 1],
    uniforms: CONVOLUTION_UNIFORMS,
    getUserCode: () => userCode,
  };
  const programInputs = hasBias ? [x, filter, bias] : [x, filter];
  return runProgram(backend, program, programInputs, [
    { type: 'int32', data: [invocationCount] },
    { type: 'int32', data: [convInfo.padInfo.top] },
    { type: 'int32', data: [convInfo.padInfo.left] },
    { type: 'int32', data: [convInfo.strideHeight] },
    { type: 'int32', data: [convInfo.strideWidth] },
    { type: 'int32', data: [convInfo.dilationHeight] },
    { type: 'int32', data: [convInfo.dilationWidth] },
  ]);
}

/** This file's kernel configs by kernel name, to recognise them on a second registration. */
const replacements = new Map<string, tf.KernelConfig>();

/** Returns a kernel function that runs the direct program where it applies and `stock` elsewhere. */
function makeKernelFunc(kernelName: string, stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const backend = args.backend as WebGPUBackend;
    if (usesSoftwarePlan(backend)) {
      const convolution = planConvolution(
        args.inputs as Parameters<typeof planConvolution>[0],
        args.attrs as unknown as Parameters<typeof planConvolution>[1],
      );
      if (convolution !== null) return runDirectConvolution(backend, kernelName, convolution);
    }
    return stock(args);
  };
}

/**
 * Replaces the stock 'webgpu' Conv2D and FusedConv2D kernels with ones that pick between the
 * direct program and the stock kernel on every call. Does nothing for a kernel that tfjs has not
 * registered, which is the case when @tensorflow/tfjs-backend-webgpu was never imported. Calling
 * it again keeps the replacement in place.
 */
export function registerConv2dKernels(): void {
  registerConv2dPlanFlag();
  for (const kernelName of [tf.Conv2D, tf.FusedConv2D]) {
    const registered = tf.getKernel(kernelName, 'webgpu');
    if (registered === undefined) continue;
    if (registered === replacements.get(kernelName)) continue;
    const replacement: tf.KernelConfig = {
      ...registered,
      kernelFunc: makeKernelFunc(kernelName, registered.kernelFunc),
    };
    replacements.set(kernelName, replacement);
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel(replacement);
  }
}
