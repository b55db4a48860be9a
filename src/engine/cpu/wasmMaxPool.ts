/**
 * The 2 × 2 stride-2 MaxPool WebAssembly SIMD module (maxPool2x2.wat) on a private memory that
 * grows as needed. Each call copies the input into the memory and the output out of it.
 * NOTE: the memory never shrinks, so it keeps the size of the largest call made so far: 5 MiB for
 * PtychoPINN's first pooling layer at N = 64, batch 32 and 1/8 width, 8 times that at full width.
 */
import { MAX_POOL_2X2_WASM_BASE64 } from './maxPool2x2Binary.generated';
import { decodeBase64 } from './wasm/wasmFft2';

const PAGE_BYTES = 65536;

interface MaxPoolExports {
  maxPool2x2(
    input: number,
    output: number,
    rows: number,
    inPairBytes: number,
    rowBytes: number,
    outRowBytes: number,
    pixelBytes: number,
  ): void;
}

/** Input and output geometry of one MaxPool call, NHWC. */
export interface MaxPool2x2Shape {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
}

export class WasmMaxPool {
  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly exports: MaxPoolExports,
  ) {}

  /** Compiles the module synchronously. Returns null where WebAssembly or its SIMD extension is missing. */
  static create(): WasmMaxPool | null {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = decodeBase64(MAX_POOL_2X2_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return new WasmMaxPool(memory, instance.exports as unknown as MaxPoolExports);
  }

  /**
   * Returns the max-pooled output of `input` over whole 2 × 2 windows at stride 2, with the bits
   * of the JavaScript loop in poolingKernels.ts. `shape.channels` must be a multiple of 4, and
   * 2·outHeight ≤ inHeight, 2·outWidth ≤ inWidth.
   */
  pool(input: Float32Array, shape: MaxPool2x2Shape): Float32Array {
    const { batchSize, inHeight, inWidth, channels, outHeight, outWidth } = shape;
    const outputLength = batchSize * outHeight * outWidth * channels;
    // Both regions start on 64-byte boundaries, so every v128 access is aligned.
    const outputAddress = Math.ceil((4 * input.length) / 64) * 64;
    const needed = outputAddress + 4 * outputLength;
    const missing = needed - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE_BYTES));
    new Float32Array(this.memory.buffer, 0, input.length).set(input);

    const pixelBytes = 4 * channels;
    const rowBytes = inWidth * pixelBytes;
    const outRowBytes = outWidth * pixelBytes;
    const imageBytes = inHeight * rowBytes;
    const outImageBytes = outHeight * outRowBytes;
    for (let b = 0; b < batchSize; b += 1) {
      this.exports.maxPool2x2(
        b * imageBytes,
        outputAddress + b * outImageBytes,
        outHeight,
        2 * rowBytes,
        rowBytes,
        outRowBytes,
        pixelBytes,
      );
    }
    return new Float32Array(this.memory.buffer, outputAddress, outputLength).slice();
  }
}

let instance: WasmMaxPool | null | undefined;

/** Returns the shared module, created on first use, or null where WebAssembly SIMD is missing. */
export function getWasmMaxPool(): WasmMaxPool | null {
  if (instance === undefined) instance = WasmMaxPool.create();
  return instance;
}
