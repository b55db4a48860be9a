import { describe, expect, it } from 'vitest';

import {
  BackendUnavailableError,
  LOG_PREFIX,
  SOFTWARE_ADAPTER_NOTICE,
  SOFTWARE_WEBGL_NOTICE,
  describeAdapter,
  describeResolution,
  isSoftwareRenderer,
  parseRequestedBackend,
  softwareRendererName,
  requestedBackendFrom,
  resolveBackend,
  type AdapterSummary,
  type BackendInitResult,
  type BackendName,
  type DeviceEnvironment,
  type KnownAnswerResult,
} from './policy';

const HARDWARE_ADAPTER: AdapterSummary = {
  vendor: 'nvidia',
  architecture: 'ampere',
  device: '',
  description: 'NVIDIA GeForce RTX 3080',
  isFallbackAdapter: false,
};

const SOFTWARE_ADAPTER: AdapterSummary = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: '',
  description: 'Google SwiftShader',
  isFallbackAdapter: true,
};

interface FakeOptions {
  webGpuApi?: boolean;
  adapter?: AdapterSummary | null | Error;
  init?: Partial<Record<BackendName, BackendInitResult | Error>>;
  check?: Partial<Record<BackendName, KnownAnswerResult>>;
  /** Renderer the fake returns for WebGL, or an Error it throws. Undefined leaves webGlRenderer out. */
  webGlRenderer?: string | null | Error;
}

/** Creates a DeviceEnvironment that records each call and passes every check unless `options` sets a failure. */
function fakeEnvironment(options: FakeOptions = {}) {
  const calls: string[] = [];
  const logs: string[] = [];
  const environment: DeviceEnvironment = {
    hasWebGpuApi() {
      calls.push('hasWebGpuApi');
      return options.webGpuApi ?? true;
    },
    async requestAdapter() {
      calls.push('requestAdapter');
      const adapter = options.adapter === undefined ? HARDWARE_ADAPTER : options.adapter;
      if (adapter instanceof Error) throw adapter;
      return adapter;
    },
    async initBackend(name) {
      calls.push(`initBackend:${name}`);
      const result = options.init?.[name] ?? { ok: true };
      if (result instanceof Error) throw result;
      return result;
    },
    async knownAnswerCheck(name) {
      calls.push(`knownAnswerCheck:${name}`);
      return options.check?.[name] ?? { ok: true, detail: 'max error 1.2e-6' };
    },
    log(message) {
      logs.push(message);
    },
  };
  const renderer = options.webGlRenderer;
  if (renderer !== undefined) {
    environment.webGlRenderer = () => {
      calls.push('webGlRenderer');
      if (renderer instanceof Error) throw renderer;
      return renderer;
    };
  }
  return { environment, calls, logs };
}

