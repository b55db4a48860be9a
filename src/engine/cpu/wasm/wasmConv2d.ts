/**
 * Runs the WebAssembly SIMD convolution of conv2d.wat: copies the input with its zero padding, the
 * repacked filter and the bias into the module's memory, convolves there and copies the valid
 * output channels back. The filter gradient takes the padded input and dy the same way, on the
 * calling thread only.
 *
 * Where memory can be shared (Node, or a cross-origin-isolated browser context), large forward
 * convolutions are split over the batch between the calling thread and helper threads (see
 * fft2Helpers.ts), which run the same module on a shared memory. Every output pixel is computed by
 * the same instructions whichever thread runs its image, so the results are bit-identical.
 */
import { CONV2D_SHARED_WASM_BASE64, CONV2D_WASM_BASE64 } from './conv2dBinary.generated';
import { canShareMemory, postJob, splitRound, startHelpers, waitForHelper, type Helper, type HelperEntry } from './fft2Helpers';
import { chooseThreads, decodeBase64, TIMINGS_KEPT, type ThreadChoice } from './wasmFft2';

/**
 * When to split a forward convolution across helper threads. 'auto' splits large batches when that
 * has measured faster, 'never' keeps every call on the calling thread, and 'always' splits any
 * batch of 2 or more images and throws when no helpers are running.
 */
export type Conv2dThreads = 'auto' | 'never' | 'always';

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
/** Maximum of the shared memory, 1 GiB, which the engine must reserve up front. */
const SHARED_MAX_PAGES = 16384;
/** Helper threads started at most, whatever the core count. */
const MAX_HELPERS = 3;
/** Address of the first helper's control block in the shared memory. */
const CONTROL_BASE = 64;
/** Bytes of one helper's control block: the words of Control, then the 14 conv2d arguments. */
const CONV_CONTROL_BYTES = 128;
/** Index of the first conv2d argument in a control block, after the words of Control. */
const ARGUMENTS_WORD = 16;
const ARGUMENT_COUNT = 14;
/** The conv2d helpers, which take the export's arguments in order from ARGUMENTS_WORD on. */
const CONV2D_HELPER: HelperEntry = {
  name: 'Conv2D',
  call: `instance.exports.conv2d(${Array.from({ length: ARGUMENT_COUNT }, (_, index) => `control[${ARGUMENTS_WORD + index}]`).join(', ')})`,
  controlBytes: CONV_CONTROL_BYTES,
};
/** Bytes of padded input and output per thread and round when a call is split across threads. */
const THREAD_CHUNK_BYTES = 1 << 22;
/**
 * Smallest number of multiply-adds (batch · output pixels · kh · kw · inChannels · padded output
 * channels) at which 'auto' considers splitting a call. One thread needed about 0.25 ms for this
 * many at the 3×3 PtychoPINN layer shapes (Node 20, 2-core AMD EPYC), and two threads ran calls of
 * about half as many no faster than one.
 */
const THREAD_MIN_MULTIPLY_ADDS = 1 << 22;
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

/** Byte addresses in the module's memory of one conv2d call's arrays. */
interface Conv2dAddresses {
  input: number;
  weights: number;
  bias: number;
  output: number;
}

