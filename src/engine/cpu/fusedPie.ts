/**
 * A fused rPIE/ePIE batch update for one coherent probe mode on the 'cpu' path. The object, the
 * probe, every batch's amplitudes and the update sums live in one WebAssembly memory that the
 * FFT2 module (fft2.wat) and the PIE batch module (pieBatch.wat, from scripts/build_wasm_pie.mjs)
 * share, so a batch allocates nothing and copies nothing.
 *
 * Per batch it computes what PieSolver.updateBatch computes with the composed kernels, but pattern
 * by pattern. The working set is then the probe, one exit wave, one object window with its update
 * sums and the probe sums, about 0.8 MB at 128², which can stay in a core's L2 cache:
 *
 *   ψ_j = P·O_j,  Ψ_j = F ψ_j,  Δ_j = F⁻¹(√I_j·Ψ_j/|Ψ_j| − Ψ_j)
 *   O  += s_O · Σ_j S_j[conj(P) Δ_j] / ((1 − w_O) D + w_O max D),   D = Σ_j S_j[|P|²]
 *   P  += s_P · Σ_j conj(O_j) Δ_j   / ((1 − w_P) E + w_P max E),   E = Σ_j |O_j|²
 *
 * The arithmetic is float32 SIMD throughout, like NumPy's complex64. The composed kernels form each
 * complex product in float64 and round once, so the two agree to float32 rounding, not bit for bit
 * (fusedPie.test.ts checks this). The same inputs always give the same bits.
 */
import { validateWindows } from './patchKernels';
import { getFftTables, type FftPlanTables } from './fft';
import { FFT2_WASM_BASE64 } from './wasm/fft2Binary.generated';
import { PIE_BATCH_WASM_BASE64 } from './wasm/pieBatchBinary.generated';
import { decodeBase64, Fft2Instance } from './wasm/wasmFft2';

/** One batch of positions, in the order the solver updates them. */
export interface FusedPieBatch {
  /** √I of the batch's patterns, [b, N, N]. */
  amplitudes: Float32Array;
  /** (row, col) of each window's top-left corner in the object, [b, 2]. */
  positions: Int32Array;
}

/** Weights and steps of one batch update, as in PieSolver: rPIE has unit steps, ePIE unit weights. */
export interface PieUpdateWeights {
  objectWeight: number;
  objectStep: number;
  probeWeight: number;
  probeStep: number;
}

interface PieBatchExports {
  exitWave(probe: number, window: number, rowBytes: number, out: number, n: number): void;
  farFieldUpdate(field: number, amplitudes: number, pixels: number): number;
  accumulate(
    probe: number,
    window: number,
    rowBytes: number,
    difference: number,
    numerator: number,
    coverage: number,
    n: number,
    probeSums: number,
    updateProbe: number,
    maxCoverage: number,
  ): number;
  applyObjectUpdate(
    window: number,
    rowBytes: number,
    numerator: number,
    coverage: number,
    n: number,
    step: number,
    localShare: number,
    regularizedMax: number,
  ): void;
  maxProbeWeight(probeSums: number, groups: number): number;
  applyProbeUpdate(
    probe: number,
    probeSums: number,
    groups: number,
    step: number,
    localShare: number,
    regularizedMax: number,
  ): void;
}

/** A batch as laid out in the memory: its amplitudes' address and its windows' byte offsets. */
interface PlacedBatch {
  count: number;
  amplitudes: number;
  /** Byte offset of each window's top-left pixel from the object's start, (row·W + col)·8. */
  windowOffsets: Float64Array;
}

/** Bytes of the float32 probe sums per pixel: Re and Im of Σ conj(O)Δ, and Σ|O|². */
const PROBE_SUM_PIXEL_BYTES = 12;
/** Largest memory a 32-bit WebAssembly memory can address. */
const MAX_MEMORY_BYTES = 2 ** 32;

function alignToCacheLine(address: number): number {
  return Math.ceil(address / 64) * 64;
}

let compiled: { fft: WebAssembly.Module; pie: WebAssembly.Module } | null | undefined;

/** Compiles both modules once; null where WebAssembly or its SIMD extension is missing. */
function compileModules(): { fft: WebAssembly.Module; pie: WebAssembly.Module } | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (typeof WebAssembly === 'object') {
    const fftBytes = decodeBase64(FFT2_WASM_BASE64);
    const pieBytes = decodeBase64(PIE_BATCH_WASM_BASE64);
    if (WebAssembly.validate(fftBytes) && WebAssembly.validate(pieBytes)) {
      compiled = { fft: new WebAssembly.Module(fftBytes), pie: new WebAssembly.Module(pieBytes) };
    }
  }
  return compiled;
}

