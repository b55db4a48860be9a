/**
 * Kernel lab: a page without UI that end-to-end tests and the benchmark drive through
 * `window.ptychoLab`, to run single kernels on a chosen backend with data passed in from Node.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

import { loadBundledSiemensStar } from '../data/siemensStar';
import { createBrowserEnvironment } from '../device/browserEnvironment';
import { resolveBackend, type BackendResolution, type RequestedBackend } from '../device/policy';
import { registerPhysicsKernels } from '../engine/register';
import { runProgram, setShaderDebug, takeShaderErrors, type WebGPUBackend } from '../engine/webgpu/program';
import { defaultsFor } from '../solvers/pie/options';
import { PieSolver } from '../solvers/pie/pie';
import { runLabKernel, type LabKernel } from './kernelCases';

interface ArrayPayload {
  shape: number[];
  dtype?: 'float32' | 'int32';
  data: number[];
}

function toTensor(payload: ArrayPayload): tf.Tensor {
  return tf.tensor(payload.data, payload.shape, payload.dtype ?? 'float32');
}

async function runKernel(
  kernel: LabKernel,
  inputs: Record<string, ArrayPayload>,
  attrs: Record<string, number | boolean> = {},
): Promise<{ shape: number[]; data: number[] }> {
  const tensors = Object.fromEntries(Object.entries(inputs).map(([name, payload]) => [name, toTensor(payload)]));
  const output = runLabKernel(kernel, tensors, attrs);
  try {
    const data = Array.from(await output.data());
    await takeShaderErrors();
    return { shape: output.shape, data };
  } finally {
    output.dispose();
    Object.values(tensors).forEach((t) => t.dispose());
  }
}

/**
 * Runs `wgsl` as a WebGPU program that writes `length` floats to `result` from
 * `fn main(index: i32)`, and returns them. Rejects with the compiler's message when shader debug
 * mode is on and the code does not compile. Exists to test that error path.
 */
