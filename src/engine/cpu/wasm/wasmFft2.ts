/**
 * Runs the WebAssembly SIMD FFT2 of fft2.wat on one thread: copies the fields into the module's
 * memory, transforms them there in place and copies them back.
 *
 * Memory layout, bump-allocated from address 1024: per transform length n, a float32 twiddle table,
 * an int32 bit-reversal table and 64·n bytes of scratch, added on the first call for that n. The
 * fields of a call follow the last table. The memory grows as needed and never shrinks.
 */
import { FFT2_WASM_BASE64 } from './fft2Binary.generated';

/** Host tables of one transform length, as fft.ts builds them. */
export interface FftTables {
  readonly n: number;
  readonly log2n: number;
  /** bitReversal[i] is i with its log2(n) bits reversed. */
  readonly bitReversal: Int32Array;
  /** Forward twiddles of the radix-4 stages in float64, in the layout that fft.ts documents. */
  readonly twiddles: Float64Array;
}

/** Exports of the FFT2 module. */
interface Fft2Exports {
  fft2(
    data: number,
    fields: number,
    n: number,
    log2n: number,
    inverse: number,
    twiddles: number,
    bitReversal: number,
    scratch: number,
  ): void;
}

/** Addresses of one transform length's tables in the module's memory. */
interface WasmTables {
  twiddles: number;
  bitReversal: number;
  scratch: number;
}

const PAGE_BYTES = 65536;
/**
 * Fields per module call are limited to this many bytes (but at least one field), so that the copy
 * in, the transform and the copy out of a chunk stay in the L2 cache. 256 KiB was a few percent
 * faster than 2 MiB and no slower than 64 KiB at the bench shapes in Node 20 on a 2-core AMD EPYC.
 */
const CHUNK_BYTES = 1 << 18;

/** Decodes base64 text with atob, which browsers, workers and Node ≥ 16 provide. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Rounds `address` up to a multiple of 64 bytes, a cache line. */
function alignToCacheLine(address: number): number {
  return Math.ceil(address / 64) * 64;
}

/** The FFT2 module on one private memory. */
export class WasmFft2 {
  private readonly memory: WebAssembly.Memory;
  private readonly exports: Fft2Exports;
  private readonly tables = new Map<number, WasmTables>();
  private top = 1024;

  private constructor(module: WebAssembly.Module) {
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as Fft2Exports;
  }

  /**
   * Compiles and instantiates the module synchronously. Returns null when this engine cannot
   * validate it, which means it lacks WebAssembly SIMD, or when WebAssembly is missing.
   */
  static create(): WasmFft2 | null {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = decodeBase64(FFT2_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return null;
    return new WasmFft2(new WebAssembly.Module(bytes));
  }

  /**
   * Computes the unitary 2-D FFT of `batch` interleaved complex n×n fields of `input` into
   * `output`, which may be the same array. Requires n ≥ 4 and arrays of at least batch·n·n·2
   * values, which the caller checks.
   */
  fft2(input: Float32Array, output: Float32Array, batch: number, tables: FftTables, inverse: boolean): void {
    const n = tables.n;
    const addresses = this.prepare(tables);
    const fieldLength = 2 * n * n;
    const fieldsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / (4 * fieldLength)));
    const data = alignToCacheLine(this.top);
    this.reserve(data + 4 * fieldLength * Math.min(batch, fieldsPerChunk));

    for (let first = 0; first < batch; first += fieldsPerChunk) {
      const fields = Math.min(fieldsPerChunk, batch - first);
      const start = first * fieldLength;
      const end = start + fields * fieldLength;
      const view = new Float32Array(this.memory.buffer, data, fields * fieldLength);
      view.set(input.subarray(start, end));
      this.exports.fft2(
        data,
        fields,
        n,
        tables.log2n,
        inverse ? 1 : 0,
        addresses.twiddles,
        addresses.bitReversal,
        addresses.scratch,
      );
      output.set(view, start);
    }
  }

  /** Returns the addresses of the tables for n, copying them into the memory on first use. */
  private prepare(tables: FftTables): WasmTables {
    const cached = this.tables.get(tables.n);
    if (cached !== undefined) return cached;

    const n = tables.n;
    const twiddles = alignToCacheLine(this.top);
    const bitReversal = alignToCacheLine(twiddles + 4 * tables.twiddles.length);
    const scratch = alignToCacheLine(bitReversal + 4 * n);
    this.top = scratch + 64 * n;
    this.reserve(this.top);

    new Float32Array(this.memory.buffer, twiddles, tables.twiddles.length).set(tables.twiddles);
    // The module reads byte offsets within a row of interleaved complex float32: 8 bytes per element.
    const offsets = new Int32Array(this.memory.buffer, bitReversal, n);
    for (let i = 0; i < n; i += 1) offsets[i] = 8 * tables.bitReversal[i];

    const addresses = { twiddles, bitReversal, scratch };
    this.tables.set(n, addresses);
    return addresses;
  }

  /** Grows the memory so that it holds at least `bytes` bytes. */
  private reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE_BYTES));
  }
}
