// Runs the physics kernels on the WebGPU backend (SwiftShader adapter in headless Chromium) and
// compares them with the NumPy reference cases, a float64 FFT written here, and each other. Also
// checks the direct convolution that replaces tfjs's Conv2D and FusedConv2D on SwiftShader.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { loadConv2dCases } from '../test/fixtures/conv2d/load.mjs';
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

// Debug mode compiles each kernel under a new shader key inside a validation error scope, so
// one case per kernel name exercises every WGSL file, OVERLAP_SUM with both patch ranks.
const debugCases = loadKernelCases().filter(
  (entry, i, all) =>
    all.findIndex((other) => other.kernel === entry.kernel && other.inputs.patches?.shape.length === entry.inputs.patches?.shape.length) === i,
);
for (const kernelCase of debugCases) {
  test(`${kernelCase.name} validates in debug mode`, async () => {
    const tolerance = kernelCase.kernel.includes('fft') ? FFT_TOLERANCE : ELEMENTWISE_TOLERANCE;
    await page.evaluate(() => window.ptychoLab.setShaderDebug(true));
    try {
      const output = await runOnWebGpu(kernelCase.kernel, kernelCase.inputs, kernelCase.attrs);
      const error = relativeRms(output.data, kernelCase.expected.data);
      assert.ok(error <= tolerance, `relative RMS ${error} exceeds ${tolerance}`);
    } finally {
      await page.evaluate(() => window.ptychoLab.setShaderDebug(false));
    }
  });
}

test('regularizedUpdate stays finite with zero denominator', async () => {
  const shape = [6, 7, 2];
  const length = 6 * 7 * 2;
  const x = randomArray(length, 21);
  const numerator = randomArray(length, 22);
  numerator.fill(0, 0, 8);
  // The real channel D is zero everywhere, and the kernel must ignore the imaginary channel.
  const weights = new Float32Array(length);
  for (let i = 1; i < length; i += 2) weights[i] = 5;
  const field = (data) => ({ shape, dtype: 'float32', data });
  for (const [regularization, maxWeight] of [[0, 3], [1, 0], [0.5, 0]]) {
    const output = await runOnWebGpu(
      'regularizedUpdate',
      { x: field(x), numerator: field(numerator), weights: field(weights), maxWeight: { shape: [1], dtype: 'float32', data: [maxWeight] } },
      { step: 0.5, regularization },
    );
    const label = `w = ${regularization}, Dmax = ${maxWeight}`;
    assert.ok(output.data.every(Number.isFinite), `${label}: non-finite output ${output.data.filter((v) => !Number.isFinite(v))}`);
    // A zero numerator leaves x unchanged. Elsewhere the step is 0.5·numerator/1e-30.
    assert.deepEqual(output.data.slice(0, 8), Array.from(x.slice(0, 8)), `${label}: zero numerator changed x`);
    const expected = Math.fround(x[9] + Math.fround(0.5 * numerator[9]) / Math.fround(1e-30));
    assert.ok(Math.abs(output.data[9] - expected) <= 1e-6 * Math.abs(expected), `${label}: ${output.data[9]} is not ${expected}`);
  }
});

test('modulusProjection keeps phase of tiny fields', async () => {
  // Parts of 1e-30 square to 0 in f32, but the output must still have modulus a and Ψ's phase.
  const farField = Float32Array.from([1e-30, 0, 0, -1e-30, 3e-30, 4e-30, 0, 0]);
  const amplitudes = Float32Array.from([2, 2, 5, 7]);
  const inputs = {
    farField: { shape: [1, 2, 2, 2], dtype: 'float32', data: farField },
    amplitudes: { shape: [1, 2, 2], dtype: 'float32', data: amplitudes },
  };
  const output = await runOnWebGpu('modulusProjection', inputs, {});
  const expected = [2, 0, 0, -2, 3, 4, 7, 0];
  const error = relativeRms(output.data, expected);
  assert.ok(error <= ELEMENTWISE_TOLERANCE, `output ${output.data} is not ${expected}`);
});

/**
 * Float32 reference for OVERLAP_SUM: adds the covering patches in ascending order, rounding to
 * f32 after every addition as the shader does, so the GPU result has to match bit for bit.
 */
