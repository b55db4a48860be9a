// Checks both FFT2 paths of fft.ts, the WebAssembly SIMD kernel and the TypeScript fallback, and
// the dispatching fft2, against NumPy references and a separable direct DFT in float64.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { loadKernelCases, relativeRms } from '../../../test/fixtures/kernels/load.mjs';
import {
  fft2,
  fft2Scalar,
  fft2Simd,
  fft2ThreadsReady,
  getFftPlan,
  getFftTables,
  isFft2SimdAvailable,
  isFftSize,
} from './fft';
import { randomValues } from './testValues';
import { chooseThreads, WasmFft2 } from './wasm/wasmFft2';

type Fft2 = typeof fft2;

/** One FFT2 path under test and the smallest N it supports. */
interface FftPath {
  name: string;
  run: Fft2;
  minSize: number;
}

const helperCount = await fft2ThreadsReady();

/** fft2Simd with every batch of 2 or more fields split across the helper threads. */
const fft2SimdThreaded: Fft2 = (input, output, batch, n, inverse) => fft2Simd(input, output, batch, n, inverse, 'always');

const paths: FftPath[] = [
  { name: 'fft2', run: fft2, minSize: 2 },
  { name: 'fft2Scalar', run: fft2Scalar, minSize: 2 },
  { name: 'fft2Simd', run: (input, output, batch, n, inverse) => fft2Simd(input, output, batch, n, inverse, 'never'), minSize: 4 },
  // Without helpers (one core) 'always' throws, which a test below checks instead.
  ...(helperCount > 0 ? [{ name: 'fft2Simd on threads', run: fft2SimdThreaded, minSize: 4 }] : []),
];

/** Relative RMS error allowed against float64 references; float32 rounding gives about 1.5e-7. */
const TOLERANCE = 1e-6;

/** A NumPy reference case: interleaved [batch, size, size, 2] input and expected output. */
interface NumpyCase {
  name: string;
  inverse: boolean;
  batch: number;
  size: number;
  x: Float32Array;
  expected: Float32Array;
}

/** Reads the small-size cases of wasm/make_fft2_fixtures.py and the FFT2 cases of the kernel fixtures. */
function loadNumpyCases(): NumpyCase[] {
  const dir = join(import.meta.dirname, 'wasm', 'fixtures');
  const read = (file: string) => {
    const bytes = readFileSync(join(dir, file));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    cases: { name: string; inverse: boolean; batch: number; size: number }[];
  };
  const small = manifest.cases.map((entry) => ({
    ...entry,
    x: read(`${entry.name}.x.bin`),
    expected: read(`${entry.name}.expected.bin`),
  }));
  const kernelCases = loadKernelCases()
    .filter((testCase) => testCase.kernel === 'fft2' || testCase.kernel === 'ifft2')
    .map((testCase) => ({
      name: testCase.name,
      inverse: testCase.kernel === 'ifft2',
      batch: testCase.expected.shape[0],
      size: testCase.expected.shape[1],
      x: testCase.inputs.x.data as Float32Array,
      expected: testCase.expected.data as Float32Array,
    }));
  return [...small, ...kernelCases];
}

/** Unitary 2-D DFT of interleaved n×n fields as a direct 1-D DFT over rows, then over columns. */
function separableDft2(x: Float32Array, batch: number, n: number, inverse: boolean): Float64Array {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let k = 0; k < n; k += 1) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = (inverse ? 1 : -1) * Math.sin((2 * Math.PI * k) / n);
  }
  const result = Float64Array.from(x);
  const lineRe = new Float64Array(n);
  const lineIm = new Float64Array(n);
  for (let field = 0; field < batch; field += 1) {
    for (const [lineStride, elementStride] of [[n, 1], [1, n]]) {
      for (let line = 0; line < n; line += 1) {
        const start = field * n * n + line * lineStride;
        for (let k = 0; k < n; k += 1) {
          let re = 0;
          let im = 0;
          for (let j = 0; j < n; j += 1) {
            const index = 2 * (start + j * elementStride);
            const phase = (j * k) % n;
            re += result[index] * cos[phase] - result[index + 1] * sin[phase];
            im += result[index] * sin[phase] + result[index + 1] * cos[phase];
          }
          lineRe[k] = re / Math.sqrt(n);
          lineIm[k] = im / Math.sqrt(n);
        }
        for (let k = 0; k < n; k += 1) {
          result[2 * (start + k * elementStride)] = lineRe[k];
          result[2 * (start + k * elementStride) + 1] = lineIm[k];
        }
      }
    }
  }
  return result;
}

