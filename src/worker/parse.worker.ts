/// <reference lib="webworker" />
/**
 * Web Worker entry for reading scan files, so that parsing a large file never blocks the page.
 * Requests arrive as {id, method, args}. Each gets progress messages and one response with the
 * same id, and a parsed scan's typed arrays are transferred, not copied.
 */
import { createParseService, transferablesOf, type ParseApi, type ParseOutcome } from './parseService';
import type { ParseWorkerMessage, ParseWorkerRequest } from './parseClient';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let currentId = 0;

const service = createParseService({
  origin: scope.location.origin,
  onProgress: (progress) => scope.postMessage({ kind: 'progress', id: currentId, progress } satisfies ParseWorkerMessage),
});

scope.onmessage = async (event: MessageEvent<ParseWorkerRequest>) => {
  const { id, method, args } = event.data;
  currentId = id;
  try {
    const handler = service[method as keyof ParseApi] as (...values: unknown[]) => Promise<ParseOutcome>;
    if (typeof handler !== 'function') throw new Error(`Unknown parse-worker method "${String(method)}".`);
    const value = await handler(...args);
    scope.postMessage({ kind: 'response', id, ok: true, value } satisfies ParseWorkerMessage, transferablesOf(value));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // DataFormatError is the expected outcome of a malformed file, so only other errors are logged.
    if (!(error instanceof Error && error.name === 'DataFormatError')) {
      console.error(`[ptychoscope:parse-worker] ${method} failed:`, error);
    }
    scope.postMessage({ kind: 'response', id, ok: false, error: message } satisfies ParseWorkerMessage);
  }
};
