/**
 * Runs the WebAssembly SIMD FFT2 of fft2.wat: copies the fields into the module's memory,
 * transforms them there in place and copies them back, on the calling thread and, where memory can
 * be shared, on helper threads too (see fft2Helpers.ts).
 *
 * Calls on the calling thread alone use an instance on private memory, because TypedArray.set
 * into a SharedArrayBuffer took twice as long as into a private buffer (Node 20, 2 MiB in and out:
 * 0.135 ms against 0.07 ms). Calls split across threads use a second instance on shared memory.
 */
import { FFT2_SHARED_WASM_BASE64, FFT2_WASM_BASE64 } from './fft2Binary.generated';
import { canShareMemory, CONTROL_BYTES, postJob, splitRound, startHelpers, waitForHelper, type Helper } from './fft2Helpers';

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
 * When to split a call across helper threads. 'auto' splits large batches when that has measured
 * faster (see ThreadChoice), and 'never' keeps every call on the calling thread. 'always' splits
 * any batch of 2 or more fields, and throws when no helpers are running.
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

/** Addresses of one transform length's tables in a module's memory. */
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
/** Address of the first helper's control block in the shared memory. */
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
 * Smallest batch·n² at which 'auto' considers splitting a call across threads. Waking a helper
 * costs tens of microseconds, about what one thread needs for 16 fields of 32×32.
 */
const THREAD_MIN_VALUES = 1 << 15;
/** Every this many 'auto' calls of one size, the slower path is timed again. */
const THREAD_PROBE_INTERVAL = 16;
/** Timings kept per path. Their median ignores outliers, such as calls cut by a GC pause. */
export const TIMINGS_KEPT = 5;
/**
 * The threaded path runs only when its median time is below this fraction of the one-thread
 * median, because on a loaded machine noise alone can favour it for a while.
 */
const THREAD_ADVANTAGE = 0.85;

/**
 * The last timings of the one-thread and the threaded path for one n, in milliseconds per complex
 * value, so that batches of different sizes compare. On a
 * machine whose other cores are busy, a helper adds copies and waits but no parallel work, so
 * 'auto' keeps whichever path has been faster.
 */
export interface ThreadChoice {
  oneThread: number[];
  threaded: number[];
  calls: number;
}

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

/**
 * One instance of the module and its memory. The memory is bump-allocated from `firstAddress`:
 * per transform length n a float32 twiddle table, an int32 bit-reversal table and the scratch of
 * `threads` threads, added on the first call for that n. Field data goes after the last table, at
 * `dataAddress`. The memory grows as needed and never shrinks.
 */
export class Fft2Instance {
  private readonly exports: Fft2Exports;
  private readonly tables = new Map<number, WasmTables>();
  private top: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    firstAddress: number,
    private readonly threads: number,
  ) {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.exports = instance.exports as unknown as Fft2Exports;
    this.top = firstAddress;
  }

  /** First byte after the tables of every length prepared so far. */
  get dataAddress(): number {
    return alignToCacheLine(this.top);
  }

  /** Returns the addresses of the tables for n, copying them into the memory on first use. */
  prepare(tables: FftTables): WasmTables {
    const cached = this.tables.get(tables.n);
    if (cached !== undefined) return cached;

    const n = tables.n;
    const twiddles = alignToCacheLine(this.top);
    const bitReversal = alignToCacheLine(twiddles + 4 * tables.twiddles.length);
    const scratch = alignToCacheLine(bitReversal + 4 * n);
    this.top = scratch + this.threads * scratchBytes(n);
    this.reserve(this.top);

    new Float32Array(this.memory.buffer, twiddles, tables.twiddles.length).set(tables.twiddles);
    // The module reads byte offsets within a row of interleaved complex float32: 8 bytes per element.
    const offsets = new Int32Array(this.memory.buffer, bitReversal, n);
    for (let i = 0; i < n; i += 1) offsets[i] = 8 * tables.bitReversal[i];

    const addresses = { twiddles, bitReversal, scratch };
    this.tables.set(n, addresses);
    return addresses;
  }

  /** Grows the memory to at least `bytes` bytes. */
  reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE_BYTES));
  }

  /** Returns a view of `length` float32 values at byte address `address`. */
  view(address: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, length);
  }

  /** Transforms `fields` fields at byte address `data` in place with the scratch of `thread`. */
  run(data: number, fields: number, tables: FftTables, inverse: boolean, thread: number): void {
    const addresses = this.prepare(tables);
    this.exports.fft2(
      data,
      fields,
      tables.n,
      tables.log2n,
      inverse ? 1 : 0,
      addresses.twiddles,
      addresses.bitReversal,
      addresses.scratch + thread * scratchBytes(tables.n),
    );
  }

  /**
   * Transforms fields first..first+count of `input` into `output` on the calling thread, in chunks
   * of CHUNK_BYTES copied through byte address `data`, which must lie after the tables.
   */
  transform(
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
    this.reserve(data + 4 * fieldLength * Math.min(count, fieldsPerChunk));

    for (let field = first; field < first + count; field += fieldsPerChunk) {
      const fields = Math.min(fieldsPerChunk, first + count - field);
      const view = this.view(data, fields * fieldLength);
      view.set(input.subarray(field * fieldLength, (field + fields) * fieldLength));
      this.run(data, fields, tables, inverse, 0);
      output.set(view, field * fieldLength);
    }
  }
}

