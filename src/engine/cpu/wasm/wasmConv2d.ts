/**
 * Runs the WebAssembly SIMD convolution of conv2d.wat on the calling thread: copies the input with
 * its zero padding, the repacked filter and the bias into the module's memory, convolves there and
 * copies the valid output channels back. The filter gradient takes the padded input and dy the
 * same way.
 */
import { CONV2D_WASM_BASE64 } from './conv2dBinary.generated';
import { decodeBase64 } from './wasmFft2';

/** Exports of the conv2d module. */
interface Conv2dExports {
  conv2d(
    input: number,
    weights: number,
    bias: number,
    output: number,
    batch: number,
    paddedHeight: number,
    paddedWidth: number,
    inChannels: number,
    outHeight: number,
    outWidth: number,
    paddedOut: number,
    kh: number,
    kw: number,
    relu: number,
  ): void;
  filterGradient(
    input: number,
    dy: number,
    output: number,
    images: number,
    paddedHeight: number,
    paddedWidth: number,
    inChannels: number,
    outHeight: number,
    outWidth: number,
    paddedOut: number,
    kh: number,
    kw: number,
  ): void;
}

/** Zero rows and columns added on each side of the input, in pixels. */
export interface Conv2dPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** A stride-1, dilation-1 convolution of NHWC float32 data. */
export interface Conv2dRequest {
  /** Input [batch, height, width, inChannels]. */
  input: Float32Array;
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  /** Filter [kh, kw, inChannels, outChannels], or, with `flipFilter`, [kh, kw, outChannels, inChannels]. */
  filter: Float32Array;
  kh: number;
  kw: number;
  outChannels: number;
  /**
   * true convolves with the filter rotated by 180° and its channel axes swapped, which computes
   * the gradient of a convolution with respect to its input when `input` is the upstream gradient.
   */
  flipFilter: boolean;
  /** outChannels values, or one value for every channel, or null for no bias. */
  bias: Float32Array | null;
  padding: Conv2dPadding;
  relu: boolean;
}

/** The gradient of a stride-1, dilation-1 convolution of NHWC float32 data with respect to its filter. */
export interface FilterGradientRequest {
  /** Input [batch, height, width, inChannels] of the forward convolution. */
  input: Float32Array;
  /** Upstream gradient [batch, outHeight, outWidth, outChannels]. */
  dy: Float32Array;
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  kh: number;
  kw: number;
  outChannels: number;
  padding: Conv2dPadding;
}

const PAGE_BYTES = 65536;
/**
 * Images per module call are limited so that one chunk's padded input and output take about this
 * many bytes (but at least one image), which keeps the copies and the convolution of a chunk
 * within the L2 cache.
 */
const CHUNK_BYTES = 1 << 19;

function alignToCacheLine(address: number): number {
  return Math.ceil(address / 64) * 64;
}

/** Sizes of the zero-padded input and of the output of a stride-1 convolution with a kh × kw filter. */
function paddedGeometry(request: Pick<Conv2dRequest, 'height' | 'width' | 'kh' | 'kw' | 'padding'>) {
  const paddedHeight = request.height + request.padding.top + request.padding.bottom;
  const paddedWidth = request.width + request.padding.left + request.padding.right;
  return { paddedHeight, paddedWidth, outHeight: paddedHeight - request.kh + 1, outWidth: paddedWidth - request.kw + 1 };
}

/**
 * Copies the first `channels` values of each of `pixels` pixels from `source` (from index
 * `sourceStart`, `sourceChannels` values per pixel) to `target` (from `targetStart`,
 * `targetChannels` per pixel). Equal pixel lengths take one block copy.
 */
function copyChannels(
  source: Float32Array,
  sourceStart: number,
  sourceChannels: number,
  target: Float32Array,
  targetStart: number,
  targetChannels: number,
  pixels: number,
  channels: number,
): void {
  if (sourceChannels === channels && targetChannels === channels) {
    target.set(source.subarray(sourceStart, sourceStart + pixels * channels), targetStart);
    return;
  }
  for (let pixel = 0; pixel < pixels; pixel += 1) {
    const from = sourceStart + pixel * sourceChannels;
    const to = targetStart + pixel * targetChannels;
    for (let channel = 0; channel < channels; channel += 1) target[to + channel] = source[from + channel];
  }
}

/** The conv2d module on its own growable memory, which it reuses across calls. */
export class WasmConv2d {
  private readonly exports: Conv2dExports;

