/**
 * Runs the WebAssembly SIMD FFT2 of fft2.wat: copies the fields into the module's memory,
 * transforms them there in place and copies them back, on the calling thread and, where memory can
 * be shared, on helper threads too (see fft2Helpers.ts).
 *
 * Memory layout, bump-allocated: the helpers' control blocks from address 64, then per transform
 * length n a float32 twiddle table, an int32 bit-reversal table and 64·n + 8·n² bytes of scratch
 * per thread, added on the first call for that n. The fields of a call follow the last table. The
 * memory grows as needed and never shrinks.
 */
import { FFT2_SHARED_WASM_BASE64, FFT2_WASM_BASE64 } from './fft2Binary.generated';
import { canShareMemory, CONTROL_BYTES, postJob, startHelpers, waitForHelper, type Helper } from './fft2Helpers';

/** Host tables of one transform length, as fft.ts builds them. */
export interface FftTables {
  readonly n: number;
  readonly log2n: number;
  /** bitReversal[i] is i with its log2(n) bits reversed. */
  readonly bitReversal: Int32Array;
  /** Forward twiddles of the radix-4 stages in float64, in the layout that fft.ts documents. */
  readonly twiddles: Float64Array;
}

/**
 * When to split a call across helper threads. 'auto' splits batches large enough to gain, and
 * 'never' keeps every call on the calling thread. 'always' splits any batch of 2 or more fields,
 * and throws when no helpers are running.
 */
export type Fft2Threads = 'auto' | 'never' | 'always';

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
  /** Scratch of thread t (0 is the calling thread) at scratch + t·scratchBytes(n). */
  scratch: number;
}

const PAGE_BYTES = 65536;
/** Maximum of the shared memory, 1 GiB, which the engine must reserve up front. */
const SHARED_MAX_PAGES = 16384;
/** Helper threads started at most, whatever the core count. */
const MAX_HELPERS = 3;
/** Address of the first helper's control block. */
const CONTROL_BASE = 64;

/**
 * Fields per module call on one thread are limited to this many bytes (but at least one field), so
 * that the copy in, the transform and the copy out of a chunk stay in the L2 cache. 256 KiB was a
 * few percent faster than 2 MiB and no slower than 64 KiB at the bench shapes in Node 20 on a
 * 2-core AMD EPYC.
 */
const CHUNK_BYTES = 1 << 18;
/** Bytes per thread and round when a call is split across threads. Fewer rounds mean fewer waits. */
const THREAD_CHUNK_BYTES = 1 << 22;
/**
 * Smallest batch·n² at which 'auto' splits a call across threads. Waking a helper costs tens of
 * microseconds, about what one thread needs for 16 fields of 32×32.
 * NOTE: an estimate from the Node timings, not a measured break-even point.
 */
const THREAD_MIN_VALUES = 1 << 15;

/** Decodes base64 text with atob, which browsers, workers and Node ≥ 16 provide. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Returns the bytes of scratch that one thread's fft2 calls need for length n. */
function scratchBytes(n: number): number {
  return 64 * n + 8 * n * n;
}

/** Rounds `address` up to a multiple of 64 bytes, a cache line. */
function alignToCacheLine(address: number): number {
  return Math.ceil(address / 64) * 64;
}

/** The FFT2 module on one memory, with its helper threads once they have started. */
export class WasmFft2 {
  private readonly tables = new Map<number, WasmTables>();
  private top = CONTROL_BASE + MAX_HELPERS * CONTROL_BYTES;
  private helpers: Helper[] = [];
  /** Resolves to the number of helper threads running once they have started, 0 when none can. */
  readonly helpersReady: Promise<number>;

