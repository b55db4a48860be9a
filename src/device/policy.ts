/**
 * Device policy: picks the TensorFlow.js backend that reconstruction runs on.
 *
 * `auto` tries WebGPU, then WebGL, then the CPU, and takes the first backend that starts and
 * passes a known-answer FFT through our own kernel. An explicit choice is tried alone and never
 * replaced by another backend. This module reads no globals: the browser is reached only
 * through the injected {@link DeviceEnvironment}, so the policy runs under Node in unit tests.
 */

export const BACKEND_NAMES = ['webgpu', 'webgl', 'cpu'] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

export type RequestedBackend = 'auto' | BackendName;

/** Prefix of the one console line that reports the resolved backend. */
export const LOG_PREFIX = '[ptychoscope:device]';

export const SOFTWARE_ADAPTER_NOTICE = 'software WebGPU adapter: slower than a hardware GPU, and usually slower than the cpu backend';

export const SOFTWARE_WEBGL_NOTICE = 'software WebGL renderer: usually slower than the cpu backend';

/**
 * Renderer names of WebGL implementations that run on the CPU: SwiftShader (Chrome's fallback),
 * llvmpipe and softpipe (Mesa), and the Microsoft Basic Render Driver (WARP), plus any name that
 * says "software".
 */
const SOFTWARE_RENDERER_PATTERN = /swiftshader|llvmpipe|softpipe|basic render driver|software/i;

/** Returns whether a WebGL renderer string names a software implementation; see SOFTWARE_RENDERER_PATTERN. */
export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERER_PATTERN.test(renderer);
}

/** Returns the software implementation's name as the renderer string spells it, such as "SwiftShader", or null. */
export function softwareRendererName(renderer: string): string | null {
  return SOFTWARE_RENDERER_PATTERN.exec(renderer)?.[0] ?? null;
}

const DISPLAY_NAMES: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', cpu: 'CPU' };

/** The fields of a WebGPU adapter's `GPUAdapterInfo` that the policy reports. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software adapter such as SwiftShader. */
  isFallbackAdapter: boolean;
}

export interface BackendInitResult {
  ok: boolean;
  /** Why initialization failed: the thrown error's text, or what TensorFlow.js reported. */
  error?: string;
}

export interface KnownAnswerResult {
  ok: boolean;
  /** The measured error on success, or what was wrong on failure. */
  detail: string;
}

/** The browser facilities the policy needs, injected so tests can replace them. */
export interface DeviceEnvironment {
  /** Whether `navigator.gpu` exists. */
  hasWebGpuApi(): boolean;
  /** Requests a WebGPU adapter. Resolves to null when the browser grants none. */
  requestAdapter(): Promise<AdapterSummary | null>;
  /** Makes `name` the active TensorFlow.js backend. */
  initBackend(name: BackendName): Promise<BackendInitResult>;
  /** Runs a small FFT with a known result on the active backend `name`. */
  knownAnswerCheck(name: BackendName): Promise<KnownAnswerResult>;
  /** Writes one log line, for example with console.info. */
  log(message: string): void;
  /**
   * Returns the renderer of the active WebGL backend, the unmasked one where the browser exposes
   * it, or null when it cannot be read. Called only after WebGL started; optional for fakes.
   */
  webGlRenderer?(): string | null;
}

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Cause of the failure, or the known-answer result when `ok`. */
  reason: string;
}

export interface BackendResolution {
  requested: RequestedBackend;
  backend: BackendName;
  /** Every backend tried, in order. */
  attempts: BackendAttempt[];
  /**
   * Causes that kept `auto` off WebGPU, one sentence per failed backend. Null when `auto` got
   * WebGPU or the backend was chosen explicitly.
   */
  fallbackReason: string | null;
  /** Warnings to show next to the result, such as a software WebGPU adapter. */
  notices: string[];
  /** Vendor, architecture and description of the WebGPU adapter in use, when the backend is WebGPU. */
  adapterDescription?: string;
  /** Renderer string of the WebGL context, when the backend is WebGL and the renderer could be read. */
  webGlRenderer?: string;
  /** True when the backend is WebGL on a software renderer such as SwiftShader or llvmpipe. */
  softwareWebGl?: boolean;
}

/** Raised when the requested backend cannot start, or when `auto` finds no usable backend at all. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  readonly requested: RequestedBackend;
  /** The backend that failed. For `auto` this is the last one tried, the CPU. */
  readonly backend: BackendName;
  readonly reason: string;
  readonly attempts: BackendAttempt[];

  constructor(requested: RequestedBackend, attempts: BackendAttempt[]) {
    const last = attempts[attempts.length - 1];
    super(unavailableMessage(requested, attempts));
    this.requested = requested;
    this.backend = last.backend;
    this.reason = last.reason;
    this.attempts = attempts;
  }
}