async function runWgsl(wgsl: string, length: number): Promise<number[]> {
  const backend = tf.backend() as WebGPUBackend;
  const output = runProgram(backend, {
    wgslFile: 'lab.wgsl',
    wgslSource: wgsl,
    variableNames: [],
    outputShape: [length],
    shaderKey: `labWgsl_${wgsl.length}_${Array.from(wgsl).reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) | 0, 0)}`,
    size: true,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(length / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    getUserCode: () => wgsl,
  }, []);
  const tensor = tf.engine().makeTensorFromTensorInfo(output);
  try {
    const data = Array.from(await tensor.data());
    await takeShaderErrors();
    return data;
  } finally {
    tensor.dispose();
  }
}

async function useBackend(name: 'cpu' | 'webgl' | 'webgpu'): Promise<{ ok: boolean; backend: string }> {
  registerPhysicsKernels();
  const ok = await tf.setBackend(name);
  await tf.ready();
  return { ok, backend: ok ? tf.getBackend() : 'none' };
}

interface BenchPieRequest {
  backend: 'cpu' | 'webgl' | 'webgpu';
  /** Iterations timed one by one. */
  iterations: number;
  /** Iterations run first and left out of the timings, so shader compilation is not counted. */
  warmup: number;
  /** Scan positions per batch, or the rPIE default when left out. */
  batchSize?: number;
  /**
   * Whether to run one more untimed iteration under tf.profile to find the peak tensor memory
   * inside an iteration. Off by default because profiling times every kernel, which on a
   * software WebGPU adapter costs minutes per iteration.
   */
  profilePeak?: boolean;
}

interface BenchPieResult {
  backend: string;
  /** Wall time of each timed iteration, including the read-back of its Fourier error. */
  secondsPerIteration: number[];
  /** Fourier error of each timed iteration. */
  fourierErrors: number[];
  /** Fourier error of each warm-up iteration; the first is the error of the initial guess's pass. */
  warmupFourierErrors: number[];
  /**
   * Maximum of tf.memory().numBytes, sampled after the solver is built and after every iteration.
   * With `profilePeak` it also covers every kernel output of one extra profiled iteration.
   */
  peakTensorBytes: number;
  /** Whether peakTensorBytes includes the profiled iteration. */
  peakIncludesIntermediates: boolean;
  numTensorsBefore: number;
  numTensorsAfter: number;
  /** performance.memory.usedJSHeapSize after the timed iterations; null outside Chromium. */
  jsHeapBytes: number | null;
}

/**
 * Times rPIE with default settings on the bundled Siemens-star scan. Rejects when `backend`
 * cannot be started, so callers can report it as unavailable.
 */
async function benchPie(request: BenchPieRequest): Promise<BenchPieResult> {
  const { backend, iterations, warmup } = request;
  if (!Number.isInteger(iterations) || iterations < 1 || !Number.isInteger(warmup) || warmup < 0) {
    throw new Error(
      `benchPie: iterations must be a whole number of at least 1 and warmup one of at least 0, ` +
        `received iterations ${iterations} and warmup ${warmup}.`,
    );
  }
  const started = await useBackend(backend);
  if (!started.ok) throw new Error(`benchPie: the ${backend} backend failed to start in this browser.`);

  const dataset = await loadBundledSiemensStar();
  const numTensorsBefore = tf.memory().numTensors;
  const options = { ...defaultsFor('rpie'), batchSize: request.batchSize ?? defaultsFor('rpie').batchSize };
  const solver = new PieSolver(dataset, options);
  let peakTensorBytes = tf.memory().numBytes;
  const secondsPerIteration: number[] = [];
  const fourierErrors: number[] = [];
  const warmupFourierErrors: number[] = [];
  try {
    for (let i = 0; i < warmup; i += 1) {
      warmupFourierErrors.push((await solver.iterate()).fourierError);
      console.info(`benchPie ${backend}: warm-up iteration ${i + 1} of ${warmup} done`);
      peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
    }
    for (let i = 0; i < iterations; i += 1) {
      const start = performance.now();
      const { fourierError } = await solver.iterate();
      const seconds = (performance.now() - start) / 1000;
      secondsPerIteration.push(seconds);
      fourierErrors.push(fourierError);
      console.info(`benchPie ${backend}: timed iteration ${i + 1} of ${iterations} took ${seconds.toFixed(3)} s`);
      peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
    }
    if (request.profilePeak === true) {
      // Profiling times every kernel, so it runs after the timed iterations and only to find the
      // peak inside an iteration, where the intermediates of a batch are alive.
      const profile = await tf.profile(async () => {
        await solver.iterate();
      });
      peakTensorBytes = Math.max(peakTensorBytes, profile.peakBytes);
      console.info(`benchPie ${backend}: profiled iteration done`);
    }
  } finally {
    solver.dispose();
  }

  const heap = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return {
    backend: tf.getBackend(),
    secondsPerIteration,
    fourierErrors,
    warmupFourierErrors,
    peakTensorBytes,
    peakIncludesIntermediates: request.profilePeak === true,
    numTensorsBefore,
    numTensorsAfter: tf.memory().numTensors,
    jsHeapBytes: heap?.usedJSHeapSize ?? null,
  };
}

/** Runs the device policy with the real browser environment. Rejects as resolveBackend() does. */
async function resolve(requested: RequestedBackend): Promise<BackendResolution> {
  return resolveBackend(requested, createBrowserEnvironment());
}

declare global {
  interface Window {
    ptychoLab: {
      tf: typeof tf;
      useBackend: typeof useBackend;
      runKernel: typeof runKernel;
      resolve: typeof resolve;
      setShaderDebug: typeof setShaderDebug;
      runWgsl: typeof runWgsl;
      benchPie: typeof benchPie;
    };
  }
}

window.ptychoLab = { tf, useBackend, runKernel, resolve, setShaderDebug, runWgsl, benchPie };
document.body.dataset.ready = 'true';
