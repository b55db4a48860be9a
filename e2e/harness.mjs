// Shared set-up for the end-to-end tests: a static server for dist/ on 127.0.0.1 and the system's
// Chromium driven by playwright-core, in one of the GPU modes below. E2E_DIST_DIR serves another
// build than dist/, for a run beside other builds of the same checkout.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
export const distDir = process.env.E2E_DIST_DIR ? resolve(process.env.E2E_DIST_DIR) : join(root, 'dist');
export const artifactDir = join(root, 'test-results');

const mimeTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.npz': 'application/octet-stream',
  '.npy': 'application/octet-stream',
};

/**
 * Headers that make the served pages cross-origin isolated, as vite.config.ts does for the dev and
 * preview servers, so that SharedArrayBuffer exists and the WebAssembly kernels can use helper
 * threads. Every resource is same-origin, so require-corp blocks none of them.
 */
export const crossOriginIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Serves `dir` on 127.0.0.1 at a free port. Returns { url, close }. */
export async function serveStatic(dir = distDir) {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`No build found in ${dir}. Run "npx vite build" first.`);
  }
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir)) {
      response.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      response.writeHead(404).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, {
      'Content-Type': mimeTypes[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      ...crossOriginIsolationHeaders,
    });
    createReadStream(file).pipe(response);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((done) => server.close(done)),
  };
}

const baseFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium flags per GPU mode:
 * - 'fallback': plain headless; here it exposes navigator.gpu but grants no adapter, so `auto`
 *   falls back to WebGL on SwiftShader.
 * - 'webgpu': a real WebGPU adapter backed by SwiftShader (software Vulkan).
 */
export const gpuModes = {
  fallback: [],
  webgpu: [
    '--enable-unsafe-webgpu',
    '--use-webgpu-adapter=swiftshader',
    '--enable-features=Vulkan',
    '--use-angle=swiftshader',
  ],
};

/** Launches Chromium in `mode` with a fresh profile. Returns { browser, page, logs, close }. */
export async function launch(mode = 'fallback') {
  const flags = gpuModes[mode];
  if (!flags) throw new Error(`Unknown GPU mode "${mode}"; use one of ${Object.keys(gpuModes).join(', ')}.`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'ptychoscope-chromium-'));
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...baseFlags, ...flags],
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const logs = [];
  page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => logs.push(`[pageerror] ${error.message}`));
  return {
    context,
    page,
    logs,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Sets Iterations, presses Reconstruct once it is enabled, waits for the run summary that names
 * `iterations`, and returns the Fourier errors that the error plot holds.
 */
export async function runReconstruction(page, iterations, timeout_ms = 5 * 60_000) {
  await page.getByRole('spinbutton', { name: 'Iterations' }).fill(String(iterations));
  await page.waitForFunction(() => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Reconstruct');
    return button && !button.disabled;
  }, null, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Reconstruct' }).click();
  await page.getByTestId('run-summary').filter({ hasText: `after ${iterations} iteration` }).waitFor({ timeout: timeout_ms });
  return JSON.parse((await page.getByTestId('fourier-errors').getAttribute('data-errors')) ?? '[]');
}