/** Ends `text` with a full stop unless it already ends with punctuation. */
function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function unavailableMessage(requested: RequestedBackend, attempts: BackendAttempt[]): string {
  if (requested === 'auto') {
    const reasons = attempts.map((attempt) => asSentence(`${DISPLAY_NAMES[attempt.backend]}: ${attempt.reason}`));
    return (
      `No backend could start, so reconstruction cannot run. ${reasons.join(' ')} ` +
      'Use a WebGPU-capable browser with hardware acceleration turned on, such as current Chrome or Edge.'
    );
  }
  const attempt = attempts[attempts.length - 1];
  const failure = asSentence(`The ${DISPLAY_NAMES[attempt.backend]} backend was requested but cannot start: ${attempt.reason}`);
  return (
    `${failure} Choose "auto" or another backend, or use a WebGPU-capable browser with hardware ` +
    'acceleration turned on, such as current Chrome or Edge.'
  );
}

/**
 * Parses the `?backend=` query value, ignoring case and surrounding spaces. A missing or empty
 * value means `auto`. Any other value throws an Error whose one-sentence message lists the valid
 * names and states that the page continues with `auto`, so the caller must show it and then use `auto`.
 */
export function parseRequestedBackend(value: string | null): RequestedBackend {
  const normalized = (value ?? '').trim().toLowerCase();
  if (normalized === '' || normalized === 'auto') return 'auto';
  if ((BACKEND_NAMES as readonly string[]).includes(normalized)) return normalized as BackendName;
  throw new Error(
    `Invalid backend "${value}" in ?backend= (valid names are auto, ${BACKEND_NAMES.join(', ')}), ` +
      'so the page continues with auto.',
  );
}

