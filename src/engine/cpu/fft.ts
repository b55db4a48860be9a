/**
 * Batched unitary 2-D FFT on interleaved complex float32 arrays, in plain TypeScript with no
 * TensorFlow.js dependence, so workers and tests can reuse it.
 *
 * Each 1-D transform of length n is an iterative decimation-in-time FFT on bit-reversed input: one
 * radix-2 stage when log2(n) is odd, then radix-4 stages. Arithmetic is float64 throughout, and
 * values are rounded to float32 only in the output.
 *
 * Per field, the row pass transforms blocks of ROW_BLOCK rows. Each block is loaded transposed into
 * an [n][ROW_BLOCK] scratch array, so that every butterfly runs over ROW_BLOCK independent
 * transforms in an inner loop with unit stride. The first stage is computed while loading. The row
 * results go to an n×n float64 field buffer, with the rows in bit-reversed order as the column pass
 * needs them. The column pass then transforms blocks of COLUMN_BLOCK columns in place in that
 * buffer, and its last stage writes the scaled result straight into the output.
 *
 * `fft2` runs the WebAssembly SIMD kernel of ./wasm instead when the engine validates it and
 * n ≥ 4, and `fft2Scalar` is the TypeScript path above, kept as the fallback. Where memory can be
 * shared (Node, or a cross-origin isolated page), large batches may also be split across helper
 * threads, when that has timed faster than one thread.
 */
import { WasmFft2, type FftTables, type Fft2Threads } from './wasm/wasmFft2';

export type { Fft2Threads } from './wasm/wasmFft2';

// NOTE: both block sizes are untuned. Timings on a shared 2-core machine could not tell 8, 16 and 32 apart.
/** Rows transformed together in the row pass. */
const ROW_BLOCK = 8;
/** Columns transformed together in the column pass. */
const COLUMN_BLOCK = 16;

/** Precomputed tables for transforms of one size n, shared by the TypeScript and WebAssembly paths. */
export interface FftPlanTables extends FftTables {
  /** Transform length, a power of two. */
  readonly n: number;
  /** log2(n). */
  readonly log2n: number;
  /** bitReversal[i] is i with its log2(n) bits reversed. */
  readonly bitReversal: Int32Array;
  /** Sub-transform length m of the first radix-4 stage: 2 after a radix-2 stage, otherwise 1. */
  readonly firstRadix4Length: number;
  /**
   * Forward twiddles of the radix-4 stages, in stage order. The stage that combines four sub-transforms
   * of length m stores, for k = 0..m-1, cos and sin of -2πk·j/(4m) for j = 1, 2, 3, and starts at index
   * 2·(m - firstRadix4Length).
   */
  readonly twiddles: Float64Array;
}

/** Precomputed tables and reusable scratch of the TypeScript path for transforms of one size n. */
export interface FftPlan extends FftPlanTables {
  /** Real and imaginary scratch of the row pass, [n][ROW_BLOCK]. */
  readonly blockRe: Float64Array;
  readonly blockIm: Float64Array;
  /** Real and imaginary parts of one n×n field between the row and the column pass. */
  readonly fieldRe: Float64Array;
  readonly fieldIm: Float64Array;
}

const tableCache = new Map<number, FftPlanTables>();
const plans = new Map<number, FftPlan>();