function referenceOverlapSum(patches, singlePatch, positions, size, height, width) {
  const output = new Float32Array(height * width * 2);
  const patchCount = positions.length / 2;
  for (let k = 0; k < patchCount; k += 1) {
    const base = singlePatch ? 0 : k * size * size;
    for (let i = 0; i < size; i += 1) {
      for (let j = 0; j < size; j += 1) {
        const row = positions[2 * k] + i;
        const col = positions[2 * k + 1] + j;
        if (row < 0 || row >= height || col < 0 || col >= width) continue;
        const target = 2 * (row * width + col);
        const source = 2 * (base + i * size + j);
        output[target] = Math.fround(output[target] + patches[source]);
        output[target + 1] = Math.fround(output[target + 1] + patches[source + 1]);
      }
    }
  }
  return output;
}

// 2100 patches take two rounds of the 2048-patch coverage test in overlapSum.wgsl, and positions
// partly outside the object test the tile bounds.
for (const singlePatch of [false, true]) {
  test(`overlapSum matches f32 reference bitwise${singlePatch ? ' (single patch)' : ''}`, async () => {
    const [patchCount, size, height, width] = [2100, 5, 37, 90];
    const positions = new Int32Array(2 * patchCount);
    for (let k = 0; k < patchCount; k += 1) {
      positions[2 * k] = ((k * 7919) % (height + 2 * size)) - size;
      positions[2 * k + 1] = ((k * 104729) % (width + 2 * size)) - size;
    }
    const patchShape = singlePatch ? [size, size, 2] : [patchCount, size, size, 2];
    const patches = randomArray(patchShape.reduce((a, b) => a * b), singlePatch ? 31 : 32);
    const inputs = {
      patches: { shape: patchShape, dtype: 'float32', data: patches },
      positions: { shape: [patchCount, 2], dtype: 'int32', data: positions },
    };
    // Debug mode also checks that the tiled variant of the shader validates.
    await page.evaluate(() => window.ptychoLab.setShaderDebug(true));
    let output;
    try {
      output = await runOnWebGpu('overlapSum', inputs, { height, width });
    } finally {
      await page.evaluate(() => window.ptychoLab.setShaderDebug(false));
    }
    const expected = referenceOverlapSum(patches, singlePatch, positions, size, height, width);
    const actualBits = new Uint32Array(new Float32Array(output.data).buffer);
    const expectedBits = new Uint32Array(expected.buffer);
    const mismatches = actualBits.filter((bits, i) => bits !== expectedBits[i]).length;
    assert.equal(mismatches, 0, `${mismatches} of ${expected.length} values differ from the f32 reference`);
  });
}

// 2100 × 2100 pixels need 68907 workgroups of 64, so tfjs reshapes the dispatch to 2-D. 3 patches
// take the plain path of overlapSum.wgsl and 64 the tiled one.
for (const patchCount of [3, 64]) {
  test(`overlapSum past 65535 workgroups, B = ${patchCount}`, async () => {
    const result = await page.evaluate(async (patchCount) => {
      const { tf } = window.ptychoLab;
      const [height, width, size] = [2100, 2100, 4];
      // Rows 32 apart keep the patches apart, and the last one touches the bottom-right corner.
      const corners = Array.from({ length: patchCount }, (_, k) => [32 * k, (797 * k) % 2097]);
      corners[patchCount - 1] = [height - size, width - size];
      const patches = tf.ones([patchCount, size, size, 2]);
      const positions = tf.tensor2d(corners, [patchCount, 2], 'int32');
      const output = tf.engine().runKernel('PtychoOverlapSum', { patches, positions }, { height, width });
      const data = await output.data();
      tf.dispose([patches, positions, output]);
      let covered = 0;
      let total = 0;
      for (let i = 0; i < data.length; i += 1) total += data[i];
      for (const [row, col] of corners) {
        for (let i = 0; i < size; i += 1) {
          for (let j = 0; j < size; j += 1) covered += data[2 * ((row + i) * width + col + j)];
        }
      }
      return { covered, total };
    }, patchCount);
    assert.equal(result.covered, patchCount * 4 * 4, 'patch pixels missing from the output');
    assert.equal(result.total, 2 * patchCount * 4 * 4, 'values written outside the patches');
  });
}

const CONV2D_TOLERANCE = 1e-5;

/**
 * Runs `body` in the page with the convolution plan forced to `plan` ('auto', 'gpu' or
 * 'software'), and with backend.runWebGPUProgram wrapped to record the shader key of every
 * program. `body` is a function source taking (tf, args) and returning a JSON-able value.
 * Returns { value, shaderKeys }.
 */
