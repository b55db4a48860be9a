// Times PtychoPINN inference of the bundled scan in headless Chromium, step by step, with the page
// in this folder. Builds the page into OUT_DIR (default /tmp/pinn-inference-dist) first.
//
//   node bench/pinn-inference/run.mjs MODE STEPS
//
// MODE is an e2e/harness.mjs GPU mode: `webgpu` (SwiftShader WebGPU) or `fallback` (webgl, cpu).
// STEPS is a JSON list of [function, ...arguments] calls of window.probe (probe.ts), plus
// ["benchPie", backend, iterations, warmup] for rPIE seconds per iteration. For example:
//   node bench/pinn-inference/run.mjs webgpu '[["setup","webgpu"],["timeWholeScan",32],["benchPie","webgpu",2,1]]'
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { launch, serveStatic } from '../../e2e/harness.mjs';

const [mode, stepsJson] = process.argv.slice(2);
if (!mode || !stepsJson) {
  throw new Error('Missing arguments. Usage: node bench/pinn-inference/run.mjs MODE STEPS (see the header of this file).');
}
const steps = JSON.parse(stepsJson);
const outDir = process.env.OUT_DIR ?? '/tmp/pinn-inference-dist';
const root = join(import.meta.dirname, '../..');
execFileSync(
  join(root, 'node_modules/.bin/vite'),
  ['build', '--config', join(import.meta.dirname, 'vite.config.mjs'), '--outDir', outDir, '--logLevel', 'warn'],
  { stdio: 'inherit' },
);

const server = await serveStatic(outDir);
const browser = await launch(mode);
try {
  await browser.page.goto(`${server.url}/index.html`);
  await browser.page.waitForFunction(() => window.probe !== undefined && document.body.dataset.ready === 'true');
  for (const [name, ...args] of steps) {
    const started = Date.now();
    const result = await browser.page.evaluate(
      ([name, args]) =>
        name === 'benchPie'
          ? window.ptychoLab
              .benchPie({ backend: args[0], iterations: args[1], warmup: args[2] })
              .then((row) => row.secondsPerIteration)
          : window.probe[name](...args),
      [name, args],
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${name}(${args.map((arg) => JSON.stringify(arg)).join(', ')}) = ${JSON.stringify(result)} in ${seconds} s`);
  }
} catch (error) {
  console.error(`The probe failed: ${error.message}`);
  console.error(browser.logs.slice(-20).join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  await server.close();
}
