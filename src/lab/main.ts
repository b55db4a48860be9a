/**
 * Kernel lab: a page without UI that end-to-end tests and the benchmark drive through
 * `window.ptychoLab`, to run single kernels on a chosen backend with data passed in from Node.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

import { loadBundledSiemensStar } from '../data/siemensStar';
import { createBrowserEnvironment } from '../device/browserEnvironment';
import { resolveBackend, type BackendResolution, type RequestedBackend } from '../device/policy';
import { fft2Simd, fft2ThreadsReady, isFft2SimdAvailable } from '../engine/cpu/fft';
import { extractPatches, fft2, overlapSum } from '../engine/ops';
import { registerPhysicsKernels } from '../engine/register';
import { runProgram, setShaderDebug, takeShaderErrors, type WebGPUBackend } from '../engine/webgpu/program';
import { defaultsFor } from '../solvers/pie/options';
import { PieSolver } from '../solvers/pie/pie';
import { benchPinn, type BenchPinnRequest, type BenchPinnResult } from './benchPinn';
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
  /** Probe modes, or the rPIE default (1) when left out. */
  probeModes?: number;
  /** Far-field upsampling, 1 or 2, or the rPIE default (1) when left out. */
  farFieldUpsampling?: 1 | 2;
  /**
   * Whether to run one more untimed iteration under tf.profile to find the peak tensor memory
   * inside an iteration. Off by default because profiling times every kernel, which on a
   * software WebGPU adapter costs minutes per iteration.
   */
  profilePeak?: boolean;
}

/** GPU memory of the webgl or webgpu backend, in bytes, as their tf.memory() fields report it. */
interface GpuMemorySample {
  /** numBytesInGPU: bytes of the textures or buffers that tensors use now. */
  inUse: number;
  /**
   * numBytesInGPUAllocated (webgl) or numBytesAllocatedInGPU (webgpu): those bytes plus the free
   * textures or buffers that the backend keeps for reuse.
   */
  allocated: number;
}

/** Memory figures of one benchPie run. Tensor bytes are tf.memory().numBytes. */
interface BenchPieMemory {
  /** Bytes of the scan's patterns as float32: positions × N × N × 4. */
  scanBytes: number;
  /** Tensor bytes just before the solver was built. */
  tensorBytesBefore: number;
  /**
   * Maximum of the tensor bytes over every tensor that was created from building the solver to
   * the end of the last iteration, so intermediates inside a batch count.
   */
  tensorBytesPeak: number;
  /** Tensor bytes after the last iteration, with the solver still alive. */
  tensorBytesAfter: number;
  /** Tensor bytes after the solver was disposed. */
  tensorBytesAfterDispose: number;
  /** Bytes of the WebAssembly memory of the fused cpu update (see PieSolver.wasmMemoryBytes); 0 elsewhere. */
  wasmBytes: number;
  /** (tensorBytesPeak − tensorBytesBefore + wasmBytes) / scanBytes. */
  peakExtraToScan: number;
  /** GPU bytes before the solver, their maxima sampled like tensorBytesPeak, and after the last iteration; null on cpu. */
  gpu: { before: GpuMemorySample; peak: GpuMemorySample; after: GpuMemorySample } | null;
  /**
   * performance.memory.usedJSHeapSize before the solver, its maximum over the samples after
   * every iteration, and after the last iteration; null outside Chromium. Chromium reports exact
   * values only with --enable-precise-memory-info, else values rounded into coarse buckets.
   */
  jsHeap: { before: number; peak: number; after: number } | null;
  /** tf.memory().numTensors after the solver was built, then after every warm-up and timed iteration. */
  numTensorsPerIteration: number[];
}

/** Returns the GPU memory of the active backend, or null where it reports none (cpu). */
function sampleGpuMemory(): GpuMemorySample | null {
  const info = tf.memory() as tf.MemoryInfo & {
    numBytesInGPU?: number;
    numBytesInGPUAllocated?: number;
    numBytesAllocatedInGPU?: number;
  };
  if (info.numBytesInGPU === undefined) return null;
  return {
    inUse: info.numBytesInGPU,
    allocated: info.numBytesInGPUAllocated ?? info.numBytesAllocatedInGPU ?? info.numBytesInGPU,
  };
}

function usedJsHeapBytes(): number | null {
  const heap = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return heap?.usedJSHeapSize ?? null;
}