  private readonly exports: Fft2Exports;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    shared: boolean,
  ) {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.exports = instance.exports as unknown as Fft2Exports;
    this.helpersReady = shared ? this.startHelpers(module) : Promise.resolve(0);
  }

  /**
   * Compiles and instantiates the module synchronously, on shared memory with helper threads
   * starting in the background where the context allows it. Returns null when WebAssembly or its
   * SIMD extension is missing, which WebAssembly.validate on the module itself detects.
   */
  static create(): WasmFft2 | null {
    if (typeof WebAssembly !== 'object') return null;
    if (canShareMemory()) {
      const bytes = decodeBase64(FFT2_SHARED_WASM_BASE64);
      if (WebAssembly.validate(bytes)) {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
        return new WasmFft2(memory, new WebAssembly.Module(bytes), true);
      }
    }
    const bytes = decodeBase64(FFT2_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return null;
    return new WasmFft2(new WebAssembly.Memory({ initial: 1 }), new WebAssembly.Module(bytes), false);
  }

  private async startHelpers(module: WebAssembly.Module): Promise<number> {
    const controls = Array.from({ length: MAX_HELPERS }, (_, index) => CONTROL_BASE + index * CONTROL_BYTES);
    try {
      this.helpers = await startHelpers(this.memory, module, controls);
    } catch (error) {
      console.warn('fft2: helper threads failed to start, so FFT2 runs on one thread.', error);
      this.helpers = [];
    }
    return this.helpers.length;
  }

  /**
   * Computes the unitary 2-D FFT of `batch` interleaved complex n×n fields of `input` into
   * `output`, which may be the same array. Requires n ≥ 4 and arrays of at least batch·n·n·2
   * values, which the caller checks.
   */
  fft2(
    input: Float32Array,
    output: Float32Array,
    batch: number,
    tables: FftTables,
    inverse: boolean,
    threads: Fft2Threads = 'auto',
  ): void {
    if (threads === 'always' && this.helpers.length === 0) {
      throw new Error(
        "fft2Simd: threads 'always' needs helper threads, but none are running. " +
          "Await fft2ThreadsReady() first, or pass 'auto'.",
      );
    }
    const n = tables.n;
    // Preparing the tables first keeps the field data after them.
    this.prepare(tables);
    const split =
      batch >= 2 &&
      this.helpers.length > 0 &&
      (threads === 'always' || (threads === 'auto' && batch * n * n >= THREAD_MIN_VALUES));
    if (split) {
      this.fft2Threaded(input, output, batch, tables, inverse);
    } else {
      this.fft2OneThread(input, output, 0, batch, tables, inverse, alignToCacheLine(this.top));
    }
  }

  /**
   * Transforms fields first..first+count of `input` into `output` on the calling thread, copying
   * them through byte address `data`, which must lie after the tables.
   */
  private fft2OneThread(
    input: Float32Array,
    output: Float32Array,
    first: number,
    count: number,
    tables: FftTables,
    inverse: boolean,
    data: number,
  ): void {
    const fieldLength = 2 * tables.n * tables.n;
    const fieldsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / (4 * fieldLength)));
    const addresses = this.prepare(tables);
    this.reserve(data + 4 * fieldLength * Math.min(count, fieldsPerChunk));

    for (let field = first; field < first + count; field += fieldsPerChunk) {
      const fields = Math.min(fieldsPerChunk, first + count - field);
      const view = this.copyIn(input, field, fields, fieldLength, data);
      this.run(data, fields, tables, inverse, addresses.scratch);
      output.set(view, field * fieldLength);
    }
  }

  /**
   * Splits the batch into rounds of at most THREAD_CHUNK_BYTES per thread. In each round, every
   * helper's fields are copied in and started before the calling thread copies and transforms its
   * own, and the helpers' results are copied out after they finish.
   */
  private fft2Threaded(input: Float32Array, output: Float32Array, batch: number, tables: FftTables, inverse: boolean): void {
    const n = tables.n;
    const fieldLength = 2 * n * n;
    const fieldBytes = 4 * fieldLength;
    const addresses = this.prepare(tables);
    const threadCount = Math.min(this.helpers.length + 1, batch);
    const fieldsPerThread = Math.max(1, Math.min(Math.ceil(batch / threadCount), Math.floor(THREAD_CHUNK_BYTES / fieldBytes)));
    const data = alignToCacheLine(this.top);
    const regionBytes = alignToCacheLine(fieldsPerThread * fieldBytes);
    this.reserve(data + threadCount * regionBytes);

    for (let first = 0; first < batch; ) {
      const roundFields = Math.min(batch - first, threadCount * fieldsPerThread);
      // Thread t takes `share` fields, plus one of the `extra` leftover ones when t ≥ 1, so that
      // the calling thread, which also does the copies, gets the smallest share.
      const share = Math.floor(roundFields / threadCount);
      const extra = roundFields - share * threadCount;
      const jobs: { helper: Helper; job: number; first: number; fields: number; region: number }[] = [];
      let next = first + share;
      for (let thread = 1; thread < threadCount; thread += 1) {
        const fields = share + (thread <= extra ? 1 : 0);
        if (fields === 0) continue;
        const region = data + thread * regionBytes;
        this.copyIn(input, next, fields, fieldLength, region);
        const helper = this.helpers[thread - 1];
        const job = postJob(helper, {
          data: region,
          fields,
          n,
          log2n: tables.log2n,
          inverse: inverse ? 1 : 0,
          twiddles: addresses.twiddles,
          bitReversal: addresses.bitReversal,
          scratch: addresses.scratch + thread * scratchBytes(n),
          failed: 0,
        });
        jobs.push({ helper, job, first: next, fields, region });
        next += fields;
      }

      if (share > 0) {
        const view = this.copyIn(input, first, share, fieldLength, data);
        this.run(data, share, tables, inverse, addresses.scratch);
        output.set(view, first * fieldLength);
      }

      const failed = [];
      for (const job of jobs) {
        try {
          waitForHelper(job.helper, job.job);
          output.set(new Float32Array(this.memory.buffer, job.region, job.fields * fieldLength), job.first * fieldLength);
        } catch (error) {
          console.warn('fft2: a helper thread failed, so FFT2 continues on one thread.', error);
          failed.push(job);
        }
      }
      if (failed.length > 0) {
        this.stopHelpers();
        // The fields are transformed again past every helper's region, which a helper that is
        // still being terminated may yet write.
        for (const job of failed) {
          this.fft2OneThread(input, output, job.first, job.fields, tables, inverse, data + threadCount * regionBytes);
        }
        this.fft2OneThread(input, output, first + roundFields, batch - first - roundFields, tables, inverse, data + threadCount * regionBytes);
        return;
      }
      first += roundFields;
    }
  }

  /** Copies `fields` fields from field `first` of `input` to byte address `address`, returning the view. */
  private copyIn(input: Float32Array, first: number, fields: number, fieldLength: number, address: number): Float32Array {
    const view = new Float32Array(this.memory.buffer, address, fields * fieldLength);
    view.set(input.subarray(first * fieldLength, (first + fields) * fieldLength));
    return view;
  }

  private run(data: number, fields: number, tables: FftTables, inverse: boolean, scratch: number): void {
    const addresses = this.prepare(tables);
    this.exports.fft2(data, fields, tables.n, tables.log2n, inverse ? 1 : 0, addresses.twiddles, addresses.bitReversal, scratch);
  }

  /** Terminates the helpers and runs every later call on the calling thread. */
  private stopHelpers(): void {
    for (const helper of this.helpers) helper.worker.terminate();
    this.helpers = [];
  }

  /** Returns the addresses of the tables for n, copying them into the memory on first use. */
  private prepare(tables: FftTables): WasmTables {
    const cached = this.tables.get(tables.n);
    if (cached !== undefined) return cached;

    const n = tables.n;
    const twiddles = alignToCacheLine(this.top);
    const bitReversal = alignToCacheLine(twiddles + 4 * tables.twiddles.length);
    const scratch = alignToCacheLine(bitReversal + 4 * n);
    this.top = scratch + (MAX_HELPERS + 1) * scratchBytes(n);
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
