/**
 * The real {@link DeviceEnvironment} for a browser page or a Web Worker: WebGPU through
 * `navigator.gpu`, backends through TensorFlow.js, and a known-answer FFT through our own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

import { fft2 } from '../engine/ops';
import { registerPhysicsKernels } from '../engine/register';
import {
  LOG_PREFIX,
  resolveBackend,
  type AdapterSummary,
  type BackendResolution,
  type BackendInitResult,
  type BackendName,
  type DeviceEnvironment,
  type KnownAnswerResult,
  type RequestedBackend,
} from './policy';

/** Side of the known-answer FFT input. */
const CHECK_SIZE = 16;
/** Spatial frequency (row k0, column l0) of the plane wave in each batch entry. */
const CHECK_FREQUENCIES: ReadonlyArray<readonly [number, number]> = [
  [3, 5],
  [7, 2],
];
/** Largest accepted absolute error of any real or imaginary component. */
const CHECK_TOLERANCE = 1e-4;
const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

export interface DeviceLoss {
  /** `GPUDeviceLostInfo.reason`: 'destroyed' after an intentional destroy(), else 'unknown'. */
  reason: string;
  /** The browser's message about the loss. */
  message: string;
  /** A sentence for the user: what happened and what to do. */
  description: string;
}

export interface BrowserDeviceEnvironment extends DeviceEnvironment {
  /**
   * Calls `listener` once if the WebGPU device of the TensorFlow.js 'webgpu' backend is lost
   * later, for example after a driver reset. Call it after the backend resolved to WebGPU.
   * Returns a function that detaches the listener, and does nothing when no WebGPU backend is
   * initialized.
   */
  onDeviceLost(listener: (loss: DeviceLoss) => void): () => void;
}

export interface BrowserEnvironmentOptions {
  /**
   * How long the known-answer check waits for the backend to return its result before failing.
   * A guard against a GPU that never returns a result, not a performance limit.
   */
  knownAnswerTimeoutMs?: number;
  /** Receives the log line. Defaults to console.info. */
  log?: (message: string) => void;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function hasWebGpuApi(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu != null;
}

async function requestAdapter(): Promise<AdapterSummary | null> {
  // Ask with the same power preference as the tfjs 'webgpu' backend factory, so this probe
  // gets the same adapter as the backend.
  const powerPreference = tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance';
  const adapter = await navigator.gpu.requestAdapter({ powerPreference });
  if (adapter === null) return null;

  // Browsers without GPUAdapter.info expose isFallbackAdapter on the adapter itself.
  const info: Partial<GPUAdapterInfo> = 'info' in adapter ? adapter.info : {};
  const legacyFallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? legacyFallback ?? false,
  };
}

/** WEBGL_debug_renderer_info's UNMASKED_RENDERER_WEBGL, the GPU or driver name without browser masking. */
const UNMASKED_RENDERER_WEBGL = 0x9246;

/**
 * Returns the renderer of the tfjs 'webgl' backend's context: UNMASKED_RENDERER_WEBGL where
 * WEBGL_debug_renderer_info is offered, else RENDERER, which some browsers already unmask.
 * Null when the backend exposes no context.
 */
function webGlRenderer(): string | null {
  // gpgpu.gl is a field of MathBackendWebGL in tfjs-backend-webgl 4.22, typed by hand here because
  // that package comes in through @tensorflow/tfjs and is no direct dependency.
  const gl = (tf.findBackend('webgl') as unknown as { gpgpu?: { gl?: WebGLRenderingContext } } | null)?.gpgpu?.gl;
  if (!gl) return null;
  const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
  const unmasked: unknown = debugInfo ? gl.getParameter(UNMASKED_RENDERER_WEBGL) : null;
  if (typeof unmasked === 'string' && unmasked !== '') return unmasked;
  const renderer: unknown = gl.getParameter(gl.RENDERER);
  return typeof renderer === 'string' ? renderer : null;
}

