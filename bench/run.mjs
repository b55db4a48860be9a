// Times one rPIE iteration on the bundled Siemens-star scan, and batched forward 2-D FFTs, per
// TensorFlow.js backend in headless Chromium and in plain NumPy. Prints an rPIE table, an rPIE
// memory table and an FFT2 table and writes bench/results/latest.json. `npm run bench` builds
// dist/ first, and this script only serves it.
//
// Options (flag or environment variable):
//   --only PART      BENCH_ONLY         run only `pie`, `fft` or `pinn` (default all three)
//   --pinn-patterns N BENCH_PINN_PATTERNS patterns per timed PtychoPINN epoch (default 64)
//   --pinn-repeats N BENCH_PINN_REPEATS  timed PtychoPINN epochs and inference runs (default 3);
//                                        0 trains the warm-up epoch only, for the GPU memory
//   --pinn-filter-scale F BENCH_PINN_FILTER_SCALE network width, 1 = published (default 1)
//   --iterations N   BENCH_ITERATIONS   timed iterations per backend (default 5)
//   --warmup N       BENCH_WARMUP       untimed iterations first (default 1)
//   --backends LIST  BENCH_BACKENDS     comma-separated subset of webgpu,webgl,cpu (default all)
//   --batch-size N   BENCH_BATCH_SIZE   scan positions per batch (default: the rPIE default, 32)
//   --probe-modes K  BENCH_PROBE_MODES  probe modes of the rPIE run, also passed to NumPy (default 1)
//   --upsample U     BENCH_UPSAMPLE     far-field upsampling 1 or 2, also passed to NumPy (default 1)
//   --profile-peak   BENCH_PROFILE_PEAK=1  add one untimed iteration under tf.profile, whose
//                                        peakBytes cross-checks the peak tensor memory that
//                                        benchPie watches per tensor (slow on WebGPU)
//   --fft-repeats N  BENCH_FFT_REPEATS  timed runs of each FFT path per case (default 5)
//   --fft-warmup N   BENCH_FFT_WARMUP   untimed runs of our FFT paths per case first (default 5;
//                                        the tfjs built-in path gets at most 1)
//   --cpu-builtin-max-size N  BENCH_CPU_BUILTIN_MAX_SIZE  largest N at which the tfjs built-in
//                                        FFT path is timed on the cpu backend (default 128)
//   PYTHON                               interpreter for bench/rpie_numpy.py and
//                                        bench/fft_numpy.py (default python3)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { gpuModes, launch, serveStatic } from '../e2e/harness.mjs';

const benchDir = import.meta.dirname;

/** Chromium mode of the e2e harness in which each backend is tried. */
const backendModes = { webgpu: 'webgpu', webgl: 'fallback', cpu: 'fallback' };

/**
 * Each harness mode plus --enable-precise-memory-info, which makes Chromium report
 * performance.memory exactly instead of rounded into coarse buckets. The harness launches any
 * mode listed in its gpuModes, so the benchmark adds these there.
 */
const preciseMemoryModes = Object.fromEntries(
  Object.values(backendModes).map((mode) => [mode, `${mode}-precise-memory`]),
);
for (const [mode, preciseMode] of Object.entries(preciseMemoryModes)) {
  gpuModes[preciseMode] = [...gpuModes[mode], '--enable-precise-memory-info'];
}

/** Benchmark parts that --only can select. */
const parts = ['pie', 'fft', 'pinn'];

/** FFT2 cases: a batch of `batch` complex fields of `size`×`size`, transformed in one call. */
const fftCases = [
  { batch: 64, size: 64 },
  { batch: 16, size: 128 },
  { batch: 16, size: 256 },
];

