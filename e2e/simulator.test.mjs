// End-to-end: simulate a scan in the page, reconstruct it and read the metrics against the truth.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { artifactDir, launch, serveStatic } from './harness.mjs';

const ITERATIONS = 40;

let server;
before(async () => {
  server = await serveStatic();
  mkdirSync(artifactDir, { recursive: true });
});
after(async () => {
  await server?.close();
});

/** Reads the "N positions, step …" caption of the simulator preview. */
async function positionCount(page) {
  const caption = await page.getByTestId('simulator-preview').locator('figcaption').last().textContent();
  const match = /^(\d+) positions/.exec(caption ?? '');
  assert.ok(match, `unexpected preview caption: ${caption}`);
  return Number(match[1]);
}

describe('simulator', () => {
  test('simulates, reconstructs and scores against the truth', async () => {
    const browser = await launch('fallback');
    const { page } = browser;
    try {
      await page.goto(`${server.url}/?backend=cpu`);
      await page.getByTestId('pattern-count').waitFor();
      await page.getByText('Simulate a scan').click();
      await page.getByTestId('simulator-preview').waitFor();

      // The preview follows a change at once: less overlap, fewer positions.
      const before = await positionCount(page);
      const overlap = page.getByRole('spinbutton', { name: 'Overlap' });
      await overlap.fill('0.5');
      await page.waitForFunction(
        (count) => !document.querySelector('[data-testid="simulator-preview"] figcaption:last-of-type')?.textContent?.startsWith(`${count} `),
        before,
      );
      assert.ok((await positionCount(page)) < before, 'a lower overlap must give fewer positions');
      await overlap.fill('0.7');

      // An invalid value is named and blocks the simulation, and the preview comes back when fixed.
      await page.getByRole('spinbutton', { name: 'Probe diameter (px)' }).fill('100');
      await page.getByText(/Probe diameter must lie from 2 to 32 px/).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Simulate and load this scan' }).isDisabled(), true);
      await page.getByRole('spinbutton', { name: 'Probe diameter (px)' }).fill('16');

      await page.getByRole('button', { name: 'Simulate and load this scan' }).click();
      await page.getByRole('heading', { name: /Simulated object/ }).waitFor();
      const patterns = Number(await page.getByTestId('pattern-count').textContent());
      assert.ok(patterns > 100, `expected a few hundred patterns, received ${patterns}`);

      await page.getByRole('spinbutton', { name: 'Iterations' }).fill(String(ITERATIONS));
      await page.waitForFunction(() => {
        const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Reconstruct');
        return button && !button.disabled;
      }, null, { timeout: 60_000 });
      await page.getByRole('button', { name: 'Reconstruct' }).click();
      await page.getByTestId('run-summary').waitFor({ timeout: 10 * 60_000 });

      const panel = page.getByTestId('truth-comparison');
      await panel.waitFor({ timeout: 60_000 });
      const rmsRow = panel.getByRole('row', { name: /RMS phase error/ });
      const rmsText = await rmsRow.textContent();
      const rms = Number(/([0-9.]+)\s*rad/.exec(rmsText ?? '')?.[1]);
      assert.ok(Number.isFinite(rms), `RMS phase error not shown: ${rmsText}`);
      // 1 rad of phase contrast; a flat estimate would score about 0.5 rad.
      assert.ok(rms < 0.1, `RMS phase error against the truth should be small, received ${rms} rad`);
      await panel.getByRole('img', { name: /Fourier ring correlation over \d+ rings/ }).waitFor();
      await page.screenshot({ path: join(artifactDir, 'simulator.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