async function withConv2dPlan(plan, body, args) {
  return page.evaluate(
    async ({ plan, body, args }) => {
      const { tf } = window.ptychoLab;
      const backend = tf.backend();
      const original = backend.runWebGPUProgram;
      const shaderKeys = [];
      backend.runWebGPUProgram = function (program, ...rest) {
        shaderKeys.push(program.shaderKey);
        return original.call(this, program, ...rest);
      };
      tf.env().set('PTYCHO_WEBGPU_CONV2D_PLAN', plan);
      try {
        const value = await new Function('tf', 'args', `return (${body})(tf, args);`)(tf, args);
        return { value, shaderKeys };
      } finally {
        tf.env().set('PTYCHO_WEBGPU_CONV2D_PLAN', 'auto');
        backend.runWebGPUProgram = original;
      }
    },
    { plan, body: body.toString(), args },
  );
}

/** Page function: runs one tfjs convolution kernel on payload inputs and returns its output. */
async function runConvolutionKernel(tf, { kernel, inputs, attrs }) {
  const tensors = Object.fromEntries(
    Object.entries(inputs).map(([name, payload]) => [name, tf.tensor(payload.data, payload.shape, payload.dtype)]),
  );
  const output = tf.engine().runKernel(kernel, tensors, { dataFormat: 'NHWC', dimRoundingMode: undefined, ...attrs });
  try {
    return { shape: output.shape, data: Array.from(await output.data()) };
  } finally {
    tf.dispose([output, ...Object.values(tensors)]);
  }
}

const isDirectConvolution = (key) => key.includes('ptychoConv2d');

for (const convolutionCase of loadConv2dCases()) {
  test(`${convolutionCase.name} matches NumPy and stock kernel`, async () => {
    const args = {
      kernel: convolutionCase.kernel,
      inputs: Object.fromEntries(Object.entries(convolutionCase.inputs).map(([name, array]) => [name, toPayload(array)])),
      attrs: convolutionCase.attrs,
    };
    const software = await withConv2dPlan('auto', runConvolutionKernel, args);
    const stock = await withConv2dPlan('gpu', runConvolutionKernel, args);
    assert.ok(software.shaderKeys.some(isDirectConvolution), `the auto plan ran ${software.shaderKeys.join(', ')}`);
    assert.ok(!stock.shaderKeys.some(isDirectConvolution), `the gpu plan ran ${stock.shaderKeys.join(', ')}`);
    assert.deepEqual(software.value.shape, convolutionCase.expected.shape);
    assert.deepEqual(stock.value.shape, convolutionCase.expected.shape);

    const softwareError = relativeRms(software.value.data, convolutionCase.expected.data);
    const stockError = relativeRms(stock.value.data, convolutionCase.expected.data);
    const planDifference = relativeRms(software.value.data, stock.value.data);
    console.log(
      `${convolutionCase.name}: relative RMS ${softwareError.toExponential(2)} (direct), ` +
        `${stockError.toExponential(2)} (stock), ${planDifference.toExponential(2)} between them`,
    );
    assert.ok(softwareError <= CONV2D_TOLERANCE, `direct: relative RMS ${softwareError} exceeds ${CONV2D_TOLERANCE}`);
    assert.ok(stockError <= CONV2D_TOLERANCE, `stock: relative RMS ${stockError} exceeds ${CONV2D_TOLERANCE}`);
    assert.ok(planDifference <= CONV2D_TOLERANCE, `direct against stock: relative RMS ${planDifference} exceeds ${CONV2D_TOLERANCE}`);
  });
}

test('conv2d validates in debug mode', async () => {
  // Scalar and vec4 reads of inputs and of filters, each with and without bias.
  const names = [
    'conv2d-2x9x9-1to3',
    'fused-relu-3x10x7-5to6',
    'conv2d-2x2filter-2x7x8-3to4',
    'fused-sigmoid-2x8x8-8to8',
    'fused-linear-3x32x32-8to1',
    'conv2d-5x3filter-1x8x7-4to7',
  ];
  const logsBefore = browser.logs.length;
  await page.evaluate(() => window.ptychoLab.setShaderDebug(true));
  try {
    for (const convolutionCase of loadConv2dCases().filter((entry) => names.includes(entry.name))) {
      const args = {
        kernel: convolutionCase.kernel,
        inputs: Object.fromEntries(Object.entries(convolutionCase.inputs).map(([name, array]) => [name, toPayload(array)])),
        attrs: convolutionCase.attrs,
      };
      const { value, shaderKeys } = await withConv2dPlan('software', runConvolutionKernel, args);
      assert.ok(shaderKeys.some((key) => key.startsWith('debug_ptychoConv2d')), `${convolutionCase.name} ran ${shaderKeys.join(', ')}`);
      const error = relativeRms(value.data, convolutionCase.expected.data);
      assert.ok(error <= CONV2D_TOLERANCE, `${convolutionCase.name}: relative RMS ${error} exceeds ${CONV2D_TOLERANCE}`);
    }
  } finally {
    await page.evaluate(() => window.ptychoLab.setShaderDebug(false));
  }
  const shaderErrors = browser.logs.slice(logsBefore).filter((line) => line.includes('ptychoConv2d'));
  assert.deepEqual(shaderErrors, []);
});