  private constructor(private readonly memory: WebAssembly.Memory) {
    const bytes = decodeBase64(CONV2D_WASM_BASE64);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    this.exports = instance.exports as unknown as Conv2dExports;
  }

  /**
   * Compiles the module synchronously. Returns null when WebAssembly or its SIMD extension is
   * missing, or when compiling fails, for example where a browser limits synchronous compiles on
   * the main thread to 4 KB (the module is about 3.4 KB).
   */
  static create(): WasmConv2d | null {
    if (typeof WebAssembly !== 'object') return null;
    if (!WebAssembly.validate(decodeBase64(CONV2D_WASM_BASE64))) return null;
    try {
      return new WasmConv2d(new WebAssembly.Memory({ initial: 1 }));
    } catch (error) {
      console.warn('wasmConv2d: compiling the WebAssembly convolution failed, so the stock kernels stay in use.', error);
      return null;
    }
  }

  /** Returns the output [batch, outHeight, outWidth, outChannels] in a new array. */
  conv2d(request: Conv2dRequest): Float32Array {
    const { batch, height, width, inChannels, kh, kw, outChannels, padding } = request;
    const { paddedHeight, paddedWidth, outHeight, outWidth } = paddedGeometry(request);
    if (outHeight < 1 || outWidth < 1) {
      throw new Error(
        `wasmConv2d: a ${kh}×${kw} filter does not fit the padded ${paddedHeight}×${paddedWidth} input.`,
      );
    }
    const paddedOut = Math.ceil(outChannels / 4) * 4;
    const output = new Float32Array(batch * outHeight * outWidth * outChannels);

    const inputImageLength = paddedHeight * paddedWidth * inChannels;
    const outputImageLength = outHeight * outWidth * paddedOut;
    const imagesPerChunk = Math.max(1, Math.min(batch, Math.floor(CHUNK_BYTES / (4 * (inputImageLength + outputImageLength)))));

    const biasAddress = 64;
    const weightsAddress = alignToCacheLine(biasAddress + 4 * paddedOut);
    const weightsLength = kh * kw * inChannels * paddedOut;
    const inputAddress = alignToCacheLine(weightsAddress + 4 * weightsLength);
    const outputAddress = alignToCacheLine(inputAddress + 4 * imagesPerChunk * inputImageLength);
    this.reserve(outputAddress + 4 * imagesPerChunk * outputImageLength);

    this.writeBias(request, biasAddress, paddedOut);
    this.writeWeights(request, weightsAddress, paddedOut);

    for (let first = 0; first < batch; first += imagesPerChunk) {
      const images = Math.min(imagesPerChunk, batch - first);
      this.writePaddedImages(request.input, first, images, height, width, inChannels, padding, inputAddress);

      this.exports.conv2d(
        inputAddress,
        weightsAddress,
        biasAddress,
        outputAddress,
        images,
        paddedHeight,
        paddedWidth,
        inChannels,
        outHeight,
        outWidth,
        paddedOut,
        kh,
        kw,
        request.relu ? 1 : 0,
      );

      const pixels = images * outHeight * outWidth;
      const result = new Float32Array(this.memory.buffer, outputAddress, pixels * paddedOut);
      copyChannels(result, 0, paddedOut, output, first * outHeight * outWidth * outChannels, outChannels, pixels, outChannels);
    }
    return output;
  }

