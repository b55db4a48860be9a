/**
 * A fused rPIE/ePIE batch update on the 'cpu' path. The object, the
 * probe modes, every batch's amplitudes and the update sums live in one WebAssembly memory that the
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
 * With K probe modes P_m (mixed states) and far-field upsampling U ∈ {1, 2} it follows PieSolver's
 * composed path: every mode's exit wave P_m·O_j is transformed, the modelled intensity of measured
 * pixel k is Σ_m |Ψ_m|² summed over the U×U fine samples of k, and every fine sample of every mode is
 * scaled by the common factor √I_k / √(modelled intensity). The object numerator sums conj(P_m)Δ_m
 * over the modes, D uses Σ_m |P_m|², and each mode gets its own probe update with the shared E.
 * The window is then M = U·N and the amplitudes stay N×N.
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
  farFieldModes(field: number, modeBytes: number, modes: number, amplitudes: number, pixels: number): number;
  farFieldUpsampled(field: number, modeBytes: number, modes: number, amplitudes: number, n: number): number;
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

/** Probe modes and far-field upsampling of a fused update; both default to 1. */
export interface FusedPieShape {
  /** Number K of probe modes, from 1 to MAX_FUSED_PROBE_MODES. */
  probeModes?: number;
  /** Far-field upsampling U: the window is U times the pattern size. */
  farFieldUpsampling?: 1 | 2;
}

