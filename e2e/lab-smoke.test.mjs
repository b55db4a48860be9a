import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, serveStatic } from './harness.mjs';

let server;
before(async () => {
  server = await serveStatic();
});
after(async () => {
  await server?.close();
});

for (const mode of ['fallback', 'webgpu']) {
  test(`lab page loads in ${mode} mode`, async () => {
    const browser = await launch(mode);
    try {
      await browser.page.goto(`${server.url}/lab.html`);
      await browser.page.waitForSelector('body[data-ready="true"]');
      const adapter = await browser.page.evaluate(async () => {
        if (!navigator.gpu) return 'no navigator.gpu';
        const a = await navigator.gpu.requestAdapter();
        return a ? `adapter fallback=${a.info?.isFallbackAdapter}` : 'null adapter';
      });
      console.log(mode, adapter);
      const result = await browser.page.evaluate(async (m) => {
        const backends = m === 'webgpu' ? ['webgpu', 'webgl', 'cpu'] : ['webgl', 'cpu'];
        const out = [];
        for (const b of backends) out.push(await window.ptychoLab.useBackend(b));
        return out;
      }, mode);
      console.log(JSON.stringify(result));
      assert.ok(result.every((r) => r.ok));
    } finally {
      await browser.close();
    }
  });
}