describe('resolveBackend with auto', () => {
  it('prefers WebGPU when all checks pass', async () => {
    const { environment, calls } = fakeEnvironment();
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.backend).toBe('webgpu');
    expect(resolution.requested).toBe('auto');
    expect(resolution.fallbackReason).toBeNull();
    expect(resolution.notices).toEqual([]);
    expect(resolution.adapterDescription).toBe('NVIDIA GeForce RTX 3080 ampere');
    expect(resolution.attempts).toHaveLength(1);
    expect(resolution.attempts[0]).toMatchObject({ backend: 'webgpu', ok: true });
    expect(calls).toEqual(['hasWebGpuApi', 'requestAdapter', 'initBackend:webgpu', 'knownAnswerCheck:webgpu']);
    expect(describeResolution(resolution)).toEqual({
      headline: 'Running on WebGPU (NVIDIA GeForce RTX 3080 ampere)',
      banner: null,
    });
  });

  const webGpuFailures: Array<{ cause: string; options: FakeOptions; reason: RegExp }> = [
    { cause: 'no navigator.gpu', options: { webGpuApi: false }, reason: /^no navigator\.gpu/ },
    { cause: 'null adapter', options: { adapter: null }, reason: /^no adapter granted/ },
    {
      cause: 'requestAdapter throws',
      options: { adapter: new Error('GPU process crashed') },
      reason: /^no adapter granted: requestAdapter\(\) failed: GPU process crashed/,
    },
    {
      cause: 'setBackend returns false',
      options: { init: { webgpu: { ok: false, error: "tf.setBackend('webgpu') returned false" } } },
      reason: /^backend init failed: tf\.setBackend\('webgpu'\) returned false/,
    },
    {
      cause: 'setBackend returns false without text',
      options: { init: { webgpu: { ok: false } } },
      reason: /^backend init failed: TensorFlow\.js reported failure/,
    },
    {
      cause: 'setBackend throws',
      options: { init: { webgpu: new TypeError("Cannot read properties of null (reading 'features')") } },
      reason: /^backend init failed: Cannot read properties of null \(reading 'features'\)/,
    },
    {
      cause: 'known-answer check fails',
      options: { check: { webgpu: { ok: false, detail: 'forward FFT differs by up to 3.00e-1' } } },
      reason: /^known-answer check failed: forward FFT differs by up to 3\.00e-1/,
    },
  ];

  for (const { cause, options, reason } of webGpuFailures) {
    it(`falls back to WebGL when ${cause}`, async () => {
      const { environment } = fakeEnvironment(options);
      const resolution = await resolveBackend('auto', environment);

      expect(resolution.backend).toBe('webgl');
      expect(resolution.attempts.map((attempt) => attempt.backend)).toEqual(['webgpu', 'webgl']);
      expect(resolution.attempts[0].ok).toBe(false);
      expect(resolution.attempts[0].reason).toMatch(reason);
      expect(resolution.attempts[1].ok).toBe(true);
      expect(resolution.fallbackReason).toContain(resolution.attempts[0].reason);
      expect(resolution.adapterDescription).toBeUndefined();

      const { headline, banner } = describeResolution(resolution);
      expect(headline).toBe('Running on WebGL');
      expect(banner).not.toBeNull();
      expect(banner).toContain('runs on WebGL');
      expect(banner).toContain(resolution.attempts[0].reason);
      expect(banner).toContain('slower');
      expect(banner).toContain('Chrome or Edge');
      expect(banner).toContain('Compute backend list');
      expect(banner).toContain('?backend=NAME');
      expect(banner).not.toContain('?backend=webgpu');
    });
  }

  it('keeps WebGL on a software renderer', async () => {
    const renderer = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
    const { environment, calls, logs } = fakeEnvironment({ adapter: null, webGlRenderer: renderer });
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.backend).toBe('webgl');
    expect(calls).toContain('webGlRenderer');
    expect(calls).not.toContain('initBackend:cpu');
    expect(resolution.webGlRenderer).toBe(renderer);
    expect(resolution.softwareWebGl).toBe(true);
    expect(resolution.notices).toEqual([SOFTWARE_WEBGL_NOTICE]);
    expect(logs[0]).toContain(`(renderer ${renderer})`);

    const { headline, banner } = describeResolution(resolution);
    expect(headline).toBe(`Running on WebGL (${renderer})`);
    expect(banner).toContain('runs on WebGL because WebGPU could not be used');
    expect(banner).toContain('This WebGL is a software renderer (SwiftShader) that emulates a GPU on the CPU');
    expect(banner).toContain('usually much slower than the cpu backend: choose cpu in the Compute backend list.');
    expect(banner).not.toContain('slower than on WebGPU');
  });

  it('keeps the plain banner on a hardware renderer', async () => {
    const renderer = 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)';
    const { environment } = fakeEnvironment({ adapter: null, webGlRenderer: renderer });
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.softwareWebGl).toBe(false);
    expect(resolution.notices).toEqual([]);
    const { banner } = describeResolution(resolution);
    expect(banner).toContain('slower than on WebGPU');
    expect(banner).not.toContain('software renderer');
  });

  it('tolerates an unreadable renderer', async () => {
    for (const webGlRenderer of [null, '', new Error('context lost')]) {
      const { environment } = fakeEnvironment({ adapter: null, webGlRenderer });
      const resolution = await resolveBackend('auto', environment);

      expect(resolution.backend).toBe('webgl');
      expect(resolution.webGlRenderer).toBeUndefined();
      expect(resolution.softwareWebGl).toBeUndefined();
      expect(resolution.notices).toEqual([]);
    }
  });

  it('notes a software renderer on explicit webgl', async () => {
    const { environment } = fakeEnvironment({ webGlRenderer: 'llvmpipe (LLVM 15.0.7, 256 bits)' });
    const resolution = await resolveBackend('webgl', environment);

    expect(resolution.notices).toEqual([SOFTWARE_WEBGL_NOTICE]);
    expect(describeResolution(resolution).banner).toBeNull();
  });

  it('reads the renderer only for WebGL', async () => {
    const { environment, calls } = fakeEnvironment({ webGlRenderer: 'Google SwiftShader' });
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.backend).toBe('webgpu');
    expect(calls).not.toContain('webGlRenderer');
    expect(resolution.notices).toEqual([]);
  });

  it('skips tfjs init when no adapter is granted', async () => {
    const { environment, calls } = fakeEnvironment({ adapter: null });
    await resolveBackend('auto', environment);

    expect(calls).not.toContain('initBackend:webgpu');
    expect(calls).not.toContain('knownAnswerCheck:webgpu');
    expect(calls).toContain('initBackend:webgl');
  });

  it('skips adapter request without navigator.gpu', async () => {
    const { environment, calls } = fakeEnvironment({ webGpuApi: false });
    await resolveBackend('auto', environment);

    expect(calls).not.toContain('requestAdapter');
    expect(calls).not.toContain('initBackend:webgpu');
  });

  it('runs the WebGL known-answer check too', async () => {
    const { environment, calls } = fakeEnvironment({ adapter: null });
    await resolveBackend('auto', environment);

    expect(calls).toContain('knownAnswerCheck:webgl');
  });

  it('falls to CPU when WebGL also fails', async () => {
    const { environment } = fakeEnvironment({
      adapter: null,
      check: { webgl: { ok: false, detail: 'fft2 failed: kernel not registered' } },
    });
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.backend).toBe('cpu');
    expect(resolution.attempts.map((attempt) => attempt.backend)).toEqual(['webgpu', 'webgl', 'cpu']);
    expect(resolution.attempts[0].reason).toMatch(/^no adapter granted/);
    expect(resolution.attempts[1].reason).toBe('known-answer check failed: fft2 failed: kernel not registered');
    expect(resolution.fallbackReason).toContain('WebGPU: no adapter granted');
    expect(resolution.fallbackReason).toContain('WebGL: known-answer check failed: fft2 failed: kernel not registered');

    const { headline, banner } = describeResolution(resolution);
    expect(headline).toBe('Running on CPU');
    expect(banner).toContain('runs on the CPU because neither WebGPU nor WebGL could be used');
    expect(banner).toContain('kernel not registered');
    expect(banner).toContain('much slower');
  });

  it('falls to CPU when WebGL init throws', async () => {
    const { environment } = fakeEnvironment({
      webGpuApi: false,
      init: { webgl: new Error('WebGL context lost') },
    });
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.backend).toBe('cpu');
    expect(resolution.attempts[1].reason).toBe('backend init failed: WebGL context lost');
  });

  it('rejects when even the CPU fails', async () => {
    const { environment, logs } = fakeEnvironment({
      webGpuApi: false,
      init: { webgl: { ok: false, error: 'no WebGL context' } },
      check: { cpu: { ok: false, detail: 'fft2 failed: kernel not registered' } },
    });
    const result = resolveBackend('auto', environment);

    await expect(result).rejects.toBeInstanceOf(BackendUnavailableError);
    const error = (await result.catch((caught: unknown) => caught)) as BackendUnavailableError;
    expect(error.requested).toBe('auto');
    expect(error.backend).toBe('cpu');
    expect(error.attempts).toHaveLength(3);
    expect(error.message).toContain('No backend could start');
    expect(error.message).toContain('WebGPU: no navigator.gpu');
    expect(error.message).toContain('WebGL: backend init failed: no WebGL context');
    expect(error.message).toContain('CPU: known-answer check failed');
    expect(logs).toHaveLength(1);
  });

  it('names a software adapter in a notice', async () => {
    const { environment } = fakeEnvironment({ adapter: SOFTWARE_ADAPTER });
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.backend).toBe('webgpu');
    expect(resolution.notices).toEqual([SOFTWARE_ADAPTER_NOTICE]);
    expect(resolution.notices[0]).toBe('software WebGPU adapter: slower than a hardware GPU, and usually slower than the cpu backend');
    expect(resolution.adapterDescription).toBe('Google SwiftShader');
    expect(describeResolution(resolution)).toEqual({ headline: 'Running on WebGPU (Google SwiftShader)', banner: null });
  });

  it('drops the software notice after a fallback', async () => {
    const { environment } = fakeEnvironment({
      adapter: SOFTWARE_ADAPTER,
      check: { webgpu: { ok: false, detail: 'fft2 failed: kernel not registered' } },
    });
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.backend).toBe('webgl');
    expect(resolution.notices).toEqual([]);
  });

  it('treats a throwing known-answer check as failed', async () => {
    const { environment } = fakeEnvironment();
    environment.knownAnswerCheck = async (name) => {
      if (name === 'webgpu') throw new Error('device lost during check');
      return { ok: true, detail: 'max error 0' };
    };
    const resolution = await resolveBackend('auto', environment);

    expect(resolution.backend).toBe('webgl');
    expect(resolution.attempts[0].reason).toBe('known-answer check failed: device lost during check');
  });
});

