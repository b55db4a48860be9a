/**
 * The scan-file parser that runs in the parse worker: reads a File or a same-origin URL in
 * chunks while reporting bytes read, runs the matching reader, and computes the pre-run summary
 * and validation report. A plain object of async functions, so Node tests call it directly.
 */
import { blobByteSource, fileReaderSyncSliceReader, type BlobSliceReader, type ByteSource } from '../data/byteSource';
import {
  applyHdf5Mapping,
  applyMapping as applyArchiveMapping,
  detectContainer,
  readNpzScanFile,
  readScanFile,
  type ScanFileReadOptions,
  type ScanMapping,
} from '../data/readers/detect';
import type { ArraySummary, MeasurementDomain, ReadResult } from '../data/readers/readResult';
import { summarizeReadResult, type ScanReadSummary } from '../data/readers/scanSummary';
import { validateScanDataset, type ValidationReport } from '../data/validate';
import type { ZipArchive } from '../data/zip';
import { defaultProbe } from '../solvers/pie/probeScale';

/** A scan to read: a local file (never uploaded) or a URL on the page's own origin. */
export type ScanSource = { kind: 'file'; file: Blob; name: string } | { kind: 'url'; url: string; name: string };

export interface ParseOptions {
  /** Reads the stored values as this domain instead of detecting it, where the format allows. */
  measurement?: MeasurementDomain;
}

/** A scan read and checked, ready for the user to review before loading it. */
export interface ParsedScan {
  kind: 'dataset';
  result: ReadResult;
  summary: ScanReadSummary;
  validation: ValidationReport;
  /** Size of the file read, in bytes. */
  fileBytes: number;
}

/**
 * An .npz or HDF5 file whose arrays match no layout. The worker keeps the archive (or the HDF5
 * bytes) for applyMapping, and `arrays` names HDF5 datasets by path.
 */
export interface MappingRequest {
  kind: 'mapping-required';
  fileName: string;
  reason: string;
  arrays: ArraySummary[];
  fileBytes: number;
}

export type ParseOutcome = ParsedScan | MappingRequest;

export interface ParseProgress {
  stage: 'reading' | 'parsing';
  bytesRead: number;
  /** Null when a server sends no Content-Length. */
  totalBytes: number | null;
}

export interface ParseApi {
  read(source: ScanSource, options: ParseOptions): Promise<ParseOutcome>;
  /** Applies a mapping to the archive of the last read that returned a MappingRequest. */
  applyMapping(mapping: ScanMapping): Promise<ParsedScan>;
}

export interface ParseServiceHooks {
  onProgress(progress: ParseProgress): void;
  /** Origin that URL sources must share, such as the worker's `self.location.origin`. */
  origin: string;
  fetch?: typeof fetch;
  /** Minimum interval between progress reports while reading. Defaults to 50 ms. */
  progressInterval_ms?: number;
  /**
   * Reads a slice of a local file synchronously, so that an .npz is read member by member rather
   * than whole. Defaults to the worker's FileReaderSync; null, or no FileReaderSync, reads the
   * file whole first.
   */
  readSlice?: BlobSliceReader | null;
}

/** The file kept in the worker between a MappingRequest and applyMapping. */
type PendingMapping =
  | { container: 'npz'; archive: ZipArchive; fileBytes: number }
  | { container: 'hdf5'; bytes: Uint8Array; fileName: string; fileBytes: number };

export function createParseService(hooks: ParseServiceHooks): ParseApi {
  let pending: PendingMapping | null = null;

  return {
    async read(source, options) {
      pending = null;
      const readOptions: ScanFileReadOptions = {
        ptychoPinn: options.measurement === undefined ? {} : { measurement: options.measurement },
        provenance: source.kind === 'url' ? `${source.url}, opened from this site; no licence is recorded in the file.` : undefined,
      };
      const zipSource = source.kind === 'file' ? await zipByteSource(source.file, hooks) : null;
      let fileBytes: number;
      let outcome;
      if (zipSource !== null) {
        fileBytes = zipSource.size;
        outcome = readNpzScanFile(zipSource, source.name, readOptions);
        hooks.onProgress({ stage: 'parsing', bytesRead: fileBytes, totalBytes: fileBytes });
      } else {
        const bytes = source.kind === 'file' ? await readBlob(source.file, source.name, hooks) : await readUrl(source.url, source.name, hooks);
        fileBytes = bytes.length;
        hooks.onProgress({ stage: 'parsing', bytesRead: fileBytes, totalBytes: fileBytes });
        outcome = await readScanFile(bytes, source.name, readOptions);
      }
      if (outcome.kind === 'mapping-required' || outcome.kind === 'hdf5-mapping-required') {
        pending =
          outcome.kind === 'mapping-required'
            ? { container: 'npz', archive: outcome.archive, fileBytes }
            : { container: 'hdf5', bytes: outcome.bytes, fileName: outcome.fileName, fileBytes };
        return { kind: 'mapping-required', fileName: outcome.fileName, reason: outcome.reason, arrays: outcome.arrays, fileBytes };
      }
      return finish(outcome, fileBytes);
    },

    async applyMapping(mapping) {
      if (pending === null) {
        throw new Error('No file is waiting for a mapping. Open the .npz or HDF5 file again.');
      }
      const result =
        pending.container === 'npz'
          ? applyArchiveMapping(pending.archive, mapping)
          : await applyHdf5Mapping(pending.bytes, pending.fileName, mapping);
      return finish(result, pending.fileBytes);
    },
  };
}

