// Runs the device policy with the real browser environment on the lab page, in both GPU modes.
// The known-answer FFT needs our fft2 kernel on the backend under test, so these cases fail
// until that backend's kernel is registered.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, serveStatic } from './harness.mjs';

const LOG_PREFIX = '[ptychoscope:device]';
/** SOFTWARE_WEBGL_NOTICE of src/device/policy.ts. */
const SOFTWARE_WEBGL_NOTICE = 'software WebGL renderer: usually slower than the cpu backend';

let server;
before(async () => {
  server = await serveStatic();
});
after(async () => {
  await server?.close();
});

/** Opens the lab page in `mode`, resolves `requested` there and returns { resolution, error, logs }. */
async function resolveIn(mode, requested) {
  const browser = await launch(mode);
  try {
    await browser.page.goto(`${server.url}/lab.html`);
    await browser.page.waitForSelector('body[data-ready="true"]');
    const outcome = await browser.page.evaluate(async (name) => {
      try {
        return { resolution: await window.ptychoLab.resolve(name), error: null };
      } catch (error) {
        return { resolution: null, error: `${error.name}: ${error.message}` };
      }
    }, requested);
    return { ...outcome, logs: [...browser.logs] };
  } finally {
    await browser.close();
  }
}

function deviceLogLines(logs) {
  return logs.filter((line) => line.includes(LOG_PREFIX));
}

test('auto falls back to software WebGL without an adapter', async () => {
  const { resolution, error, logs } = await resolveIn('fallback', 'auto');
  assert.equal(error, null, `resolve('auto') rejected: ${error}\n${logs.join('\n')}`);

  assert.equal(resolution.backend, 'webgl', JSON.stringify(resolution.attempts));
  assert.equal(resolution.attempts[0].backend, 'webgpu');
  assert.match(resolution.attempts[0].reason, /^no adapter granted/);
  assert.match(resolution.fallbackReason, /WebGPU: no adapter granted/);
  // Headless Chrome without a GPU renders WebGL with SwiftShader, which the policy must name and flag.
  assert.match(resolution.webGlRenderer ?? '', /swiftshader/i, `renderer: ${resolution.webGlRenderer}`);
  assert.equal(resolution.softwareWebGl, true);
  assert.deepEqual(resolution.notices, [SOFTWARE_WEBGL_NOTICE]);

  const deviceLogs = deviceLogLines(logs);
  assert.equal(deviceLogs.length, 1, deviceLogs.join('\n'));
  assert.match(deviceLogs[0], /^\[info\] \[ptychoscope:device\] requested auto, running on WebGL \(renderer .*SwiftShader/i);
  assert.match(deviceLogs[0], /Notice: software WebGL renderer: usually slower than the cpu backend\./);
});

test('auto uses software WebGPU with a notice', async () => {
  const { resolution, error, logs } = await resolveIn('webgpu', 'auto');
  assert.equal(error, null, `resolve('auto') rejected: ${error}\n${logs.join('\n')}`);

  assert.equal(resolution.backend, 'webgpu', JSON.stringify(resolution.attempts));
  assert.equal(resolution.fallbackReason, null);
  assert.deepEqual(resolution.notices, ['software WebGPU adapter: slower than a hardware GPU, and usually slower than the cpu backend']);
  assert.match(resolution.adapterDescription, /swiftshader/i);

  const deviceLogs = deviceLogLines(logs);
  assert.equal(deviceLogs.length, 1, deviceLogs.join('\n'));
  assert.match(deviceLogs[0], /running on WebGPU/);
});

test('explicit webgpu without an adapter rejects', async () => {
  const { resolution, error } = await resolveIn('fallback', 'webgpu');

  assert.equal(resolution, null);
  assert.match(error, /^BackendUnavailableError: The WebGPU backend was requested but cannot start: no adapter granted/);
});

test('explicit cpu passes the known-answer check', async () => {
  const { resolution, error, logs } = await resolveIn('fallback', 'cpu');
  assert.equal(error, null, `resolve('cpu') rejected: ${error}\n${logs.join('\n')}`);

  assert.equal(resolution.backend, 'cpu');
  assert.equal(resolution.attempts.length, 1);
  assert.match(resolution.attempts[0].reason, /^known-answer FFT passed/);
});
