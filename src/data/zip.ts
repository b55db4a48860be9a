/**
 * A ZIP reader and writer, enough for NumPy's .npz files. The reader takes the archive from
 * memory or from a ByteSource that reads parts of a file on request, so a large archive need not
 * be held in memory whole.
 *
 * The reader follows the central directory (not the local headers, which NumPy writes with
 * ZIP64 placeholder sizes), supports stored and deflate entries and ZIP64 sizes, offsets and
 * counts, and checks each entry's sizes and CRC-32. It rejects encrypted entries, split
 * archives and other compression methods. The writer produces stored or deflate entries and
 * switches to ZIP64 records only where a size, offset or count needs them.
 */
import { deflateSync, inflateSync } from 'fflate';

import { memoryByteSource, type ByteSource } from './byteSource';
import { DataFormatError, describeLeadingBytes, formatBytes } from './errors';

/** Default maximum uncompressed size of one entry that {@link readZipEntry} will allocate: 2 GiB. */
export const DEFAULT_MAX_ZIP_ENTRY_BYTES = 2 ** 31;

export type ZipCompression = 'store' | 'deflate';

/** One file in an archive, as its central directory record describes it. */
export interface ZipEntry {
  name: string;
  /** ZIP compression method: 0 is stored, 8 is deflate. Others are listed but cannot be read. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** General-purpose bit flags. Bit 0 marks an encrypted entry. */
  flags: number;
  /** Byte offset of the entry's local file header from the start of the archive. */
  localHeaderOffset: number;
}

/** An archive whose central directory has been read. Entry data is read and decoded on request. */
export interface ZipArchive {
  fileName: string;
  source: ByteSource;
  entries: ZipEntry[];
}

export interface ZipReadOptions {
  /** Maximum uncompressed size in bytes. Larger entries are rejected before any allocation. */
  maxBytes?: number;
}

/** A file to store in a new archive. */
export interface ZipInputEntry {
  name: string;
  data: Uint8Array;
  /** Defaults to 'deflate'. */
  compression?: ZipCompression;
}

