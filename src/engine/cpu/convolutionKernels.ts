/**
 * WebAssembly SIMD kernels for the 'cpu' backend's Conv2D, FusedConv2D, Conv2DBackpropInput and
 * Conv2DBackpropFilter, for running and training the PtychoPINN network in browsers without a GPU.
 *
 * The stock kernels of @tensorflow/tfjs-backend-cpu 4.22 are plain JavaScript, and its
 * FusedConv2D calls its own conv2D function directly, so each kernel is replaced separately. Each
 * replacement takes NHWC float32 convolutions with stride 1 and dilation 1, and for FusedConv2D
 * a linear or relu activation with an optional per-channel or scalar bias. Everything else goes
 * to the stock kernel function, captured before it is unregistered.
 */
import * as tf from '@tensorflow/tfjs';

import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import { registerFastCpuConvolutionGradient } from './convolutionGradient';
import { WasmConv2d, type Conv2dPadding } from './wasm/wasmConv2d';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface Conv2DAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

interface FusedConv2DAttrs extends Conv2DAttrs {
  activation?: string;
  leakyreluAlpha?: number;
}

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

let registered = false;
let wasm: WasmConv2d | null = null;

/**
 * Replaces the 'cpu' backend's Conv2D, FusedConv2D, Conv2DBackpropInput and Conv2DBackpropFilter
 * with the WebAssembly SIMD versions, once per JavaScript realm. Where WebAssembly SIMD is
 * missing, Conv2DBackpropFilter gets the flat-array JavaScript kernel of convolutionGradient.ts
 * and the others stay stock. Does nothing for a kernel that the 'cpu' backend does not register.
 */
/**
 * Resolves to the number of convolution helper threads once they have started, 0 when none can
 * or the kernels are not registered. Kernels run synchronously, so helpers that start during a
 * run can join only when it yields. A run that awaits this first uses them from its first batch.
 */
export function fastCpuConvolutionHelpersReady(): Promise<number> {
  return wasm?.helpersReady ?? Promise.resolve(0);
}

export function registerFastCpuConvolutionKernels(): void {
  registerFastCpuConvolutionGradient();
  if (registered) return;
  registered = true;
  wasm = WasmConv2d.create();
  if (wasm === null) return;

  replaceKernel('Conv2D', (args, stock) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DAttrs;
    return forwardConvolution(args.backend as MathBackendCPU, x, filter, null, attrs, false) ?? stock(args);
  });

  replaceKernel('FusedConv2D', (args, stock) => {
    const inputs = args.inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const attrs = args.attrs as unknown as FusedConv2DAttrs;
    const activation = attrs.activation ?? 'linear';
    if ((activation !== 'linear' && activation !== 'relu') || inputs.preluActivationWeights != null) return stock(args);
    const bias = inputs.bias ?? null;
    const relu = activation === 'relu';
    return forwardConvolution(args.backend as MathBackendCPU, inputs.x, inputs.filter, bias, attrs, relu) ?? stock(args);
  });

  replaceKernel('Conv2DBackpropInput', (args, stock) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as BackpropInputAttrs;
    return inputGradient(args.backend as MathBackendCPU, dy, filter, attrs) ?? stock(args);
  });

  // The fallback of this one is the flat-array JavaScript kernel registered above.
  replaceKernel('Conv2DBackpropFilter', (args, fallback) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as BackpropFilterAttrs;
    return filterGradient(args.backend as MathBackendCPU, x, dy, attrs) ?? fallback(args);
  });
}

/** Registers `kernelFunc` for `name` on 'cpu' in place of the stock kernel, which it receives. */
function replaceKernel(name: string, kernelFunc: (args: Parameters<tf.KernelFunc>[0], stock: tf.KernelFunc) => TensorInfo | TensorInfo[]): void {
  const stock = tf.getKernel(name, 'cpu');
  if (stock === undefined) return;
  const stockKernel = stock.kernelFunc;
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: (args) => kernelFunc(args, stockKernel) });
}

/**
 * Returns the convolution's geometry when the WebAssembly kernel takes it: NHWC float32, stride
 * 1, dilation 1 and no negative padding. Returns null otherwise.
 */