function readSettings() {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: process.env.BENCH_ITERATIONS ?? '5' },
      warmup: { type: 'string', default: process.env.BENCH_WARMUP ?? '1' },
      backends: { type: 'string', default: process.env.BENCH_BACKENDS ?? Object.keys(backendModes).join(',') },
      'batch-size': { type: 'string', default: process.env.BENCH_BATCH_SIZE ?? '32' },
      'probe-modes': { type: 'string', default: process.env.BENCH_PROBE_MODES ?? '1' },
      upsample: { type: 'string', default: process.env.BENCH_UPSAMPLE ?? '1' },
      'profile-peak': { type: 'boolean', default: process.env.BENCH_PROFILE_PEAK === '1' },
      only: { type: 'string', default: process.env.BENCH_ONLY ?? '' },
      'fft-repeats': { type: 'string', default: process.env.BENCH_FFT_REPEATS ?? '5' },
      'fft-warmup': { type: 'string', default: process.env.BENCH_FFT_WARMUP ?? '5' },
      'cpu-builtin-max-size': { type: 'string', default: process.env.BENCH_CPU_BUILTIN_MAX_SIZE ?? '128' },
      'pinn-patterns': { type: 'string', default: process.env.BENCH_PINN_PATTERNS ?? '64' },
      'pinn-repeats': { type: 'string', default: process.env.BENCH_PINN_REPEATS ?? '3' },
      'pinn-filter-scale': { type: 'string', default: process.env.BENCH_PINN_FILTER_SCALE ?? '1' },
    },
  });
  const settings = {
    iterations: Number(values.iterations),
    warmup: Number(values.warmup),
    batchSize: Number(values['batch-size']),
    probeModes: Number(values['probe-modes']),
    upsample: Number(values.upsample),
    profilePeak: values['profile-peak'],
    backends: values.backends.split(',').map((name) => name.trim()).filter(Boolean),
    parts: values.only === '' ? parts : [values.only],
    fftRepeats: Number(values['fft-repeats']),
    fftWarmup: Number(values['fft-warmup']),
    cpuBuiltinMaxSize: Number(values['cpu-builtin-max-size']),
    pinnPatterns: Number(values['pinn-patterns']),
    pinnRepeats: Number(values['pinn-repeats']),
    pinnFilterScale: Number(values['pinn-filter-scale']),
  };

  if (!parts.includes(values.only) && values.only !== '') {
    throw new Error(`Invalid --only "${values.only}". Choose ${parts.join(', ')}, or leave it out to run all.`);
  }
  if (!Number.isInteger(settings.pinnPatterns) || settings.pinnPatterns < 16) {
    throw new Error(`--pinn-patterns must be a whole number of at least 16 (one batch), received "${values['pinn-patterns']}".`);
  }
  if (!Number.isInteger(settings.pinnRepeats) || settings.pinnRepeats < 0) {
    throw new Error(`--pinn-repeats must be a whole number of at least 0, received "${values['pinn-repeats']}".`);
  }
  if (!(settings.pinnFilterScale > 0 && settings.pinnFilterScale <= 1)) {
    throw new Error(`--pinn-filter-scale must lie in (0, 1], received "${values['pinn-filter-scale']}".`);
  }
  if (!Number.isInteger(settings.fftRepeats) || settings.fftRepeats < 1) {
    throw new Error(`--fft-repeats must be a whole number of at least 1, received "${values['fft-repeats']}".`);
  }
  if (!Number.isInteger(settings.fftWarmup) || settings.fftWarmup < 0) {
    throw new Error(`--fft-warmup must be a whole number of at least 0, received "${values['fft-warmup']}".`);
  }
  if (!Number.isInteger(settings.cpuBuiltinMaxSize) || settings.cpuBuiltinMaxSize < 0) {
    throw new Error(
      `--cpu-builtin-max-size must be a whole number of at least 0, received "${values['cpu-builtin-max-size']}".`,
    );
  }
  if (!Number.isInteger(settings.iterations) || settings.iterations < 1) {
    throw new Error(`--iterations must be a whole number of at least 1, received "${values.iterations}".`);
  }
  if (!Number.isInteger(settings.warmup) || settings.warmup < 0) {
    throw new Error(`--warmup must be a whole number of at least 0, received "${values.warmup}".`);
  }
  if (!Number.isInteger(settings.probeModes) || settings.probeModes < 1) {
    throw new Error(`--probe-modes must be a whole number of at least 1, received "${values['probe-modes']}".`);
  }
  if (settings.upsample !== 1 && settings.upsample !== 2) {
    throw new Error(`--upsample must be 1 or 2, received "${values.upsample}".`);
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

/**
 * Opens lab.html in a fresh Chromium in the mode that `backend` needs and echoes the page's
 * console lines that start with `logPrefix` to stderr. Resolves to { browser, chromiumVersion }.
 */
async function openLab(backend, serverUrl, logPrefix) {
  const browser = await launch(preciseMemoryModes[backendModes[backend]]);
  try {
    browser.page.on('console', (message) => {
      if (message.text().startsWith(logPrefix)) console.error(message.text());
    });
    await browser.page.goto(`${serverUrl}/lab.html`);
    await browser.page.waitForSelector('body[data-ready="true"]');
    const chromiumVersion = await browser.page.evaluate(async () => {
      const data = navigator.userAgentData;
      if (data === undefined) return navigator.userAgent;
      const { fullVersionList } = await data.getHighEntropyValues(['fullVersionList']);
      return fullVersionList.find((entry) => entry.brand === 'Chromium')?.version ?? navigator.userAgent;
    });
    return { browser, chromiumVersion };
  } catch (error) {
    const failure = new Error(describeFailure(error, browser));
    await browser.close().catch(() => {});
    throw failure;
  }
}

/** Formats a failure inside Chromium with the page's last console lines. */
function describeFailure(error, browser) {
  const logs = browser?.logs.slice(-5).join('\n') ?? '';
  return `${error instanceof Error ? error.message : String(error)}${logs ? `\n${logs}` : ''}`;
}

/** Runs benchPie for one backend in a fresh Chromium. Resolves to { backend, error } on failure instead of rejecting. */
async function benchBackend(backend, serverUrl, settings) {
  let browser;
  try {
    const lab = await openLab(backend, serverUrl, 'benchPie');
    browser = lab.browser;
    const { chromiumVersion } = lab;
    const result = await browser.page.evaluate(
      (request) => window.ptychoLab.benchPie(request),
      {
        backend,
        iterations: settings.iterations,
        warmup: settings.warmup,
        batchSize: settings.batchSize,
        probeModes: settings.probeModes,
        farFieldUpsampling: settings.upsample,
        profilePeak: settings.profilePeak,
      },
    );
    if (result.backend !== backend) {
      return { backend, error: `TensorFlow.js ran on ${result.backend} instead of ${backend}.`, chromiumVersion };
    }
    return { ...result, chromiumVersion };
  } catch (error) {
    return { backend, error: describeFailure(error, browser) };
  } finally {
    await browser?.close().catch((error) => console.error(`Closing Chromium after ${backend} failed: ${error.message}`));
  }
}

/**
 * Runs benchFft for one backend in a fresh Chromium. Resolves to { backend, error } when the
 * backend fails to start. A path that fails inside a case is reported in that case instead.
 */
async function benchFftBackend(backend, serverUrl, settings) {
  // The cpu backend's built-in FFT runs a recursive radix-2 transform in JavaScript that makes
  // tensors at every level. One run of the 16×256² case took 33 s on a 2-core VM, so six runs
  // would make the benchmark minutes longer, and sizes above the cap are left out.
  const cases = fftCases.map((fftCase) =>
    backend === 'cpu' && fftCase.size > settings.cpuBuiltinMaxSize ? { ...fftCase, builtinRepeats: 0 } : fftCase,
  );
  let browser;
  try {
    const lab = await openLab(backend, serverUrl, 'benchFft');
    browser = lab.browser;
    const result = await browser.page.evaluate(
      (request) => window.ptychoLab.benchFft(request),
      {
        backend,
        cases,
        repeats: settings.fftRepeats,
        warmup: settings.fftWarmup,
        // V8 runs WebAssembly through its baseline compiler first and moves hot functions to its
        // optimising one after a few calls, so our kernels need several warm-up calls. The built-in
        // path is JavaScript and shaders that one call warms up, and on cpu each call takes seconds.
        builtinWarmup: Math.min(1, settings.fftWarmup),
      },
    );
    if (result.backend !== backend) {
      return { backend, error: `TensorFlow.js ran on ${result.backend} instead of ${backend}.` };
    }
    for (const fftCase of result.cases) {
      if ('skipped' in fftCase.builtin) {
        fftCase.builtin.skipped = `left out on cpu above N = ${settings.cpuBuiltinMaxSize} (--cpu-builtin-max-size)`;
      }
    }
    return { ...result, chromiumVersion: lab.chromiumVersion };
  } catch (error) {
    return { backend, error: describeFailure(error, browser) };
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
    '--probe-modes', String(settings.probeModes),
    '--upsample', String(settings.upsample),
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

/** Runs bench/fft_numpy.py on fftCases. Returns { error } on failure instead of throwing. */
function benchFftNumpy(settings) {
  const python = process.env.PYTHON ?? 'python3';
  const args = [
    join(benchDir, 'fft_numpy.py'),
    '--cases', fftCases.map(({ batch, size }) => `${batch}x${size}`).join(','),
    '--repeats', String(settings.fftRepeats),
    '--warmup', String(settings.fftWarmup),
    '--json',
  ];
  try {
    const output = execFileSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(output);
  } catch (error) {
    const detail = error.stderr ? String(error.stderr).trim() : error.message;
    return { error: `${python} ${args.join(' ')} failed: ${detail}` };
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

/** Prints `lines` (arrays of strings) under `header` as a Markdown table. */
function printMarkdownTable(header, lines) {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
  const format = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
}

function printTable(rows, numpyMedian) {
  const header = ['backend', 'median s/iteration', 'ratio to NumPy', 'peak tensor MB'];
  const lines = rows.map((row) => {
    if (row.error) return [row.backend, 'unavailable', '', ''];
    const seconds = median(row.secondsPerIteration);
    // Two significant digits, so that a ratio such as 0.22 does not print as 0.2.
    const ratio = numpyMedian === undefined ? 'n/a' : (seconds / numpyMedian).toPrecision(2);
    let peak = '';
    if (row.peakTensorBytes !== undefined) {
      peak = `${(row.peakTensorBytes / 2 ** 20).toFixed(0)}${row.peakIncludesIntermediates ? '' : ' (between iterations)'}`;
    }
    return [row.backend, seconds.toFixed(3), row.backend === 'numpy' ? '1.0' : ratio, peak];
  });
  printMarkdownTable(header, lines);
  for (const row of rows) {
    if (row.error) console.log(`\n${row.backend} unavailable: ${row.error}`);
  }
}

const MB = 1e6;

/**
 * Returns one memory entry per browser backend of the rPIE rows. An entry has the tensor, GPU and
 * JS heap bytes of BenchPieMemory in MB (10^6 bytes) and the ratio of the peak extra tensor memory
 * to the scan. It also says whether numTensors stayed flat from iteration to iteration. Rows
 * without memory figures give { backend, error }.
 */
function summariseMemory(rows) {
  return rows
    .filter((row) => row.backend !== 'numpy')
    .map((row) => {
      if (row.error || !row.memory) return { backend: row.backend, error: row.error ?? 'no memory figures' };
      const { memory } = row;
      const counts = memory.numTensorsPerIteration;
      return {
        backend: row.backend,
        scanMB: memory.scanBytes / MB,
        tensorMB: {
          before: memory.tensorBytesBefore / MB,
          peak: memory.tensorBytesPeak / MB,
          after: memory.tensorBytesAfter / MB,
          afterDispose: memory.tensorBytesAfterDispose / MB,
        },
        wasmMB: (memory.wasmBytes ?? 0) / MB,
        peakExtraMB: (memory.tensorBytesPeak - memory.tensorBytesBefore + (memory.wasmBytes ?? 0)) / MB,
        peakExtraToScan: memory.peakExtraToScan,
        gpuMB: memory.gpu && {
          inUsePeak: memory.gpu.peak.inUse / MB,
          allocatedPeak: memory.gpu.peak.allocated / MB,
          allocatedPeakExtraToScan: (memory.gpu.peak.allocated - memory.gpu.before.allocated) / memory.scanBytes,
          inUseAfter: memory.gpu.after.inUse / MB,
        },
        jsHeapMB: memory.jsHeap && {
          before: memory.jsHeap.before / MB,
          peak: memory.jsHeap.peak / MB,
          after: memory.jsHeap.after / MB,
        },
        numTensorsPerIteration: counts,
        numTensorsFlat: counts.every((count) => count === counts[0]),
      };
    });
}

function printMemoryTable(entries) {
  const header = [
    'backend',
    'tensor MB before / peak / after',
    'WebAssembly MB',
    'peak extra / scan',
    'GPU MB in use / allocated (peak)',
    'JS heap MB before / peak',
    'numTensors per iteration',
  ];
  const formatMB = (value) => value.toFixed(1);
  const lines = entries.map((entry) => {
    if (entry.error) return [entry.backend, 'unavailable', '', '', '', '', ''];
    const { tensorMB, gpuMB, jsHeapMB, numTensorsPerIteration: counts } = entry;
    return [
      entry.backend,
      `${formatMB(tensorMB.before)} / ${formatMB(tensorMB.peak)} / ${formatMB(tensorMB.after)}`,
      formatMB(entry.wasmMB),
      `${entry.peakExtraToScan.toFixed(2)}×`,
      gpuMB ? `${formatMB(gpuMB.inUsePeak)} / ${formatMB(gpuMB.allocatedPeak)}` : 'n/a',
      jsHeapMB ? `${formatMB(jsHeapMB.before)} / ${formatMB(jsHeapMB.peak)}` : 'n/a',
      entry.numTensorsFlat ? `${counts[0]} (flat)` : counts.join(', '),
    ];
  });
  printMarkdownTable(header, lines);
  const scan = entries.find((entry) => !entry.error);
  if (scan) {
    console.log(
      `\nScan: ${formatMB(scan.scanMB)} MB of float32 patterns. Peak extra is the tensor peak minus the ` +
        'tensor bytes before the solver was built, plus the WebAssembly memory of the fused cpu update; ' +
        'the target is at most 3× the scan.',
    );
  }
}

/**
 * Flattens the benchFft results of every backend into one entry per backend and case, with
 * medians in milliseconds and the ratios of the FFT2 table. Timings that are missing give null.
 */
function summariseFft(fftRows, fftNumpy) {
  const numpyMedians = new Map(
    (fftNumpy.cases ?? []).map((numpyCase) => [`${numpyCase.batch}x${numpyCase.size}`, median(numpyCase.milliseconds)]),
  );
  const entries = [];
  for (const row of fftRows) {
    if (row.error) {
      entries.push({ backend: row.backend, error: row.error });
      continue;
    }
    for (const fftCase of row.cases) {
      const numpyMs = numpyMedians.get(`${fftCase.batch}x${fftCase.size}`) ?? null;
      const oursMs = 'milliseconds' in fftCase.ours ? median(fftCase.ours.milliseconds) : null;
      const builtinMs = 'milliseconds' in fftCase.builtin ? median(fftCase.builtin.milliseconds) : null;
      entries.push({
        backend: row.backend,
        batch: fftCase.batch,
        size: fftCase.size,
        oursMedianMs: oursMs,
        oursError: fftCase.ours.error ?? null,
        builtinMedianMs: builtinMs,
        builtinError: fftCase.builtin.error ?? null,
        builtinSkipped: fftCase.builtin.skipped ?? null,
        speedUp: oursMs !== null && builtinMs !== null ? builtinMs / oursMs : null,
        numpyMedianMs: numpyMs,
        oursToNumpy: oursMs !== null && numpyMs !== null ? oursMs / numpyMs : null,
        relativeRms: fftCase.relativeRms,
        arrays: fftCase.arrays ? summariseFftArrays(fftCase.arrays, numpyMs) : null,
      });
    }
  }
  return entries;
}

/** Formats milliseconds with 2 decimals below 10 and 1 above, or 'n/a' for null. */
function formatMs(value) {
  if (value === null) return 'n/a';
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

/** Medians and ratios to NumPy of the cpu kernel's typed-array timings (BenchFftArrays in src/lab/main.ts). */
function summariseFftArrays(arrays, numpyMs) {
  const medianOf = (timing) => ('milliseconds' in timing ? median(timing.milliseconds) : null);
  const toNumpy = (value) => (value !== null && numpyMs !== null ? value / numpyMs : null);
  const oneThreadMs = medianOf(arrays.oneThread);
  const threadsMs = medianOf(arrays.threads);
  const freshOutputMs = medianOf(arrays.freshOutput);
  return {
    helperThreads: arrays.helperThreads,
    oneThreadMs,
    oneThreadToNumpy: toNumpy(oneThreadMs),
    threadsMs,
    threadsToNumpy: toNumpy(threadsMs),
    threadsNote: arrays.threads.skipped ?? arrays.threads.error ?? null,
    freshOutputMs,
    freshOutputToNumpy: toNumpy(freshOutputMs),
  };
}

/**
 * Prints the cpu kernel on typed arrays, one thread and split across helper threads, beside the
 * cost of a fresh output array of the case's size, all as ratios to NumPy's fft2.
 */
function printFftArraysTable(entries) {
  const rows = entries.filter((entry) => entry.arrays);
  if (rows.length === 0) return;
  const formatRatio = (value) => (value === null ? '' : value.toFixed(2));
  console.log('\ncpu FFT2 kernel on typed arrays, and a fresh output array alone, median ms (ratio to NumPy)');
  printMarkdownTable(
    ['case', 'one thread', 'threads', 'fresh output array', 'NumPy ms'],
    rows.map(({ batch, size, arrays, numpyMedianMs }) => [
      `${batch} × ${size}²`,
      `${formatMs(arrays.oneThreadMs)} (${formatRatio(arrays.oneThreadToNumpy)})`,
      arrays.threadsMs === null
        ? 'not run'
        : `${formatMs(arrays.threadsMs)} (${formatRatio(arrays.threadsToNumpy)}), ${arrays.helperThreads + 1} threads`,
      `${formatMs(arrays.freshOutputMs)} (${formatRatio(arrays.freshOutputToNumpy)})`,
      formatMs(numpyMedianMs),
    ]),
  );
  for (const { batch, size, arrays } of rows) {
    if (arrays.threadsNote) console.log(`\ncpu ${batch} × ${size}², threads: ${arrays.threadsNote}`);
  }
}

function printFftTable(entries) {
  const header = ['backend', 'case', 'ours ms', 'built-in ms', 'speed-up', 'NumPy ms', 'ours / NumPy', 'rel. RMS'];
  const lines = entries.map((entry) => {
    if (entry.error) return [entry.backend, '', 'unavailable', '', '', '', '', ''];
    let builtin = 'fails';
    if (entry.builtinMedianMs !== null) builtin = formatMs(entry.builtinMedianMs);
    else if (entry.builtinSkipped !== null) builtin = 'skipped';
    return [
      entry.backend,
      `${entry.batch} × ${entry.size}²`,
      entry.oursMedianMs === null ? 'fails' : formatMs(entry.oursMedianMs),
      builtin,
      entry.speedUp === null ? '' : entry.speedUp.toFixed(1),
      entry.numpyMedianMs === null ? 'n/a' : formatMs(entry.numpyMedianMs),
      entry.oursToNumpy === null ? '' : entry.oursToNumpy.toFixed(1),
      entry.relativeRms === null ? '' : entry.relativeRms.toExponential(1),
    ];
  });
  printMarkdownTable(header, lines);
  for (const entry of entries) {
    const where = `${entry.backend} ${entry.batch} × ${entry.size}²`;
    if (entry.error) console.log(`\n${entry.backend} unavailable: ${entry.error}`);
    if (entry.oursError) console.log(`\n${where}, ours failed: ${entry.oursError}`);
    if (entry.builtinError) console.log(`\n${where}, built-in failed: ${entry.builtinError}`);
    if (entry.builtinSkipped) console.log(`\n${where}, built-in skipped: ${entry.builtinSkipped}`);
  }
}

/** Times rPIE on every selected backend and in NumPy, prints its table and returns the results. */
async function runPie(settings, serverUrl) {
  const rows = [];
  for (const backend of settings.backends) {
    console.error(`Timing rPIE on ${backend}: ${settings.warmup} warm-up and ${settings.iterations} timed iterations…`);
    rows.push(await benchBackend(backend, serverUrl, settings));
  }
  console.error('Timing rPIE in NumPy…');
  const numpy = benchNumpy(settings);
  rows.push(numpy);

  const numpyMedian = numpy.error ? undefined : median(numpy.secondsPerIteration);
  console.log('rPIE');
  printTable(rows, numpyMedian);
  const memory = summariseMemory(rows);
  console.log('\nrPIE memory');
  printMemoryTable(memory);
  return {
    numpy,
    memory,
    results: rows.map((row) => ({
      ...row,
      medianSecondsPerIteration: row.error ? null : median(row.secondsPerIteration),
      ratioToNumpy: row.error || numpyMedian === undefined ? null : median(row.secondsPerIteration) / numpyMedian,
    })),
  };
}

/** Times the FFT2 cases on every selected backend and in NumPy, prints the table and returns the results. */
async function runFft(settings, serverUrl) {
  const rows = [];
  for (const backend of settings.backends) {
    console.error(
      `Timing FFT2 on ${backend}: ${settings.fftWarmup} warm-up and ${settings.fftRepeats} timed runs per path and case…`,
    );
    rows.push(await benchFftBackend(backend, serverUrl, settings));
  }
  console.error('Timing FFT2 in NumPy…');
  const numpy = benchFftNumpy(settings);
  const table = summariseFft(rows, numpy);
  console.log('FFT2, forward, complex64, median ms');
  printFftTable(table);
  printFftArraysTable(table);
  if (numpy.error) console.log(`\nNumPy unavailable: ${numpy.error}`);
  return { cases: fftCases, table, backends: rows, numpy };
}

/** Times PtychoPINN training and inference and records its peak GPU memory at N = 64, batch 16, on every selected backend. */
async function runPinn(settings, serverUrl) {
  const rows = [];
  for (const backend of settings.backends) {
    console.error(
      `Timing PtychoPINN on ${backend}: ${settings.pinnPatterns} patterns, 1 warm-up and ${settings.pinnRepeats} timed epochs, ` +
        'GPU memory after every step…',
    );
    let browser;
    try {
      const lab = await openLab(backend, serverUrl, 'benchPinn');
      browser = lab.browser;
      const result = await browser.page.evaluate((request) => window.ptychoLab.benchPinn(request), {
        backend,
        patternSize: 64,
        batchSize: 16,
        filterScale: settings.pinnFilterScale,
        patterns: settings.pinnPatterns,
        repeats: settings.pinnRepeats,
      });
      rows.push({ ...result, backend, chromiumVersion: lab.chromiumVersion });
    } catch (error) {
      rows.push({ backend, error: describeFailure(error, browser) });
    } finally {
      await browser?.close().catch((error) => console.error(`Closing Chromium after ${backend} failed: ${error.message}`));
    }
  }
  console.log('PtychoPINN at N = 64, batch 16 (median of the timed epochs and inference runs)');
  const lines = rows.map((row) => {
    if (row.error) return [row.backend, `unavailable: ${row.error}`, '', '', '', '', ''];
    const timed = row.trainingEpochSeconds.length > 0;
    return [
      row.backend,
      `${(row.parameterCount / 1e6).toFixed(2)} M`,
      timed ? (row.patterns / median(row.trainingEpochSeconds)).toFixed(2) : 'not timed',
      timed ? (row.patterns / median(row.inferenceSeconds)).toFixed(1) : 'not timed',
      row.stepSeconds.map((seconds) => seconds.toFixed(1)).join(', '),
      formatGpuMemory(row.peakGpuMemoryDuringTraining, row.gpuMemoryBeforeTraining),
      row.numTensorsPerEpoch.join(', '),
    ];
  });
  printMarkdownTable(
    [
      'backend',
      'parameters',
      'training patterns/s',
      'inference patterns/s',
      's per step',
      'peak GPU MiB allocated / in use (before training)',
      'numTensors after each epoch',
    ],
    lines,
  );
  return rows.map((row) => {
    if (row.error || row.trainingEpochSeconds.length === 0) return row;
    return {
      ...row,
      trainingPatternsPerSecond: row.patterns / median(row.trainingEpochSeconds),
      inferencePatternsPerSecond: row.patterns / median(row.inferenceSeconds),
    };
  });
}

/** Formats benchPinn's GPU memory samples in MiB as "peak allocated / peak in use (before: a / u)". */
function formatGpuMemory(peak, before) {
  const mib = (bytes) => (bytes === null ? 'n/a' : (bytes / 2 ** 20).toFixed(1));
  return `${mib(peak.allocated_B)} / ${mib(peak.inUse_B)} (${mib(before.allocated_B)} / ${mib(before.inUse_B)})`;
}

async function main() {
  const settings = readSettings();
  const server = await serveStatic();
  let pie = null;
  let fft = null;
  let pinn = null;
  try {
    if (settings.parts.includes('pie')) pie = await runPie(settings, server.url);
    if (settings.parts.includes('pie') && settings.parts.includes('fft')) console.log('');
    if (settings.parts.includes('fft')) fft = await runFft(settings, server.url);
    if (settings.parts.includes('pinn')) {
      console.log('');
      pinn = await runPinn(settings, server.url);
    }
  } finally {
    await server.close();
  }

  const browserRows = [...(pie?.results ?? []), ...(fft?.backends ?? [])];
  const chromiumVersion = browserRows.find((row) => row.chromiumVersion)?.chromiumVersion;
  const numpyVersions = pie?.numpy.numpyVersion ? pie.numpy : (fft?.numpy ?? {});
  const results = {
    machine: machineInfo(chromiumVersion, numpyVersions),
    settings,
    // The rPIE rows keep the key `results` that readers of latest.json already use. Null with --only fft.
    results: pie?.results ?? null,
    // One entry per browser backend with the rPIE memory figures in MB. Null with --only fft.
    memory: pie?.memory ?? null,
    fft,
    pinn,
  };
  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'latest.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWrote ${file}`);
}

await main();