/** Returns true when this engine can run the fused update (WebAssembly with SIMD). */
export function isFusedPieAvailable(): boolean {
  return compileModules() !== null;
}

export class FusedPieUpdate {
  private readonly memory: WebAssembly.Memory;
  private readonly fft: Fft2Instance;
  private readonly pie: PieBatchExports;
  private readonly tables: FftPlanTables;
  private readonly batches: PlacedBatch[];
  private readonly probeAddress: number;
  private readonly workAddress: number;
  private readonly probeSumsAddress: number;
  private readonly objectAddress: number;
  /** Σ conj(P)Δ over the batch, [H, W, 2] like the object, zero between batches. */
  private readonly numeratorAddress: number;
  /** Σ|P|² over the batch, [H, W], zero between batches. */
  private readonly coverageAddress: number;

  /**
   * Copies `object` [height, width, 2], `probe` [size, size, 2] and the batches into a new memory.
   * Throws when `size` is not a positive multiple of 4, when a window leaves the object, or when a
   * batch's amplitudes do not match its positions. Throws a RangeError when everything would not fit
   * in 4 GiB or the memory cannot grow that far. Without WebAssembly SIMD it throws too, so call
   * {@link isFusedPieAvailable} first.
   */
  constructor(
    object: Float32Array,
    readonly height: number,
    readonly width: number,
    probe: Float32Array,
    readonly size: number,
    batches: readonly FusedPieBatch[],
  ) {
    const modules = compileModules();
    if (modules === null) throw new Error('FusedPieUpdate: this JavaScript engine lacks WebAssembly SIMD.');
    if (!Number.isInteger(size) || size < 4 || size % 4 !== 0) {
      throw new Error(`FusedPieUpdate: the window size must be a positive multiple of 4, received ${size}.`);
    }
    if (object.length !== height * width * 2) {
      throw new Error(`FusedPieUpdate: expected an object of ${height}×${width}×2 values, received ${object.length}.`);
    }
    if (probe.length !== size * size * 2) {
      throw new Error(`FusedPieUpdate: expected a probe of ${size}×${size}×2 values, received ${probe.length}.`);
    }
    const pixels = size * size;
    batches.forEach((batch, index) => {
      const count = batch.positions.length / 2;
      if (!Number.isInteger(count) || batch.amplitudes.length !== count * pixels) {
        throw new Error(
          `FusedPieUpdate: batch ${index} has ${batch.positions.length} position values and ` +
            `${batch.amplitudes.length} amplitudes; expected [b, 2] and [b, ${size}, ${size}].`,
        );
      }
      validateWindows('FusedPieUpdate', batch.positions, size, height, width);
    });

    const memory = new WebAssembly.Memory({ initial: 1 });
    const fft = new Fft2Instance(memory, modules.fft, 64, 1);
    this.tables = getFftTables(size);
    fft.prepare(this.tables);
    this.fft = fft;
    this.pie = new WebAssembly.Instance(modules.pie, { env: { memory } }).exports as unknown as PieBatchExports;

    // Layout after the FFT tables: probe, exit-wave buffer, probe sums, amplitudes, object, numerator,
    // coverage. The probe and its sums are split into groups of four pixels (see build_wasm_pie.mjs).
    const fieldBytes = 8 * pixels;
    this.probeAddress = fft.dataAddress;
    this.workAddress = alignToCacheLine(this.probeAddress + fieldBytes);
    this.probeSumsAddress = alignToCacheLine(this.workAddress + fieldBytes);
    let next = alignToCacheLine(this.probeSumsAddress + PROBE_SUM_PIXEL_BYTES * pixels);
    this.batches = batches.map((batch) => {
      const count = batch.positions.length / 2;
      const windowOffsets = new Float64Array(count);
      for (let k = 0; k < count; k += 1) {
        windowOffsets[k] = 8 * (batch.positions[2 * k] * width + batch.positions[2 * k + 1]);
      }
      const placed = { count, amplitudes: next, windowOffsets };
      next = alignToCacheLine(next + 4 * batch.amplitudes.length);
      return placed;
    });
    this.objectAddress = next;
    this.numeratorAddress = alignToCacheLine(this.objectAddress + 8 * height * width);
    this.coverageAddress = alignToCacheLine(this.numeratorAddress + 8 * height * width);
    const end = this.coverageAddress + 4 * height * width;
    if (end > MAX_MEMORY_BYTES) {
      throw new RangeError(
        `FusedPieUpdate: the object, probe and amplitudes need ${(end / 2 ** 30).toFixed(2)} GiB, ` +
          'more than a WebAssembly memory can hold (4 GiB).',
      );
    }
    // Growing may still fail below 4 GiB where the engine or the machine allows less; the
    // RangeError then reaches the caller.
    fft.reserve(end);

    this.memory = memory;
    this.writeProbe(probe);
    this.view(this.objectAddress, object.length).set(object);
    batches.forEach((batch, index) => this.view(this.batches[index].amplitudes, batch.amplitudes.length).set(batch.amplitudes));
  }