  /**
   * Returns the filter gradient [kh, kw, inChannels, outChannels] in a new array. The module sums
   * each chunk of images in float32, and the chunks are added here in float64.
   */
  filterGradient(request: FilterGradientRequest): Float32Array {
    const { batch, height, width, inChannels, kh, kw, outChannels, padding } = request;
    const { paddedHeight, paddedWidth, outHeight, outWidth } = paddedGeometry(request);
    if (outHeight < 1 || outWidth < 1 || request.dy.length !== batch * outHeight * outWidth * outChannels) {
      throw new Error(
        `wasmConv2d: dy of ${request.dy.length} values does not match a ${kh}×${kw} filter on the padded ` +
          `${paddedHeight}×${paddedWidth} input, batch ${batch}, ${outChannels} output channels.`,
      );
    }
    const paddedOut = Math.ceil(outChannels / 4) * 4;
    const inputImageLength = paddedHeight * paddedWidth * inChannels;
    const dyImageLength = outHeight * outWidth * paddedOut;
    const imagesPerChunk = Math.max(1, Math.min(batch, Math.floor(CHUNK_BYTES / (4 * (inputImageLength + dyImageLength)))));

    const gradientLength = kh * kw * inChannels * paddedOut;
    const gradientAddress = 64;
    const inputAddress = alignToCacheLine(gradientAddress + 4 * gradientLength);
    const dyAddress = alignToCacheLine(inputAddress + 4 * imagesPerChunk * inputImageLength);
    this.reserve(dyAddress + 4 * imagesPerChunk * dyImageLength);

    const sums = new Float64Array(kh * kw * inChannels * outChannels);
    for (let first = 0; first < batch; first += imagesPerChunk) {
      const images = Math.min(imagesPerChunk, batch - first);
      this.writePaddedImages(request.input, first, images, height, width, inChannels, padding, inputAddress);
      const pixels = images * outHeight * outWidth;
      const dy = new Float32Array(this.memory.buffer, dyAddress, pixels * paddedOut);
      if (paddedOut !== outChannels) dy.fill(0);
      copyChannels(request.dy, first * outHeight * outWidth * outChannels, outChannels, dy, 0, paddedOut, pixels, outChannels);

      this.exports.filterGradient(
        inputAddress,
        dyAddress,
        gradientAddress,
        images,
        paddedHeight,
        paddedWidth,
        inChannels,
        outHeight,
        outWidth,
        paddedOut,
        kh,
        kw,
      );

      const partial = new Float32Array(this.memory.buffer, gradientAddress, gradientLength);
      for (let row = 0; row < kh * kw * inChannels; row += 1) {
        for (let channel = 0; channel < outChannels; channel += 1) {
          sums[row * outChannels + channel] += partial[row * paddedOut + channel];
        }
      }
    }
    return Float32Array.from(sums);
  }

  /** Copies images first..first+images of `source` into zero-padded images at byte address `address`. */
  private writePaddedImages(
    source: Float32Array,
    first: number,
    images: number,
    height: number,
    width: number,
    channels: number,
    padding: Conv2dPadding,
    address: number,
  ): void {
    const paddedHeight = height + padding.top + padding.bottom;
    const paddedWidth = width + padding.left + padding.right;
    const rowLength = width * channels;
    const padded = new Float32Array(this.memory.buffer, address, images * paddedHeight * paddedWidth * channels);
    padded.fill(0);
    for (let image = 0; image < images; image += 1) {
      for (let row = 0; row < height; row += 1) {
        const from = ((first + image) * height + row) * rowLength;
        const to = ((image * paddedHeight + row + padding.top) * paddedWidth + padding.left) * channels;
        padded.set(source.subarray(from, from + rowLength), to);
      }
    }
  }

  private reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE_BYTES));
  }

  private writeBias(request: Conv2dRequest, address: number, paddedOut: number): void {
    const bias = new Float32Array(this.memory.buffer, address, paddedOut);
    bias.fill(0);
    if (request.bias === null) return;
    if (request.bias.length === 1) {
      bias.fill(request.bias[0], 0, request.outChannels);
    } else {
      bias.set(request.bias.subarray(0, request.outChannels));
    }
  }

  /** Writes the filter as [ky][kx][inChannel][paddedOut], zero in the padding channels. */
  private writeWeights(request: Conv2dRequest, address: number, paddedOut: number): void {
    const { filter, kh, kw, inChannels, outChannels, flipFilter } = request;
    const weights = new Float32Array(this.memory.buffer, address, kh * kw * inChannels * paddedOut);
    if (paddedOut !== outChannels) weights.fill(0);
    for (let ky = 0; ky < kh; ky += 1) {
      for (let kx = 0; kx < kw; kx += 1) {
        for (let ci = 0; ci < inChannels; ci += 1) {
          const target = ((ky * kw + kx) * inChannels + ci) * paddedOut;
          if (!flipFilter) {
            const source = ((ky * kw + kx) * inChannels + ci) * outChannels;
            weights.set(filter.subarray(source, source + outChannels), target);
            continue;
          }
          // The stored filter is [kh][kw][outChannels][inChannels] of the forward convolution.
          const flipped = ((kh - 1 - ky) * kw + (kw - 1 - kx)) * outChannels * inChannels;
          for (let co = 0; co < outChannels; co += 1) weights[target + co] = filter[flipped + co * inChannels + ci];
        }
      }
    }
  }
}