/** Returns true when n is a power of two of at least 2. */
export function isFftSize(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

/**
 * Returns the cached tables for length n, building them on first use. Throws when n is not a power
 * of two of at least 2.
 */
export function getFftTables(n: number): FftPlanTables {
  const cached = tableCache.get(n);
  if (cached !== undefined) return cached;
  if (!isFftSize(n)) {
    throw new Error(`FFT length must be a power of two of at least 2, received ${n}.`);
  }

  const log2n = Math.round(Math.log2(n));
  const bitReversal = new Int32Array(n);
  for (let i = 0; i < n; i += 1) {
    let reversed = 0;
    for (let bit = 0; bit < log2n; bit += 1) {
      reversed |= ((i >> bit) & 1) << (log2n - 1 - bit);
    }
    bitReversal[i] = reversed;
  }

  const firstRadix4Length = log2n % 2 === 1 ? 2 : 1;
  const twiddles = new Float64Array(Math.max(0, 2 * (n - firstRadix4Length)));
  for (let m = firstRadix4Length; m < n; m *= 4) {
    let offset = 2 * (m - firstRadix4Length);
    for (let k = 0; k < m; k += 1) {
      for (let j = 1; j <= 3; j += 1) {
        const angle = (-2 * Math.PI * k * j) / (4 * m);
        twiddles[offset] = Math.cos(angle);
        twiddles[offset + 1] = Math.sin(angle);
        offset += 2;
      }
    }
  }

  const tables: FftPlanTables = { n, log2n, bitReversal, firstRadix4Length, twiddles };
  tableCache.set(n, tables);
  return tables;
}

/**
 * Returns the cached plan of the TypeScript path for length n, building it on first use. Throws
 * when n is not a power of two of at least 2.
 */
export function getFftPlan(n: number): FftPlan {
  const cached = plans.get(n);
  if (cached !== undefined) return cached;
  const plan: FftPlan = {
    ...getFftTables(n),
    blockRe: new Float64Array(ROW_BLOCK * n),
    blockIm: new Float64Array(ROW_BLOCK * n),
    fieldRe: new Float64Array(n * n),
    fieldIm: new Float64Array(n * n),
  };
  plans.set(n, plan);
  return plan;
}

/*
 * Layout shared by the stage functions below: `width` transforms run side by side, and element j of
 * transform c is at offset + j·rowStride + c. Before the stages run, each transform contains its input
 * in bit-reversed order of j.
 *
 * A radix-4 stage with sub-transform length m combines, for each group of 4m rows, the blocks at row
 * offsets 0, m, 2m and 3m. In bit-reversed order these blocks are the sub-transforms of the inputs
 * with index ≡ 0, 2, 1, 3 (mod 4), so with W = e^{-2πi/(4m)}, x0 = block 0, x1 = W^k·block 2m,
 * x2 = W^{2k}·block m and x3 = W^{3k}·block 3m, the outputs are
 *   X[k] = (x0 + x2) + (x1 + x3),  X[k+m] = (x0 - x2) - i(x1 - x3),
 *   X[k+2m] = (x0 + x2) - (x1 + x3),  X[k+3m] = (x0 - x2) + i(x1 - x3).
 */

/**
 * Runs the first stage in place: radix-2 when log2(n) is odd, else radix-4 with m = 1. Both need no
 * twiddles. Returns the sub-transform length after the stage.
 */
function firstStageInPlace(
  plan: FftPlan,
  re: Float64Array,
  im: Float64Array,
  offset: number,
  width: number,
  rowStride: number,
): number {
  const end = offset + plan.n * rowStride;
  if (plan.firstRadix4Length === 2) {
    for (let row = offset; row < end; row += 2 * rowStride) {
      const rowEnd = row + width;
      for (let a = row; a < rowEnd; a += 1) {
        const b = a + rowStride;
        const ar = re[a];
        const ai = im[a];
        const br = re[b];
        const bi = im[b];
        re[a] = ar + br;
        im[a] = ai + bi;
        re[b] = ar - br;
        im[b] = ai - bi;
      }
    }
    return 2;
  }

  for (let row = offset; row < end; row += 4 * rowStride) {
    const rowEnd = row + width;
    for (let i0 = row; i0 < rowEnd; i0 += 1) {
      const i2 = i0 + rowStride;
      const i1 = i2 + rowStride;
      const i3 = i1 + rowStride;
      const t0r = re[i0] + re[i2];
      const t0i = im[i0] + im[i2];
      const t1r = re[i0] - re[i2];
      const t1i = im[i0] - im[i2];
      const t2r = re[i1] + re[i3];
      const t2i = im[i1] + im[i3];
      const t3r = re[i1] - re[i3];
      const t3i = im[i1] - im[i3];
      re[i0] = t0r + t2r;
      im[i0] = t0i + t2i;
      re[i2] = t1r + t3i;
      im[i2] = t1i - t3r;
      re[i1] = t0r - t2r;
      im[i1] = t0i - t2i;
      re[i3] = t1r - t3i;
      im[i3] = t1i + t3r;
    }
  }
  return 4;
}

/** Runs the radix-4 stages with sub-transform lengths m = firstLength, 4·firstLength, … below endLength, in place. */
function radix4Stages(
  plan: FftPlan,
  re: Float64Array,
  im: Float64Array,
  offset: number,
  width: number,
  rowStride: number,
  firstLength: number,
  endLength: number,
): void {
  const end = offset + plan.n * rowStride;
  const twiddles = plan.twiddles;
  for (let m = firstLength; m < endLength; m *= 4) {
    const stride = m * rowStride;
    const groupStride = 4 * stride;
    let w = 2 * (m - plan.firstRadix4Length);
    for (let k = 0; k < m; k += 1) {
      const w1r = twiddles[w];
      const w1i = twiddles[w + 1];
      const w2r = twiddles[w + 2];
      const w2i = twiddles[w + 3];
      const w3r = twiddles[w + 4];
      const w3i = twiddles[w + 5];
      w += 6;
      for (let group = offset + k * rowStride; group < end; group += groupStride) {
        const groupEnd = group + width;
        for (let i0 = group; i0 < groupEnd; i0 += 1) {
          const i2 = i0 + stride;
          const i1 = i2 + stride;
          const i3 = i1 + stride;
          let yr = re[i1];
          let yi = im[i1];
          const x1r = yr * w1r - yi * w1i;
          const x1i = yr * w1i + yi * w1r;
          yr = re[i2];
          yi = im[i2];
          const x2r = yr * w2r - yi * w2i;
          const x2i = yr * w2i + yi * w2r;
          yr = re[i3];
          yi = im[i3];
          const x3r = yr * w3r - yi * w3i;
          const x3i = yr * w3i + yi * w3r;
          const t0r = re[i0] + x2r;
          const t0i = im[i0] + x2i;
          const t1r = re[i0] - x2r;
          const t1i = im[i0] - x2i;
          const t2r = x1r + x3r;
          const t2i = x1i + x3i;
          const t3r = x1r - x3r;
          const t3i = x1i - x3i;
          re[i0] = t0r + t2r;
          im[i0] = t0i + t2i;
          re[i2] = t1r + t3i;
          im[i2] = t1i - t3r;
          re[i1] = t0r - t2r;
          im[i1] = t0i - t2i;
          re[i3] = t1r - t3i;
          im[i3] = t1i + t3r;
        }
      }
    }
  }
}

/**
 * Transforms every row of the n×n field at `fieldOffset` of `input` into the plan's field buffer,
 * with the rows stored in bit-reversed order. `sign` is -1 to conjugate the input on load, which
 * turns the forward transform into the inverse one.
 */
function transformRows(plan: FftPlan, input: Float32Array, fieldOffset: number, sign: number): void {
  const n = plan.n;
  const re = plan.blockRe;
  const im = plan.blockIm;
  const fieldRe = plan.fieldRe;
  const fieldIm = plan.fieldIm;
  const bitReversal = plan.bitReversal;
  const block = Math.min(ROW_BLOCK, n);
  const rowLength = 2 * n;

  for (let firstRow = 0; firstRow < n; firstRow += block) {
    // Row r of the block becomes column r of the [n][block] scratch, in bit-reversed order, and the
    // first stage is applied on the way.
    for (let r = 0; r < block; r += 1) {
      const rowOffset = fieldOffset + rowLength * (firstRow + r);
      if (plan.firstRadix4Length === 2) {
        for (let j = 0; j < n; j += 2) {
          const a = rowOffset + 2 * bitReversal[j];
          const b = rowOffset + 2 * bitReversal[j + 1];
          const ar = input[a];
          const ai = sign * input[a + 1];
          const br = input[b];
          const bi = sign * input[b + 1];
          const target = j * block + r;
          re[target] = ar + br;
          im[target] = ai + bi;
          re[target + block] = ar - br;
          im[target + block] = ai - bi;
        }
      } else {
        for (let j = 0; j < n; j += 4) {
          const s0 = rowOffset + 2 * bitReversal[j];
          const s2 = rowOffset + 2 * bitReversal[j + 1];
          const s1 = rowOffset + 2 * bitReversal[j + 2];
          const s3 = rowOffset + 2 * bitReversal[j + 3];
          const t0r = input[s0] + input[s2];
          const t0i = sign * (input[s0 + 1] + input[s2 + 1]);
          const t1r = input[s0] - input[s2];
          const t1i = sign * (input[s0 + 1] - input[s2 + 1]);
          const t2r = input[s1] + input[s3];
          const t2i = sign * (input[s1 + 1] + input[s3 + 1]);
          const t3r = input[s1] - input[s3];
          const t3i = sign * (input[s1 + 1] - input[s3 + 1]);
          const target = j * block + r;
          re[target] = t0r + t2r;
          im[target] = t0i + t2i;
          re[target + block] = t1r + t3i;
          im[target + block] = t1i - t3r;
          re[target + 2 * block] = t0r - t2r;
          im[target + 2 * block] = t0i - t2i;
          re[target + 3 * block] = t1r - t3i;
          im[target + 3 * block] = t1i + t3r;
        }
      }
    }

    radix4Stages(plan, re, im, 0, block, block, plan.firstRadix4Length === 2 ? 2 : 4, n);

    for (let r = 0; r < block; r += 1) {
      let target = n * bitReversal[firstRow + r];
      const targetEnd = target + n;
      let source = r;
      for (; target < targetEnd; target += 1) {
        fieldRe[target] = re[source];
        fieldIm[target] = im[source];
        source += block;
      }
    }
  }
}

/**
 * Runs the last radix-4 stage (m = n/4) of `width` column transforms that start at `firstColumn` of
 * the field buffer, and writes the result times `scale`, with the imaginary part also times `sign`,
 * into the interleaved `output` at `fieldOffset`.
 */
function lastStageToOutput(
  plan: FftPlan,
  firstColumn: number,
  width: number,
  output: Float32Array,
  fieldOffset: number,
  scale: number,
  sign: number,
): void {
  const n = plan.n;
  const re = plan.fieldRe;
  const im = plan.fieldIm;
  const twiddles = plan.twiddles;
  const m = n / 4;
  const stride = m * n;
  const outputStride = 2 * stride;
  const imagScale = sign * scale;
  let w = 2 * (m - plan.firstRadix4Length);
  for (let k = 0; k < m; k += 1) {
    const w1r = twiddles[w];
    const w1i = twiddles[w + 1];
    const w2r = twiddles[w + 2];
    const w2i = twiddles[w + 3];
    const w3r = twiddles[w + 4];
    const w3i = twiddles[w + 5];
    w += 6;
    const start = k * n + firstColumn;
    const end = start + width;
    let o0 = fieldOffset + 2 * start;
    for (let i0 = start; i0 < end; i0 += 1) {
      const i2 = i0 + stride;
      const i1 = i2 + stride;
      const i3 = i1 + stride;
      let yr = re[i1];
      let yi = im[i1];
      const x1r = yr * w1r - yi * w1i;
      const x1i = yr * w1i + yi * w1r;
      yr = re[i2];
      yi = im[i2];
      const x2r = yr * w2r - yi * w2i;
      const x2i = yr * w2i + yi * w2r;
      yr = re[i3];
      yi = im[i3];
      const x3r = yr * w3r - yi * w3i;
      const x3i = yr * w3i + yi * w3r;
      const t0r = re[i0] + x2r;
      const t0i = im[i0] + x2i;
      const t1r = re[i0] - x2r;
      const t1i = im[i0] - x2i;
      const t2r = x1r + x3r;
      const t2i = x1i + x3i;
      const t3r = x1r - x3r;
      const t3i = x1i - x3i;
      // Output rows k, k+m, k+2m and k+3m.
      const o1 = o0 + outputStride;
      const o2 = o1 + outputStride;
      const o3 = o2 + outputStride;
      output[o0] = (t0r + t2r) * scale;
      output[o0 + 1] = (t0i + t2i) * imagScale;
      output[o1] = (t1r + t3i) * scale;
      output[o1 + 1] = (t1i - t3r) * imagScale;
      output[o2] = (t0r - t2r) * scale;
      output[o2 + 1] = (t0i - t2i) * imagScale;
      output[o3] = (t1r - t3i) * scale;
      output[o3 + 1] = (t1i + t3r) * imagScale;
      o0 += 2;
    }
  }
}

/**
 * Transforms every column of the plan's field buffer and stores the result times `scale` into
 * `output` at `fieldOffset`. `sign` is -1 to conjugate the result on store, which completes the
 * inverse transform.
 */
function transformColumns(plan: FftPlan, output: Float32Array, fieldOffset: number, scale: number, sign: number): void {
  const n = plan.n;
  const fieldRe = plan.fieldRe;
  const fieldIm = plan.fieldIm;
  const block = Math.min(COLUMN_BLOCK, n);

  if (n >= 8) {
    // The first stage is never the last one here, and the last stage is radix-4 with m = n/4.
    for (let firstColumn = 0; firstColumn < n; firstColumn += block) {
      const length = firstStageInPlace(plan, fieldRe, fieldIm, firstColumn, block, n);
      radix4Stages(plan, fieldRe, fieldIm, firstColumn, block, n, length, n / 4);
      lastStageToOutput(plan, firstColumn, block, output, fieldOffset, scale, sign);
    }
    return;
  }

  // n = 2 or 4: the first stage is the whole transform.
  firstStageInPlace(plan, fieldRe, fieldIm, 0, n, n);
  const imagScale = sign * scale;
  for (let i = 0; i < n * n; i += 1) {
    output[fieldOffset + 2 * i] = fieldRe[i] * scale;
    output[fieldOffset + 2 * i + 1] = fieldIm[i] * imagScale;
  }
}

/** Throws when `input` or `output` is shorter than `batch` n×n interleaved complex fields. */
function checkLengths(input: Float32Array, output: Float32Array, batch: number, n: number): void {
  const fieldLength = 2 * n * n;
  if (input.length < batch * fieldLength || output.length < batch * fieldLength) {
    throw new Error(
      `fft2: ${batch} fields of ${n}×${n} need ${batch * fieldLength} float32 values, ` +
        `received input ${input.length} and output ${output.length}.`,
    );
  }
}

/**
 * Computes the unitary 2-D FFT of `batch` interleaved complex n×n fields, scaling each transform by
 * 1/n, with the zero frequency at index [0, 0]. The forward transform uses e^{-2πi·jk/n} and the
 * inverse e^{+2πi·jk/n}. `output` may be the same array as `input`; both need batch·n·n·2 elements.
 * Runs the WebAssembly SIMD kernel when available and n ≥ 4, otherwise `fft2Scalar`.
 * Not reentrant: calls for the same n share scratch buffers.
 */
export function fft2(input: Float32Array, output: Float32Array, batch: number, n: number, inverse: boolean): void {
  const tables = getFftTables(n);
  checkLengths(input, output, batch, n);
  const simd = n >= 4 ? getWasmFft2() : null;
  if (simd !== null) {
    simd.fft2(input, output, batch, tables, inverse);
  } else {
    fft2Scalar(input, output, batch, n, inverse);
  }
}

/** Same contract as `fft2`, but always on the TypeScript path in float64. */
export function fft2Scalar(input: Float32Array, output: Float32Array, batch: number, n: number, inverse: boolean): void {
  const plan = getFftPlan(n);
  checkLengths(input, output, batch, n);

  // The inverse is conj(F(conj(x))), so the conjugations happen on load in the row pass and on
  // store in the column pass, and one set of forward twiddles serves both directions.
  const sign = inverse ? -1 : 1;
  const scale = 1 / n;
  const fieldLength = 2 * n * n;
  for (let field = 0; field < batch; field += 1) {
    const fieldOffset = field * fieldLength;
    transformRows(plan, input, fieldOffset, sign);
    transformColumns(plan, output, fieldOffset, scale, sign);
  }
}

/**
 * Same contract as `fft2`, but always on the WebAssembly SIMD kernel in float32, with `threads`
 * choosing whether helper threads take part. Throws when this engine lacks WebAssembly SIMD or
 * when n < 4.
 */
export function fft2Simd(
  input: Float32Array,
  output: Float32Array,
  batch: number,
  n: number,
  inverse: boolean,
  threads: Fft2Threads = 'auto',
): void {
  const tables = getFftTables(n);
  checkLengths(input, output, batch, n);
  const simd = getWasmFft2();
  if (simd === null) {
    throw new Error('fft2Simd: this JavaScript engine does not support WebAssembly SIMD. Call fft2 to fall back.');
  }
  if (n < 4) {
    throw new Error(`fft2Simd: the SIMD kernel needs N ≥ 4, received N = ${n}. Call fft2 to fall back.`);
  }
  simd.fft2(input, output, batch, tables, inverse, threads);
}

/**
 * Resolves to the number of FFT2 helper threads once they have started: 0 without SIMD, without
 * shared memory or on one core. Until then, every call runs on the calling thread.
 */
export function fft2ThreadsReady(): Promise<number> {
  return getWasmFft2()?.helpersReady ?? Promise.resolve(0);
}

/** Returns true when this engine runs the WebAssembly SIMD kernel. */
export function isFft2SimdAvailable(): boolean {
  return getWasmFft2() !== null;
}

let wasmFft2: WasmFft2 | null | undefined;

/** Returns the WebAssembly kernel, instantiating it on first use, or null where it cannot run. */
function getWasmFft2(): WasmFft2 | null {
  if (wasmFft2 === undefined) wasmFft2 = WasmFft2.create();
  return wasmFft2;
}
