// End-to-end: simulate a scan, reconstruct it, read the metrics, and save the .npz and the
// Ptychodus product. Then load the product back as the metrics' reference, open the saved .npz
// again as a scan, and score a new run against the object it stores.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launch, runReconstruction, serveStatic } from './harness.mjs';

let server;
before(async () => {
  server = await serveStatic();
});
after(async () => {
  await server?.close();
});

async function readRms(page) {
  const row = page.getByTestId('truth-comparison').getByRole('row', { name: /RMS phase error/ });
  await row.waitFor({ timeout: 60_000 });
  return Number(/([0-9.]+)\s*rad/.exec((await row.textContent()) ?? '')?.[1]);
}

async function save(page, buttonName, directory) {
  const downloadEvent = page.waitForEvent('download');
  await page.getByRole('button', { name: buttonName }).click();
  const download = await downloadEvent;
  const path = join(directory, download.suggestedFilename());
  await download.saveAs(path);
  return path;
}

test('a saved reconstruction opens again as a scan with its object', async () => {
  const browser = await launch('fallback');
  const { page } = browser;
  const directory = mkdtempSync(join(tmpdir(), 'ptychoscope-export-'));
  try {
    await page.goto(`${server.url}/?backend=cpu`);
    await page.getByTestId('pattern-count').waitFor();
    await page.getByText('Simulate a scan').click();
    await page.getByRole('combobox', { name: 'Pattern size' }).selectOption('32');
    await page.getByRole('spinbutton', { name: 'Object size (px)' }).fill('112');
    await page.getByRole('spinbutton', { name: 'Probe diameter (px)' }).fill('10');
    await page.getByRole('spinbutton', { name: 'Defocus (waves)' }).fill('1');
    await page.getByRole('button', { name: 'Simulate and load this scan' }).click();
    await page.getByRole('heading', { name: /Simulated object/ }).waitFor();
    const patterns = await page.getByTestId('pattern-count').textContent();

    await runReconstruction(page, 30);
    const rms = await readRms(page);
    assert.ok(rms < 0.1, `RMS phase error against the truth should be small, received ${rms} rad`);
    assert.match(await page.getByTestId('truth-comparison').textContent(), /Against the true object/);

    const npz = await save(page, 'Object, probe and positions (.npz)', directory);
    const product = await save(page, 'Ptychodus product (.h5)', directory);
    // The HDF5 signature opens the product file.
    assert.deepEqual([...readFileSync(product).subarray(0, 8)], [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

    // The product's object, loaded as the reference, is the reconstruction itself.
    await page.getByLabel(/Compare with a Ptychodus product/).setInputFiles(product);
    await page.getByTestId('truth-comparison').getByText(/Against the object in .*product\.h5/).waitFor({ timeout: 60_000 });
    const rmsAgainstProduct = await readRms(page);
    assert.ok(rmsAgainstProduct < 1e-3, `RMS phase error against the saved product: ${rmsAgainstProduct} rad`);

    await page.getByLabel(/Open a scan/).setInputFiles(npz);
    await page.getByRole('region', { name: 'Loaded scan' }).getByRole('heading', { name: /\.npz/ }).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('pattern-count').textContent(), patterns);

    // The stored object is the first run's result, so a second run should agree with it closely.
    await runReconstruction(page, 30);
    assert.match(await page.getByTestId('truth-comparison').textContent(), /Against the file's objectGuess/);
    const rmsAgainstStored = await readRms(page);
    assert.ok(rmsAgainstStored < 0.1, `RMS phase error against the stored object: ${rmsAgainstStored} rad`);
  } finally {
    await browser.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