describe('resolveBackend with an explicit backend', () => {
  it('uses cpu without probing WebGPU', async () => {
    const { environment, calls } = fakeEnvironment();
    const resolution = await resolveBackend('cpu', environment);

    expect(resolution.backend).toBe('cpu');
    expect(resolution.requested).toBe('cpu');
    expect(resolution.fallbackReason).toBeNull();
    expect(calls).toEqual(['initBackend:cpu', 'knownAnswerCheck:cpu']);
    expect(describeResolution(resolution)).toEqual({ headline: 'Running on CPU', banner: null });
  });

  it('uses webgl without probing WebGPU', async () => {
    const { environment, calls } = fakeEnvironment();
    const resolution = await resolveBackend('webgl', environment);

    expect(resolution.backend).toBe('webgl');
    expect(calls).toEqual(['initBackend:webgl', 'knownAnswerCheck:webgl']);
    expect(describeResolution(resolution).banner).toBeNull();
  });

  it('uses webgpu when it starts', async () => {
    const { environment, calls } = fakeEnvironment({ adapter: SOFTWARE_ADAPTER });
    const resolution = await resolveBackend('webgpu', environment);

    expect(resolution.backend).toBe('webgpu');
    expect(resolution.fallbackReason).toBeNull();
    expect(resolution.notices).toEqual([SOFTWARE_ADAPTER_NOTICE]);
    expect(calls).toEqual(['hasWebGpuApi', 'requestAdapter', 'initBackend:webgpu', 'knownAnswerCheck:webgpu']);
  });

  const explicitWebGpuFailures: Array<{ cause: string; options: FakeOptions; reason: string }> = [
    { cause: 'no navigator.gpu', options: { webGpuApi: false }, reason: 'no navigator.gpu' },
    { cause: 'null adapter', options: { adapter: null }, reason: 'no adapter granted' },
    { cause: 'init throws', options: { init: { webgpu: new Error('boom') } }, reason: 'backend init failed: boom' },
    {
      cause: 'known-answer fails',
      options: { check: { webgpu: { ok: false, detail: 'NaN at flat index 4' } } },
      reason: 'known-answer check failed: NaN at flat index 4',
    },
  ];

  for (const { cause, options, reason } of explicitWebGpuFailures) {
    it(`rejects webgpu without fallback when ${cause}`, async () => {
      const { environment, calls, logs } = fakeEnvironment(options);
      const error = await resolveBackend('webgpu', environment).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(BackendUnavailableError);
      const unavailable = error as BackendUnavailableError;
      expect(unavailable.name).toBe('BackendUnavailableError');
      expect(unavailable.requested).toBe('webgpu');
      expect(unavailable.backend).toBe('webgpu');
      expect(unavailable.reason).toContain(reason);
      expect(unavailable.message).toContain('The WebGPU backend was requested but cannot start');
      expect(unavailable.message).toContain(reason);
      expect(unavailable.message).toContain('Choose "auto" or another backend');
      expect(unavailable.message).toContain('WebGPU-capable browser with hardware acceleration');
      expect(calls.some((call) => call.endsWith(':webgl') || call.endsWith(':cpu'))).toBe(false);
      expect(logs).toHaveLength(1);
    });
  }

  it('rejects webgl without fallback', async () => {
    const { environment, calls } = fakeEnvironment({ init: { webgl: { ok: false, error: 'no WebGL context' } } });
    const error = await resolveBackend('webgl', environment).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain('The WebGL backend was requested but cannot start');
    expect((error as Error).message).toContain('backend init failed: no WebGL context');
    expect(calls).toEqual(['initBackend:webgl']);
  });
});

