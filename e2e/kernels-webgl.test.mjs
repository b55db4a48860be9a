// Checks the custom physics kernels on the TensorFlow.js 'webgl' backend against the NumPy
// reference cases, in plain headless Chromium, whose WebGL runs on SwiftShader.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { loadKernelCases, relativeRms } from '../test/fixtures/kernels/load.mjs';
import { launch, serveStatic } from './harness.mjs';

const FFT_TOLERANCE = 1e-5;
const OTHER_TOLERANCE = 1e-6;

let server;
let browser;

before(async () => {
  server = await serveStatic();
  browser = await launch('fallback');
  await browser.page.goto(`${server.url}/lab.html`);
  await browser.page.waitForSelector('body[data-ready="true"]');
  const selected = await browser.page.evaluate(() => window.ptychoLab.useBackend('webgl'));
  assert.deepEqual(selected, { ok: true, backend: 'webgl' }, `WebGL backend unavailable. Page log:\n${browser.logs.join('\n')}`);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

function toPayload({ shape, dtype, data }) {
  return { shape, dtype, data: Array.from(data) };
}

/** Runs `kernel` in the page on the webgl backend. Returns { shape, data: Float32Array }. */
async function runInPage(kernel, inputs, attrs) {
  const payloads = Object.fromEntries(Object.entries(inputs).map(([name, value]) => [name, toPayload(value)]));
  const result = await browser.page.evaluate(
    ({ kernel, payloads, attrs }) => window.ptychoLab.runKernel(kernel, payloads, attrs),
    { kernel, payloads, attrs },
  );
  return { shape: result.shape, data: Float32Array.from(result.data) };
}

/** Returns a deterministic pseudo-random float32 array in [-1, 1) (xorshift32). */
function randomValues(length, seed) {
  const values = new Float32Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** In-place float64 radix-2 FFT of one line (forward sign e^{-2πi kn/N}, no scaling). */
function fftLine(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i += 1) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let length = 2; length <= n; length *= 2) {
    const angle = (-2 * Math.PI) / length;
    for (let start = 0; start < n; start += length) {
      for (let k = 0; k < length / 2; k += 1) {
        const wRe = Math.cos(angle * k);
        const wIm = Math.sin(angle * k);
        const a = start + k;
        const b = a + length / 2;
        const tRe = re[b] * wRe - im[b] * wIm;
        const tIm = re[b] * wIm + im[b] * wRe;
        re[b] = re[a] - tRe;
        im[b] = im[a] - tIm;
        re[a] += tRe;
        im[a] += tIm;
      }
    }
  }
}

/** Float64 reference for one unitary forward 2-D FFT of an interleaved [N, N, 2] field. */
function referenceFft2(field, n) {
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let i = 0; i < n * n; i += 1) {
    re[i] = field[2 * i];
    im[i] = field[2 * i + 1];
  }
  const lineRe = new Float64Array(n);
  const lineIm = new Float64Array(n);
  for (const [count, stride, step] of [
    [n, n, 1],
    [n, 1, n],
  ]) {
    for (let line = 0; line < count; line += 1) {
      for (let i = 0; i < n; i += 1) {
        lineRe[i] = re[line * stride + i * step];
        lineIm[i] = im[line * stride + i * step];
      }
      fftLine(lineRe, lineIm);
      for (let i = 0; i < n; i += 1) {
        re[line * stride + i * step] = lineRe[i];
        im[line * stride + i * step] = lineIm[i];
      }
    }
  }
  const result = new Float64Array(2 * n * n);
  for (let i = 0; i < n * n; i += 1) {
    result[2 * i] = re[i] / n;
    result[2 * i + 1] = im[i] / n;
  }
  return result;
}

for (const kernelCase of loadKernelCases()) {
  test(`${kernelCase.name} on webgl`, async (t) => {
    const tolerance = kernelCase.kernel === 'fft2' || kernelCase.kernel === 'ifft2' ? FFT_TOLERANCE : OTHER_TOLERANCE;
    const actual = await runInPage(kernelCase.kernel, kernelCase.inputs, kernelCase.attrs);
    assert.deepEqual(actual.shape, kernelCase.expected.shape);
    const error = relativeRms(actual.data, kernelCase.expected.data);
    t.diagnostic(`relative RMS ${error.toExponential(3)}`);
    assert.ok(error <= tolerance, `relative RMS ${error.toExponential(3)} exceeds ${tolerance}`);
  });
}

test('fft2 N=512 forward and round trip', async (t) => {
  const n = 512;
  const x = { shape: [1, n, n, 2], dtype: 'float32', data: randomValues(2 * n * n, 512) };

  const spectrum = await runInPage('fft2', { x }, {});
  const forwardError = relativeRms(spectrum.data, referenceFft2(x.data, n));
  assert.ok(forwardError <= FFT_TOLERANCE, `forward relative RMS ${forwardError.toExponential(3)} exceeds ${FFT_TOLERANCE}`);

  const restored = await runInPage('ifft2', { x: { ...spectrum, dtype: 'float32' } }, {});
  const roundTripError = relativeRms(restored.data, x.data);
  t.diagnostic(`forward relative RMS ${forwardError.toExponential(3)}, round trip ${roundTripError.toExponential(3)}`);
  assert.ok(roundTripError <= FFT_TOLERANCE, `round-trip relative RMS ${roundTripError.toExponential(3)} exceeds ${FFT_TOLERANCE}`);
});

