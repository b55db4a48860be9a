// End-to-end: malformed files through "Open a scan" get a clear message and leave the loaded
// scan and the page usable.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launch, serveStatic } from './harness.mjs';

const bundled = readFileSync(join(import.meta.dirname, '..', 'public', 'data', 'siemens-star.npz'));

let server;
let browser;
before(async () => {
  server = await serveStatic();
  browser = await launch('fallback');
  await browser.page.goto(`${server.url}/?backend=cpu`);
  await browser.page.getByTestId('pattern-count').waitFor();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const cases = [
  { name: 'truncated.npz', buffer: bundled.subarray(0, Math.floor(bundled.length / 2)) },
  { name: 'random.npz', buffer: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)) },
  { name: 'empty.npz', buffer: Buffer.alloc(0) },
];

for (const { name, buffer } of cases) {
  test(`open ${name} keeps the bundled scan`, async () => {
    const page = browser.page;
    await page.getByLabel(/Open a scan/).setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
    const message = page.getByTestId('load-error');
    await message.waitFor();
    const text = await message.textContent();
    assert.match(text, new RegExp(name.replace('.', '\\.')));
    assert.match(text, /previous scan is still loaded/);
    assert.equal(await page.getByTestId('pattern-count').textContent(), '516');
  });
}

test('page still reconstructs after bad files', async () => {
  const page = browser.page;
  await page.getByRole('spinbutton', { name: 'Iterations' }).fill('1');
  await page.waitForFunction(() => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Reconstruct');
    return button && !button.disabled;
  });
  await page.getByRole('button', { name: 'Reconstruct' }).click();
  await page.getByTestId('run-summary').waitFor({ timeout: 120_000 });
  assert.match(await page.getByTestId('run-summary').textContent(), /Finished after 1 iteration /);
});
