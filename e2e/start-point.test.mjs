// End-to-end: reconstruct the bundled scan for a few iterations on the CPU backend, save the
// Ptychodus product, load it as the start point and run again. The second run's first Fourier
// error must start near where the first run ended, far below the flat start's. A file that is not
// a product is rejected with an alert and leaves the start point as it was.
// E2E_DIST_DIR serves another build than dist/, for a run beside other builds of the same checkout.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { artifactDir, launch, serveStatic } from './harness.mjs';

let server;
before(async () => {
  server = await serveStatic(process.env.E2E_DIST_DIR);
});
after(async () => {
  await server?.close();
});

/** Runs `iterations` rPIE iterations and returns the Fourier errors the plot shows. */
async function reconstruct(page, iterations) {
  await page.getByRole('spinbutton', { name: 'Iterations' }).fill(String(iterations));
  await page.waitForFunction(() => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Reconstruct');
    return button && !button.disabled;
  }, null, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Reconstruct' }).click();
  await page.getByTestId('run-summary').filter({ hasText: `after ${iterations} iterations` }).waitFor({ timeout: 2 * 60_000 });
  return JSON.parse((await page.getByTestId('fourier-errors').getAttribute('data-errors')) ?? '[]');
}

test('a saved product starts the next run where the last ended', async () => {
  const browser = await launch('fallback');
  const { page } = browser;
  const directory = mkdtempSync(join(tmpdir(), 'ptychoscope-start-'));
  try {
    await page.goto(`${server.url}/?backend=cpu`);
    await page.getByTestId('pattern-count').waitFor({ timeout: 60_000 });

    const firstRun = await reconstruct(page, 3);
    assert.equal(firstRun.length, 3);

    const downloadEvent = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Ptychodus product (.h5)' }).click();
    const download = await downloadEvent;
    const product = join(directory, download.suggestedFilename());
    await download.saveAs(product);

    const picker = page.getByLabel(/Start from a Ptychodus product/);
    await picker.setInputFiles(product);
    const line = page.getByTestId('start-point');
    await line.filter({ hasText: /Reconstruct starts from .*\.h5/ }).waitFor({ timeout: 60_000 });
    const description = await line.textContent();
    assert.match(description, /1 probe mode, positions from the product/);

    // A scan file is not a product: the alert names the problem and the start point stays.
    await picker.setInputFiles(resolve(import.meta.dirname, '../public/data/siemens-star.npz'));
    const alert = page.locator('.start-point-picker [role="alert"]');
    await alert.waitFor({ timeout: 60_000 });
    assert.match(await alert.textContent(), /missing.*start point was not changed/s);
    assert.equal(await line.textContent(), description);
    await page.getByRole('region', { name: 'Solver' }).screenshot({ path: join(artifactDir, 'start-point.png') });

    const secondRun = await reconstruct(page, 2);
    assert.equal(secondRun.length, 2);
    console.log(`Fourier errors: first run ${firstRun.join(', ')}; from the product ${secondRun.join(', ')}`);
    assert.ok(
      secondRun[0] < firstRun[0] / 2,
      `The run from the product should start far below the flat start: ${secondRun[0]} against ${firstRun[0]}.`,
    );
    assert.ok(
      secondRun[0] < 1.1 * firstRun[2],
      `The run from the product should start near the last error, ${firstRun[2]}; it started at ${secondRun[0]}.`,
    );
  } finally {
    await browser.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