export interface ZipWriteOptions {
  /** Write ZIP64 extra fields and end records even where all sizes fit 32 bits, to test ZIP64 readers. */
  forceZip64?: boolean;
  /**
   * Modification time stored in every entry, as local time with 2 s resolution. Defaults to
   * 1980-01-01 00:00, the earliest MS-DOS date, so equal inputs give equal bytes.
   */
  modifiedAt?: Date;
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EXTRA_ID = 0x0001;

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_SIZE = 22;
const ZIP64_END_SIZE = 56;
const ZIP64_LOCATOR_SIZE = 20;
const MAX_COMMENT_LENGTH = 0xffff;
/** Leading bytes read to describe a file that is not a ZIP archive. */
const LEADING_BYTES_SHOWN = 16;

const UINT16_SATURATED = 0xffff;
const UINT32_SATURATED = 0xffffffff;

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8_NAME = 0x0800;

const REPACK_ADVICE = 'Save the arrays again with numpy.savez or numpy.savez_compressed.';

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/**
 * Reads the central directory of a ZIP archive, held in memory or read through a ByteSource.
 * Only the end of the archive and its central directory are read.
 * Throws DataFormatError when the input is not a ZIP archive, is truncated or is inconsistent.
 */
export function openZip(input: ArrayBuffer | Uint8Array | ByteSource, fileName: string): ZipArchive {
  const source = toByteSource(input);
  // The end record, its comment and a ZIP64 locator just before it all lie in this tail.
  const tailStart = Math.max(0, source.size - (END_SIZE + MAX_COMMENT_LENGTH + ZIP64_LOCATOR_SIZE));
  const tail = source.read(tailStart, source.size - tailStart);
  const view = viewOf(tail);
  const endInTail = findEndOfCentralDirectory(tail, view, source, fileName);

  const diskNumber = view.getUint16(endInTail + 4, true);
  const directoryDisk = view.getUint16(endInTail + 6, true);
  let entryCount = view.getUint16(endInTail + 10, true);
  let directorySize = view.getUint32(endInTail + 12, true);
  let directoryOffset = view.getUint32(endInTail + 16, true);
  let directoryLimit = tailStart + endInTail;

  const locatorInTail = endInTail - ZIP64_LOCATOR_SIZE;
  const hasZip64Locator = locatorInTail >= 0 && view.getUint32(locatorInTail, true) === ZIP64_LOCATOR_SIGNATURE;
  if (hasZip64Locator) {
    const zip64 = readZip64End(source, view, locatorInTail, tailStart + locatorInTail, fileName);
    entryCount = zip64.entryCount;
    directorySize = zip64.directorySize;
    directoryOffset = zip64.directoryOffset;
    directoryLimit = zip64.recordOffset;
  } else if (
    entryCount === UINT16_SATURATED ||
    directorySize === UINT32_SATURATED ||
    directoryOffset === UINT32_SATURATED
  ) {
    throw new DataFormatError({
      file: fileName,
      problem: 'the ZIP64 end of central directory locator is missing',
      rule: 'An archive whose end record holds the placeholder 0xFFFF or 0xFFFFFFFF must have a ZIP64 locator just before it',
      received: `entry count ${entryCount}, central directory size ${directorySize}, offset ${directoryOffset} and no locator`,
      action: 'The archive is truncated or damaged. Download or export it again',
    });
  } else if (diskNumber !== 0 || directoryDisk !== 0) {
    throw splitArchiveError(fileName, diskNumber, directoryDisk);
  }

  if (directoryOffset + directorySize > directoryLimit) {
    throw new DataFormatError({
      file: fileName,
      problem: 'the ZIP central directory lies outside the archive',
      rule: 'The central directory must end before the end of central directory record',
      received: `a directory at byte ${directoryOffset} of size ${directorySize}, with the end record at byte ${directoryLimit} of ${source.size}`,
      action: 'The archive is truncated, has data prepended, or is damaged. Download or export it again',
    });
  }

  const directory = source.read(directoryOffset, directorySize);
  const entries = readCentralDirectory(directory, viewOf(directory), directoryOffset, entryCount, fileName);
  return { fileName, source, entries };
}

function toByteSource(input: ArrayBuffer | Uint8Array | ByteSource): ByteSource {
  if (input instanceof Uint8Array) return memoryByteSource(input);
  if (input instanceof ArrayBuffer) return memoryByteSource(new Uint8Array(input));
  return input;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Returns the entry with this exact name, or undefined. */
export function findZipEntry(archive: ZipArchive, name: string): ZipEntry | undefined {
  return archive.entries.find((entry) => entry.name === name);
}

/**
 * Decompresses one entry and checks its size and CRC-32 against the central directory.
 * The returned array does not share memory with the archive, so callers may keep or modify it.
 */
export function readZipEntry(archive: ZipArchive, entry: ZipEntry, options: ZipReadOptions = {}): Uint8Array {
  const { fileName, source } = archive;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ZIP_ENTRY_BYTES;
  const location = { file: fileName, entry: entry.name };

  if ((entry.flags & FLAG_ENCRYPTED) !== 0) {
    throw new DataFormatError({
      ...location,
      problem: 'the ZIP entry is encrypted',
      rule: 'Only unencrypted entries can be read',
      received: `general-purpose flags 0x${entry.flags.toString(16).padStart(4, '0')}`,
      action: 'Remove the password protection and save the archive again',
    });
  }
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATE) {
    throw new DataFormatError({
      ...location,
      problem: 'the ZIP compression method is not supported',
      rule: 'Entries must be stored (method 0) or deflate-compressed (method 8)',
      received: `method ${entry.method}${describeMethod(entry.method)}`,
      action: REPACK_ADVICE,
    });
  }
  if (entry.uncompressedSize > maxBytes) {
    throw new DataFormatError({
      ...location,
      problem: 'the ZIP entry is too large to load',
      rule: `An entry may hold at most ${formatBytes(maxBytes)} once decompressed`,
      received: `an entry of ${formatBytes(entry.uncompressedSize)}`,
      action: 'Split the data into smaller arrays or crop it before loading',
    });
  }

  const dataStart = locateEntryData(source, entry, fileName);
  const compressed = source.read(dataStart, entry.compressedSize);
  const data =
    entry.method === METHOD_STORED
      ? readStored(compressed, entry, fileName, source.readsAreCopies)
      : inflateEntry(compressed, entry, fileName);

  const actualCrc = crc32(data);
  if (actualCrc !== entry.crc32) {
    throw new DataFormatError({
      ...location,
      problem: 'the ZIP entry failed its CRC-32 check',
      rule: 'The CRC-32 of the decompressed bytes must equal the one in the central directory',
      received: `CRC-32 0x${hex32(actualCrc)}, expected 0x${hex32(entry.crc32)}`,
      action: 'The archive is damaged. Download or export it again',
    });
  }
  return data;
}

/** Returns the offset of the end record within `tail`, the last bytes of the archive. */
function findEndOfCentralDirectory(tail: Uint8Array, view: DataView, source: ByteSource, fileName: string): number {
  const lastCandidate = tail.length - END_SIZE;
  const firstCandidate = Math.max(0, lastCandidate - MAX_COMMENT_LENGTH);
  for (let offset = lastCandidate; offset >= firstCandidate; offset--) {
    if (view.getUint32(offset, true) !== END_SIGNATURE) {
      continue;
    }
    const commentLength = view.getUint16(offset + 20, true);
    if (offset + END_SIZE + commentLength <= tail.length) {
      return offset;
    }
  }

  const head = source.read(0, Math.min(source.size, LEADING_BYTES_SHOWN));
  const startsLikeZip = head.length >= 4 && viewOf(head).getUint32(0, true) === LOCAL_HEADER_SIGNATURE;
  if (startsLikeZip) {
    throw new DataFormatError({
      file: fileName,
      problem: 'the ZIP archive is truncated',
      rule: 'A ZIP archive ends with an end of central directory record (signature PK\\x05\\x06)',
      received: `${source.size} bytes that start like a ZIP archive but contain no end record`,
      action: 'The download or copy was cut short. Fetch or export the file again',
    });
  }
  throw new DataFormatError({
    file: fileName,
    problem: 'the file is not a ZIP archive',
    rule: 'An .npz file is a ZIP archive, which starts with PK\\x03\\x04 and ends with an end of central directory record',
    received: describeLeadingBytes(head),
    action: 'Choose a file written by numpy.savez or numpy.savez_compressed',
  });
}

interface Zip64End {
  recordOffset: number;
  entryCount: number;
  directorySize: number;
  directoryOffset: number;
}

/** Reads the ZIP64 end record through the locator at `locatorInTail` of `tailView`, which is byte `locatorOffset` of the archive. */
function readZip64End(source: ByteSource, tailView: DataView, locatorInTail: number, locatorOffset: number, fileName: string): Zip64End {
  const directoryDisk = tailView.getUint32(locatorInTail + 4, true);
  const recordOffset = readUint64(tailView, locatorInTail + 8, fileName, 'ZIP64 end record offset');
  const diskCount = tailView.getUint32(locatorInTail + 16, true);
  if (directoryDisk !== 0 || diskCount > 1) {
    throw splitArchiveError(fileName, diskCount, directoryDisk);
  }
  const recordFits = recordOffset + ZIP64_END_SIZE <= locatorOffset;
  const view = recordFits ? viewOf(source.read(recordOffset, ZIP64_END_SIZE)) : null;
  if (view === null || view.getUint32(0, true) !== ZIP64_END_SIGNATURE) {
    throw new DataFormatError({
      file: fileName,
      problem: 'the ZIP64 end of central directory record is missing',
      rule: 'The ZIP64 locator must point to a record with signature PK\\x06\\x06 before the locator',
      received: `a locator pointing to byte ${recordOffset} of ${source.size}`,
      action: 'The archive is truncated or damaged. Download or export it again',
    });
  }
  const diskNumber = view.getUint32(16, true);
  const recordDirectoryDisk = view.getUint32(20, true);
  if (diskNumber !== 0 || recordDirectoryDisk !== 0) {
    throw splitArchiveError(fileName, diskNumber, recordDirectoryDisk);
  }
  return {
    recordOffset,
    entryCount: readUint64(view, 32, fileName, 'ZIP64 entry count'),
    directorySize: readUint64(view, 40, fileName, 'ZIP64 central directory size'),
    directoryOffset: readUint64(view, 48, fileName, 'ZIP64 central directory offset'),
  };
}

/** Parses the central directory held in `bytes`, which begins at byte `directoryOffset` of the archive. */
function readCentralDirectory(
  bytes: Uint8Array,
  view: DataView,
  directoryOffset: number,
  entryCount: number,
  fileName: string,
): ZipEntry[] {
  const entries: ZipEntry[] = [];
  const directoryEnd = bytes.length;
  let offset = 0;

  for (let index = 0; index < entryCount; index++) {
    const fits = offset + CENTRAL_HEADER_SIZE <= directoryEnd;
    if (!fits || view.getUint32(offset, true) !== CENTRAL_HEADER_SIGNATURE) {
      throw new DataFormatError({
        file: fileName,
        problem: 'the ZIP central directory is damaged',
        rule: `The directory must contain ${entryCount} file headers, each starting with PK\\x01\\x02`,
        received: `no valid header for entry ${index + 1} at byte ${directoryOffset + offset}`,
        action: 'The archive is damaged. Download or export it again',
      });
    }

    const flags = view.getUint16(offset + 8, true);
    const method = view.getUint16(offset + 10, true);
    const crc = view.getUint32(offset + 16, true);
    let compressedSize = view.getUint32(offset + 20, true);
    let uncompressedSize = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const startDisk = view.getUint16(offset + 34, true);
    let localHeaderOffset = view.getUint32(offset + 42, true);

    const nameStart = offset + CENTRAL_HEADER_SIZE;
    const extraStart = nameStart + nameLength;
    const recordEnd = extraStart + extraLength + commentLength;
    if (recordEnd > directoryEnd) {
      throw new DataFormatError({
        file: fileName,
        problem: 'the ZIP central directory is damaged',
        rule: 'Each file header, with its name, extra field and comment, must lie inside the directory',
        received: `entry ${index + 1} ending at byte ${directoryOffset + recordEnd}, past the directory end at ${directoryOffset + directoryEnd}`,
        action: 'The archive is damaged. Download or export it again',
      });
    }
    const name = decodeName(bytes.subarray(nameStart, extraStart), flags);

    const zip64 = findZip64Extra(view, extraStart, extraLength);
    if (zip64 !== null) {
      let cursor = zip64.dataOffset;
      const take = (field: string): number => {
        if (cursor + 8 > zip64.dataOffset + zip64.dataLength) {
          throw new DataFormatError({
            file: fileName,
            entry: name,
            problem: 'the ZIP64 extra field is too short',
            rule: 'It must hold a 64-bit value for each header field set to 0xFFFFFFFF',
            received: `${zip64.dataLength} bytes, with the ${field} missing`,
            action: 'The archive is damaged. Download or export it again',
          });
        }
        const value = readUint64(view, cursor, fileName, field);
        cursor += 8;
        return value;
      };
      if (uncompressedSize === UINT32_SATURATED) uncompressedSize = take('uncompressed size');
      if (compressedSize === UINT32_SATURATED) compressedSize = take('compressed size');
      if (localHeaderOffset === UINT32_SATURATED) localHeaderOffset = take('local header offset');
    }

    if (startDisk !== 0 && startDisk !== UINT16_SATURATED) {
      throw splitArchiveError(fileName, startDisk, startDisk);
    }
    if (entries.some((existing) => existing.name === name)) {
      throw new DataFormatError({
        file: fileName,
        entry: name,
        problem: 'the ZIP archive contains this entry name twice',
        rule: 'Entry names must be unique so that each array has one value',
        received: `a second entry named ${name}`,
        action: REPACK_ADVICE,
      });
    }

    entries.push({ name, method, compressedSize, uncompressedSize, crc32: crc, flags, localHeaderOffset });
    offset = recordEnd;
  }
  return entries;
}

function findZip64Extra(
  view: DataView,
  extraStart: number,
  extraLength: number,
): { dataOffset: number; dataLength: number } | null {
  let cursor = extraStart;
  const extraEnd = extraStart + extraLength;
  while (cursor + 4 <= extraEnd) {
    const id = view.getUint16(cursor, true);
    const size = view.getUint16(cursor + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      return { dataOffset: cursor + 4, dataLength: Math.min(size, extraEnd - cursor - 4) };
    }
    cursor += 4 + size;
  }
  return null;
}

/** Returns the offset of the entry's data, after checking its local header and that it is not truncated. */
function locateEntryData(source: ByteSource, entry: ZipEntry, fileName: string): number {
  const headerOffset = entry.localHeaderOffset;
  const headerFits = headerOffset + LOCAL_HEADER_SIZE <= source.size;
  const view = headerFits ? viewOf(source.read(headerOffset, LOCAL_HEADER_SIZE)) : null;
  if (view === null || view.getUint32(0, true) !== LOCAL_HEADER_SIGNATURE) {
    throw new DataFormatError({
      file: fileName,
      entry: entry.name,
      problem: 'the ZIP local file header is missing',
      rule: 'The central directory must point to a header starting with PK\\x03\\x04',
      received: `an offset of ${headerOffset} in an archive of ${source.size} bytes`,
      action: 'The archive is damaged. Download or export it again',
    });
  }
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  const dataStart = headerOffset + LOCAL_HEADER_SIZE + nameLength + extraLength;
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > source.size) {
    throw new DataFormatError({
      file: fileName,
      entry: entry.name,
      problem: 'the ZIP entry is truncated',
      rule: `The entry's ${entry.compressedSize} compressed bytes must lie inside the archive`,
      received: `data from byte ${dataStart} to ${dataEnd} in an archive of ${source.size} bytes`,
      action: 'The archive is truncated. Download or export it again',
    });
  }
  return dataStart;
}