test('overlapSum repeats bit for bit', async () => {
  const kernelCases = loadKernelCases().filter((entry) => entry.kernel === 'overlapSum');
  assert.ok(kernelCases.length > 0, 'no overlapSum reference case in test/fixtures/kernels/manifest.json');
  for (const kernelCase of kernelCases) {
    const first = await runInPage(kernelCase.kernel, kernelCase.inputs, kernelCase.attrs);
    const second = await runInPage(kernelCase.kernel, kernelCase.inputs, kernelCase.attrs);
    assert.equal(Buffer.compare(Buffer.from(first.data.buffer), Buffer.from(second.data.buffer)), 0, kernelCase.name);
  }
});

test('extractPatches zero outside object', async () => {
  const object = { shape: [4, 4, 2], dtype: 'float32', data: Float32Array.from({ length: 32 }, (_, i) => i + 1) };
  const positions = { shape: [1, 2], dtype: 'int32', data: Int32Array.from([2, 3]) };
  const patch = await runInPage('extractPatches', { object, positions }, { size: 3 });
  // Row 2..4, column 3..5: only object pixels (2, 3) and (3, 3) lie inside the 4×4 object.
  const expected = new Float32Array(18);
  expected.set([object.data[22], object.data[23]], 0);
  expected.set([object.data[30], object.data[31]], 6);
  assert.deepEqual(Array.from(patch.data), Array.from(expected));
});

test('regularizedUpdate zero denominator stays finite', async () => {
  // With D = 0 everywhere and Dmax = 0, only ε = 1e-30 bounds the denominator.
  const length = 2 * 6 * 5;
  const x = { shape: [6, 5, 2], dtype: 'float32', data: randomValues(length, 11) };
  const numerator = { shape: [6, 5, 2], dtype: 'float32', data: randomValues(length, 12) };
  numerator.data.fill(0, 0, 10);
  const weights = { shape: [6, 5, 2], dtype: 'float32', data: new Float32Array(length) };
  const maxWeight = { shape: [1], dtype: 'float32', data: new Float32Array(1) };
  const inputs = { x, numerator, weights, maxWeight };
  const epsilon = Math.fround(1e-30);

  for (const regularization of [0, 0.5, 1]) {
    const step = 0.5;
    const actual = await runInPage('regularizedUpdate', inputs, { step, regularization });
    const expected = x.data.map((value, i) => value + (step * numerator.data[i]) / epsilon);
    const nonFinite = actual.data.findIndex((value) => !Number.isFinite(value));
    assert.equal(nonFinite, -1, `w=${regularization}: element ${nonFinite} is ${actual.data[nonFinite]}`);
    assert.deepEqual(Array.from(actual.data.subarray(0, 10)), Array.from(x.data.subarray(0, 10)), `w=${regularization}: zero numerator changed x`);
    const error = relativeRms(actual.data, expected);
    assert.ok(error <= OTHER_TOLERANCE, `w=${regularization}: relative RMS ${error.toExponential(3)} exceeds ${OTHER_TOLERANCE}`);
  }
});

test('modulusProjection zero and tiny fields', async () => {
  // Pixels: exactly zero, (3, 4)·1e-30 whose squares underflow float32, and (-3, 4)·1e20 whose
  // squares overflow it.
  const farField = { shape: [1, 1, 3, 2], dtype: 'float32', data: Float32Array.from([0, 0, 3e-30, 4e-30, -3e20, 4e20]) };
  const amplitudes = { shape: [1, 1, 3], dtype: 'float32', data: Float32Array.from([2, 10, 5]) };
  const projected = await runInPage('modulusProjection', { farField, amplitudes }, {});
  const expected = [2, 0, 6, 8, -3, 4];
  assert.deepEqual(Array.from(projected.data.subarray(0, 2)), [2, 0], 'zero field must give (a, 0)');
  for (let i = 2; i < expected.length; i += 1) {
    assert.ok(Math.abs(projected.data[i] - expected[i]) <= 1e-5, `component ${i}: ${projected.data[i]}, expected ${expected[i]}`);
  }

  // The third residual, about 2.5e41, overflows float32, so only the first two are checked.
  const residual = await runInPage('amplitudeResidual', { farField, amplitudes }, {});
  const expectedResidual = [4, 100];
  for (let i = 0; i < expectedResidual.length; i += 1) {
    const relative = Math.abs(residual.data[i] - expectedResidual[i]) / expectedResidual[i];
    assert.ok(relative <= 1e-6, `residual ${i}: ${residual.data[i]}, expected ${expectedResidual[i]}`);
  }
});