describe('resolveBackend logging', () => {
  const scenarios: Array<{ name: string; options: FakeOptions; running: string }> = [
    { name: 'WebGPU success', options: {}, running: 'WebGPU' },
    { name: 'WebGL fallback', options: { adapter: null }, running: 'WebGL' },
    { name: 'CPU fallback', options: { webGpuApi: false, init: { webgl: { ok: false } } }, running: 'CPU' },
  ];

  for (const { name, options, running } of scenarios) {
    it(`logs once with prefix on ${name}`, async () => {
      const { environment, logs } = fakeEnvironment(options);
      const resolution = await resolveBackend('auto', environment);

      expect(logs).toHaveLength(1);
      expect(logs[0].startsWith(`${LOG_PREFIX} `)).toBe(true);
      expect(logs[0]).toContain(`requested auto, running on ${running}`);
      if (resolution.fallbackReason) expect(logs[0]).toContain(resolution.fallbackReason);
    });
  }

  it('logs the software adapter notice', async () => {
    const { environment, logs } = fakeEnvironment({ adapter: SOFTWARE_ADAPTER });
    await resolveBackend('auto', environment);

    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(SOFTWARE_ADAPTER_NOTICE);
  });
});

describe('parseRequestedBackend', () => {
  it('maps missing and empty values to auto', () => {
    expect(parseRequestedBackend(null)).toBe('auto');
    expect(parseRequestedBackend('')).toBe('auto');
    expect(parseRequestedBackend('  ')).toBe('auto');
  });

  it('accepts every valid name', () => {
    for (const name of ['auto', 'webgpu', 'webgl', 'cpu'] as const) {
      expect(parseRequestedBackend(name)).toBe(name);
    }
  });

  it('ignores case and spaces', () => {
    expect(parseRequestedBackend(' WebGPU ')).toBe('webgpu');
    expect(parseRequestedBackend('CPU')).toBe('cpu');
  });

  it('rejects unknown names listing valid ones', () => {
    expect(() => parseRequestedBackend('cuda')).toThrow('Invalid backend "cuda"');
    expect(() => parseRequestedBackend('cuda')).toThrow('auto, webgpu, webgl, cpu');
    expect(() => parseRequestedBackend('web gpu')).toThrow('continues with auto');
  });
});