/** Checks a stored entry's sizes and returns its bytes, copied unless `owned` marks them as a copy already. */
function readStored(stored: Uint8Array, entry: ZipEntry, fileName: string, owned: boolean): Uint8Array {
  if (entry.compressedSize !== entry.uncompressedSize) {
    throw new DataFormatError({
      file: fileName,
      entry: entry.name,
      problem: 'the sizes of a stored ZIP entry disagree',
      rule: 'A stored (uncompressed) entry must have equal compressed and uncompressed sizes',
      received: `compressed size ${entry.compressedSize}, uncompressed size ${entry.uncompressedSize}`,
      action: 'The archive is damaged. Download or export it again',
    });
  }
  return owned ? stored : stored.slice();
}

function inflateEntry(compressed: Uint8Array, entry: ZipEntry, fileName: string): Uint8Array {
  // fflate stops writing when `out` is full, without an error. One spare byte reveals a stream
  // that decodes to more than the directory declared, while keeping memory bounded.
  const out = new Uint8Array(entry.uncompressedSize + 1);
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(compressed, { out });
  } catch (error) {
    throw new DataFormatError({
      file: fileName,
      entry: entry.name,
      problem: 'the deflate data of the ZIP entry is corrupt',
      rule: 'A method-8 entry must contain a complete raw deflate stream',
      received: `${entry.compressedSize} compressed bytes that failed to decompress (${errorText(error)})`,
      action: 'The archive is truncated or damaged. Download or export it again',
      cause: error,
    });
  }
  if (inflated.length !== entry.uncompressedSize) {
    const received =
      inflated.length > entry.uncompressedSize
        ? `more than ${entry.uncompressedSize} bytes`
        : `${inflated.length} bytes`;
    throw new DataFormatError({
      file: fileName,
      entry: entry.name,
      problem: 'the ZIP entry decompressed to the wrong size',
      rule: `The central directory declares ${entry.uncompressedSize} uncompressed bytes`,
      received,
      action: 'The archive is damaged. Download or export it again',
    });
  }
  return inflated.buffer === out.buffer ? out.subarray(0, inflated.length) : inflated;
}