describe('fft2 paths', () => {
  it('loads the SIMD kernel in Node', () => {
    // Node 20 and every Chromium that runs the app validate WebAssembly SIMD, so a false here means
    // the module failed to build or load, not a missing feature.
    expect(isFft2SimdAvailable()).toBe(true);
  });

  const numpyCases = loadNumpyCases();
  it.each(numpyCases.map((testCase) => [testCase.name, testCase] as const))('match NumPy on %s', (_name, testCase) => {
    const { batch, size, inverse } = testCase;
    for (const path of paths.filter((candidate) => size >= candidate.minSize)) {
      const output = new Float32Array(testCase.x.length);
      path.run(testCase.x, output, batch, size, inverse);
      expect(relativeRms(output, testCase.expected), path.name).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  const sizes = [2, 4, 8, 16, 32, 64, 128, 256, 512];
  it.each(sizes)('match the direct DFT at N=%i', (n) => {
    // The direct DFT costs 2n³ multiply-adds per field, so N = 512 runs a single field.
    const batches = n < 512 ? [1, 3] : [1];
    for (const batch of batches) {
      const input = randomValues(batch * n * n * 2, n + batch);
      for (const inverse of [false, true]) {
        const expected = separableDft2(input, batch, n, inverse);
        for (const path of paths.filter((candidate) => n >= candidate.minSize)) {
          const output = new Float32Array(input.length);
          path.run(input, output, batch, n, inverse);
          const label = `${path.name}, batch ${batch}, inverse ${inverse}`;
          expect(relativeRms(output, expected), label).toBeLessThanOrEqual(TOLERANCE);
        }
      }
    }
  });

  it('starts one helper thread per extra core', () => {
    expect(helperCount).toBe(Math.min(3, availableParallelism() - 1));
  });

  it.skipIf(helperCount === 0)('threads split batches over several rounds', () => {
    // 301 fields of 64×64 take two rounds of up to 4 MiB per thread, the second one uneven.
    const n = 64;
    const batch = 301;
    const input = randomValues(batch * n * n * 2, 12);
    const expected = separableDft2(input, batch, n, true);
    const output = new Float32Array(input.length);
    fft2SimdThreaded(input, output, batch, n, true);
    expect(relativeRms(output, expected)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.skipIf(helperCount > 0)("threads 'always' rejects a call without helpers", () => {
    expect(() => fft2SimdThreaded(new Float32Array(128), new Float32Array(128), 2, 4, false)).toThrow(
      "fft2Simd: threads 'always' needs helper threads, but none are running.",
    );
  });

  it('SIMD splits large batches into chunks', () => {
    // 9 fields of 128×128 are 1.2 MB, several of the kernel's copy chunks, with one field left over.
    const n = 128;
    const batch = 9;
    const input = randomValues(batch * n * n * 2, 11);
    const expected = separableDft2(input, batch, n, false);
    const output = new Float32Array(input.length);
    fft2Simd(input, output, batch, n, false, 'never');
    expect(relativeRms(output, expected)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each(paths.map((path) => [path.name, path] as const))('%s works in place', (_name, path) => {
    const n = 32;
    const input = randomValues(3 * n * n * 2, 5);
    const separate = new Float32Array(input.length);
    path.run(input, separate, 3, n, false);
    const inPlace = input.slice();
    path.run(inPlace, inPlace, 3, n, false);
    expect(inPlace).toEqual(separate);
  });

  it.each(paths.map((path) => [path.name, path] as const))('%s leaves values past the batch alone', (_name, path) => {
    const n = 16;
    const fieldLength = n * n * 2;
    const input = randomValues(3 * fieldLength, 6);
    const output = new Float32Array(3 * fieldLength).fill(7);
    path.run(input, output, 2, n, true);
    expect(output.subarray(2 * fieldLength).every((value) => value === 7)).toBe(true);
  });

  it.each(paths.map((path) => [path.name, path] as const))('%s rejects arrays shorter than the batch', (_name, path) => {
    expect(() => path.run(new Float32Array(100), new Float32Array(128), 1, 8, false)).toThrow(
      'fft2: 1 fields of 8×8 need 128 float32 values, received input 100 and output 128.',
    );
  });

  it('fft2Simd rejects N=2', () => {
    expect(() => fft2Simd(new Float32Array(8), new Float32Array(8), 1, 2, false)).toThrow(
      'fft2Simd: the SIMD kernel needs N ≥ 4, received N = 2. Call fft2 to fall back.',
    );
  });

  it('rejects lengths that are not powers of two', () => {
    expect(isFftSize(96)).toBe(false);
    expect(isFftSize(1)).toBe(false);
    expect(isFftSize(1024)).toBe(true);
    expect(() => getFftPlan(96)).toThrow('FFT length must be a power of two of at least 2, received 96.');
    for (const path of paths) {
      expect(() => path.run(new Float32Array(96 * 96 * 2), new Float32Array(96 * 96 * 2), 1, 96, false)).toThrow(
        'FFT length must be a power of two of at least 2, received 96.',
      );
    }
  });
});

describe('SIMD kernel loading', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it('returns null without WebAssembly SIMD', () => {
    // An engine without SIMD fails to validate the module, which is what create() checks.
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    expect(WasmFft2.create()).toBeNull();
  });

  it('runs on private memory without SharedArrayBuffer', async () => {
    // A page that is not cross-origin isolated has no SharedArrayBuffer, so no helpers start and
    // every call runs on the module's private memory.
    vi.stubGlobal('SharedArrayBuffer', undefined);
    const simd = WasmFft2.create();
    expect(simd).not.toBeNull();
    expect(await simd?.helpersReady).toBe(0);

    const [testCase] = loadNumpyCases().filter((candidate) => candidate.name === 'fft2-inverse-2x64');
    const output = new Float32Array(testCase.x.length);
    simd?.fft2(testCase.x, output, testCase.batch, getFftTables(testCase.size), testCase.inverse, 'auto');
    expect(relativeRms(output, testCase.expected)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('chooseThreads', () => {
  it('times each path five times first', () => {
    const choice = { oneThread: [1, 1, 1, 1], threaded: [], calls: 0 };
    expect(chooseThreads(choice)).toBe(false);
    choice.oneThread.push(1);
    expect(chooseThreads(choice)).toBe(true);
  });

  it('picks threads when clearly faster', () => {
    // The threaded path has two outliers, which the median ignores.
    const choice = { oneThread: [2, 2, 2, 2, 2], threaded: [1, 9, 1, 9, 1], calls: 0 };
    const picks = Array.from({ length: 16 }, () => chooseThreads(choice));
    expect(picks.slice(0, 15).every((threaded) => threaded)).toBe(true);
    expect(picks[15]).toBe(false);
  });

  it('keeps one thread when threads gain little', () => {
    const choice = { oneThread: [2, 2, 2, 2, 2], threaded: [1.9, 1.9, 1.9, 1.9, 1.9], calls: 0 };
    const picks = Array.from({ length: 16 }, () => chooseThreads(choice));
    expect(picks.slice(0, 15).every((threaded) => !threaded)).toBe(true);
    expect(picks[15]).toBe(true);
  });
});