test('conv2d leaves other activations to stock kernel', async () => {
  const convolutionCase = loadConv2dCases().find((entry) => entry.name === 'fused-relu-3x10x7-5to6');
  for (const activation of ['elu', 'leakyrelu', 'relu6']) {
    const args = {
      kernel: 'FusedConv2D',
      inputs: Object.fromEntries(Object.entries(convolutionCase.inputs).map(([name, array]) => [name, toPayload(array)])),
      attrs: { ...convolutionCase.attrs, activation, leakyreluAlpha: 0.2 },
    };
    const { value, shaderKeys } = await withConv2dPlan('software', runConvolutionKernel, args);
    assert.ok(!shaderKeys.some(isDirectConvolution), `${activation} ran ${shaderKeys.join(', ')}`);
    assert.ok(value.data.every(Number.isFinite), `${activation}: non-finite output`);
  }
});

/**
 * Page function: gradients of sum(y²) for y = fused conv2d(x, filter, bias) with `activation`,
 * with respect to x, filter and bias. tfjs computes them with its own backprop kernels, and with
 * relu it runs Conv2D, Add and Relu in place of FusedConv2D while a gradient is recorded.
 */
async function convolutionGradients(tf, { activation }) {
  const x = tf.randomUniform([3, 12, 10, 5], -1, 1, 'float32', 1);
  const filter = tf.randomUniform([3, 3, 5, 6], -1, 1, 'float32', 2);
  const bias = tf.randomUniform([6], -1, 1, 'float32', 3);
  const loss = (xs, filters, biases) =>
    tf.sum(tf.square(tf.fused.conv2d({ x: xs, filter: filters, bias: biases, pad: 'same', strides: 1, activation })));
  const gradients = tf.grads(loss)([x, filter, bias]);
  try {
    return await Promise.all(gradients.map(async (gradient) => Array.from(await gradient.data())));
  } finally {
    tf.dispose([x, filter, bias, ...gradients]);
  }
}

for (const activation of ['linear', 'relu']) {
  test(`conv2d gradients match stock, ${activation}`, async () => {
    const software = await withConv2dPlan('software', convolutionGradients, { activation });
    const stock = await withConv2dPlan('gpu', convolutionGradients, { activation });
    assert.ok(software.shaderKeys.some(isDirectConvolution), `the software plan ran ${software.shaderKeys.join(', ')}`);
    ['x', 'filter', 'bias'].forEach((name, i) => {
      const difference = relativeRms(software.value[i], stock.value[i]);
      console.log(`conv2d gradient for ${name}, ${activation}: relative RMS ${difference.toExponential(2)} between plans`);
      assert.ok(difference <= CONV2D_TOLERANCE, `gradient for ${name}: relative RMS ${difference} exceeds ${CONV2D_TOLERANCE}`);
    });
  });
}

/**
 * Page function: predicts 4 random 64 × 64 inputs with a small network of the PtychoPINN layer
 * types (3×3 'same' convolutions with relu, max-pooling, nearest upsampling, a sigmoid head) and
 * fixed seeded weights. Returns the flattened prediction.
 */
async function predictSmallNetwork(tf) {
  const convolution = (filters, activation, seed) =>
    tf.layers.conv2d({
      filters,
      kernelSize: 3,
      padding: 'same',
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed + 100 }),
    });
  const model = tf.sequential({
    layers: [
      tf.layers.inputLayer({ inputShape: [64, 64, 1] }),
      convolution(8, 'relu', 1),
      convolution(8, 'relu', 2),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      convolution(16, 'relu', 3),
      tf.layers.upSampling2d({ size: [2, 2] }),
      convolution(1, 'sigmoid', 4),
    ],
  });
  const input = tf.randomUniform([4, 64, 64, 1], 0, 2, 'float32', 5);
  const output = model.predict(input);
  try {
    return Array.from(await output.data());
  } finally {
    tf.dispose([input, output]);
    model.dispose();
  }
}