  private view(address: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, length);
  }

  /**
   * Updates the object, and the probe when `updateProbe`, from batch `index` in place. Returns the
   * batch's Σ(|Ψ| − √I)² over all its patterns, rounded to float32.
   */
  updateBatch(index: number, updateProbe: boolean, weights: PieUpdateWeights): number {
    const batch = this.batches[index];
    if (batch === undefined) {
      throw new Error(`FusedPieUpdate: batch ${index} does not exist; there are ${this.batches.length} batches.`);
    }
    const n = this.size;
    const pixels = n * n;
    const rowBytes = 8 * this.width;
    const pie = this.pie;

    let residual = 0;
    let maxCoverage = 0;
    for (let k = 0; k < batch.count; k += 1) {
      const offset = batch.windowOffsets[k];
      const window = this.objectAddress + offset;
      pie.exitWave(this.probeAddress, window, rowBytes, this.workAddress, n);
      this.fft.run(this.workAddress, 1, this.tables, false, 0);
      residual += pie.farFieldUpdate(this.workAddress, batch.amplitudes + 4 * pixels * k, pixels);
      this.fft.run(this.workAddress, 1, this.tables, true, 0);
      maxCoverage = pie.accumulate(
        this.probeAddress,
        window,
        rowBytes,
        this.workAddress,
        this.numeratorAddress + offset,
        this.coverageAddress + offset / 2,
        n,
        this.probeSumsAddress,
        updateProbe ? 1 : 0,
        maxCoverage,
      );
    }

    // The object update needs max D of the whole batch, so it runs after every pattern is summed.
    const objectLocalShare = 1 - weights.objectWeight;
    const objectRegularizedMax = weights.objectWeight * maxCoverage;
    for (let k = 0; k < batch.count; k += 1) {
      const offset = batch.windowOffsets[k];
      pie.applyObjectUpdate(
        this.objectAddress + offset,
        rowBytes,
        this.numeratorAddress + offset,
        this.coverageAddress + offset / 2,
        n,
        weights.objectStep,
        objectLocalShare,
        objectRegularizedMax,
      );
    }

    if (updateProbe) {
      const groups = pixels / 4;
      const maxProbeWeight = pie.maxProbeWeight(this.probeSumsAddress, groups);
      pie.applyProbeUpdate(
        this.probeAddress,
        this.probeSumsAddress,
        groups,
        weights.probeStep,
        1 - weights.probeWeight,
        weights.probeWeight * maxProbeWeight,
      );
    }
    return Math.fround(residual);
  }

  /** Size of the WebAssembly memory that holds the object, probe, amplitudes and sums. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Copies the object [H, W, 2] out of the memory. */
  readObject(): Float32Array {
    return this.view(this.objectAddress, 2 * this.height * this.width).slice();
  }

  /** Copies the probe out of the memory as [N, N, 2]. */
  readProbe(): Float32Array {
    const split = this.view(this.probeAddress, 2 * this.size * this.size);
    const probe = new Float32Array(split.length);
    for (let group = 0; group < split.length / 8; group += 1) {
      for (let lane = 0; lane < 4; lane += 1) {
        probe[8 * group + 2 * lane] = split[8 * group + lane];
        probe[8 * group + 2 * lane + 1] = split[8 * group + 4 + lane];
      }
    }
    return probe;
  }

  /** Replaces the probe by `probe` [N, N, 2], stored split into groups of four pixels. */
  writeProbe(probe: Float32Array): void {
    if (probe.length !== 2 * this.size * this.size) {
      throw new Error(`FusedPieUpdate: expected a probe of ${this.size}×${this.size}×2 values, received ${probe.length}.`);
    }
    const split = this.view(this.probeAddress, probe.length);
    for (let group = 0; group < probe.length / 8; group += 1) {
      for (let lane = 0; lane < 4; lane += 1) {
        split[8 * group + lane] = probe[8 * group + 2 * lane];
        split[8 * group + 4 + lane] = probe[8 * group + 2 * lane + 1];
      }
    }
  }
}
