// Runs the physics kernels on the WebGPU backend (SwiftShader adapter in headless Chromium) and
// compares them with the NumPy reference cases, a float64 FFT written here, and each other.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { loadKernelCases, relativeRms } from '../test/fixtures/kernels/load.mjs';
import { launch, serveStatic } from './harness.mjs';

const FFT_TOLERANCE = 1e-5;
const ELEMENTWISE_TOLERANCE = 1e-6;

let server;
let browser;
let page;

before(async () => {
  server = await serveStatic();
  browser = await launch('webgpu');
  page = browser.page;
  await page.goto(`${server.url}/lab.html`);
  await page.waitForSelector('body[data-ready="true"]');
  const selected = await page.evaluate(() => window.ptychoLab.useBackend('webgpu'));
  assert.deepEqual(selected, { ok: true, backend: 'webgpu' }, `WebGPU backend unavailable. Browser log:\n${browser.logs.join('\n')}`);
  const limits = await page.evaluate(() => {
    const { limits } = window.ptychoLab.tf.backend().device;
    return {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    };
  });
  console.log('WebGPU device limits:', JSON.stringify(limits));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Converts a {shape, dtype, data: TypedArray} input to the lab's plain-array payload. */
function toPayload(array) {
  return { shape: array.shape, dtype: array.dtype, data: Array.from(array.data) };
}

async function runOnWebGpu(kernel, inputs, attrs) {
  const payloads = Object.fromEntries(Object.entries(inputs).map(([name, array]) => [name, toPayload(array)]));
  return page.evaluate(
    ({ kernel, payloads, attrs }) => window.ptychoLab.runKernel(kernel, payloads, attrs),
    { kernel, payloads, attrs },
  );
}

/** Deterministic uniform numbers in [-1, 1) from a 32-bit linear congruential generator. */
function randomArray(length, seed) {
  const values = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** In-place float64 radix-2 FFT of `count` points at `re[offset + i·stride]`, unnormalized. */
function fft1d(re, im, offset, stride, count, sign) {
  for (let i = 1, j = 0; i < count; i += 1) {
    let bit = count >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const a = offset + i * stride;
      const b = offset + j * stride;
      [re[a], re[b]] = [re[b], re[a]];
      [im[a], im[b]] = [im[b], im[a]];
    }
  }
  for (let length = 2; length <= count; length *= 2) {
    const angle = (sign * 2 * Math.PI) / length;
    for (let start = 0; start < count; start += length) {
      for (let k = 0; k < length / 2; k += 1) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = offset + (start + k) * stride;
        const b = offset + (start + k + length / 2) * stride;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Float64 reference for FFT2: unitary 2-D FFT of interleaved [B, n, n, 2] data. */
function referenceFft2(interleaved, batch, n, inverse) {
  const sign = inverse ? 1 : -1;
  const re = new Float64Array(batch * n * n);
  const im = new Float64Array(batch * n * n);
  for (let i = 0; i < re.length; i += 1) {
    re[i] = interleaved[2 * i];
    im[i] = interleaved[2 * i + 1];
  }
  for (let b = 0; b < batch; b += 1) {
    for (let line = 0; line < n; line += 1) fft1d(re, im, b * n * n + line * n, 1, n, sign);
    for (let line = 0; line < n; line += 1) fft1d(re, im, b * n * n + line, n, n, sign);
  }
  const output = new Float64Array(2 * re.length);
  for (let i = 0; i < re.length; i += 1) {
    output[2 * i] = re[i] / n;
    output[2 * i + 1] = im[i] / n;
  }
  return output;
}

/**
 * Runs `body` with the FFT2 workgroup plan forced to `plan`. 'auto' picks the software plan on
 * SwiftShader, so 'gpu' is how these tests reach the plan that hardware adapters get.
 */
async function withFft2Plan(plan, body) {
  await page.evaluate((plan) => window.ptychoLab.tf.env().set('PTYCHO_WEBGPU_FFT2_PLAN', plan), plan);
  try {
    return await body();
  } finally {
    await page.evaluate(() => window.ptychoLab.tf.env().set('PTYCHO_WEBGPU_FFT2_PLAN', 'auto'));
  }
}

for (const kernelCase of loadKernelCases()) {
  const isFft = kernelCase.kernel.includes('fft');
  const tolerance = isFft ? FFT_TOLERANCE : ELEMENTWISE_TOLERANCE;
  for (const plan of isFft ? ['auto', 'gpu'] : ['auto']) {
    const label = plan === 'auto' ? kernelCase.name : `${kernelCase.name} (${plan} plan)`;
    test(`${label} matches NumPy`, async () => {
      const output = await withFft2Plan(plan, () => runOnWebGpu(kernelCase.kernel, kernelCase.inputs, kernelCase.attrs));
      assert.deepEqual(output.shape, kernelCase.expected.shape);
      const error = relativeRms(output.data, kernelCase.expected.data);
      console.log(`${label}: relative RMS ${error.toExponential(2)}`);
      assert.ok(error <= tolerance, `relative RMS ${error} exceeds ${tolerance}`);
    });
  }
}

// Sizes 2 to 16 take the paths for tiny lines (several lines per workgroup on a GPU, a lone
// radix-2 stage). At 512, the largest size the project promises, only the forward transform is
// compared here because moving the arrays through page.evaluate takes seconds. The round trip
// test below covers the inverse at 512.
const float64Cases = [
  [3, 2, false], [3, 2, true],
  [2, 4, false], [2, 4, true],
  [2, 8, false], [2, 8, true],
  [2, 16, false], [2, 16, true],
  [1, 512, false],
];
for (const [batch, n, inverse] of float64Cases) {
  const kernel = inverse ? 'ifft2' : 'fft2';
  for (const plan of n < 512 ? ['auto', 'gpu'] : ['auto']) {
    const label = `${kernel} ${batch}x${n}${plan === 'auto' ? '' : ` (${plan} plan)`}`;
    test(`${label} matches float64 FFT`, async () => {
      const x = randomArray(batch * n * n * 2, 1000 * n + batch + (inverse ? 7 : 0));
      const payload = { x: { shape: [batch, n, n, 2], dtype: 'float32', data: x } };
      const output = await withFft2Plan(plan, () => runOnWebGpu(kernel, payload, {}));
      const error = relativeRms(output.data, referenceFft2(x, batch, n, inverse));
      console.log(`${label}: relative RMS ${error.toExponential(2)}`);
      assert.ok(error <= FFT_TOLERANCE, `relative RMS ${error} exceeds ${FFT_TOLERANCE}`);
    });
  }
}

for (const plan of ['auto', 'gpu']) {
  const label = `fft2 round trip 2x512${plan === 'auto' ? '' : ` (${plan} plan)`}`;
  test(`${label} restores input`, async () => {
    const error = await withFft2Plan(plan, () =>
      page.evaluate(async () => {
        const { tf } = window.ptychoLab;
        const x = tf.randomUniform([2, 512, 512, 2], -1, 1, 'float32', 42);
        const spectrum = tf.engine().runKernel('PtychoFft2', { x }, { inverse: false });
        const back = tf.engine().runKernel('PtychoFft2', { x: spectrum }, { inverse: true });
        const [original, restored] = await Promise.all([x.data(), back.data()]);
        tf.dispose([x, spectrum, back]);
        let difference = 0;
        let reference = 0;
        for (let i = 0; i < original.length; i += 1) {
          difference += (restored[i] - original[i]) ** 2;
          reference += original[i] ** 2;
        }
        return Math.sqrt(difference / reference);
      }),
    );
    console.log(`${label}: relative RMS ${error.toExponential(2)}`);
    assert.ok(error <= FFT_TOLERANCE, `relative RMS ${error} exceeds ${FFT_TOLERANCE}`);
  });
}

test('extractPatches zeroes pixels outside the object', async () => {
  const object = Float32Array.from({ length: 4 * 4 * 2 }, (_, i) => i + 1);
  const inputs = {
    object: { shape: [4, 4, 2], dtype: 'float32', data: object },
    positions: { shape: [2, 2], dtype: 'int32', data: Int32Array.from([3, 3, -1, 0]) },
  };
  const output = await runOnWebGpu('extractPatches', inputs, { size: 2 });
  // Patch 0 keeps only pixel (3, 3); patch 1 keeps row 0, columns 0 and 1, in its second row.
  const pixel = (row, col) => [object[2 * (row * 4 + col)], object[2 * (row * 4 + col) + 1]];
  const expected = [...pixel(3, 3), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...pixel(0, 0), ...pixel(0, 1)];
  assert.deepEqual(output.data, expected);
});

test('complexMultiply without batch axis', async () => {
  const a = randomArray(5 * 5 * 2, 11);
  const b = randomArray(5 * 5 * 2, 12);
  const expected = new Float64Array(a.length);
  for (let i = 0; i < a.length; i += 2) {
    expected[i] = a[i] * b[i] - a[i + 1] * b[i + 1];
    expected[i + 1] = a[i] * b[i + 1] + a[i + 1] * b[i];
  }
  const output = await runOnWebGpu(
    'complexMultiply',
    { a: { shape: [5, 5, 2], dtype: 'float32', data: a }, b: { shape: [5, 5, 2], dtype: 'float32', data: b } },
    { conjugateA: false },
  );
  assert.deepEqual(output.shape, [5, 5, 2]);
  const error = relativeRms(output.data, expected);
  assert.ok(error <= ELEMENTWISE_TOLERANCE, `relative RMS ${error} exceeds ${ELEMENTWISE_TOLERANCE}`);
});

test('overlapSum is bit-for-bit deterministic', async () => {
  const patchCount = 64;
  const size = 32;
  const positions = new Int32Array(2 * patchCount);
  for (let b = 0; b < patchCount; b += 1) {
    positions[2 * b] = (b * 7) % 65;
    positions[2 * b + 1] = (b * 13) % 65;
  }
  const inputs = {
    patches: { shape: [patchCount, size, size, 2], dtype: 'float32', data: randomArray(patchCount * size * size * 2, 5) },
    positions: { shape: [patchCount, 2], dtype: 'int32', data: positions },
  };
  const attrs = { height: 96, width: 96 };
  const first = await runOnWebGpu('overlapSum', inputs, attrs);
  const second = await runOnWebGpu('overlapSum', inputs, attrs);
  const firstBits = new Uint32Array(new Float32Array(first.data).buffer);
  const secondBits = new Uint32Array(new Float32Array(second.data).buffer);
  assert.deepEqual(secondBits, firstBits);
});

test('shader debug mode reports WGSL errors', async () => {
  const valid = `fn main(index: i32) {
  if (index < uniforms.size) {
    result[index] = f32(index) * 2.0;
  }
}`;
  const broken = `fn main(index: i32) {
  if (index < uniforms.size) {
    result[index] = f32(index) * undefinedScale;
  }
}`;
  const outcome = await page.evaluate(
    async ({ valid, broken }) => {
      const lab = window.ptychoLab;
      lab.setShaderDebug(true);
      try {
        const values = await lab.runWgsl(valid, 4);
        let message = null;
        try {
          await lab.runWgsl(broken, 4);
        } catch (error) {
          message = error.message;
        }
        return { values, message };
      } finally {
        lab.setShaderDebug(false);
      }
    },
    { valid, broken },
  );
  assert.deepEqual(outcome.values, [0, 2, 4, 6]);
  assert.ok(outcome.message !== null, 'a broken shader ran without an error');
  console.log(outcome.message);
  assert.match(outcome.message, /undefinedScale/);
  assert.match(outcome.message, /:\d+:\d+ error/);
  assert.match(outcome.message, /lab\.wgsl:3:\d+/);
});

test('kernels validate cleanly in debug mode', async () => {
  const kernelCase = loadKernelCases().find((entry) => entry.kernel === 'fft2');
  await page.evaluate(() => window.ptychoLab.setShaderDebug(true));
  try {
    const output = await runOnWebGpu(kernelCase.kernel, kernelCase.inputs, kernelCase.attrs);
    assert.ok(relativeRms(output.data, kernelCase.expected.data) <= FFT_TOLERANCE);
  } finally {
    await page.evaluate(() => window.ptychoLab.setShaderDebug(false));
  }
});

/**
 * Times `runName` ('custom' or 'builtIn') on one [64, 128, 128, 2] field batch in the page:
 * performance.now() around the call and `await data()`, one warm-up run, median of the next 5.
 */
async function timeFft2InPage(runName) {
  return page.evaluate(async (runName) => {
    const { tf } = window.ptychoLab;
    const [batch, n] = [64, 128];
    const x = tf.randomUniform([batch, n, n, 2], -1, 1, 'float32', 3);

    // tfjs's own path: tf.spectral.fft on complex64 along the last axis, twice. On the webgpu
    // backend of tfjs 4.22 the output of tf.spectral.fft comes back as rank 2 ([B·N, N]) for a
    // rank-3 input, and transposing it as a complex64 tensor fails in createBuffer, so the real
    // and imaginary parts are reshaped and transposed separately.
    const transposedParts = (spectrum) =>
      [tf.real(spectrum), tf.imag(spectrum)].map((part) => tf.transpose(tf.reshape(part, [batch, n, n]), [0, 2, 1]));
    const runs = {
      custom: () => tf.engine().runKernel('PtychoFft2', { x }, { inverse: false }),
      builtIn: () =>
        tf.tidy(() => {
          const [re, im] = tf.unstack(x, 3);
          const [rowsRe, rowsIm] = transposedParts(tf.spectral.fft(tf.complex(re, im)));
          const [columnsRe, columnsIm] = transposedParts(tf.spectral.fft(tf.complex(rowsRe, rowsIm)));
          return tf.stack([columnsRe, columnsIm], 3).div(n);
        }),
    };

    const samples = [];
    for (let i = 0; i < 6; i += 1) {
      const start = performance.now();
      const output = runs[runName]();
      await output.data();
      samples.push(performance.now() - start);
      output.dispose();
    }
    x.dispose();
    const measured = samples.slice(1).sort((a, b) => a - b);
    return { medianMs: measured[2], samplesMs: samples.map(Math.round) };
  }, runName);
}

test('fft2 timing for [64, 128, 128, 2]', async () => {
  const timing = await timeFft2InPage('custom');
  console.log(`PtychoFft2 [64,128,128,2]: median ${timing.medianMs.toFixed(1)} ms, samples ${timing.samplesMs.join(' ')} ms`);
  assert.ok(Number.isFinite(timing.medianMs));
});

// About 14 s per run on SwiftShader, so it runs only on request.
const baselineSkip = process.env.PTYCHO_FFT_BASELINE === '1' ? false : 'set PTYCHO_FFT_BASELINE=1 to run';
test('tf.spectral.fft timing for [64, 128, 128, 2]', { skip: baselineSkip }, async () => {
  const timing = await timeFft2InPage('builtIn');
  console.log(`tf.spectral.fft path [64,128,128,2]: median ${timing.medianMs.toFixed(1)} ms, samples ${timing.samplesMs.join(' ')} ms`);
  assert.ok(Number.isFinite(timing.medianMs));
});