/** Most probe modes the fused update takes; the same as MAX_PROBE_MODES in solvers/pie/probeModes.ts. */
export const MAX_FUSED_PROBE_MODES = 8;

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
  /** Number K of probe modes. */
  readonly probeModes: number;
  /** Far-field upsampling U. */
  readonly farFieldUpsampling: 1 | 2;
  /** Side N = M / U of the measured patterns. */
  private readonly patternSize: number;
  /** First of the K split probe modes, `fieldBytes` apart. */
  private readonly probeAddress: number;
  /** Bytes of one M×M complex field. */
  private readonly fieldBytes: number;
  /** K exit-wave buffers, `fieldBytes` apart. */
  private readonly workAddress: number;
  /** K blocks of split probe sums, one per mode, `probeSumsBytes` apart. */
  private readonly probeSumsAddress: number;
  private readonly probeSumsBytes: number;
  private readonly objectAddress: number;
  /** Σ conj(P)Δ over the batch, [H, W, 2] like the object, zero between batches. */
  private readonly numeratorAddress: number;
  /** Σ|P|² over the batch, [H, W], zero between batches. */
  private readonly coverageAddress: number;

  /**
   * Copies `object` [height, width, 2], the probe modes `probe` [K, size, size, 2] and the batches
   * into a new memory. `size` is the window size M = U·N, and each batch's amplitudes are [b, N, N].
   * Throws when `size` is not a positive multiple of 4 (N must be one too when U = 2), when K or U
   * is not supported, when a window leaves the object, or when a batch's amplitudes do not match
   * its positions. Throws a RangeError when everything would not fit
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
    shape: FusedPieShape = {},
  ) {
    const modules = compileModules();
    if (modules === null) throw new Error('FusedPieUpdate: this JavaScript engine lacks WebAssembly SIMD.');
    if (!Number.isInteger(size) || size < 4 || size % 4 !== 0) {
      throw new Error(`FusedPieUpdate: the window size must be a positive multiple of 4, received ${size}.`);
    }
    const modes = shape.probeModes ?? 1;
    const upsampling = shape.farFieldUpsampling ?? 1;
    if (!Number.isInteger(modes) || modes < 1 || modes > MAX_FUSED_PROBE_MODES) {
      throw new Error(`FusedPieUpdate: probe modes must be a whole number from 1 to ${MAX_FUSED_PROBE_MODES}, received ${modes}.`);
    }
    if (upsampling !== 1 && upsampling !== 2) {
      throw new Error(`FusedPieUpdate: far-field upsampling must be 1 or 2, received ${String(upsampling)}.`);
    }
    if (size % (4 * upsampling) !== 0) {
      throw new Error(`FusedPieUpdate: with far-field upsampling 2 the pattern size must be a multiple of 4, received a window of ${size}.`);
    }
    this.probeModes = modes;
    this.farFieldUpsampling = upsampling;
    this.patternSize = size / upsampling;
    if (object.length !== height * width * 2) {
      throw new Error(`FusedPieUpdate: expected an object of ${height}×${width}×2 values, received ${object.length}.`);
    }
    if (probe.length !== modes * size * size * 2) {
      throw new Error(
        `FusedPieUpdate: expected ${modes} probe modes of ${size}×${size}×2 values, received ${probe.length} values.`,
      );
    }
    const pixels = size * size;
    const patternSize = this.patternSize;
    batches.forEach((batch, index) => {
      const count = batch.positions.length / 2;
      if (!Number.isInteger(count) || batch.amplitudes.length !== count * patternSize * patternSize) {
        throw new Error(
          `FusedPieUpdate: batch ${index} has ${batch.positions.length} position values and ` +
            `${batch.amplitudes.length} amplitudes; expected [b, 2] and [b, ${patternSize}, ${patternSize}].`,
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

    // Layout after the FFT tables: probe modes, exit-wave buffers, probe sums, amplitudes, object,
    // numerator, coverage. The probe modes and their sums are split into groups of four pixels (see
    // build_wasm_pie.mjs). Field sizes are multiples of 64 bytes, so every mode stays aligned.
    const fieldBytes = 8 * pixels;
    this.fieldBytes = fieldBytes;
    this.probeSumsBytes = PROBE_SUM_PIXEL_BYTES * pixels;
    this.probeAddress = fft.dataAddress;
    this.workAddress = alignToCacheLine(this.probeAddress + modes * fieldBytes);
    this.probeSumsAddress = alignToCacheLine(this.workAddress + modes * fieldBytes);
    let next = alignToCacheLine(this.probeSumsAddress + modes * this.probeSumsBytes);
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
    this.writeProbeModes(probe);
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
    const patternPixels = this.patternSize * this.patternSize;
    const rowBytes = 8 * this.width;
    const pie = this.pie;
    const modes = this.probeModes;
    const fieldBytes = this.fieldBytes;
    const singleField = modes === 1 && this.farFieldUpsampling === 1;

    let residual = 0;
    let maxCoverage = 0;
    for (let k = 0; k < batch.count; k += 1) {
      const offset = batch.windowOffsets[k];
      const window = this.objectAddress + offset;
      const amplitudes = batch.amplitudes + 4 * patternPixels * k;
      for (let mode = 0; mode < modes; mode += 1) {
        pie.exitWave(this.probeAddress + mode * fieldBytes, window, rowBytes, this.workAddress + mode * fieldBytes, n);
      }
      this.fft.run(this.workAddress, modes, this.tables, false, 0);
      if (singleField) {
        residual += pie.farFieldUpdate(this.workAddress, amplitudes, pixels);
      } else if (this.farFieldUpsampling === 1) {
        residual += pie.farFieldModes(this.workAddress, fieldBytes, modes, amplitudes, pixels);
      } else {
        residual += pie.farFieldUpsampled(this.workAddress, fieldBytes, modes, amplitudes, this.patternSize);
      }
      this.fft.run(this.workAddress, modes, this.tables, true, 0);
      // Each mode adds its conj(P_m)Δ_m and |P_m|² to the object sums, and its own probe sums get
      // conj(O)Δ_m and the shared E = Σ|O|², so every mode's E has the same bits.
      for (let mode = 0; mode < modes; mode += 1) {
        maxCoverage = pie.accumulate(
          this.probeAddress + mode * fieldBytes,
          window,
          rowBytes,
          this.workAddress + mode * fieldBytes,
          this.numeratorAddress + offset,
          this.coverageAddress + offset / 2,
          n,
          this.probeSumsAddress + mode * this.probeSumsBytes,
          updateProbe ? 1 : 0,
          maxCoverage,
        );
      }
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
      for (let mode = 0; mode < modes; mode += 1) {
        pie.applyProbeUpdate(
          this.probeAddress + mode * fieldBytes,
          this.probeSumsAddress + mode * this.probeSumsBytes,
          groups,
          weights.probeStep,
          1 - weights.probeWeight,
          weights.probeWeight * maxProbeWeight,
        );
      }
    }
    return Math.fround(residual);
  }

  /** Size of the WebAssembly memory that contains the object, probe, amplitudes and sums. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Copies the object [H, W, 2] out of the memory. */
  readObject(): Float32Array {
    return this.view(this.objectAddress, 2 * this.height * this.width).slice();
  }

  /** Copies the first probe mode out of the memory as [M, M, 2]. */
  readProbe(): Float32Array {
    return this.readProbeModes().slice(0, 2 * this.size * this.size);
  }

  /** Copies the probe modes out of the memory as [K, M, M, 2]. */
  readProbeModes(): Float32Array {
    const split = this.view(this.probeAddress, 2 * this.probeModes * this.size * this.size);
    const probe = new Float32Array(split.length);
    for (let group = 0; group < split.length / 8; group += 1) {
      for (let lane = 0; lane < 4; lane += 1) {
        probe[8 * group + 2 * lane] = split[8 * group + lane];
        probe[8 * group + 2 * lane + 1] = split[8 * group + 4 + lane];
      }
    }
    return probe;
  }

  /**
   * Replaces the probe modes by `modes` [K, M, M, 2], stored split into groups of four pixels, for
   * example after PieSolver has made them orthogonal.
   */
  writeProbeModes(modes: Float32Array): void {
    const expected = 2 * this.probeModes * this.size * this.size;
    if (modes.length !== expected) {
      throw new Error(
        `FusedPieUpdate: expected ${this.probeModes} probe modes of ${this.size}×${this.size}×2 values ` +
          `(${expected}), received ${modes.length}.`,
      );
    }
    const split = this.view(this.probeAddress, modes.length);
    for (let group = 0; group < modes.length / 8; group += 1) {
      for (let lane = 0; lane < 4; lane += 1) {
        split[8 * group + lane] = modes[8 * group + 2 * lane];
        split[8 * group + 4 + lane] = modes[8 * group + 2 * lane + 1];
      }
    }
  }
}
