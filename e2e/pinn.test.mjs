// End-to-end: PtychoPINN trained in the page on a subset of the bundled scan, stitched and compared
// with rPIE, on the WebGL fallback and on WebGPU (SwiftShader). A stopped run is resumed, and a
// saved model is loaded back.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { artifactDir, launch, serveStatic } from './harness.mjs';

// A small run: 64 patterns, 2 epochs, the network at 1/8 width. It shows the path works, not quality.
const PATTERNS = 64;
const EPOCHS = 2;
const PIE_ITERATIONS = 2;
const RUN_TIMEOUT_MS = 15 * 60_000;

let server;
before(async () => {
  server = await serveStatic();
  mkdirSync(artifactDir, { recursive: true });
});
after(async () => {
  await server?.close();
});

async function waitForEnabled(page, name) {
  await page.waitForFunction(
    (label) => {
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent === label);
      return button && !button.disabled;
    },
    name,
    { timeout: 120_000 },
  );
}

async function trainSmallPinn(page) {
  await page.getByRole('combobox', { name: 'Reconstruction method' }).selectOption('pinn');
  // Before any result, no views section is rendered empty.
  const emptyViews = await page.locator('section.views').evaluateAll((sections) => sections.filter((s) => s.childElementCount === 0).length);
  assert.equal(emptyViews, 0, 'no empty views section');
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill(String(EPOCHS));
  await page.getByRole('spinbutton', { name: /Patterns used/ }).fill(String(PATTERNS));
  await page.getByRole('combobox', { name: 'Network width' }).selectOption('0.125');
  assert.match(await page.getByTestId('pinn-resolution-note').textContent(), /central 64 × 64 of each 128 × 128 pattern/);
  assert.match(await page.getByTestId('pinn-patterns-hint').textContent(), /first patterns in the file's order/);
  assert.match(await page.getByTestId('pinn-schedule-hint').textContent(), /holds out 5 % of the patterns/);
  await waitForEnabled(page, 'Train PtychoPINN');
  await page.getByRole('button', { name: 'Train PtychoPINN' }).click();
  await page.getByTestId('pinn-summary').waitFor({ timeout: RUN_TIMEOUT_MS });
  const losses = JSON.parse(await page.getByTestId('pinn-losses').getAttribute('data-train'));
  assert.equal(losses.length, EPOCHS, `expected ${EPOCHS} training losses, received ${losses}`);
  assert.ok(losses.every(Number.isFinite), `losses must be finite: ${losses}`);
  await page.getByTestId('pinn-phase').waitFor();
  return { losses, summary: await page.getByTestId('pinn-summary').textContent() };
}

async function runRpie(page) {
  await page.getByRole('combobox', { name: 'Reconstruction method' }).selectOption('pie');
  await page.getByRole('spinbutton', { name: 'Iterations' }).fill(String(PIE_ITERATIONS));
  await waitForEnabled(page, 'Reconstruct');
  await page.getByRole('button', { name: 'Reconstruct' }).click();
  await page.getByTestId('run-summary').waitFor({ timeout: RUN_TIMEOUT_MS });
}

for (const [mode, backend] of [
  ['fallback', 'webgl'],
  ['webgpu', 'webgpu'],
]) {
  describe(`PtychoPINN on ${backend}`, () => {
    test('trains, stitches and is compared with rPIE', async () => {
      const browser = await launch(mode);
      const { page } = browser;
      try {
        await page.goto(`${server.url}/`);
        await page.getByTestId('pattern-count').waitFor();
        const headline = page.getByTestId('backend-headline');
        await headline.waitFor({ timeout: 60_000 });
        assert.equal(await headline.getAttribute('data-backend'), backend);

        const { summary } = await trainSmallPinn(page);
        assert.match(summary, new RegExp(`on ${backend}`));
        assert.match(summary, new RegExp(`${PATTERNS} patterns of 64²`));
        // No rPIE has run yet, so its Fourier-error chart has nothing to show.
        assert.equal(await page.getByTestId('fourier-errors').count(), 0);
        await runRpie(page);

        const comparison = page.getByTestId('method-comparison');
        await comparison.waitFor({ timeout: 60_000 });
        assert.match(await page.getByTestId('method-times').textContent(), /rPIE: 2 iterations in .* PtychoPINN: training/);
        await comparison.getByRole('row', { name: /RMS phase error/ }).waitFor();
        await page.screenshot({ path: join(artifactDir, `pinn-${backend}.png`), fullPage: true });
      } finally {
        await browser.close();
      }
    });
  });
}

describe('PtychoPINN stop and resume on webgl', () => {
  test('resumes from the stopped epoch', async () => {
    const browser = await launch('fallback');
    const { page } = browser;
    try {
      await page.goto(`${server.url}/`);
      await page.getByTestId('pattern-count').waitFor();
      await page.getByRole('combobox', { name: 'Reconstruction method' }).selectOption('pinn');
      await page.getByRole('spinbutton', { name: 'Epochs' }).fill('3');
      await page.getByRole('spinbutton', { name: /Patterns used/ }).fill(String(PATTERNS));
      await page.getByRole('combobox', { name: 'Network width' }).selectOption('0.125');
      await waitForEnabled(page, 'Train PtychoPINN');
      await page.getByRole('button', { name: 'Train PtychoPINN' }).click();

      // Stop once the first epoch is reported; the run ends after the current batch.
      await page.getByTestId('pinn-progress-text').filter({ hasText: /Epoch 1 of 3/ }).waitFor({ timeout: RUN_TIMEOUT_MS });
      await page.getByRole('button', { name: 'Stop' }).click();
      const summary = page.getByTestId('pinn-summary');
      await summary.waitFor({ timeout: RUN_TIMEOUT_MS });
      const stoppedText = await summary.textContent();
      // A stop inside an epoch leaves that epoch off the curve and counts only the completed ones.
      const stoppedMatch = /stopped (?:after (\d+) epochs?|during epoch \d+ \((\d+) epochs? completed)/.exec(stoppedText);
      const stoppedAt = Number(stoppedMatch?.[1] ?? stoppedMatch?.[2]);
      assert.ok(stoppedAt >= 1, `expected a stop after epoch 1 or later, received "${stoppedText}"`);
      assert.ok(stoppedAt < 3, `expected a stop before epoch 3 ended, received "${stoppedText}"`);
      const stoppedLosses = JSON.parse(await page.getByTestId('pinn-losses').getAttribute('data-train'));
      assert.equal(stoppedLosses.length, stoppedAt, `only completed epochs are on the curve: ${stoppedLosses}`);

      await page.getByRole('spinbutton', { name: 'Epochs' }).fill('2');
      const note = page.getByTestId('pinn-resume-note');
      await page.screenshot({ path: join(artifactDir, 'pinn-stopped-webgl.png'), fullPage: true });
      assert.match(await note.textContent(), new RegExp(`continues from epoch ${stoppedAt} for 2 more epochs`));
      await waitForEnabled(page, 'Resume');
      await page.getByRole('button', { name: 'Resume' }).click();
      await page
        .getByTestId('pinn-summary')
        .filter({ hasText: new RegExp(`finished after ${stoppedAt + 2} epochs`) })
        .waitFor({ timeout: RUN_TIMEOUT_MS });

      const losses = JSON.parse(await page.getByTestId('pinn-losses').getAttribute('data-train'));
      assert.equal(losses.length, stoppedAt + 2, `the loss history must continue, received ${losses}`);
      assert.ok(losses.every(Number.isFinite), `losses must be finite: ${losses}`);
      assert.match(
        await page.getByTestId('pinn-progress-text').textContent(),
        new RegExp(`Epoch ${stoppedAt + 2} of ${stoppedAt + 2}`),
      );
      assert.match(await note.textContent(), new RegExp(`continues from epoch ${stoppedAt + 2}`));
      await page.getByTestId('pinn-phase').waitFor();
      await page.screenshot({ path: join(artifactDir, 'pinn-resumed-webgl.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

describe('PtychoPINN model files', () => {
  test('a saved model reloads and reconstructs at inference speed', async () => {
    const browser = await launch('fallback');
    const { page } = browser;
    const downloads = mkdtempSync(join(tmpdir(), 'ptychoscope-model-'));
    try {
      await page.goto(`${server.url}/?backend=cpu`);
      await page.getByTestId('pattern-count').waitFor();
      await trainSmallPinn(page);

      // Reconstructing with the model just trained keeps its loss curve and shows its own status.
      await page.getByRole('button', { name: 'Reconstruct with this model' }).click();
      await page
        .getByTestId('pinn-progress-text')
        .filter({ hasText: /Reconstructed 516 patterns with the model in/ })
        .waitFor({ timeout: RUN_TIMEOUT_MS });
      const keptLosses = JSON.parse(await page.getByTestId('pinn-losses').getAttribute('data-train'));
      assert.equal(keptLosses.length, EPOCHS, `the loss curve must stay, received ${keptLosses}`);
      assert.match(await page.getByTestId('pinn-model').textContent(), new RegExp(`trained here: ${EPOCHS} epochs`));
      await page.screenshot({ path: join(artifactDir, 'pinn-trained-then-inferred-cpu.png'), fullPage: true });

      const downloadEvent = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Save model' }).click();
      const download = await downloadEvent;
      assert.equal(download.suggestedFilename(), 'ptychopinn-model.zip');
      const archive = join(downloads, 'ptychopinn-model.zip');
      await download.saveAs(archive);
      const broken = join(downloads, 'broken.zip');
      writeFileSync(broken, readFileSync(archive).subarray(0, 200));

      // A fresh page has no model; loading the files gives it one, and it reconstructs the whole scan.
      await page.reload();
      await page.getByTestId('pattern-count').waitFor();
      await page.getByRole('combobox', { name: 'Reconstruction method' }).selectOption('pinn');
      assert.match(await page.getByTestId('pinn-model').textContent(), /none yet/);
      await page.getByLabel(/Load a saved model/).setInputFiles(broken);
      await page.getByText(/The model was not loaded: .*broken.zip/).waitFor();
      await page.getByLabel(/Load a saved model/).setInputFiles(archive);
      await page.getByText(/loaded: trained on siemens-star.npz/).waitFor({ timeout: 60_000 });
      await waitForEnabled(page, 'Reconstruct with this model');
      await page.getByRole('button', { name: 'Reconstruct with this model' }).click();
      await page.getByTestId('pinn-summary').waitFor({ timeout: RUN_TIMEOUT_MS });
      assert.match(await page.getByTestId('pinn-summary').textContent(), /reconstructed 516 patterns of 64² with the model/);
      await page.getByTestId('pinn-phase').waitFor();
      // A loaded model has no training record to chart, and the settings show its width.
      assert.equal(await page.getByTestId('pinn-losses').count(), 0);
      assert.equal(await page.getByRole('combobox', { name: 'Network width' }).inputValue(), '0.125');
    } finally {
      await browser.close();
      rmSync(downloads, { recursive: true, force: true });
    }
  });
});