function supportedGeometry(
  xShape: number[],
  filterShape: number[],
  attrs: { strides: [number, number] | number; pad: Pad; dataFormat: string; dimRoundingMode?: 'floor' | 'round' | 'ceil' },
  dilations: [number, number] | number,
): tf.backend_util.Conv2DInfo | null {
  if (attrs.dataFormat !== 'NHWC' || xShape.length !== 4 || filterShape.length !== 4) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  if (strideHeight !== 1 || strideWidth !== 1 || dilationHeight !== 1 || dilationWidth !== 1) return null;
  if (Math.min(padInfo.top, padInfo.bottom, padInfo.left, padInfo.right) < 0) return null;
  return info;
}

function floatValues(backend: MathBackendCPU, tensor: TensorInfo): Float32Array | null {
  if (tensor.dtype !== 'float32') return null;
  const values = backend.data.get(tensor.dataId).values;
  return values instanceof Float32Array ? values : null;
}

function forwardConvolution(
  backend: MathBackendCPU,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  attrs: Conv2DAttrs,
  relu: boolean,
): TensorInfo | null {
  if (wasm === null) return null;
  const info = supportedGeometry(x.shape, filter.shape, attrs, attrs.dilations);
  if (info === null) return null;
  const input = floatValues(backend, x);
  const filterValues = floatValues(backend, filter);
  if (input === null || filterValues === null) return null;

  let biasValues: Float32Array | null = null;
  if (bias !== null) {
    biasValues = floatValues(backend, bias);
    const size = tf.util.sizeFromShape(bias.shape);
    if (biasValues === null || bias.shape.length > 1 || (size !== 1 && size !== info.outChannels)) return null;
  }

  const padding: Conv2dPadding = info.padInfo;
  const output = wasm.conv2d({
    input,
    batch: info.batchSize,
    height: info.inHeight,
    width: info.inWidth,
    inChannels: info.inChannels,
    filter: filterValues,
    kh: info.filterHeight,
    kw: info.filterWidth,
    outChannels: info.outChannels,
    flipFilter: false,
    bias: biasValues,
    padding,
    relu,
  });
  return backend.makeTensorInfo(info.outShape, 'float32', output);
}

/**
 * Computes dx of a stride-1 convolution as the convolution of dy with the flipped, channel-swapped
 * filter. Row y of dx reads dy rows y + top − ky, so dy gets kh − 1 − top zero rows on top and
 * kh − 1 − bottom at the bottom, and likewise for columns.
 */
function inputGradient(backend: MathBackendCPU, dy: TensorInfo, filter: TensorInfo, attrs: BackpropInputAttrs): TensorInfo | null {
  if (wasm === null) return null;
  const info = supportedGeometry(attrs.inputShape, filter.shape, attrs, 1);
  if (info === null) return null;
  const { filterHeight, filterWidth, padInfo } = info;
  if (padInfo.top > filterHeight - 1 || padInfo.bottom > filterHeight - 1) return null;
  if (padInfo.left > filterWidth - 1 || padInfo.right > filterWidth - 1) return null;
  const upstream = floatValues(backend, dy);
  const filterValues = floatValues(backend, filter);
  if (upstream === null || filterValues === null) return null;

  const output = wasm.conv2d({
    input: upstream,
    batch: info.batchSize,
    height: info.outHeight,
    width: info.outWidth,
    inChannels: info.outChannels,
    filter: filterValues,
    kh: filterHeight,
    kw: filterWidth,
    outChannels: info.inChannels,
    flipFilter: true,
    bias: null,
    padding: {
      top: filterHeight - 1 - padInfo.top,
      bottom: filterHeight - 1 - padInfo.bottom,
      left: filterWidth - 1 - padInfo.left,
      right: filterWidth - 1 - padInfo.right,
    },
    relu: false,
  });
  return backend.makeTensorInfo(attrs.inputShape, 'float32', output);
}

/** Computes dW of a stride-1 convolution in WebAssembly, or returns null for a case it does not take. */
function filterGradient(backend: MathBackendCPU, x: TensorInfo, dy: TensorInfo, attrs: BackpropFilterAttrs): TensorInfo | null {
  if (wasm === null) return null;
  const info = supportedGeometry(x.shape, attrs.filterShape, attrs, 1);
  if (info === null || !tf.util.arraysEqual(dy.shape, info.outShape)) return null;
  const input = floatValues(backend, x);
  const upstream = floatValues(backend, dy);
  if (input === null || upstream === null) return null;

  const gradient = wasm.filterGradient({
    input,
    dy: upstream,
    batch: info.batchSize,
    height: info.inHeight,
    width: info.inWidth,
    inChannels: info.inChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    outChannels: info.outChannels,
    padding: info.padInfo,
  });
  return backend.makeTensorInfo(attrs.filterShape, 'float32', gradient);
}
