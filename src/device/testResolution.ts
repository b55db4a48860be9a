/** A resolution to the CPU backend for tests that drive the reconstruction service in Node. */
import type { BackendResolution, RequestedBackend } from './policy';

export function cpuTestResolution(requested: RequestedBackend): BackendResolution {
  return {
    requested,
    backend: 'cpu',
    attempts: [{ backend: 'cpu', ok: true, reason: 'test environment' }],
    fallbackReason: null,
    notices: [],
  };
}
