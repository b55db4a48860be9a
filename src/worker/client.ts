/**
 * Main-thread side of the reconstruction worker: turns the worker's messages back into the
 * {@link ReconstructionApi} promises, and forwards progress and device-loss events.
 */
import type { ScanDataset } from '../data/dataset';
import type {
  ApiMethod,
  PinnProgress,
  ReconstructionApi,
  ReconstructionProgress,
  WorkerMessage,
  WorkerRequest,
} from './protocol';

/** Intensity values per chunk sent to the worker: 32 MB, a few milliseconds to copy. */
const DATASET_CHUNK_VALUES = 8 * 1024 * 1024;

export interface WorkerEvents {
  onProgress(progress: ReconstructionProgress): void;
  onPinnProgress(progress: PinnProgress): void;
  onDeviceLost(message: string): void;
}

export interface ReconstructionClient extends ReconstructionApi {
  terminate(): void;
}

export function startReconstructionWorker(events: WorkerEvents): ReconstructionClient {
  const worker = new Worker(new URL('./reconstruction.worker.ts', import.meta.url), {
    type: 'module',
    name: 'ptychoscope-reconstruction',
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;

  worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
    const message = event.data;
    if (message.kind === 'progress') {
      events.onProgress(message.progress);
      return;
    }
    if (message.kind === 'pinnProgress') {
      events.onPinnProgress(message.progress);
      return;
    }
    if (message.kind === 'deviceLost') {
      events.onDeviceLost(message.message);
      return;
    }
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(message.error));
  };
  worker.onerror = (event) => {
    const error = new Error(`The reconstruction worker failed: ${event.message || 'unknown error'}.`);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };

  function callWithTransfer<T>(method: ApiMethod, args: unknown[], transfer: Transferable[]): Promise<T> {
    const id = nextId++;
    const request: WorkerRequest = { id, method, args };
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage(request, transfer);
    });
  }

  function call<T>(method: ApiMethod, ...args: unknown[]): Promise<T> {
    return callWithTransfer<T>(method, args, []);
  }

  /** Sends the dataset with its intensities in chunks (see DatasetTransferMethod). */
  async function setDataset(dataset: ScanDataset): Promise<void> {
    const { intensities, ...rest } = dataset;
    await call('beginDataset', rest, intensities.length);
    for (let start = 0; start < intensities.length; start += DATASET_CHUNK_VALUES) {
      const chunk = intensities.slice(start, start + DATASET_CHUNK_VALUES);
      await callWithTransfer('appendIntensities', [start, chunk], [chunk.buffer]);
    }
    await call('commitDataset');
  }

  return {
    initialize: (requested) => call('initialize', requested),
    setDataset,
    reconstruct: (options, startPoint) => {
      if (!startPoint) return call('reconstruct', options);
      // Copies, so that the page keeps its start point for the next run after the transfer.
      const sent = { ...startPoint, object: startPoint.object.slice(), probeModes: startPoint.probeModes.slice() };
      return callWithTransfer('reconstruct', [options, sent], [sent.object.buffer, sent.probeModes.buffer]);
    },
    trainPinn: (options) => call('trainPinn', options),
    resumePinn: (epochs) => call('resumePinn', epochs),
    reconstructHalves: (options) => call('reconstructHalves', options),
    inferPinn: () => call('inferPinn'),
    savePinnModel: () => call('savePinnModel'),
    loadPinnModel: (files) => call('loadPinnModel', files),
    stop: () => call('stop'),
    snapshot: () => call('snapshot'),
    terminate: () => {
      worker.terminate();
      const error = new Error('The reconstruction worker was stopped.');
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    },
  };
}