function readUint64(view: DataView, offset: number, fileName: string, field: string): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DataFormatError({
      file: fileName,
      problem: `the ZIP64 ${field} is out of range`,
      rule: `Values above ${Number.MAX_SAFE_INTEGER} cannot describe an archive in memory`,
      received: `${value}`,
      action: 'The archive is damaged. Download or export it again',
    });
  }
  return Number(value);
}

function splitArchiveError(fileName: string, disk: number, directoryDisk: number): DataFormatError {
  return new DataFormatError({
    file: fileName,
    problem: 'split (multi-disk) ZIP archives are not supported',
    rule: 'The whole archive must be in one file, on disk 0',
    received: `disk number ${disk} and central directory disk ${directoryDisk}`,
    action: 'Join the parts into one archive, or save the arrays again with numpy.savez',
  });
}

function decodeName(raw: Uint8Array, flags: number): string {
  // NOTE: names without the UTF-8 flag are CP437 by the ZIP specification. They are decoded as
  // Latin-1 here, which agrees with CP437 for the ASCII names that NumPy writes.
  const encoding = (flags & FLAG_UTF8_NAME) !== 0 ? 'utf-8' : 'latin1';
  return new TextDecoder(encoding).decode(raw);
}

function describeMethod(method: number): string {
  const names: Record<number, string> = { 9: 'Deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'XZ' };
  return method in names ? ` (${names[method]})` : '';
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** Entry data after compression, with what the headers need to describe it. */
interface PreparedEntry {
  nameBytes: Uint8Array;
  utf8Name: boolean;
  /** MS-DOS modification date and time of the entry. */
  dosDate: number;
  dosTime: number;
  method: number;
  payload: Uint8Array;
  uncompressedSize: number;
  crc32: number;
  localHeaderOffset: number;
  localZip64: boolean;
}

/**
 * Builds a ZIP archive of the given entries, in order. Every entry gets the time
 * `options.modifiedAt`, by default 1980-01-01 00:00.
 */
export function writeZip(entries: ZipInputEntry[], options: ZipWriteOptions = {}): Uint8Array {
  const forceZip64 = options.forceZip64 ?? false;
  const timestamp = options.modifiedAt ? toDosDateTime(options.modifiedAt) : { date: DOS_DATE_1980, time: 0 };
  const encoder = new TextEncoder();
  const seen = new Set<string>();

  let offset = 0;
  const prepared: PreparedEntry[] = entries.map((entry) => {
    if (seen.has(entry.name)) {
      throw new Error(`writeZip: the entry name ${entry.name} appears twice. Give each entry a unique name.`);
    }
    seen.add(entry.name);
    const compression = entry.compression ?? 'deflate';
    const payload = compression === 'store' ? entry.data : deflateSync(entry.data, { level: 6 });
    const nameBytes = encoder.encode(entry.name);
    const localZip64 = forceZip64 || entry.data.length >= UINT32_SATURATED || payload.length >= UINT32_SATURATED;
    const item: PreparedEntry = {
      nameBytes,
      dosDate: timestamp.date,
      dosTime: timestamp.time,
      utf8Name: /[^\x00-\x7f]/.test(entry.name),
      method: compression === 'store' ? METHOD_STORED : METHOD_DEFLATE,
      payload,
      uncompressedSize: entry.data.length,
      crc32: crc32(entry.data),
      localHeaderOffset: offset,
      localZip64,
    };
    offset += LOCAL_HEADER_SIZE + nameBytes.length + (localZip64 ? 20 : 0) + payload.length;
    return item;
  });

  const directoryOffset = offset;
  const centralExtras = prepared.map((entry) => centralZip64Fields(entry, forceZip64));
  const directorySize = prepared.reduce(
    (sum, entry, index) => sum + CENTRAL_HEADER_SIZE + entry.nameBytes.length + zip64ExtraLength(centralExtras[index]),
    0,
  );
  const needsZip64End =
    forceZip64 ||
    prepared.length >= UINT16_SATURATED ||
    directoryOffset >= UINT32_SATURATED ||
    directorySize >= UINT32_SATURATED;
  const totalSize = directoryOffset + directorySize + (needsZip64End ? ZIP64_END_SIZE + ZIP64_LOCATOR_SIZE : 0) + END_SIZE;

  const output = new Uint8Array(totalSize);
  const view = new DataView(output.buffer);
  for (const entry of prepared) {
    writeLocalEntry(output, view, entry);
  }
  let cursor = directoryOffset;
  prepared.forEach((entry, index) => {
    cursor = writeCentralHeader(output, view, cursor, entry, centralExtras[index]);
  });
  if (needsZip64End) {
    cursor = writeZip64End(view, cursor, prepared.length, directorySize, directoryOffset);
  }
  writeEnd(view, cursor, prepared.length, directorySize, directoryOffset);
  return output;
}

const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
/** "Version made by": Unix host (3), specification 4.5, so readers honour the Unix file mode. */
const VERSION_MADE_BY = (3 << 8) | VERSION_ZIP64;
/** Regular file, mode 0644, in the high 16 bits as Unix zip tools store it. */
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;
/** MS-DOS date for 1980-01-01: (year − 1980) << 9 | month << 5 | day. */
const DOS_DATE_1980 = (1 << 5) | 1;

/**
 * Converts `moment` to the MS-DOS date and time of a ZIP header, in local time as zip tools
 * write them. Times outside 1980–2107, the range the format can hold, are clamped to its ends.
 */
export function toDosDateTime(moment: Date): { date: number; time: number } {
  const year = moment.getFullYear();
  if (!(year >= 1980)) return { date: DOS_DATE_1980, time: 0 };
  if (year > 2107) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  const date = ((year - 1980) << 9) | ((moment.getMonth() + 1) << 5) | moment.getDate();
  const time = (moment.getHours() << 11) | (moment.getMinutes() << 5) | Math.floor(moment.getSeconds() / 2);
  return { date, time };
}

interface CentralZip64Fields {
  uncompressedSize: boolean;
  compressedSize: boolean;
  localHeaderOffset: boolean;
}

function centralZip64Fields(entry: PreparedEntry, force: boolean): CentralZip64Fields {
  return {
    uncompressedSize: force || entry.uncompressedSize >= UINT32_SATURATED,
    compressedSize: force || entry.payload.length >= UINT32_SATURATED,
    localHeaderOffset: force || entry.localHeaderOffset >= UINT32_SATURATED,
  };
}

function zip64ExtraLength(fields: CentralZip64Fields): number {
  const count = Number(fields.uncompressedSize) + Number(fields.compressedSize) + Number(fields.localHeaderOffset);
  return count === 0 ? 0 : 4 + 8 * count;
}

function writeCommonHeaderFields(view: DataView, offset: number, entry: PreparedEntry, zip64: boolean): void {
  view.setUint16(offset, zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, true);
  view.setUint16(offset + 2, entry.utf8Name ? FLAG_UTF8_NAME : 0, true);
  view.setUint16(offset + 4, entry.method, true);
  view.setUint16(offset + 6, entry.dosTime, true);
  view.setUint16(offset + 8, entry.dosDate, true);
  view.setUint32(offset + 10, entry.crc32, true);
}

function writeLocalEntry(output: Uint8Array, view: DataView, entry: PreparedEntry): void {
  const start = entry.localHeaderOffset;
  view.setUint32(start, LOCAL_HEADER_SIGNATURE, true);
  writeCommonHeaderFields(view, start + 4, entry, entry.localZip64);
  view.setUint32(start + 18, entry.localZip64 ? UINT32_SATURATED : entry.payload.length, true);
  view.setUint32(start + 22, entry.localZip64 ? UINT32_SATURATED : entry.uncompressedSize, true);
  view.setUint16(start + 26, entry.nameBytes.length, true);
  view.setUint16(start + 28, entry.localZip64 ? 20 : 0, true);
  output.set(entry.nameBytes, start + LOCAL_HEADER_SIZE);

  let cursor = start + LOCAL_HEADER_SIZE + entry.nameBytes.length;
  if (entry.localZip64) {
    view.setUint16(cursor, ZIP64_EXTRA_ID, true);
    view.setUint16(cursor + 2, 16, true);
    view.setBigUint64(cursor + 4, BigInt(entry.uncompressedSize), true);
    view.setBigUint64(cursor + 12, BigInt(entry.payload.length), true);
    cursor += 20;
  }
  output.set(entry.payload, cursor);
}

function writeCentralHeader(
  output: Uint8Array,
  view: DataView,
  start: number,
  entry: PreparedEntry,
  zip64: CentralZip64Fields,
): number {
  const extraLength = zip64ExtraLength(zip64);
  view.setUint32(start, CENTRAL_HEADER_SIGNATURE, true);
  view.setUint16(start + 4, VERSION_MADE_BY, true);
  writeCommonHeaderFields(view, start + 6, entry, extraLength > 0);
  view.setUint32(start + 20, zip64.compressedSize ? UINT32_SATURATED : entry.payload.length, true);
  view.setUint32(start + 24, zip64.uncompressedSize ? UINT32_SATURATED : entry.uncompressedSize, true);
  view.setUint16(start + 28, entry.nameBytes.length, true);
  view.setUint16(start + 30, extraLength, true);
  view.setUint16(start + 32, 0, true);
  view.setUint16(start + 34, 0, true);
  view.setUint16(start + 36, 0, true);
  view.setUint32(start + 38, EXTERNAL_ATTRIBUTES, true);
  view.setUint32(start + 42, zip64.localHeaderOffset ? UINT32_SATURATED : entry.localHeaderOffset, true);
  output.set(entry.nameBytes, start + CENTRAL_HEADER_SIZE);

  let cursor = start + CENTRAL_HEADER_SIZE + entry.nameBytes.length;
  if (extraLength > 0) {
    view.setUint16(cursor, ZIP64_EXTRA_ID, true);
    view.setUint16(cursor + 2, extraLength - 4, true);
    cursor += 4;
    // The ZIP64 extra field lists only the saturated fields, in this fixed order.
    if (zip64.uncompressedSize) {
      view.setBigUint64(cursor, BigInt(entry.uncompressedSize), true);
      cursor += 8;
    }
    if (zip64.compressedSize) {
      view.setBigUint64(cursor, BigInt(entry.payload.length), true);
      cursor += 8;
    }
    if (zip64.localHeaderOffset) {
      view.setBigUint64(cursor, BigInt(entry.localHeaderOffset), true);
      cursor += 8;
    }
  }
  return cursor;
}

function writeZip64End(
  view: DataView,
  start: number,
  entryCount: number,
  directorySize: number,
  directoryOffset: number,
): number {
  view.setUint32(start, ZIP64_END_SIGNATURE, true);
  view.setBigUint64(start + 4, BigInt(ZIP64_END_SIZE - 12), true);
  view.setUint16(start + 12, VERSION_MADE_BY, true);
  view.setUint16(start + 14, VERSION_ZIP64, true);
  view.setUint32(start + 16, 0, true);
  view.setUint32(start + 20, 0, true);
  view.setBigUint64(start + 24, BigInt(entryCount), true);
  view.setBigUint64(start + 32, BigInt(entryCount), true);
  view.setBigUint64(start + 40, BigInt(directorySize), true);
  view.setBigUint64(start + 48, BigInt(directoryOffset), true);

  const locator = start + ZIP64_END_SIZE;
  view.setUint32(locator, ZIP64_LOCATOR_SIGNATURE, true);
  view.setUint32(locator + 4, 0, true);
  view.setBigUint64(locator + 8, BigInt(start), true);
  view.setUint32(locator + 16, 1, true);
  return locator + ZIP64_LOCATOR_SIZE;
}

function writeEnd(view: DataView, start: number, entryCount: number, directorySize: number, directoryOffset: number): void {
  const count = Math.min(entryCount, UINT16_SATURATED);
  view.setUint32(start, END_SIGNATURE, true);
  view.setUint16(start + 4, 0, true);
  view.setUint16(start + 6, 0, true);
  view.setUint16(start + 8, count, true);
  view.setUint16(start + 10, count, true);
  view.setUint32(start + 12, Math.min(directorySize, UINT32_SATURATED), true);
  view.setUint32(start + 16, Math.min(directoryOffset, UINT32_SATURATED), true);
  view.setUint16(start + 20, 0, true);
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

let crcTable: Uint32Array | null = null;

function getCrcTable(): Uint32Array {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let bit = 0; bit < 8; bit++) {
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      crcTable[n] = c >>> 0;
    }
  }
  return crcTable;
}

/** Computes the CRC-32 (ISO-HDLC, polynomial 0xEDB88320 reflected) that ZIP stores per entry. */
export function crc32(bytes: Uint8Array): number {
  const table = getCrcTable();
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