function finish(result: ReadResult, fileBytes: number): ParsedScan {
  const summary = summarizeReadResult(result, defaultProbe(result.dataset.patternSize));
  const validation = validateScanDataset(result.dataset, {
    stackSource: result.stackSource,
    measurement: result.measurement?.assumed,
  });
  return { kind: 'dataset', result, summary, validation, fileBytes };
}

/** Lists the distinct buffers behind a parsed scan's typed arrays, for postMessage to transfer. */
export function transferablesOf(outcome: ParseOutcome): ArrayBuffer[] {
  if (outcome.kind !== 'dataset') return [];
  const { dataset, objectGuess, validPixels } = outcome.result;
  const arrays: (ArrayBufferView | null)[] = [
    dataset.intensities,
    dataset.positionX_px,
    dataset.positionY_px,
    dataset.probe,
    objectGuess?.values ?? null,
    validPixels,
  ];
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays) {
    if (array !== null && array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
  }
  return [...buffers];
}

function allocate(size: number, name: string): Uint8Array {
  try {
    return new Uint8Array(size);
  } catch (error) {
    throw new Error(
      `${name} (${formatMebibytes(size)}) could not be read because the browser could not allocate that much memory. ` +
        'Close other tabs, or crop the scan to fewer patterns.',
      { cause: error },
    );
  }
}

/**
 * Opens a ByteSource over a local file that starts like a ZIP archive (.npz), so the reader reads
 * it member by member and reports bytes read. Returns null for other files, or where no
 * synchronous slice reader exists, and those files are read whole.
 */
async function zipByteSource(file: Blob, hooks: ParseServiceHooks): Promise<ByteSource | null> {
  const readSlice = hooks.readSlice === undefined ? fileReaderSyncSliceReader() : hooks.readSlice;
  if (readSlice === null) return null;
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (detectContainer(head) !== 'zip') return null;
  const report = throttledReporter(hooks, file.size);
  return blobByteSource(file, readSlice, { onRead: (bytesRead) => report(Math.min(bytesRead, file.size)) });
}

/** Reads a Blob in chunks through blob.stream(), reporting bytes read at most every progressInterval_ms. */
async function readBlob(blob: Blob, name: string, hooks: ParseServiceHooks): Promise<Uint8Array> {
  const total = blob.size;
  const bytes = allocate(total, name);
  const report = throttledReporter(hooks, total);
  const reader = blob.stream().getReader();
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.length > total) {
      throw new Error(`${name} grew while it was being read (more than ${total} bytes). Open it again once it is complete.`);
    }
    bytes.set(value, offset);
    offset += value.length;
    report(offset);
  }
  if (offset !== total) {
    throw new Error(`${name} was cut short while being read: ${offset} of ${total} bytes arrived. Open it again.`);
  }
  hooks.onProgress({ stage: 'reading', bytesRead: offset, totalBytes: total });
  return bytes;
}

/** Fetches a same-origin URL and reads its body in chunks, reporting bytes read. */
async function readUrl(url: string, name: string, hooks: ParseServiceHooks): Promise<Uint8Array> {
  const resolved = new URL(url, hooks.origin);
  if (resolved.origin !== hooks.origin) {
    throw new Error(`The data URL ${resolved.href} is on another site (${resolved.origin}). Only files on ${hooks.origin} can be opened this way, so that no data leave this machine. Download the file and open it with the file picker.`);
  }

  const fetchFunction = hooks.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchFunction(resolved.href, { credentials: 'same-origin' });
  } catch (error) {
    throw new Error(`${name} could not be fetched from ${resolved.href}: ${(error as Error).message}. Check the address.`, { cause: error });
  }
  if (!response.ok || response.body === null) {
    throw new Error(`${name} could not be fetched from ${resolved.href}: the server replied ${response.status} ${response.statusText}. Check the address.`);
  }

  const declared = Number(response.headers.get('Content-Length'));
  const total = Number.isSafeInteger(declared) && declared > 0 ? declared : null;
  const report = throttledReporter(hooks, total);
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    report(received);
  }

  const bytes = allocate(received, name);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  hooks.onProgress({ stage: 'reading', bytesRead: received, totalBytes: total ?? received });
  return bytes;
}

function throttledReporter(hooks: ParseServiceHooks, total: number | null): (bytesRead: number) => void {
  const interval_ms = hooks.progressInterval_ms ?? 50;
  let last_ms = -Infinity;
  return (bytesRead) => {
    const now_ms = Date.now();
    if (now_ms - last_ms < interval_ms) return;
    last_ms = now_ms;
    hooks.onProgress({ stage: 'reading', bytesRead, totalBytes: total });
  };
}

function formatMebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
