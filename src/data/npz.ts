/**
 * Reader and writer for NumPy .npz archives: ZIP files whose members are .npy files named
 * `<key>.npy`, as numpy.savez and numpy.savez_compressed write them.
 */
import { DataFormatError } from './errors';
import { MAX_NPY_ARRAY_BYTES, MAX_NPY_HEADER_BYTES, readNpy, writeNpy, type NpyArray, type NpyReadOptions } from './npy';
import { openZip, readZipEntry, writeZip, type ZipArchive, type ZipCompression } from './zip';

export interface NpzWriteOptions {
  /** 'deflate' matches numpy.savez_compressed, 'store' matches numpy.savez. Defaults to 'deflate'. */
  compression?: ZipCompression;
}

const NPY_SUFFIX = '.npy';

/**
 * Reads every array of an .npz archive, keyed by member name without the .npy suffix, in archive
 * order. Members whose names do not end in .npy are skipped, as they hold no array. Throws
 * DataFormatError naming the file and member for any malformed, unsupported or oversized input.
 */
export function readNpz(
  source: ArrayBuffer | Uint8Array,
  fileName: string,
  options: NpyReadOptions = {},
): Map<string, NpyArray> {
  const archive = openZip(source, fileName);
  const arrays = new Map<string, NpyArray>();
  for (const key of listNpzKeys(archive)) {
    arrays.set(key, readNpzArray(archive, key, options));
  }
  return arrays;
}

/** Returns the array keys of an opened .npz archive, without the .npy suffix. */
export function listNpzKeys(archive: ZipArchive): string[] {
  return archive.entries
    .filter((entry) => entry.name.endsWith(NPY_SUFFIX))
    .map((entry) => entry.name.slice(0, -NPY_SUFFIX.length));
}

/** Reads one array of an opened .npz archive by key, so callers can skip arrays they do not need. */
export function readNpzArray(archive: ZipArchive, key: string, options: NpyReadOptions = {}): NpyArray {
  const entryName = `${key}${NPY_SUFFIX}`;
  const entry = archive.entries.find((candidate) => candidate.name === entryName);
  if (entry === undefined) {
    const keys = listNpzKeys(archive);
    throw new DataFormatError({
      file: archive.fileName,
      entry: entryName,
      problem: `the array ${JSON.stringify(key)} is missing`,
      rule: `The archive must contain a member named ${entryName}`,
      received: keys.length === 0 ? 'an archive with no .npy members' : `the arrays ${keys.map((name) => JSON.stringify(name)).join(', ')}`,
      action: 'Check that this is the intended file, or save the array under that name with numpy.savez',
    });
  }

  // The entry limit follows from the array limit, so an oversized member is rejected before it
  // is inflated and again, with the array's shape in the message, when its header is read.
  const maxArrayBytes = options.maxArrayBytes ?? MAX_NPY_ARRAY_BYTES;
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_NPY_HEADER_BYTES;
  const bytes = readZipEntry(archive, entry, { maxBytes: maxArrayBytes + maxHeaderBytes + 12 });
  // readZipEntry returns memory of its own, so the array may live in it without another copy.
  return readNpy(bytes, { file: archive.fileName, entry: entryName }, options, 'adopt');
}

/**
 * Builds an .npz archive that numpy.load can read, with one `<key>.npy` member per array in the
 * order given. Keys must be unique and must not contain '/'.
 */
export function writeNpz(arrays: Map<string, NpyArray> | Record<string, NpyArray>, options: NpzWriteOptions = {}): Uint8Array {
  const items = arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
  const compression = options.compression ?? 'deflate';
  const entries = items.map(([key, array]) => {
    if (key.length === 0 || key.includes('/')) {
      throw new Error(`writeNpz: the key ${JSON.stringify(key)} is not a valid array name. Use a non-empty name without '/'.`);
    }
    return { name: `${key}${NPY_SUFFIX}`, data: writeNpy(array), compression };
  });
  return writeZip(entries);
}
