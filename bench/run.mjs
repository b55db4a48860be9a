// Times one rPIE iteration on the bundled Siemens-star scan per TensorFlow.js backend in headless
// Chromium and in plain NumPy, prints a table and writes bench/results/latest.json.
// `npm run bench` builds dist/ first, and this script only serves it.
//
// Options (flag or environment variable):
//   --iterations N   BENCH_ITERATIONS   timed iterations per backend (default 5)
//   --warmup N       BENCH_WARMUP       untimed iterations first (default 1)
//   --backends LIST  BENCH_BACKENDS     comma-separated subset of webgpu,webgl,cpu (default all)
//   --batch-size N   BENCH_BATCH_SIZE   scan positions per batch (default: the rPIE default, 32)
//   --profile-peak   BENCH_PROFILE_PEAK=1  add one untimed iteration under tf.profile so the peak
//                                        tensor memory includes intermediates (slow on WebGPU)
//   PYTHON                               interpreter for bench/rpie_numpy.py (default python3)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { launch, serveStatic } from '../e2e/harness.mjs';

const benchDir = import.meta.dirname;

/** Chromium mode of the e2e harness in which each backend is tried. */
const backendModes = { webgpu: 'webgpu', webgl: 'fallback', cpu: 'fallback' };

function readSettings() {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: process.env.BENCH_ITERATIONS ?? '5' },
      warmup: { type: 'string', default: process.env.BENCH_WARMUP ?? '1' },
      backends: { type: 'string', default: process.env.BENCH_BACKENDS ?? Object.keys(backendModes).join(',') },
      'batch-size': { type: 'string', default: process.env.BENCH_BATCH_SIZE ?? '32' },
      'profile-peak': { type: 'boolean', default: process.env.BENCH_PROFILE_PEAK === '1' },
    },
  });
  const settings = {
    iterations: Number(values.iterations),
    warmup: Number(values.warmup),
    batchSize: Number(values['batch-size']),
    profilePeak: values['profile-peak'],
    backends: values.backends.split(',').map((name) => name.trim()).filter(Boolean),
  };
  if (!Number.isInteger(settings.iterations) || settings.iterations < 1) {
    throw new Error(`--iterations must be a whole number of at least 1, received "${values.iterations}".`);
  }
  if (!Number.isInteger(settings.warmup) || settings.warmup < 0) {
    throw new Error(`--warmup must be a whole number of at least 0, received "${values.warmup}".`);
  }
  if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1) {
    throw new Error(`--batch-size must be a whole number of at least 1, received "${values['batch-size']}".`);
  }
  const unknown = settings.backends.filter((name) => !(name in backendModes));
  if (unknown.length > 0) {
    throw new Error(`Invalid backend ${unknown.join(', ')}. Choose from ${Object.keys(backendModes).join(', ')}.`);
  }
  return settings;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs benchPie for one backend in a fresh Chromium. Resolves to { backend, error } on failure instead of rejecting. */
async function benchBackend(backend, serverUrl, settings) {
  let browser;
  try {
    browser = await launch(backendModes[backend]);
    browser.page.on('console', (message) => {
      if (message.text().startsWith('benchPie')) console.error(message.text());
    });
    await browser.page.goto(`${serverUrl}/lab.html`);
    await browser.page.waitForSelector('body[data-ready="true"]');
    const chromiumVersion = await browser.page.evaluate(async () => {
      const data = navigator.userAgentData;
      if (data === undefined) return navigator.userAgent;
      const { fullVersionList } = await data.getHighEntropyValues(['fullVersionList']);
      return fullVersionList.find((entry) => entry.brand === 'Chromium')?.version ?? navigator.userAgent;
    });
    const result = await browser.page.evaluate(
      (request) => window.ptychoLab.benchPie(request),
      {
        backend,
        iterations: settings.iterations,
        warmup: settings.warmup,
        batchSize: settings.batchSize,
        profilePeak: settings.profilePeak,
      },
    );
    if (result.backend !== backend) {
      return { backend, error: `TensorFlow.js ran on ${result.backend} instead of ${backend}.`, chromiumVersion };
    }
    return { ...result, chromiumVersion };
  } catch (error) {
    const logs = browser?.logs.slice(-5).join('\n') ?? '';
    return { backend, error: `${error instanceof Error ? error.message : String(error)}${logs ? `\n${logs}` : ''}` };
  } finally {
    await browser?.close().catch((error) => console.error(`Closing Chromium after ${backend} failed: ${error.message}`));
  }
}

/** Runs bench/rpie_numpy.py. Returns { backend, error } on failure instead of throwing. */
function benchNumpy(settings) {
  const python = process.env.PYTHON ?? 'python3';
  const args = [
    join(benchDir, 'rpie_numpy.py'),
    '--iterations', String(settings.iterations),
    '--warmup', String(settings.warmup),
    '--batch-size', String(settings.batchSize),
    '--json',
  ];
  try {
    const output = execFileSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { backend: 'numpy', ...JSON.parse(output) };
  } catch (error) {
    const detail = error.stderr ? String(error.stderr).trim() : error.message;
    return { backend: 'numpy', error: `${python} ${args.join(' ')} failed: ${detail}` };
  }
}

function machineInfo(chromiumVersion, numpy) {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    loadAverage: os.loadavg(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    chromiumVersion: chromiumVersion ?? 'unknown',
    nodeVersion: process.version,
    numpyVersion: numpy.numpyVersion ?? 'unknown',
    pythonVersion: numpy.pythonVersion ?? 'unknown',
    date: new Date().toISOString(),
  };
}

function printTable(rows, numpyMedian) {
  const header = ['backend', 'median s/iteration', 'ratio to NumPy', 'peak tensor MB'];
  const lines = rows.map((row) => {
    if (row.error) return [row.backend, 'unavailable', '', ''];
    const seconds = median(row.secondsPerIteration);
    const ratio = numpyMedian === undefined ? 'n/a' : (seconds / numpyMedian).toFixed(1);
    let peak = '';
    if (row.peakTensorBytes !== undefined) {
      peak = `${(row.peakTensorBytes / 2 ** 20).toFixed(0)}${row.peakIncludesIntermediates ? '' : ' (between iterations)'}`;
    }
    return [row.backend, seconds.toFixed(3), row.backend === 'numpy' ? '1.0' : ratio, peak];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
  const format = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
  for (const row of rows) {
    if (row.error) console.log(`\n${row.backend} unavailable: ${row.error}`);
  }
}

async function main() {
  const settings = readSettings();
  const server = await serveStatic();
  const rows = [];
  try {
    for (const backend of settings.backends) {
      console.error(`Timing ${backend}: ${settings.warmup} warm-up and ${settings.iterations} timed iterations…`);
      rows.push(await benchBackend(backend, server.url, settings));
    }
  } finally {
    await server.close();
  }
  console.error('Timing NumPy…');
  const numpy = benchNumpy(settings);
  rows.push(numpy);

  const numpyMedian = numpy.error ? undefined : median(numpy.secondsPerIteration);
  printTable(rows, numpyMedian);

  const chromiumVersion = rows.find((row) => row.chromiumVersion)?.chromiumVersion;
  const results = {
    machine: machineInfo(chromiumVersion, numpy),
    settings,
    results: rows.map((row) => ({
      ...row,
      medianSecondsPerIteration: row.error ? null : median(row.secondsPerIteration),
      ratioToNumpy: row.error || numpyMedian === undefined ? null : median(row.secondsPerIteration) / numpyMedian,
    })),
  };
  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'latest.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWrote ${file}`);
}

await main();