/**
 * Calls `onTensor` after every tensor that the tfjs engine starts tracking, until the returned
 * function is called. It wraps the engine's trackTensor method (tfjs-core 4.22), the one place
 * where tf.memory().numBytes grows for numeric tensors, so a caller that samples there finds its
 * exact maximum.
 * tf.profile finds the same maximum but also times every kernel, which takes minutes per
 * iteration on SwiftShader WebGPU.
 */
function watchTensorCreation(onTensor: () => void): () => void {
  const engine = tf.engine() as unknown as { trackTensor: (...args: unknown[]) => void };
  const trackTensor = engine.trackTensor;
  engine.trackTensor = function (this: unknown, ...args: unknown[]): void {
    trackTensor.apply(this, args);
    onTensor();
  };
  return () => {
    engine.trackTensor = trackTensor;
  };
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
   * Maximum of tf.memory().numBytes over every tensor created while the solver was built and
   * iterated, as in BenchPieMemory.tensorBytesPeak. With `profilePeak` it also covers one extra
   * profiled iteration.
   */
  peakTensorBytes: number;
  /** Whether peakTensorBytes includes the intermediates inside a batch; always true since it is watched per tensor. */
  peakIncludesIntermediates: boolean;
  numTensorsBefore: number;
  numTensorsAfter: number;
  /** performance.memory.usedJSHeapSize after the timed iterations; null outside Chromium. */
  jsHeapBytes: number | null;
  memory: BenchPieMemory;
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
  const tensorBytesBefore = tf.memory().numBytes;
  const gpuBefore = sampleGpuMemory();
  const jsHeapBefore = usedJsHeapBytes();

  // Peaks over every tensor created from here to the end of the last timed iteration.
  let peakTensorBytes = tensorBytesBefore;
  let gpuPeak: GpuMemorySample | null = gpuBefore === null ? null : { ...gpuBefore };
  const samplePeaks = (): void => {
    peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
    const gpu = sampleGpuMemory();
    if (gpu !== null && gpuPeak !== null) {
      gpuPeak = { inUse: Math.max(gpuPeak.inUse, gpu.inUse), allocated: Math.max(gpuPeak.allocated, gpu.allocated) };
    }
  };
  let jsHeapPeak = jsHeapBefore;
  const numTensorsPerIteration: number[] = [];
  const sampleIteration = (): void => {
    samplePeaks();
    numTensorsPerIteration.push(tf.memory().numTensors);
    const heap = usedJsHeapBytes();
    if (heap !== null && jsHeapPeak !== null) jsHeapPeak = Math.max(jsHeapPeak, heap);
  };

  const stopWatching = watchTensorCreation(samplePeaks);
  const defaults = defaultsFor('rpie');
  const options = {
    ...defaults,
    batchSize: request.batchSize ?? defaults.batchSize,
    probeModes: request.probeModes ?? defaults.probeModes,
    farFieldUpsampling: request.farFieldUpsampling ?? defaults.farFieldUpsampling,
  };
  const solver = new PieSolver(dataset, options);
  sampleIteration();
  const secondsPerIteration: number[] = [];
  const fourierErrors: number[] = [];
  const warmupFourierErrors: number[] = [];
  let tensorBytesAfter = tensorBytesBefore;
  let gpuAfter = gpuBefore;
  let jsHeapAfter = jsHeapBefore;
  let wasmBytes = 0;
  try {
    for (let i = 0; i < warmup; i += 1) {
      warmupFourierErrors.push((await solver.iterate()).fourierError);
      console.info(`benchPie ${backend}: warm-up iteration ${i + 1} of ${warmup} done`);
      sampleIteration();
    }
    for (let i = 0; i < iterations; i += 1) {
      const start = performance.now();
      const { fourierError } = await solver.iterate();
      const seconds = (performance.now() - start) / 1000;
      secondsPerIteration.push(seconds);
      fourierErrors.push(fourierError);
      console.info(`benchPie ${backend}: timed iteration ${i + 1} of ${iterations} took ${seconds.toFixed(3)} s`);
      sampleIteration();
    }
    stopWatching();
    // Read before dispose() frees the memory.
    wasmBytes = solver.wasmMemoryBytes;
    tensorBytesAfter = tf.memory().numBytes;
    gpuAfter = sampleGpuMemory();
    jsHeapAfter = usedJsHeapBytes();
    if (request.profilePeak === true) {
      // Profiling times every kernel. It runs after the timed iterations, as a check of the
      // watched peak through tfjs's own accounting.
      const profile = await tf.profile(async () => {
        await solver.iterate();
      });
      peakTensorBytes = Math.max(peakTensorBytes, profile.peakBytes);
      console.info(`benchPie ${backend}: profiled iteration done`);
    }
  } finally {
    stopWatching();
    solver.dispose();
  }

  const scanBytes = dataset.patternCount * dataset.patternSize * dataset.patternSize * 4;
  const memory: BenchPieMemory = {
    scanBytes,
    tensorBytesBefore,
    tensorBytesPeak: peakTensorBytes,
    tensorBytesAfter,
    tensorBytesAfterDispose: tf.memory().numBytes,
    wasmBytes,
    peakExtraToScan: (peakTensorBytes - tensorBytesBefore + wasmBytes) / scanBytes,
    gpu: gpuBefore === null || gpuPeak === null || gpuAfter === null ? null : { before: gpuBefore, peak: gpuPeak, after: gpuAfter },
    jsHeap:
      jsHeapBefore === null || jsHeapPeak === null || jsHeapAfter === null
        ? null
        : { before: jsHeapBefore, peak: jsHeapPeak, after: jsHeapAfter },
    numTensorsPerIteration,
  };
  return {
    backend: tf.getBackend(),
    secondsPerIteration,
    fourierErrors,
    warmupFourierErrors,
    peakTensorBytes,
    peakIncludesIntermediates: true,
    numTensorsBefore,
    numTensorsAfter: tf.memory().numTensors,
    jsHeapBytes: jsHeapAfter,
    memory,
  };
}