/**
 * Picks the failure text out of the warnings that tfjs-core 4.22 prints when a backend factory
 * fails: "Initialization of backend <name> failed", then the error's stack or message.
 */
function initFailureFromWarnings(name: BackendName, warnings: string[]): string {
  const marker = warnings.findIndex((warning) => warning.includes(`Initialization of backend ${name} failed`));
  const detail = marker >= 0 ? warnings[marker + 1] : undefined;
  if (detail) return detail.split('\n')[0].trim();
  return `tf.setBackend('${name}') returned false`;
}

/** The device of the initialized tfjs 'webgpu' backend, null until it starts. */
let webGpuDevice: GPUDevice | null = null;

/** Remembers the backend's device and logs its loss once, whether or not anyone listens. */
function watchWebGpuDevice(device: GPUDevice): void {
  if (device === webGpuDevice) return;
  webGpuDevice = device;
  void device.lost.then((info) => console.error(`${LOG_PREFIX} ${describeDeviceLoss(info)}`));
}

async function initBackend(name: BackendName): Promise<BackendInitResult> {
  // tf.setBackend() catches the factory's error, prints it with console.warn and returns
  // false, so the warnings are collected here to keep the cause. They still reach the console.
  const warnings: string[] = [];
  const originalWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((arg) => (arg instanceof Error ? (arg.stack ?? arg.message) : String(arg))).join(' '));
    originalWarn.apply(console, args);
  };
  try {
    // Only the returned boolean is trusted: after a failed set, tf.getBackend() still
    // returns the requested name.
    const ok = await tf.setBackend(name);
    if (!ok) return { ok: false, error: initFailureFromWarnings(name, warnings) };
    if (name === 'webgpu') watchWebGpuDevice((tf.backend() as WebGPUBackend).device);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  } finally {
    console.warn = originalWarn;
  }
}

/** Interleaved plane waves e^{2πi(k0·m + l0·n)/N}, one per entry of CHECK_FREQUENCIES. */
function planeWaves(): Float32Array {
  const n = CHECK_SIZE;
  const values = new Float32Array(CHECK_FREQUENCIES.length * n * n * 2);
  CHECK_FREQUENCIES.forEach(([k0, l0], batch) => {
    for (let m = 0; m < n; m++) {
      for (let col = 0; col < n; col++) {
        // Reduce the phase modulo N in integers first, so the float64 angle is exact.
        const phase = (2 * Math.PI * ((k0 * m + l0 * col) % n)) / n;
        const index = ((batch * n + m) * n + col) * 2;
        values[index] = Math.cos(phase);
        values[index + 1] = Math.sin(phase);
      }
    }
  });
  return values;
}

/** Builds the unitary forward FFT of planeWaves(): height N at (k0, l0) of each entry, zero elsewhere. */
function spikes(): Float32Array {
  const n = CHECK_SIZE;
  const values = new Float32Array(CHECK_FREQUENCIES.length * n * n * 2);
  CHECK_FREQUENCIES.forEach(([k0, l0], batch) => {
    values[((batch * n + k0) * n + l0) * 2] = n;
  });
  return values;
}

/** Returns the max absolute difference, or a failure text when `actual` is not comparable. */
function compare(actual: ArrayLike<number>, expected: Float32Array): number | string {
  if (actual.length !== expected.length) {
    return `returned ${actual.length} values, expected ${expected.length}`;
  }
  let maxError = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!Number.isFinite(actual[i])) return `value ${actual[i]} at flat index ${i}`;
    maxError = Math.max(maxError, Math.abs(actual[i] - expected[i]));
  }
  return maxError;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Transforms plane waves forward and the result back with fft2, and compares both with the
 * analytic result. Results are read with the asynchronous data(): a synchronous dataSync()
 * read destroyed the WebGPU device on SwiftShader.
 */
