/**
 * Main-thread side of the parse worker: one request at a time, with progress reported to the
 * caller. The worker keeps the archive of a file that needs a mapping, so one client serves one
 * picker for the page's lifetime.
 */
import type { ScanMapping } from '../data/readers/detect';
import type { ParseApi, ParseOptions, ParseOutcome, ParseProgress, ParsedScan, ScanSource } from './parseService';

export interface ParseWorkerRequest {
  id: number;
  method: keyof ParseApi;
  args: unknown[];
}

export type ParseWorkerMessage =
  | { kind: 'progress'; id: number; progress: ParseProgress }
  | { kind: 'response'; id: number; ok: true; value: ParseOutcome }
  | { kind: 'response'; id: number; ok: false; error: string };

export interface ParseClient {
  read(source: ScanSource, options: ParseOptions, onProgress: (progress: ParseProgress) => void): Promise<ParseOutcome>;
  applyMapping(mapping: ScanMapping): Promise<ParsedScan>;
  terminate(): void;
}

/** Starts the parse worker. Worker is a parameter so that tests can pass a stand-in. */
export function startParseWorker(
  createWorker: () => Worker = () =>
    new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module', name: 'ptychoscope-parse' }),
): ParseClient {
  const worker = createWorker();
  const pending = new Map<number, { resolve(value: ParseOutcome): void; reject(error: Error): void; onProgress?(progress: ParseProgress): void }>();
  let nextId = 1;

  worker.onmessage = (event: MessageEvent<ParseWorkerMessage>) => {
    const message = event.data;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    if (message.kind === 'progress') {
      waiter.onProgress?.(message.progress);
      return;
    }
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(message.error));
  };
  worker.onerror = (event) => {
    const error = new Error(`The file-reading worker failed: ${event.message || 'unknown error'}. Reload the page and open the file again.`);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };

  function call(method: keyof ParseApi, args: unknown[], onProgress?: (progress: ParseProgress) => void): Promise<ParseOutcome> {
    const id = nextId++;
    return new Promise<ParseOutcome>((resolve, reject) => {
      pending.set(id, { resolve, reject, onProgress });
      worker.postMessage({ id, method, args } satisfies ParseWorkerRequest);
    });
  }

  return {
    read: (source, options, onProgress) => call('read', [source, options], onProgress),
    applyMapping: async (mapping) => {
      const outcome = await call('applyMapping', [mapping]);
      if (outcome.kind !== 'dataset') throw new Error('The file-reading worker returned no dataset for the mapping.');
      return outcome;
    },
    terminate: () => {
      worker.terminate();
      const error = new Error('The file-reading worker was stopped.');
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    },
  };
}