interface BenchFftCase {
  /** Fields per call. */
  batch: number;
  /** Side N of each square field; a power of two. */
  size: number;
  /** Timed runs of the tfjs built-in path, or 0 to skip it. Defaults to the request's `repeats`. */
  builtinRepeats?: number;
}

interface BenchFftRequest {
  backend: 'cpu' | 'webgl' | 'webgpu';
  cases: BenchFftCase[];
  /** Timed runs of each path per case, after `warmup` untimed ones. */
  repeats: number;
  warmup: number;
  /** Untimed runs of the tfjs built-in path per case; defaults to `warmup`. */
  builtinWarmup?: number;
}

/** Timings of one path, or why it could not run. */
type BenchFftTiming = { milliseconds: number[] } | { skipped: string } | { error: string };

interface BenchFftCaseResult {
  batch: number;
  size: number;
  /** `fft2` from src/engine/ops.ts, forward, on interleaved [B, N, N, 2] float32. */
  ours: BenchFftTiming;
  /** tf.spectral.fft along rows, transpose, fft again, transpose back, on complex64 [B, N, N]. */
  builtin: BenchFftTiming;
  /**
   * ‖N·ours − built-in‖ / ‖built-in‖ over the last timed outputs. The factor N undoes the 1/N of
   * the unitary fft2, because tf.spectral.fft does not normalise. Null unless both paths ran.
   */
  relativeRms: number | null;
  /** On the cpu backend, the same transform on typed arrays without tensors; null elsewhere. */
  arrays: BenchFftArrays | null;
}

/**
 * The cpu FFT2 kernel timed on typed arrays that are allocated once, so that neither tfjs nor a
 * fresh output array is in the time, and the cost of that fresh array on its own.
 */
interface BenchFftArrays {
  /** `fft2Simd` with threads 'never'. */
  oneThread: BenchFftTiming;
  /** `fft2Simd` with threads 'always', split across the calling thread and the helpers. */
  threads: BenchFftTiming;
  /** Helper threads running besides the calling thread. */
  helperThreads: number;
  /**
   * `new Float32Array(B·N²·2)` and one `set` of the input into it: what every tfjs cpu kernel
   * pays for its output before it computes anything.
   */
  freshOutput: BenchFftTiming;
}

interface BenchFftResult {
  backend: string;
  cases: BenchFftCaseResult[];
  numTensorsBefore: number;
  numTensorsAfter: number;
}

