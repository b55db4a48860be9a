/// <reference lib="webworker" />
/**
 * Web Worker entry: runs the reconstruction service off the main thread so the page stays
 * responsive. Requests arrive as {id, method, args}; each gets one response with the same id.
 */
import { resolveBackendInBrowser } from '../device/browserEnvironment';
import type { ApiMethod, WorkerMessage, WorkerRequest } from './protocol';
import { createReconstructionService } from './service';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

const service = createReconstructionService({
  resolveDevice: (requested) =>
    resolveBackendInBrowser(requested, {
      onDeviceLost: (message) => post({ kind: 'deviceLost', message }),
    }),
  onProgress: (progress) => post({ kind: 'progress', progress }),
  onPinnProgress: (progress) => post({ kind: 'pinnProgress', progress }),
});

scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const { id, method, args } = event.data;
  try {
    const handler = service[method as ApiMethod] as (...values: unknown[]) => Promise<unknown>;
    if (typeof handler !== 'function') throw new Error(`Unknown worker method "${String(method)}".`);
    const value = await handler(...args);
    post({ kind: 'response', id, ok: true, value });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`[ptychoscope:worker] ${method} failed:`, error);
    post({ kind: 'response', id, ok: false, error: message });
  }
};