describe('requestedBackendFrom', () => {
  it('resolves auto without any device setting', () => {
    expect(requestedBackendFrom()).toBe('auto');
    expect(requestedBackendFrom({})).toBe('auto');
    expect(requestedBackendFrom({ backend: undefined })).toBe('auto');
  });

  it('keeps an explicit backend', () => {
    expect(requestedBackendFrom({ backend: 'webgl' })).toBe('webgl');
    expect(requestedBackendFrom({ backend: 'auto' })).toBe('auto');
  });

  it('drives resolveBackend to auto', async () => {
    const { environment, calls } = fakeEnvironment({ adapter: null });
    const resolution = await resolveBackend(requestedBackendFrom(undefined), environment);

    expect(resolution.requested).toBe('auto');
    expect(resolution.backend).toBe('webgl');
    expect(calls[0]).toBe('hasWebGpuApi');
  });
});

describe('describeAdapter', () => {
  it('drops parts contained in others', () => {
    expect(describeAdapter(SOFTWARE_ADAPTER)).toBe('Google SwiftShader');
  });

  it('joins distinct parts', () => {
    expect(describeAdapter({ ...HARDWARE_ADAPTER, description: '' })).toBe('nvidia ampere');
  });

  it('names an adapter without info', () => {
    const empty = { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false };
    expect(describeAdapter(empty)).toBe('unnamed adapter');
  });
});

describe('isSoftwareRenderer', () => {
  it.each([
    'Google SwiftShader',
    'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
    'llvmpipe (LLVM 15.0.7, 256 bits)',
    'softpipe',
    'Microsoft Basic Render Driver',
    'Software Rasterizer',
  ])('flags %s', (renderer) => {
    expect(isSoftwareRenderer(renderer)).toBe(true);
    expect(softwareRendererName(renderer)).not.toBeNull();
  });

  it('names the implementation as spelled', () => {
    expect(softwareRendererName('llvmpipe (LLVM 15.0.7, 256 bits)')).toBe('llvmpipe');
    expect(softwareRendererName('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)')).toBe('SwiftShader');
    expect(softwareRendererName('Apple M1')).toBeNull();
  });

  it.each([
    'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)',
    'Mesa Intel(R) UHD Graphics 620 (KBL GT2)',
    'Apple M1',
    'AMD Radeon Pro 5500M OpenGL Engine',
  ])('accepts %s', (renderer) => {
    expect(isSoftwareRenderer(renderer)).toBe(false);
  });
});