/**
 * Transposes the two inner axes of a complex64 [B, N, N] tensor. The real and imaginary parts
 * go through tf.transpose separately, because tfjs 4.22 fails to transpose a complex64
 * tf.spectral.fft output directly. In headless Chromium 156 the webgl backend's fragment shader
 * does not compile, and the webgpu backend passes an invalid size to createBuffer. tf.real and
 * tf.imag may return the parts with fewer axes, so each is reshaped first.
 */
function transposeComplexRows(z: tf.Tensor, batch: number, size: number): tf.Tensor3D {
  const real = tf.transpose(tf.reshape(tf.real(z), [batch, size, size]), [0, 2, 1]);
  const imag = tf.transpose(tf.reshape(tf.imag(z), [batch, size, size]), [0, 2, 1]);
  return tf.complex(real, imag) as tf.Tensor3D;
}

/** Computes the unnormalised 2-D DFT of complex64 [B, N, N] with tfjs's own 1-D FFT. */
function builtinFft2(x: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, size] = x.shape;
    const alongRows = tf.spectral.fft(x);
    const alongColumns = tf.spectral.fft(transposeComplexRows(alongRows, batch, size));
    return transposeComplexRows(alongColumns, batch, size);
  });
}

/**
 * Runs `compute` warmup + repeats times and times each timed run from the call until `await
 * data()` of its output returns, so queued GPU work is included. Returns the times and the last
 * output's values, interleaved (real, imaginary).
 */
