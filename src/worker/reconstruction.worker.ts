/// <reference lib="webworker" />
/**
 * Web Worker entry: runs the reconstruction service off the main thread so the page stays
 * responsive. Requests arrive as {id, method, args}; each gets one response with the same id.
 */
import { resolveBackendInBrowser } from '../device/browserEnvironment';
import type { ScanDataset } from '../data/dataset';
import type { WorkerMessage, WorkerRequest } from './protocol';
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

/** A dataset whose intensities are arriving in chunks. */
let incoming: { meta: Omit<ScanDataset, 'intensities'>; intensities: Float32Array } | null = null;

/** Handles the chunked dataset transfer; returns undefined for other methods. */
async function handleTransfer(method: string, args: unknown[]): Promise<{ value: unknown } | undefined> {
  switch (method) {
    case 'beginDataset': {
      const [meta, length] = args as [Omit<ScanDataset, 'intensities'>, number];
      incoming = { meta, intensities: new Float32Array(length) };
      return { value: null };
    }
    case 'appendIntensities': {
      const [start, chunk] = args as [number, Float32Array];
      if (!incoming) throw new Error('appendIntensities arrived before beginDataset.');
      incoming.intensities.set(chunk, start);
      return { value: null };
    }
    case 'commitDataset': {
      if (!incoming) throw new Error('commitDataset arrived before beginDataset.');
      const dataset: ScanDataset = { ...incoming.meta, intensities: incoming.intensities };
      incoming = null;
      await service.setDataset(dataset);
      return { value: null };
    }
    default:
      return undefined;
  }
}

scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const { id, method, args } = event.data;
  try {
    const transferred = await handleTransfer(method, args);
    if (transferred) {
      post({ kind: 'response', id, ok: true, value: transferred.value });
      return;
    }
    const handler = service[method as keyof typeof service] as (...values: unknown[]) => Promise<unknown>;
    if (typeof handler !== 'function') throw new Error(`Unknown worker method "${String(method)}".`);
    const value = await handler(...args);
    post({ kind: 'response', id, ok: true, value });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`[ptychoscope:worker] ${method} failed:`, error);
    post({ kind: 'response', id, ok: false, error: message });
  }
};