/** Returns the arguments of the module's conv2d for `images` images of `request` at `addresses`. */
function conv2dArguments(request: Conv2dRequest, images: number, addresses: Conv2dAddresses): Parameters<Conv2dExports['conv2d']> {
  const { paddedHeight, paddedWidth, outHeight, outWidth } = paddedGeometry(request);
  return [
    addresses.input,
    addresses.weights,
    addresses.bias,
    addresses.output,
    images,
    paddedHeight,
    paddedWidth,
    request.inChannels,
    outHeight,
    outWidth,
    Math.ceil(request.outChannels / 4) * 4,
    request.kh,
    request.kw,
    request.relu ? 1 : 0,
  ];
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

/**
 * The conv2d module on its own growable memory, which it reuses across calls, and on a shared
 * memory with helper threads where the context allows it.
 */
export class WasmConv2d {
  private readonly exports: Conv2dExports;
  private helpers: Helper[] = [];
  private shared: { memory: WebAssembly.Memory; exports: Conv2dExports } | null = null;
  private readonly choices = new Map<string, ThreadChoice>();
  /** Resolves to the number of helper threads running once they have started, 0 when none can. */
  readonly helpersReady: Promise<number>;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    sharedModule: WebAssembly.Module | null,
  ) {
    const bytes = decodeBase64(CONV2D_WASM_BASE64);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    this.exports = instance.exports as unknown as Conv2dExports;
    this.helpersReady = sharedModule === null ? Promise.resolve(0) : this.startHelpers(sharedModule);
  }

  /**
   * Compiles the module synchronously, and starts helper threads in the background where the
   * context can share memory. Returns null when WebAssembly or its SIMD extension is missing, or
   * when compiling fails, for example where a browser limits synchronous compiles on the main
   * thread to 4 KB (each of the two modules is about 3.4 KB).
   */
  static create(): WasmConv2d | null {
    if (typeof WebAssembly !== 'object') return null;
    if (!WebAssembly.validate(decodeBase64(CONV2D_WASM_BASE64))) return null;
    let local: WebAssembly.Memory;
    try {
      local = new WebAssembly.Memory({ initial: 1 });
      let sharedModule: WebAssembly.Module | null = null;
      if (canShareMemory()) {
        const sharedBytes = decodeBase64(CONV2D_SHARED_WASM_BASE64);
        if (WebAssembly.validate(sharedBytes)) sharedModule = new WebAssembly.Module(sharedBytes);
      }
      return new WasmConv2d(local, sharedModule);
    } catch (error) {
      console.warn('wasmConv2d: compiling the WebAssembly convolution failed, so the stock kernels stay in use.', error);
      return null;
    }
  }

  private async startHelpers(module: WebAssembly.Module): Promise<number> {
    try {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      const controls = Array.from({ length: MAX_HELPERS }, (_, index) => CONTROL_BASE + index * CONV_CONTROL_BYTES);
      const helpers = await startHelpers(memory, module, controls, CONV2D_HELPER);
      if (helpers.length > 0) {
        const instance = new WebAssembly.Instance(module, { env: { memory } });
        this.shared = { memory, exports: instance.exports as unknown as Conv2dExports };
        this.helpers = helpers;
      }
    } catch (error) {
      console.warn('wasmConv2d: helper threads failed to start, so convolutions run on one thread.', error);
    }
    return this.helpers.length;
  }

  /**
   * Returns the output [batch, outHeight, outWidth, outChannels] in a new array. `threads` chooses
   * whether helper threads take part (see Conv2dThreads); the bits of the result do not depend on it.
   */
  conv2d(request: Conv2dRequest, threads: Conv2dThreads = 'auto'): Float32Array {
    const { batch, height, width, inChannels, kh, kw, outChannels } = request;
    const { paddedHeight, paddedWidth, outHeight, outWidth } = paddedGeometry(request);
    if (outHeight < 1 || outWidth < 1) {
      throw new Error(
        `wasmConv2d: a ${kh}×${kw} filter does not fit the padded ${paddedHeight}×${paddedWidth} input.`,
      );
    }
    if (threads === 'always' && this.helpers.length === 0) {
      throw new Error(
        "wasmConv2d: threads 'always' needs helper threads, but none are running. Await helpersReady first, or pass 'auto'.",
      );
    }
    const multiplyAdds = batch * outHeight * outWidth * kh * kw * inChannels * Math.ceil(outChannels / 4) * 4;
    const canSplit = batch >= 2 && this.shared !== null;
    if (threads === 'never' || !canSplit || (threads === 'auto' && multiplyAdds < THREAD_MIN_MULTIPLY_ADDS)) {
      return this.conv2dLocally(request);
    }
    if (threads === 'always') return this.conv2dThreaded(request);

    const key = [height, width, inChannels, kh, kw, outChannels].join(',');
    const choice = this.choices.get(key) ?? { oneThread: [], threaded: [], calls: 0 };
    this.choices.set(key, choice);
    const useThreads = chooseThreads(choice);
    const start = performance.now();
    const output = useThreads ? this.conv2dThreaded(request) : this.conv2dLocally(request);
    const timings = useThreads ? choice.threaded : choice.oneThread;
    timings.push((performance.now() - start) / multiplyAdds);
    if (timings.length > TIMINGS_KEPT) timings.shift();
    return output;
  }

  /** Convolves on the calling thread, in private memory, in chunks of about CHUNK_BYTES. */
  private conv2dLocally(request: Conv2dRequest): Float32Array {
    const { batch, height, width, inChannels, kh, kw, outChannels, padding } = request;
    const { paddedHeight, paddedWidth, outHeight, outWidth } = paddedGeometry(request);
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
    reserve(this.memory, outputAddress + 4 * imagesPerChunk * outputImageLength);

    writeBias(this.memory, request, biasAddress, paddedOut);
    writeWeights(this.memory, request, weightsAddress, paddedOut);

    for (let first = 0; first < batch; first += imagesPerChunk) {
      const images = Math.min(imagesPerChunk, batch - first);
      writePaddedImages(this.memory, request.input, first, images, height, width, inChannels, padding, inputAddress);

      this.exports.conv2d(
        ...conv2dArguments(request, images, { input: inputAddress, weights: weightsAddress, bias: biasAddress, output: outputAddress }),
      );

      const pixels = images * outHeight * outWidth;
      const result = new Float32Array(this.memory.buffer, outputAddress, pixels * paddedOut);
      copyChannels(result, 0, paddedOut, output, first * outHeight * outWidth * outChannels, outChannels, pixels, outChannels);
    }
    return output;
  }

  /**
   * Splits the batch into rounds of at most THREAD_CHUNK_BYTES per thread. In each round, every
   * helper's images are copied in and started before the calling thread copies and convolves its
   * own, and the helpers' outputs are copied out after they finish.
   *
   * NOTE: every copy runs on the calling thread, because the input and output arrays are not in
   * shared memory. On a 2-core AMD EPYC in Node 20, two threads ran the PtychoPINN layers at batch
   * 32 about 1.1 to 1.7 times as fast as one, not twice.
   */
  private conv2dThreaded(request: Conv2dRequest): Float32Array {
    const shared = this.shared;
    if (shared === null) throw new Error('wasmConv2d: the helper threads stopped, so the convolution cannot be split.');
    const { batch, height, width, inChannels, kh, kw, outChannels, padding } = request;
    const { paddedHeight, paddedWidth, outHeight, outWidth } = paddedGeometry(request);
    const paddedOut = Math.ceil(outChannels / 4) * 4;
    const output = new Float32Array(batch * outHeight * outWidth * outChannels);

    const inputImageLength = paddedHeight * paddedWidth * inChannels;
    const outputImageLength = outHeight * outWidth * paddedOut;
    const threadCount = Math.min(this.helpers.length + 1, batch);
    const imagesPerThread = Math.max(
      1,
      Math.min(Math.ceil(batch / threadCount), Math.floor(THREAD_CHUNK_BYTES / (4 * (inputImageLength + outputImageLength)))),
    );

    const biasAddress = CONTROL_BASE + MAX_HELPERS * CONV_CONTROL_BYTES;
    const weightsAddress = alignToCacheLine(biasAddress + 4 * paddedOut);
    const regionBase = alignToCacheLine(weightsAddress + 4 * kh * kw * inChannels * paddedOut);
    // Thread t reads its padded images at regionBase + t·regionBytes and writes its output after them.
    const inputBytes = alignToCacheLine(4 * imagesPerThread * inputImageLength);
    const regionBytes = inputBytes + alignToCacheLine(4 * imagesPerThread * outputImageLength);
    reserve(shared.memory, regionBase + threadCount * regionBytes);
    writeBias(shared.memory, request, biasAddress, paddedOut);
    writeWeights(shared.memory, request, weightsAddress, paddedOut);

    const convolve = (images: number, region: number): Parameters<Conv2dExports['conv2d']> =>
      conv2dArguments(request, images, { input: region, weights: weightsAddress, bias: biasAddress, output: region + inputBytes });
    const copyOut = (first: number, images: number, region: number): void => {
      const pixels = images * outHeight * outWidth;
      const result = new Float32Array(shared.memory.buffer, region + inputBytes, pixels * paddedOut);
      copyChannels(result, 0, paddedOut, output, first * outHeight * outWidth * outChannels, outChannels, pixels, outChannels);
    };

    for (let first = 0; first < batch; ) {
      const roundImages = Math.min(batch - first, threadCount * imagesPerThread);
      const counts = splitRound(roundImages, threadCount);
      const share = counts[0];
      const jobs: { helper: Helper; job: number; first: number; images: number; region: number }[] = [];
      let next = first + share;
      for (let thread = 1; thread < threadCount; thread += 1) {
        const images = counts[thread];
        if (images === 0) continue;
        const region = regionBase + thread * regionBytes;
        writePaddedImages(shared.memory, request.input, next, images, height, width, inChannels, padding, region);
        const helper = this.helpers[thread - 1];
        helper.control.set(convolve(images, region), ARGUMENTS_WORD);
        const job = postJob(helper, { failed: 0 });
        jobs.push({ helper, job, first: next, images, region });
        next += images;
      }

      if (share > 0) {
        writePaddedImages(shared.memory, request.input, first, share, height, width, inChannels, padding, regionBase);
        shared.exports.conv2d(...convolve(share, regionBase));
        copyOut(first, share, regionBase);
      }

      for (const job of jobs) {
        try {
          waitForHelper(job.helper, job.job);
        } catch (error) {
          // A helper that is still being terminated may yet write its region of the shared memory,
          // so the whole convolution runs again in private memory.
          console.warn('wasmConv2d: a helper thread failed, so convolutions continue on one thread.', error);
          this.stopHelpers();
          return this.conv2dLocally(request);
        }
        copyOut(job.first, job.images, job.region);
      }
      first += roundImages;
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
    reserve(this.memory, dyAddress + 4 * imagesPerChunk * dyImageLength);

    const sums = new Float64Array(kh * kw * inChannels * outChannels);
    for (let first = 0; first < batch; first += imagesPerChunk) {
      const images = Math.min(imagesPerChunk, batch - first);
      writePaddedImages(this.memory, request.input, first, images, height, width, inChannels, padding, inputAddress);
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

  /** Terminates the helpers and runs every later call on the calling thread. */
  private stopHelpers(): void {
    for (const helper of this.helpers) helper.worker.terminate();
    this.helpers = [];
    this.shared = null;
  }
}

/** Copies images first..first+images of `source` into zero-padded images at byte address `address`. */
function writePaddedImages(
  memory: WebAssembly.Memory,
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
  const padded = new Float32Array(memory.buffer, address, images * paddedHeight * paddedWidth * channels);
  padded.fill(0);
  for (let image = 0; image < images; image += 1) {
    for (let row = 0; row < height; row += 1) {
      const from = ((first + image) * height + row) * rowLength;
      const to = ((image * paddedHeight + row + padding.top) * paddedWidth + padding.left) * channels;
      padded.set(source.subarray(from, from + rowLength), to);
    }
  }
}

function reserve(memory: WebAssembly.Memory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE_BYTES));
}

function writeBias(memory: WebAssembly.Memory, request: Conv2dRequest, address: number, paddedOut: number): void {
  const bias = new Float32Array(memory.buffer, address, paddedOut);
  bias.fill(0);
  if (request.bias === null) return;
  if (request.bias.length === 1) {
    bias.fill(request.bias[0], 0, request.outChannels);
  } else {
    bias.set(request.bias.subarray(0, request.outChannels));
  }
}

/** Writes the filter as [ky][kx][inChannel][paddedOut], zero in the padding channels. */
function writeWeights(memory: WebAssembly.Memory, request: Conv2dRequest, address: number, paddedOut: number): void {
  const { filter, kh, kw, inChannels, outChannels, flipFilter } = request;
  const weights = new Float32Array(memory.buffer, address, kh * kw * inChannels * paddedOut);
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
