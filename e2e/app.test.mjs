// End-to-end: the app on its bundled Siemens-star scan, in real Chromium, on each device path.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { artifactDir, launch, serveStatic } from './harness.mjs';

// The Fourier error falls from 0.43 to about 0.14 within 6 iterations, so 8 show that it falls.
// 20 iterations on SwiftShader WebGL took 13 minutes on a two-core VM.
const ITERATIONS = 8;
const RUN_TIMEOUT_MS = 30 * 60_000;

let server;
before(async () => {
  server = await serveStatic();
  mkdirSync(artifactDir, { recursive: true });
});
after(async () => {
  await server?.close();
});

/** Opens the app, runs ITERATIONS rPIE iterations and returns what the page showed. */
async function reconstructOnce(page, path, screenshotName) {
  await page.goto(`${server.url}${path}`);
  await page.getByTestId('pattern-count').waitFor();
  assert.equal(await page.getByTestId('pattern-count').textContent(), '516');
  assert.match(await page.getByTestId('pattern-size').textContent(), /128 × 128/);

  const headline = page.getByTestId('backend-headline');
  await headline.waitFor({ timeout: 60_000 });

  await page.getByRole('spinbutton', { name: 'Iterations' }).fill(String(ITERATIONS));
  const reconstruct = page.getByRole('button', { name: 'Reconstruct' });
  await reconstruct.waitFor();
  await page.waitForFunction(() => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Reconstruct');
    return button && !button.disabled;
  }, null, { timeout: 60_000 });
  await reconstruct.click();
  await page.getByTestId('run-summary').waitFor({ timeout: RUN_TIMEOUT_MS });
  const errors = JSON.parse(await page.getByTestId('fourier-errors').getAttribute('data-errors'));
  await page.getByTestId('object-phase').waitFor();
  await page.screenshot({ path: join(artifactDir, screenshotName), fullPage: true });
  return {
    backend: await headline.getAttribute('data-backend'),
    headline: await headline.textContent(),
    bannerCount: await page.getByTestId('policy-banner').count(),
    banner: (await page.getByTestId('policy-banner').count()) ? await page.getByRole('status').first().textContent() : null,
    errors,
    summary: await page.getByTestId('run-summary').textContent(),
  };
}

function assertErrorFalls(errors) {
  assert.equal(errors.length, ITERATIONS, `expected ${ITERATIONS} Fourier errors, received ${errors.length}`);
  assert.ok(errors.every(Number.isFinite), `Fourier errors must be finite: ${errors}`);
  assert.ok(errors.at(-1) < 0.7 * errors[0], `Fourier error must fall: first ${errors[0]}, last ${errors.at(-1)}`);
}

describe('app on the bundled scan', () => {
  test('auto falls back to WebGL with a banner when no adapter is granted', async () => {
    const browser = await launch('fallback');
    try {
      const result = await reconstructOnce(browser.page, '/', 'reconstruction-fallback.png');
      assert.equal(result.backend, 'webgl');
      assert.equal(result.bannerCount, 1);
      assert.match(result.banner, /WebGL/);
      assert.match(result.banner, /adapter/i);
      assert.match(result.banner, /slower/i);
      assertErrorFalls(result.errors);
      const deviceLogs = browser.logs.filter((line) => line.includes('[ptychoscope:device]'));
      assert.equal(deviceLogs.length, 1, `expected one device log line, received ${JSON.stringify(deviceLogs)}`);
    } finally {
      await browser.close();
    }
  });

  test('auto resolves to WebGPU on a SwiftShader adapter without a banner', async () => {
    const browser = await launch('webgpu');
    try {
      const result = await reconstructOnce(browser.page, '/', 'reconstruction-webgpu.png');
      assert.equal(result.backend, 'webgpu');
      assert.equal(result.bannerCount, 0);
      assert.match(result.headline, /WebGPU/);
      const notices = await browser.page.getByTestId('backend-notice').allTextContents();
      assert.ok(notices.some((text) => /software/i.test(text)), `expected a software-adapter notice, received ${notices}`);
      assertErrorFalls(result.errors);
    } finally {
      await browser.close();
    }
  });

  test('explicit ?backend=cpu runs on the CPU without a banner', async () => {
    const browser = await launch('fallback');
    try {
      const result = await reconstructOnce(browser.page, '/?backend=cpu', 'reconstruction-cpu.png');
      assert.equal(result.backend, 'cpu');
      assert.equal(result.bannerCount, 0);
      assertErrorFalls(result.errors);
    } finally {
      await browser.close();
    }
  });
});