/** The FFT2 module on private memory, and on shared memory with helper threads where possible. */
export class WasmFft2 {
  private helpers: Helper[] = [];
  private shared: Fft2Instance | null = null;
  private readonly choices = new Map<number, ThreadChoice>();
  /** Resolves to the number of helper threads running once they have started, 0 when none can. */
  readonly helpersReady: Promise<number>;

  private constructor(
    private readonly local: Fft2Instance,
    sharedModule: WebAssembly.Module | null,
  ) {
    this.helpersReady = sharedModule === null ? Promise.resolve(0) : this.startHelpers(sharedModule);
  }

  /**
   * Compiles and instantiates the module synchronously, and starts helper threads in the
   * background where the context can share memory. Returns null when WebAssembly or its SIMD
   * extension is missing, which WebAssembly.validate on the module itself detects.
   */
  static create(): WasmFft2 | null {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = decodeBase64(FFT2_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return null;
    const local = new Fft2Instance(new WebAssembly.Memory({ initial: 1 }), new WebAssembly.Module(bytes), 64, 1);

    let sharedModule: WebAssembly.Module | null = null;
    if (canShareMemory()) {
      const sharedBytes = decodeBase64(FFT2_SHARED_WASM_BASE64);
      if (WebAssembly.validate(sharedBytes)) sharedModule = new WebAssembly.Module(sharedBytes);
    }
    return new WasmFft2(local, sharedModule);
  }

  private async startHelpers(module: WebAssembly.Module): Promise<number> {
    try {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      const controls = Array.from({ length: MAX_HELPERS }, (_, index) => CONTROL_BASE + index * CONTROL_BYTES);
      const helpers = await startHelpers(memory, module, controls);
      if (helpers.length > 0) {
        const firstAddress = CONTROL_BASE + MAX_HELPERS * CONTROL_BYTES;
        this.shared = new Fft2Instance(memory, module, firstAddress, helpers.length + 1);
        this.helpers = helpers;
      }
    } catch (error) {
      console.warn('fft2: helper threads failed to start, so FFT2 runs on one thread.', error);
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
    const values = batch * n * n;
    const canSplit = batch >= 2 && this.shared !== null;
    if (threads === 'never' || !canSplit || (threads === 'auto' && values < THREAD_MIN_VALUES)) {
      this.transformLocally(input, output, 0, batch, tables, inverse);
      return;
    }
    if (threads === 'always') {
      this.fft2Threaded(input, output, batch, tables, inverse);
      return;
    }

    const choice = this.choices.get(n) ?? { oneThread: [], threaded: [], calls: 0 };
    this.choices.set(n, choice);
    const useThreads = chooseThreads(choice);
    const start = performance.now();
    if (useThreads) {
      this.fft2Threaded(input, output, batch, tables, inverse);
    } else {
      this.transformLocally(input, output, 0, batch, tables, inverse);
    }
    const timings = useThreads ? choice.threaded : choice.oneThread;
    timings.push((performance.now() - start) / values);
    if (timings.length > TIMINGS_KEPT) timings.shift();
  }

  /** Transforms fields first..first+count on the calling thread, in private memory. */
  private transformLocally(
    input: Float32Array,
    output: Float32Array,
    first: number,
    count: number,
    tables: FftTables,
    inverse: boolean,
  ): void {
    // Preparing the tables first keeps the field data after them.
    this.local.prepare(tables);
    this.local.transform(input, output, first, count, tables, inverse, this.local.dataAddress);
  }

  /**
   * Splits the batch into rounds of at most THREAD_CHUNK_BYTES per thread. In each round, every
   * helper's fields are copied in and started before the calling thread copies and transforms its
   * own, and the helpers' results are copied out after they finish.
   */
  private fft2Threaded(input: Float32Array, output: Float32Array, batch: number, tables: FftTables, inverse: boolean): void {
    const shared = this.shared;
    if (shared === null) throw new Error('fft2: the helper threads stopped, so FFT2 cannot split this batch.');
    const n = tables.n;
    const fieldLength = 2 * n * n;
    const fieldBytes = 4 * fieldLength;
    const addresses = shared.prepare(tables);
    const threadCount = Math.min(this.helpers.length + 1, batch);
    const fieldsPerThread = Math.max(
      1,
      Math.min(Math.ceil(batch / threadCount), Math.floor(THREAD_CHUNK_BYTES / fieldBytes)),
    );
    const data = shared.dataAddress;
    const regionBytes = alignToCacheLine(fieldsPerThread * fieldBytes);
    shared.reserve(data + threadCount * regionBytes);

    for (let first = 0; first < batch; ) {
      const roundFields = Math.min(batch - first, threadCount * fieldsPerThread);
      const counts = splitRound(roundFields, threadCount);
      const share = counts[0];
      const jobs: { helper: Helper; job: number; first: number; fields: number; region: number }[] = [];
      let next = first + share;
      for (let thread = 1; thread < threadCount; thread += 1) {
        const fields = counts[thread];
        if (fields === 0) continue;
        const region = data + thread * regionBytes;
        shared.view(region, fields * fieldLength).set(input.subarray(next * fieldLength, (next + fields) * fieldLength));
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
        const view = shared.view(data, share * fieldLength);
        view.set(input.subarray(first * fieldLength, (first + share) * fieldLength));
        shared.run(data, share, tables, inverse, 0);
        output.set(view, first * fieldLength);
      }

      const failed = [];
      for (const job of jobs) {
        try {
          waitForHelper(job.helper, job.job);
          output.set(shared.view(job.region, job.fields * fieldLength), job.first * fieldLength);
        } catch (error) {
          console.warn('fft2: a helper thread failed, so FFT2 continues on one thread.', error);
          failed.push(job);
        }
      }
      if (failed.length > 0) {
        // A helper that is still being terminated may yet write its region of the shared memory,
        // so the rest of the batch runs in private memory.
        this.stopHelpers();
        for (const job of failed) this.transformLocally(input, output, job.first, job.fields, tables, inverse);
        const done = first + roundFields;
        this.transformLocally(input, output, done, batch - done, tables, inverse);
        return;
      }
      first += roundFields;
    }
  }

  /** Terminates the helpers and runs every later call on the calling thread. */
  private stopHelpers(): void {
    for (const helper of this.helpers) helper.worker.terminate();
    this.helpers = [];
    this.shared = null;
  }
}

/**
 * Returns true when the next 'auto' call should run threaded. Each path is timed TIMINGS_KEPT
 * times first. Then the threaded path runs if its median is below THREAD_ADVANTAGE times the
 * one-thread median, except that every THREAD_PROBE_INTERVAL-th call times the other path again.
 */
export function chooseThreads(choice: ThreadChoice): boolean {
  choice.calls += 1;
  if (choice.oneThread.length < TIMINGS_KEPT) return false;
  if (choice.threaded.length < TIMINGS_KEPT) return true;
  const threadedFaster = median(choice.threaded) < THREAD_ADVANTAGE * median(choice.oneThread);
  return choice.calls % THREAD_PROBE_INTERVAL === 0 ? !threadedFaster : threadedFaster;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