test('conv2d network prediction matches stock', async () => {
  const software = await withConv2dPlan('auto', predictSmallNetwork, {});
  const stock = await withConv2dPlan('gpu', predictSmallNetwork, {});
  assert.ok(software.shaderKeys.some(isDirectConvolution), `the auto plan ran ${software.shaderKeys.join(', ')}`);
  const difference = relativeRms(software.value, stock.value);
  const maxDifference = software.value.reduce((max, value, i) => Math.max(max, Math.abs(value - stock.value[i])), 0);
  console.log(`small network: relative RMS ${difference.toExponential(2)}, max |difference| ${maxDifference.toExponential(2)} between plans`);
  assert.ok(difference <= CONV2D_TOLERANCE, `relative RMS ${difference} exceeds ${CONV2D_TOLERANCE}`);
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
    // backend of tfjs 4.22, tf.spectral.fft returns rank 2 ([B·N, N]) for a rank-3 input.
    // Transposing that complex64 tensor fails in createBuffer, so the real and imaginary parts
    // are reshaped and transposed separately.
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

/**
 * Times one physics kernel in the page on a batch of `batch` fields of n × n, built there with
 * tf.randomUniform: performance.now() around runKernel and `await data()`, one warm-up run,
 * median of the next 5. Overlap sums place the patches on a 4-column grid with a step of n/4.
 */
async function timeKernelInPage(kernel, batch, n) {
  return page.evaluate(
    async ({ kernel, batch, n }) => {
      const { tf } = window.ptychoLab;
      const field = (seed) => tf.randomUniform([batch, n, n, 2], -1, 1, 'float32', seed);
      const amplitudes = () => tf.randomUniform([batch, n, n], 0, 2, 'float32', 9);
      const step = n / 4;
      const columns = 4;
      const rows = Math.ceil(batch / columns);
      const grid = Array.from({ length: batch }, (_, b) => [Math.floor(b / columns) * step, (b % columns) * step]);
      const overlapAttrs = { height: (rows - 1) * step + n, width: (columns - 1) * step + n };
      const setups = {
        PtychoModulusProjection: () => [{ farField: field(1), amplitudes: amplitudes() }, {}],
        PtychoAmplitudeResidual: () => [{ farField: field(1), amplitudes: amplitudes() }, {}],
        PtychoConjugateProductSum: () => [{ a: field(1), b: field(2) }, {}],
        PtychoRegularizedUpdate: () => [
          {
            x: field(1),
            numerator: field(2),
            weights: tf.randomUniform([batch, n, n, 2], 0, 4, 'float32', 3),
            maxWeight: tf.tensor1d([4]),
          },
          { step: 1, regularization: 0.1 },
        ],
        PtychoOverlapSum: () => [{ patches: field(1), positions: tf.tensor2d(grid, [batch, 2], 'int32') }, overlapAttrs],
        PtychoOverlapSumSinglePatch: () => [
          { patches: tf.randomUniform([n, n, 2], -1, 1, 'float32', 1), positions: tf.tensor2d(grid, [batch, 2], 'int32') },
          overlapAttrs,
        ],
      };
      const [inputs, attrs] = setups[kernel]();
      const kernelName = kernel === 'PtychoOverlapSumSinglePatch' ? 'PtychoOverlapSum' : kernel;

      const samples = [];
      for (let i = 0; i < 6; i += 1) {
        const start = performance.now();
        const output = tf.engine().runKernel(kernelName, inputs, attrs);
        await output.data();
        samples.push(performance.now() - start);
        output.dispose();
      }
      tf.dispose(Object.values(inputs));
      const measured = samples.slice(1).sort((a, b) => a - b);
      return { medianMs: measured[2], samplesMs: samples.map(Math.round) };
    },
    { kernel, batch, n },
  );
}

const timedKernels = [
  'PtychoModulusProjection',
  'PtychoAmplitudeResidual',
  'PtychoConjugateProductSum',
  'PtychoRegularizedUpdate',
  'PtychoOverlapSum',
  'PtychoOverlapSumSinglePatch',
];
for (const kernel of timedKernels) {
  for (const [batch, n] of kernel.startsWith('PtychoOverlapSum') ? [[32, 128], [256, 64]] : [[32, 128]]) {
    test(`${kernel} timing for [${batch}, ${n}, ${n}, 2]`, async () => {
      const timing = await timeKernelInPage(kernel, batch, n);
      console.log(`${kernel} [${batch},${n},${n},2]: median ${timing.medianMs.toFixed(1)} ms, samples ${timing.samplesMs.join(' ')} ms`);
      assert.ok(Number.isFinite(timing.medianMs));
    });
  }
}