test('conjugateProductSum repeats bit for bit', async () => {
  const kernelCase = loadKernelCases().find((entry) => entry.kernel === 'conjugateProductSum');
  assert.ok(kernelCase, 'no conjugateProductSum reference case in test/fixtures/kernels/manifest.json');
  const first = await runInPage(kernelCase.kernel, kernelCase.inputs, kernelCase.attrs);
  const second = await runInPage(kernelCase.kernel, kernelCase.inputs, kernelCase.attrs);
  assert.equal(Buffer.compare(Buffer.from(first.data.buffer), Buffer.from(second.data.buffer)), 0);
});

// Opt-in because it takes tens of seconds on SwiftShader and its numbers depend on machine load.
test(
  'fft2 [64, 128, 128, 2] timing',
  { skip: process.env.KERNEL_TIMING ? false : 'set KERNEL_TIMING=1 to measure' },
  async (t) => {
    const timings = await browser.page.evaluate(async () => {
      const tf = window.ptychoLab.tf;
      const x = tf.randomNormal([64, 128, 128, 2], 0, 1, 'float32', 7);
      await x.data();
      const times = [];
      for (let run = 0; run < 7; run += 1) {
        const start = performance.now();
        // 'PtychoFft2' is FFT2 in src/engine/kernelNames.ts.
        const y = tf.engine().runKernel('PtychoFft2', { x }, { inverse: false });
        await y.data();
        times.push(performance.now() - start);
        y.dispose();
      }
      x.dispose();
      return times.slice(2);
    });
    const sorted = [...timings].sort((a, b) => a - b);
    t.diagnostic(`FFT2 including readback: median ${sorted[2].toFixed(0)} ms of ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    assert.equal(timings.length, 5);
  },
);

// Opt-in for the same reasons as the FFT2 timing. Each time includes the read-back of the output.
test(
  'fused kernels [32, 128, 128, 2] timing',
  { skip: process.env.KERNEL_TIMING ? false : 'set KERNEL_TIMING=1 to measure' },
  async (t) => {
    const results = await browser.page.evaluate(async () => {
      const tf = window.ptychoLab.tf;
      const shape = [32, 128, 128, 2];
      const field = tf.randomNormal(shape, 0, 1, 'float32', 1);
      const other = tf.randomNormal(shape, 0, 1, 'float32', 2);
      const amplitudes = tf.abs(tf.randomNormal(shape.slice(0, 3), 0, 1, 'float32', 3));
      const weights = tf.abs(tf.randomNormal(shape, 0, 1, 'float32', 4));
      const maxWeight = tf.tensor1d([4]);

      // The positions come from a 12×12 raster with a 21-pixel step on a 360×360 object. The
      // batch takes every 37th of them modulo 144, so it is scattered like a random rPIE batch.
      const rows = [];
      for (let b = 0; b < 32; b += 1) {
        const index = (b * 37) % 144;
        rows.push([21 * Math.floor(index / 12), 21 * (index % 12)]);
      }
      const positions = tf.tensor2d(rows, [32, 2], 'int32');
      const probe = tf.randomNormal(shape.slice(1), 0, 1, 'float32', 5);

      // Names from src/engine/kernelNames.ts.
      const cases = {
        modulusProjection: () => tf.engine().runKernel('PtychoModulusProjection', { farField: field, amplitudes }, {}),
        amplitudeResidual: () => tf.engine().runKernel('PtychoAmplitudeResidual', { farField: field, amplitudes }, {}),
        conjugateProductSum: () => tf.engine().runKernel('PtychoConjugateProductSum', { a: field, b: other }, {}),
        regularizedUpdate: () =>
          tf.engine().runKernel(
            'PtychoRegularizedUpdate',
            { x: field, numerator: other, weights, maxWeight },
            { step: 1, regularization: 0.1 },
          ),
        overlapSum: () =>
          tf.engine().runKernel('PtychoOverlapSum', { patches: field, positions }, { height: 360, width: 360 }),
        overlapSumSinglePatch: () =>
          tf.engine().runKernel('PtychoOverlapSum', { patches: probe, positions }, { height: 360, width: 360 }),
      };

      const results = {};
      for (const [name, run] of Object.entries(cases)) {
        const times = [];
        // The first two runs compile the shader and upload the inputs, so they are not kept.
        for (let repeat = 0; repeat < 9; repeat += 1) {
          const start = performance.now();
          const output = run();
          await output.data();
          times.push(performance.now() - start);
          output.dispose();
        }
        results[name] = times.slice(2);
      }

      tf.dispose([field, other, amplitudes, weights, maxWeight, positions, probe]);
      return results;
    });
    for (const [name, times] of Object.entries(results)) {
      const sorted = [...times].sort((a, b) => a - b);
      t.diagnostic(`${name} including readback: median ${sorted[3].toFixed(0)} ms of ${times.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    }
    assert.equal(Object.keys(results).length, 6);
  },
);
