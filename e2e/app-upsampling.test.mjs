// End-to-end: rPIE with far-field upsampling 2 on the bundled scan, on the CPU backend. The first
// iteration's Fourier error must match the NumPy reference's (test/fixtures/pie/bundled_errors.json).
// The Ptychodus product of the run, with its 256 × 256 probe, must start a second upsampled run near
// where the first ended. With upsampling set back to 1, Reconstruct must reject that product's probe,
// and the page must keep the last run's error curve and summary.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { artifactDir, launch, runReconstruction, serveStatic } from './harness.mjs';

const reference = JSON.parse(readFileSync(resolve(import.meta.dirname, '../test/fixtures/pie/bundled_errors.json'), 'utf8'));

let server;
before(async () => {
  server = await serveStatic();
  mkdirSync(artifactDir, { recursive: true });
});
after(async () => {
  await server?.close();
});

test('upsampled run matches NumPy and restarts from its product', async () => {
  const browser = await launch('fallback');
  const { page } = browser;
  const directory = mkdtempSync(join(tmpdir(), 'ptychoscope-upsampling-'));
  try {
    await page.goto(`${server.url}/?backend=cpu`);
    await page.getByTestId('pattern-count').waitFor({ timeout: 60_000 });
    const upsampling = page.getByRole('combobox', { name: 'Far-field upsampling' });
    assert.equal(await upsampling.inputValue(), '1');
    await upsampling.selectOption('2');

    const firstRun = await runReconstruction(page, 2);
    console.log(`Fourier errors with upsampling 2: ${firstRun.join(', ')}`);
    assert.equal(firstRun.length, 2);
    const expected = reference.upsampledErrors['1'];
    assert.ok(Math.abs(firstRun[0] - expected[0]) < 1e-4, `first error ${firstRun[0]}, NumPy ${expected[0]}`);
    assert.ok(Math.abs(firstRun[1] - expected[1]) < 1e-4, `second error ${firstRun[1]}, NumPy ${expected[1]}`);
    await page.screenshot({ path: join(artifactDir, 'reconstruction-upsampling.png'), fullPage: true });

    const downloadEvent = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Ptychodus product (.h5)' }).click();
    const download = await downloadEvent;
    const product = join(directory, download.suggestedFilename());
    await download.saveAs(product);
    await page.getByLabel(/Start from a Ptychodus product/).setInputFiles(product);
    await page.getByTestId('start-point').filter({ hasText: /Reconstruct starts from .*\.h5/ }).waitFor({ timeout: 60_000 });

    const secondRun = await runReconstruction(page, 1);
    console.log(`Fourier error from the product: ${secondRun.join(', ')}`);
    assert.ok(
      secondRun[0] < 1.1 * firstRun[1],
      `The run from the product should start near the last error, ${firstRun[1]}; it started at ${secondRun[0]}.`,
    );

    await upsampling.selectOption('1');
    await page.getByRole('button', { name: 'Reconstruct' }).click();
    const error = page.getByRole('region', { name: 'Solver' }).getByRole('alert').filter({ hasText: /probe is 256×256 pixels/ });
    await error.waitFor({ timeout: 60_000 });
    assert.match(await error.textContent(), /set far-field upsampling to 2/);
    // The rejected run leaves the last run's error curve and summary beside its images.
    const keptErrors = JSON.parse((await page.getByTestId('fourier-errors').getAttribute('data-errors')) ?? '[]');
    assert.deepEqual(keptErrors, secondRun);
    assert.match(await page.getByTestId('run-summary').textContent(), /Finished after 1 iteration/);
    await page.getByRole('region', { name: 'Solver' }).screenshot({ path: join(artifactDir, 'upsampling-start-point.png') });
  } finally {
    await browser.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