async function knownAnswerCheck(name: BackendName, timeoutMs: number): Promise<KnownAnswerResult> {
  if (tf.getBackend() !== name) {
    return { ok: false, detail: `the active TensorFlow.js backend is ${tf.getBackend()}, not ${name}` };
  }
  registerPhysicsKernels();

  const shape: [number, number, number, number] = [CHECK_FREQUENCIES.length, CHECK_SIZE, CHECK_SIZE, 2];
  const input = planeWaves();
  const expected = spikes();
  const tensors: tf.Tensor[] = [];
  try {
    const x = tf.tensor4d(input, shape);
    tensors.push(x);
    const forward = fft2(x, 'forward');
    tensors.push(forward);
    const forwardError = compare(await withTimeout(forward.data(), timeoutMs, 'the forward FFT'), expected);
    if (typeof forwardError === 'string') {
      return { ok: false, detail: `forward FFT of a plane wave is not finite: ${forwardError}` };
    }
    if (forwardError >= CHECK_TOLERANCE) {
      return {
        ok: false,
        detail:
          `forward FFT of a plane wave differs from the analytic spike by up to ${forwardError.toExponential(2)} ` +
          `(limit ${CHECK_TOLERANCE.toExponential(0)})`,
      };
    }

    const inverse = fft2(forward, 'inverse');
    tensors.push(inverse);
    const inverseError = compare(await withTimeout(inverse.data(), timeoutMs, 'the inverse FFT'), input);
    if (typeof inverseError === 'string') {
      return { ok: false, detail: `inverse FFT of a spike is not finite: ${inverseError}` };
    }
    if (inverseError >= CHECK_TOLERANCE) {
      return {
        ok: false,
        detail:
          `inverse FFT of a spike differs from the analytic plane wave by up to ${inverseError.toExponential(2)} ` +
          `(limit ${CHECK_TOLERANCE.toExponential(0)})`,
      };
    }

    const worst = Math.max(forwardError, inverseError);
    return { ok: true, detail: `max error ${worst.toExponential(2)} on a ${CHECK_SIZE}×${CHECK_SIZE} FFT` };
  } catch (error) {
    return { ok: false, detail: `fft2 failed: ${errorText(error)}` };
  } finally {
    tensors.forEach((tensor) => tensor.dispose());
  }
}

function describeDeviceLoss(info: GPUDeviceLostInfo): string {
  const message = info.message.trim() || 'no message from the browser';
  return (
    `The WebGPU device was lost (reason: ${info.reason}): ${message}. ` +
    'Results computed after this point are invalid. Reload the page to start again, ' +
    'or choose another backend with ?backend=webgl.'
  );
}

function onDeviceLost(listener: (loss: DeviceLoss) => void): () => void {
  const device = webGpuDevice;
  if (device === null) return () => {};

  let attached = true;
  void device.lost.then((info) => {
    if (attached) listener({ reason: info.reason, message: info.message, description: describeDeviceLoss(info) });
  });
  return () => {
    attached = false;
  };
}

/** Creates the environment that resolveBackend() uses in a browser page or Web Worker. */
export function createBrowserEnvironment(options: BrowserEnvironmentOptions = {}): BrowserDeviceEnvironment {
  const timeoutMs = options.knownAnswerTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const log = options.log ?? ((message: string) => console.info(message));
  return {
    hasWebGpuApi,
    requestAdapter,
    initBackend,
    knownAnswerCheck: (name) => knownAnswerCheck(name, timeoutMs),
    log,
    webGlRenderer,
    onDeviceLost,
  };
}

/**
 * Resolves `requested` with the browser environment. When the result is WebGPU and
 * `onDeviceLost` is given, it is called with a user-facing description if the device is lost later.
 * Rejects with BackendUnavailableError as resolveBackend() does.
 */
export async function resolveBackendInBrowser(
  requested: RequestedBackend,
  options: BrowserEnvironmentOptions & { onDeviceLost?: (description: string) => void } = {},
): Promise<BackendResolution> {
  const environment = createBrowserEnvironment(options);
  const resolution = await resolveBackend(requested, environment);
  const { onDeviceLost: listener } = options;
  if (resolution.backend === 'webgpu' && listener) {
    environment.onDeviceLost((loss) => listener(loss.description));
  }
  return resolution;
}
