/**
 * Reads the NPY headers of an .npz's members without inflating the arrays, so a file whose arrays
 * match no layout can be listed for the user at the cost of a few kilobytes per member.
 */
import { Inflate } from 'fflate';

import { MAX_NPY_HEADER_BYTES, parseNpyHeader, type NpyHeader, type NpyReadOptions } from '../npy';
import { readZipEntry, type ZipArchive, type ZipEntry } from '../zip';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/** Compressed bytes passed to the inflater per step while looking for the end of the header. */
const INFLATE_STEP_BYTES = 4096;

/**
 * Parses the NPY header of one archive member. Only the first bytes of the member are read or
 * inflated. Throws DataFormatError as parseNpyHeader does, and as readZipEntry does for members
 * whose local header cannot be followed.
 */
export function readNpzMemberHeader(archive: ZipArchive, entry: ZipEntry, options: NpyReadOptions = {}): NpyHeader {
  const location = { file: archive.fileName, entry: entry.name };
  // Magic (6), version (2), a length field of up to 4 bytes, then the header itself.
  const prefixBytes = 12 + (options.maxHeaderBytes ?? MAX_NPY_HEADER_BYTES);
  const prefix = readEntryPrefix(archive, entry, prefixBytes);
  return parseNpyHeader(prefix, location, options);
}

/**
 * Returns up to `byteCount` leading bytes of a member. Falls back to readZipEntry, which reads the
 * whole member and reports damage precisely, when the entry is encrypted, uses another method or
 * its local header does not fit the archive.
 */
function readEntryPrefix(archive: ZipArchive, entry: ZipEntry, byteCount: number): Uint8Array {
  const source = archive.source;
  const headerAt = entry.localHeaderOffset;
  const readWhole = () => readZipEntry(archive, entry);
  const encrypted = (entry.flags & 1) !== 0;
  if (encrypted || headerAt + LOCAL_HEADER_SIZE > source.size) {
    return readWhole();
  }

  const header = source.read(headerAt, LOCAL_HEADER_SIZE);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getUint32(0, true) !== LOCAL_HEADER_SIGNATURE) {
    return readWhole();
  }
  const dataAt = headerAt + LOCAL_HEADER_SIZE + view.getUint16(26, true) + view.getUint16(28, true);
  const dataEnd = dataAt + entry.compressedSize;
  if (dataEnd > source.size) {
    return readWhole();
  }

  if (entry.method === METHOD_STORED) {
    return source.read(dataAt, Math.min(dataEnd, dataAt + byteCount) - dataAt).slice();
  }
  if (entry.method !== METHOD_DEFLATE) {
    return readWhole();
  }

  const chunks: Uint8Array[] = [];
  let inflated = 0;
  const inflater = new Inflate((chunk) => {
    chunks.push(chunk);
    inflated += chunk.length;
  });
  try {
    for (let at = dataAt; at < dataEnd && inflated < byteCount; at += INFLATE_STEP_BYTES) {
      const end = Math.min(at + INFLATE_STEP_BYTES, dataEnd);
      inflater.push(source.read(at, end - at), end === dataEnd);
    }
  } catch {
    return readWhole();
  }

  const prefix = new Uint8Array(Math.min(inflated, byteCount));
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= prefix.length) break;
    const part = chunk.subarray(0, prefix.length - offset);
    prefix.set(part, offset);
    offset += part.length;
  }
  return prefix;
}