async function timeFft(
  compute: () => tf.Tensor,
  warmup: number,
  repeats: number,
): Promise<{ milliseconds: number[]; values: Float32Array }> {
  const milliseconds: number[] = [];
  let values: Float32Array = new Float32Array(0);
  for (let run = 0; run < warmup + repeats; run += 1) {
    const start = performance.now();
    const output = compute();
    try {
      values = (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
    if (run >= warmup) milliseconds.push(performance.now() - start);
  }
  return { milliseconds, values };
}

/** Runs `run` warmup + repeats times and times each timed run. */
function timeSync(run: () => void, warmup: number, repeats: number): BenchFftTiming {
  const milliseconds: number[] = [];
  try {
    for (let index = 0; index < warmup + repeats; index += 1) {
      const start = performance.now();
      run();
      if (index >= warmup) milliseconds.push(performance.now() - start);
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  return { milliseconds };
}

/** Times the cpu FFT2 kernel on typed arrays, and a fresh output array, for BenchFftArrays. */
async function timeFftArrays(
  input: Float32Array,
  batch: number,
  size: number,
  warmup: number,
  repeats: number,
): Promise<BenchFftArrays> {
  const helperThreads = await fft2ThreadsReady();
  const output = new Float32Array(input.length);
  const freshOutput = timeSync(
    () => {
      const fresh = new Float32Array(input.length);
      fresh.set(input);
    },
    warmup,
    repeats,
  );
  if (!isFft2SimdAvailable()) {
    const noSimd = { skipped: 'this engine lacks WebAssembly SIMD' };
    return { oneThread: noSimd, threads: noSimd, helperThreads, freshOutput };
  }

  const oneThread = timeSync(() => fft2Simd(input, output, batch, size, false, 'never'), warmup, repeats);
  const threads =
    helperThreads > 0
      ? timeSync(() => fft2Simd(input, output, batch, size, false, 'always'), warmup, repeats)
      : { skipped: 'no helper threads run on this page' };
  return { oneThread, threads, helperThreads, freshOutput };
}

function relativeRms(ours: Float32Array, builtin: Float32Array, scale: number): number {
  let differenceSquared = 0;
  let referenceSquared = 0;
  for (let i = 0; i < builtin.length; i += 1) {
    const difference = scale * ours[i] - builtin[i];
    differenceSquared += difference * difference;
    referenceSquared += builtin[i] * builtin[i];
  }
  return Math.sqrt(differenceSquared / referenceSquared);
}

/**
 * Times the forward 2-D FFT of random complex fields per case: the repository's `fft2` kernel
 * and the tfjs built-in path on the same backend. A path that throws is reported with its error
 * and the next one still runs. Rejects when `backend` cannot be started.
 */
async function benchFft(request: BenchFftRequest): Promise<BenchFftResult> {
  const { backend, cases, repeats, warmup } = request;
  const builtinWarmup = request.builtinWarmup ?? warmup;
  if (!Number.isInteger(repeats) || repeats < 1 || !Number.isInteger(warmup) || warmup < 0) {
    throw new Error(
      `benchFft: repeats must be a whole number of at least 1 and warmup one of at least 0, ` +
        `received repeats ${repeats} and warmup ${warmup}.`,
    );
  }
  const started = await useBackend(backend);
  if (!started.ok) throw new Error(`benchFft: the ${backend} backend failed to start in this browser.`);

  const numTensorsBefore = tf.memory().numTensors;
  const results: BenchFftCaseResult[] = [];
  for (const { batch, size, builtinRepeats = repeats } of cases) {
    const label = `benchFft ${backend} ${batch}×${size}×${size}`;
    const interleaved = tf.randomNormal([batch, size, size, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const complex = tf.tidy(() => {
      const [real, imag] = tf.split(interleaved, 2, 3);
      return tf.complex(tf.reshape(real, [batch, size, size]), tf.reshape(imag, [batch, size, size])) as tf.Tensor3D;
    });
    let oursValues: Float32Array | undefined;
    let builtinValues: Float32Array | undefined;
    let ours: BenchFftTiming;
    let builtin: BenchFftTiming;
    let arrays: BenchFftArrays | null = null;
    try {
      if (tf.getBackend() === 'cpu') {
        arrays = await timeFftArrays((await interleaved.data()) as Float32Array, batch, size, warmup, repeats);
        console.info(`${label}: typed arrays done`);
      }
      try {
        const timed = await timeFft(() => fft2(interleaved, 'forward'), warmup, repeats);
        ours = { milliseconds: timed.milliseconds };
        oursValues = timed.values;
      } catch (error) {
        ours = { error: error instanceof Error ? error.message : String(error) };
      }
      console.info(`${label}: ours done`);

      if (builtinRepeats < 1) {
        builtin = { skipped: 'builtinRepeats is 0' };
      } else {
        try {
          const timed = await timeFft(() => builtinFft2(complex), builtinWarmup, builtinRepeats);
          builtin = { milliseconds: timed.milliseconds };
          builtinValues = timed.values;
        } catch (error) {
          builtin = { error: error instanceof Error ? error.message : String(error) };
        }
      }
      console.info(`${label}: built-in done`);
    } finally {
      interleaved.dispose();
      complex.dispose();
    }
    const agreement =
      oursValues === undefined || builtinValues === undefined ? null : relativeRms(oursValues, builtinValues, size);
    results.push({ batch, size, ours, builtin, relativeRms: agreement, arrays });
  }

  return {
    backend: tf.getBackend(),
    cases: results,
    numTensorsBefore,
    numTensorsAfter: tf.memory().numTensors,
  };
}

/**
 * Makes an object [height, width, 2] whose pixel (row, col) contains (row, col), so that every value
 * names its own position. Every coordinate up to 2^24 is exact in float32. On webgl and webgpu
 * the object is written by a program on the device, which computes each position from its
 * integer output index. That avoids moving a large array from JavaScript to the device.
 */
function makeCoordinateObject(height: number, width: number): tf.Tensor3D {
  const backendName = tf.getBackend();
  if (backendName === 'webgl') {
    const program: GPGPUProgram = {
      variableNames: [],
      outputShape: [height, width, 2],
      packedInputs: false,
      packedOutput: false,
      userCode: `
        void main() {
          ivec3 coords = getOutputCoords();
          setOutput(float(coords.z == 0 ? coords.x : coords.y));
        }
      `,
    };
    const info = (tf.backend() as MathBackendWebGL).runWebGLProgram(program, [], 'float32');
    return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor3D;
  }
  if (backendName === 'webgpu') {
    const wgsl = `
      fn main(index: i32) {
        if (index >= uniforms.size) {
          return;
        }
        let width = uniforms.outShape.y;
        let row = index / width;
        result[index] = vec2<f32>(f32(row), f32(index - row * width));
      }
    `;
    const info = runProgram(tf.backend() as WebGPUBackend, {
      wgslFile: 'coordinateObject.wgsl',
      wgslSource: wgsl,
      variableNames: [],
      outputComponent: 2,
      outputShape: [height, width, 2],
      shaderKey: 'labCoordinateObject',
      size: true,
      dispatchLayout: { x: [0, 1, 2] },
      dispatch: [Math.ceil((height * width) / 64), 1, 1],
      workgroupSize: [64, 1, 1],
      getUserCode: () => wgsl,
    }, []);
    return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor3D;
  }
  const values = new Float32Array(height * width * 2);
  for (let row = 0; row < height; row += 1) {
    for (let col = 0; col < width; col += 1) {
      values[2 * (row * width + col)] = row;
      values[2 * (row * width + col) + 1] = col;
    }
  }
  return tf.tensor3d(values, [height, width, 2]);
}

interface LargeObjectRequest {
  backend: 'cpu' | 'webgl' | 'webgpu';
  height: number;
  width: number;
  /** Side n of each square patch. */
  patchSize: number;
  /** Top-left corner (row, col) of each patch. Patches outside the object are expected to read as zero. */
  positions: Array<[number, number]>;
}

/** Outcome of comparing a kernel output with its expected values for exact equality. */
interface ExactnessReport {
  /** Floats compared. */
  checked: number;
  /** Floats that differ from their expected value. */
  mismatches: number;
  /** The first few mismatches, as "where: received x, expected y". */
  examples: string[];
}

interface LargeObjectResult {
  backend: string;
  /** Floats in the object, H·W·2. */
  objectFloats: number;
  /** extractPatches of the coordinate object at every position, against (row, col) or 0 outside. */
  extract: ExactnessReport;
  /** overlapSum of coordinate-coded patches, over the whole output. */
  overlap: ExactnessReport;
  /** Wall time of each part, from the first call until its output was read back. */
  seconds: { extract: number; overlap: number };
  numTensorsBefore: number;
  numTensorsAfter: number;
}

function newReport(): ExactnessReport {
  return { checked: 0, mismatches: 0, examples: [] };
}

function expectExact(report: ExactnessReport, received: number, expected: number, where: () => string): void {
  report.checked += 1;
  if (received === expected) return;
  report.mismatches += 1;
  if (report.examples.length < 5) report.examples.push(`${where()}: received ${received}, expected ${expected}`);
}

/**
 * Checks that extractPatches and overlapSum address a large object exactly on `backend`, with no
 * read-back of the object itself.
 *
 * 1. extractPatches cuts the patches at `positions` out of the coordinate object (see
 *    makeCoordinateObject), and every patch pixel must hold its own object (row, col), or zero
 *    where the patch leaves the object.
 * 2. overlapSum places patches whose pixels hold the (row, col) of the object pixel they land on.
 *    Then every output pixel must equal (k·row, k·col), where k is the number of patches that
 *    cover it, and zero elsewhere. The whole output is read back and checked.
 */
async function checkLargeObject(request: LargeObjectRequest): Promise<LargeObjectResult> {
  const { backend, height, width, patchSize, positions } = request;
  const started = await useBackend(backend);
  if (!started.ok) throw new Error(`checkLargeObject: the ${backend} backend failed to start in this browser.`);
  const numTensorsBefore = tf.memory().numTensors;
  const count = positions.length;
  const pixelsPerPatch = patchSize * patchSize;
  const positionTensor = tf.tensor2d(positions.flat(), [count, 2], 'int32');
  const covers = (k: number, row: number, col: number): boolean =>
    row >= positions[k][0] && row < positions[k][0] + patchSize && col >= positions[k][1] && col < positions[k][1] + patchSize;
  const inside = (row: number, col: number): boolean => row >= 0 && row < height && col >= 0 && col < width;

  const extract = newReport();
  let start = performance.now();
  let patchValues: Float32Array;
  try {
    const object = makeCoordinateObject(height, width);
    try {
      const patches = extractPatches(object, positionTensor, patchSize);
      try {
        patchValues = (await patches.data()) as Float32Array;
      } finally {
        patches.dispose();
      }
    } finally {
      object.dispose();
    }
  } catch (error) {
    positionTensor.dispose();
    throw error;
  }
  const extractSeconds = (performance.now() - start) / 1000;
  for (let k = 0; k < count; k += 1) {
    for (let i = 0; i < patchSize; i += 1) {
      for (let j = 0; j < patchSize; j += 1) {
        const row = positions[k][0] + i;
        const col = positions[k][1] + j;
        const offset = 2 * (k * pixelsPerPatch + i * patchSize + j);
        const where = (): string => `patch ${k} pixel (${i}, ${j}) at object (${row}, ${col})`;
        expectExact(extract, patchValues[offset], inside(row, col) ? row : 0, () => `${where()}, real`);
        expectExact(extract, patchValues[offset + 1], inside(row, col) ? col : 0, () => `${where()}, imaginary`);
      }
    }
  }

  const coded = new Float32Array(count * pixelsPerPatch * 2);
  for (let k = 0; k < count; k += 1) {
    for (let p = 0; p < pixelsPerPatch; p += 1) {
      coded[2 * (k * pixelsPerPatch + p)] = positions[k][0] + Math.floor(p / patchSize);
      coded[2 * (k * pixelsPerPatch + p) + 1] = positions[k][1] + (p % patchSize);
    }
  }
  const overlap = newReport();
  start = performance.now();
  const patchTensor = tf.tensor4d(coded, [count, patchSize, patchSize, 2]);
  let summed: Float32Array;
  try {
    const output = overlapSum(patchTensor, positionTensor, height, width);
    try {
      summed = (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
  } finally {
    patchTensor.dispose();
    positionTensor.dispose();
  }
  const overlapSeconds = (performance.now() - start) / 1000;
  const rowMin = Math.max(0, Math.min(...positions.map(([row]) => row)));
  const rowMax = Math.min(height - 1, Math.max(...positions.map(([row]) => row)) + patchSize - 1);
  const colMin = Math.max(0, Math.min(...positions.map(([, col]) => col)));
  const colMax = Math.min(width - 1, Math.max(...positions.map(([, col]) => col)) + patchSize - 1);
  for (let row = 0; row < height; row += 1) {
    const inRows = row >= rowMin && row <= rowMax;
    for (let col = 0; col < width; col += 1) {
      let covering = 0;
      if (inRows && col >= colMin && col <= colMax) {
        for (let k = 0; k < count; k += 1) if (covers(k, row, col)) covering += 1;
      }
      const offset = 2 * (row * width + col);
      if (covering === 0 && summed[offset] === 0 && summed[offset + 1] === 0) {
        overlap.checked += 2;
        continue;
      }
      expectExact(overlap, summed[offset], covering * row, () => `object (${row}, ${col}), real`);
      expectExact(overlap, summed[offset + 1], covering * col, () => `object (${row}, ${col}), imaginary`);
    }
  }

  return {
    backend: tf.getBackend(),
    objectFloats: height * width * 2,
    extract,
    overlap,
    seconds: { extract: extractSeconds, overlap: overlapSeconds },
    numTensorsBefore,
    numTensorsAfter: tf.memory().numTensors,
  };
}

/**
 * Calls `kernel` on the current backend with an object or output of height×width and returns the
 * error it throws, or null when it runs. The extractPatches object is a zero-filled array that is
 * never written, so its pages need not be committed, and a kernel that rejects the size before
 * uploading it never touches them.
 */
async function largeObjectError(kernel: 'extractPatches' | 'overlapSum', height: number, width: number): Promise<string | null> {
  const positions = tf.tensor2d([0, 0], [1, 2], 'int32');
  const tensors: tf.Tensor[] = [positions];
  try {
    let output: tf.Tensor;
    if (kernel === 'extractPatches') {
      const object = tf.tensor3d(new Float32Array(height * width * 2), [height, width, 2]);
      tensors.push(object);
      output = extractPatches(object, positions, 4);
    } else {
      const patches = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
      tensors.push(patches);
      output = overlapSum(patches, positions, height, width);
    }
    tensors.push(output);
    await output.data();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    tf.dispose(tensors);
  }
}

/** Runs the device policy with the real browser environment. Rejects as resolveBackend() does. */
/** Times PtychoPINN training and inference on `backend`; rejects when the backend cannot start. */
async function benchPinnOn(request: BenchPinnRequest & { backend: 'cpu' | 'webgl' | 'webgpu' }): Promise<BenchPinnResult> {
  const started = await useBackend(request.backend);
  if (!started.ok) throw new Error(`benchPinn: the ${request.backend} backend failed to start in this browser.`);
  return benchPinn(request);
}

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
      benchFft: typeof benchFft;
      benchPinn: typeof benchPinnOn;
      checkLargeObject: typeof checkLargeObject;
      largeObjectError: typeof largeObjectError;
    };
  }
}

window.ptychoLab = {
  tf,
  useBackend,
  runKernel,
  resolve,
  setShaderDebug,
  runWgsl,
  benchPie,
  benchFft,
  benchPinn: benchPinnOn,
  checkLargeObject,
  largeObjectError,
};
document.body.dataset.ready = 'true';