/** Returns the backend requested by reconstruction settings, `auto` when they name none. */
export function requestedBackendFrom(settings?: { backend?: RequestedBackend }): RequestedBackend {
  return settings?.backend ?? 'auto';
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Builds a short adapter name from vendor, architecture and description, dropping any part
 * already contained in another (SwiftShader reports "google", "swiftshader" and "Google SwiftShader").
 */
export function describeAdapter(adapter: AdapterSummary): string {
  const parts = [adapter.description, adapter.vendor, adapter.architecture, adapter.device]
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const kept = parts.filter((part, index) => {
    const lower = part.toLowerCase();
    return !parts.some(
      (other, otherIndex) =>
        otherIndex !== index &&
        other.toLowerCase().includes(lower) &&
        (other.length > part.length || otherIndex < index),
    );
  });
  return kept.length > 0 ? kept.join(' ') : 'unnamed adapter';
}

interface ProbeResult {
  attempt: BackendAttempt;
  adapter?: AdapterSummary;
}

/** Initializes `backend` and runs the known-answer check on it. Never throws. */
async function startBackend(backend: BackendName, environment: DeviceEnvironment): Promise<BackendAttempt> {
  let init: BackendInitResult;
  try {
    init = await environment.initBackend(backend);
  } catch (error) {
    init = { ok: false, error: errorText(error) };
  }
  if (!init.ok) {
    const error = init.error?.trim() || 'TensorFlow.js reported failure without an error message';
    return { backend, ok: false, reason: `backend init failed: ${error}` };
  }

  let check: KnownAnswerResult;
  try {
    check = await environment.knownAnswerCheck(backend);
  } catch (error) {
    check = { ok: false, detail: errorText(error) };
  }
  if (!check.ok) {
    return { backend, ok: false, reason: `known-answer check failed: ${check.detail}` };
  }
  return { backend, ok: true, reason: `known-answer FFT passed (${check.detail})` };
}

/**
 * Probes WebGPU: the API, then an adapter, and only with an adapter in hand the TensorFlow.js
 * backend, because tfjs 4.22 crashes in its own init when the browser grants no adapter.
 */
async function probeWebGpu(environment: DeviceEnvironment): Promise<ProbeResult> {
  if (!environment.hasWebGpuApi()) {
    return {
      attempt: {
        backend: 'webgpu',
        ok: false,
        reason: 'no navigator.gpu: this browser does not offer WebGPU, or it is turned off',
      },
    };
  }

  let adapter: AdapterSummary | null;
  try {
    adapter = await environment.requestAdapter();
  } catch (error) {
    return {
      attempt: { backend: 'webgpu', ok: false, reason: `no adapter granted: requestAdapter() failed: ${errorText(error)}` },
    };
  }
  if (adapter === null) {
    return {
      attempt: {
        backend: 'webgpu',
        ok: false,
        reason:
          'no adapter granted: the browser offers WebGPU but gave no GPU adapter ' +
          '(hardware acceleration off, GPU blocked by the browser, or no supported GPU)',
      },
    };
  }

  return { attempt: await startBackend('webgpu', environment), adapter };
}

async function probe(backend: BackendName, environment: DeviceEnvironment): Promise<ProbeResult> {
  if (backend === 'webgpu') return probeWebGpu(environment);
  return { attempt: await startBackend(backend, environment) };
}

function fallbackReasonOf(attempts: BackendAttempt[]): string {
  return attempts
    .filter((attempt) => !attempt.ok)
    .map((attempt) => asSentence(`${DISPLAY_NAMES[attempt.backend]}: ${attempt.reason}`))
    .join(' ');
}

/** Reads the WebGL renderer through the environment. Never throws: an unreadable renderer is null. */
function readWebGlRenderer(environment: DeviceEnvironment): string | null {
  try {
    return environment.webGlRenderer?.() ?? null;
  } catch {
    return null;
  }
}

function buildResolution(
  requested: RequestedBackend,
  attempts: BackendAttempt[],
  winner: ProbeResult,
  environment: DeviceEnvironment,
): BackendResolution {
  const backend = winner.attempt.backend;
  const resolution: BackendResolution = {
    requested,
    backend,
    attempts,
    fallbackReason: requested === 'auto' && backend !== 'webgpu' ? fallbackReasonOf(attempts) : null,
    notices: [],
  };
  if (backend === 'webgpu' && winner.adapter) {
    resolution.adapterDescription = describeAdapter(winner.adapter);
    if (winner.adapter.isFallbackAdapter) resolution.notices.push(SOFTWARE_ADAPTER_NOTICE);
  }
  if (backend === 'webgl') {
    const renderer = readWebGlRenderer(environment);
    if (renderer !== null && renderer.trim() !== '') {
      resolution.webGlRenderer = renderer.trim();
      resolution.softwareWebGl = isSoftwareRenderer(renderer);
      if (resolution.softwareWebGl) resolution.notices.push(SOFTWARE_WEBGL_NOTICE);
    }
  }
  return resolution;
}

function resolutionLogLine(resolution: BackendResolution): string {
  let line = `${LOG_PREFIX} requested ${resolution.requested}, running on ${DISPLAY_NAMES[resolution.backend]}`;
  if (resolution.adapterDescription) line += ` (${resolution.adapterDescription})`;
  if (resolution.webGlRenderer) line += ` (renderer ${resolution.webGlRenderer})`;
  line += '.';
  if (resolution.fallbackReason) line += ` Fallback reasons: ${resolution.fallbackReason}`;
  for (const notice of resolution.notices) line += ` Notice: ${notice}.`;
  return line;
}

/**
 * Resolves `requested` to a running backend and logs the outcome once through
 * `environment.log`. For `auto` it takes the first of WebGPU, WebGL and CPU that starts and
 * passes the known-answer check. An explicit choice is tried alone.
 *
 * Rejects with {@link BackendUnavailableError} when an explicit choice cannot start, or when
 * `auto` finds that even the CPU fails.
 */
export async function resolveBackend(
  requested: RequestedBackend,
  environment: DeviceEnvironment,
): Promise<BackendResolution> {
  const candidates: readonly BackendName[] = requested === 'auto' ? BACKEND_NAMES : [requested];
  const attempts: BackendAttempt[] = [];

  for (const candidate of candidates) {
    const result = await probe(candidate, environment);
    attempts.push(result.attempt);
    if (result.attempt.ok) {
      const resolution = buildResolution(requested, attempts, result, environment);
      environment.log(resolutionLogLine(resolution));
      return resolution;
    }
  }

  const error = new BackendUnavailableError(requested, attempts);
  environment.log(`${LOG_PREFIX} requested ${requested}, no backend started. ${error.message}`);
  throw error;
}

/**
 * Builds the status line for the UI and, when `auto` did not land on WebGPU, a banner that
 * names the backend in use, the cause, the slowdown, and what to do about it. On a software
 * WebGL renderer the banner advises the cpu backend, which is usually faster there.
 */
export function describeResolution(resolution: BackendResolution): { headline: string; banner: string | null } {
  const name = DISPLAY_NAMES[resolution.backend];
  const device = resolution.adapterDescription ?? resolution.webGlRenderer;
  const headline = device ? `Running on ${name} (${device})` : `Running on ${name}`;

  if (resolution.requested !== 'auto' || resolution.backend === 'webgpu') {
    return { headline, banner: null };
  }

  const onCpu = resolution.backend === 'cpu';
  const cause = onCpu
    ? 'Reconstruction runs on the CPU because neither WebGPU nor WebGL could be used.'
    : `Reconstruction runs on ${name} because WebGPU could not be used.`;
  let slowdown = onCpu
    ? 'Reconstruction will be much slower than on a GPU.'
    : 'Reconstruction will be slower than on WebGPU.';
  if (resolution.softwareWebGl) {
    // One headless Chrome measurement: 3 rPIE iterations took 69.6 s on SwiftShader WebGL and
    // 3.2 s on the cpu backend.
    slowdown =
      `This WebGL is a software renderer (${softwareRendererName(resolution.webGlRenderer ?? '') ?? 'software'}) that emulates a GPU on the CPU, ` +
      'so it is usually much slower than the cpu backend: choose cpu in the Compute backend list.';
  }
  // auto has already tried WebGPU, so the advice names no backend to try. A different browser is
  // what brings WebGPU back, and the Compute backend list is where another backend is chosen.
  const banner =
    `${cause} ${resolution.fallbackReason} ` +
    `${slowdown} For full speed, open this page in a WebGPU-capable browser with hardware acceleration ` +
    'turned on, such as current Chrome or Edge. To run on another backend, pick it in the Compute backend ' +
    'list or add ?backend=NAME to the address.';
  return { headline, banner };
}
