/**
 * Random access to the bytes of a file, so that a reader can take the parts it needs without
 * holding the whole file in memory. A ZIP reader, for example, needs the end of the file, its
 * central directory and then one member at a time.
 */

export interface ByteSource {
  /** Length of the file in bytes. */
  readonly size: number;
  /**
   * True when every read returns new memory that the caller may keep or modify. When false, a
   * read may return a view of memory the source shares with others.
   */
  readonly readsAreCopies: boolean;
  /** Returns bytes [offset, offset + length). Throws a RangeError outside the file. */
  read(offset: number, length: number): Uint8Array;
}

/** Wraps a file held in memory. Reads return views, not copies. */
export function memoryByteSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    readsAreCopies: false,
    read(offset, length) {
      checkRange(offset, length, bytes.length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** Reads part of a Blob synchronously, as FileReaderSync does in a worker. */
export type BlobSliceReader = (blob: Blob) => ArrayBuffer;

export interface BlobSourceOptions {
  /** Called with the total bytes read so far after each read. */
  onRead?(bytesRead: number): void;
}

/**
 * Reads a Blob (such as a File from the file picker) part by part. Only what a reader requests is
 * in memory. Each request is one slice read into a new, aligned buffer, which the caller receives
 * as it is. Smaller slices would leave as much garbage as the member until the next collection,
 * and the peak memory of a large file would grow by that much.
 */
export function blobByteSource(blob: Blob, readSlice: BlobSliceReader, options: BlobSourceOptions = {}): ByteSource {
  let bytesRead = 0;
  return {
    size: blob.size,
    readsAreCopies: true,
    read(offset, length) {
      checkRange(offset, length, blob.size);
      const result = new Uint8Array(readSlice(blob.slice(offset, offset + length)));
      if (result.length !== length) {
        throw new RangeError(`The file changed while it was read: ${result.length} of ${length} bytes arrived at byte ${offset}.`);
      }
      bytesRead += length;
      options.onRead?.(bytesRead);
      return result;
    },
  };
}

/** The FileReaderSync of a worker, or null where there is none (the page's main thread, Node). */
export function fileReaderSyncSliceReader(): BlobSliceReader | null {
  const Reader = (globalThis as { FileReaderSync?: new () => { readAsArrayBuffer(blob: Blob): ArrayBuffer } }).FileReaderSync;
  if (Reader === undefined) return null;
  const reader = new Reader();
  return (blob) => reader.readAsArrayBuffer(blob);
}

function checkRange(offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`Bytes ${offset} to ${offset + length} lie outside a file of ${size} bytes.`);
  }
}
