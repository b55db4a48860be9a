/**
 * Access to HDF5 files held in memory through h5wasm (the HDF5 C library compiled to
 * WebAssembly), plus the checks this project makes before handing bytes to it.
 *
 * Loading: h5wasm's ESM build (the package's "import" export, dist/esm/hdf5_hl.js in 0.10.3)
 * embeds its WebAssembly as base64 and runs in browsers, Web Workers and Node alike, so both Vite
 * and Vitest use that one build. It is imported dynamically, so the 4 MB module loads only when
 * an HDF5 file is opened. Each file is written to h5wasm's in-memory file system (MEMFS) under a
 * unique name and removed after reading. The package's "h5wasm/node" build reads the host file
 * system instead, which a browser does not have, so it is not used.
 */
import type { Dataset, File as H5File } from 'h5wasm';

import { DataFormatError, describeLeadingBytes, formatBytes, type DataLocation } from '../errors';
import { formatShape, MAX_NPY_ARRAY_BYTES } from '../npy';

/** The 8-byte signature that starts an HDF5 superblock: \x89HDF\r\n\x1a\n. */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5 class codes that h5wasm reports in Metadata.type (H5T_class_t). */
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_COMPOUND = 6;

/** Returns the byte offset of the HDF5 superblock (0, 512, 1024, …) or -1 when there is none. */
export function findHdf5Superblock(bytes: Uint8Array): number {
  // The superblock may follow a user block whose size is 0 or a power of two from 512 bytes.
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((byte, index) => bytes[offset + index] === byte)) {
      return offset;
    }
  }
  return -1;
}

/**
 * Throws DataFormatError when the superblock says the file is longer than the bytes received.
 * The HDF5 library detects this too, but only reports it on the console, so checking here gives
 * the user a message. Superblock versions 0 to 3 store the end-of-file address at a fixed place.
 */
export function requireCompleteHdf5(bytes: Uint8Array, fileName: string): void {
  const base = findHdf5Superblock(bytes);
  if (base < 0) {
    throw new DataFormatError({
      file: fileName,
      problem: 'the HDF5 signature is missing',
      rule: 'An HDF5 file starts with the 8 bytes \\x89HDF\\r\\n\\x1a\\n, at byte 0 or after a user block of 512, 1024, … bytes',
      received: describeLeadingBytes(bytes),
      action: 'Choose an HDF5 or CXI file',
    });
  }

  // Byte positions of the offset size and the base address, which the end-of-file address
  // follows after the free-space (v0, v1) or superblock-extension (v2, v3) address.
  const version = bytes[base + 8];
  let offsetSizeAt = base + 9;
  let baseAddressAt = base + 12;
  if (version === 0) {
    offsetSizeAt = base + 13;
    baseAddressAt = base + 24;
  } else if (version === 1) {
    offsetSizeAt = base + 13;
    baseAddressAt = base + 28;
  }
  const truncated = (received: string) =>
    new DataFormatError({
      file: fileName,
      problem: 'the HDF5 file is truncated',
      rule: 'The superblock records the length of the file, and every byte up to it must be present',
      received,
      action: 'The file was cut short. Copy or download it again',
    });
  if (bytes.length < offsetSizeAt + 1) {
    throw truncated(`${bytes.length} bytes, which end inside the superblock`);
  }

  const offsetSize = bytes[offsetSizeAt];
  if (version > 3 || ![2, 4, 8].includes(offsetSize)) {
    return; // An unknown layout: leave the decision to the HDF5 library.
  }

  const endFieldAt = baseAddressAt + 2 * offsetSize;
  if (bytes.length < endFieldAt + offsetSize) {
    throw truncated(`${bytes.length} bytes, which end inside the superblock`);
  }

  let storedEnd = 0;
  let undefinedAddress = true;
  for (let index = offsetSize - 1; index >= 0; index--) {
    const byte = bytes[endFieldAt + index];
    storedEnd = storedEnd * 256 + byte;
    if (byte !== 0xff) undefinedAddress = false;
  }
  if (!undefinedAddress && base + storedEnd > bytes.length) {
    throw truncated(`${bytes.length} bytes, but the superblock records ${base + storedEnd}`);
  }
}

interface H5wasmApi {
  File: typeof H5File;
  fs: { writeFile(path: string, data: Uint8Array): void; unlink(path: string): void };
}

let h5wasmPromise: Promise<H5wasmApi> | null = null;

/** Loads and initialises h5wasm once per realm (page, worker or test process). */
export function loadH5wasm(): Promise<H5wasmApi> {
  h5wasmPromise ??= import('h5wasm').then(async (module) => {
    const runtime = await module.default.ready;
    return { File: module.File, fs: runtime.FS as unknown as H5wasmApi['fs'] };
  });
  return h5wasmPromise;
}

let fileCounter = 0;

/**
 * Opens HDF5 bytes with h5wasm, runs `read` on the open file, and closes and deletes it again,
 * also when `read` throws. Throws DataFormatError when the library cannot open the bytes.
 */
export async function withHdf5File<T>(bytes: Uint8Array, fileName: string, read: (file: H5File) => T): Promise<T> {
  requireCompleteHdf5(bytes, fileName);
  const { File, fs } = await loadH5wasm();
  const path = `/ptychoscope-input-${++fileCounter}.h5`;
  // NOTE: MEMFS keeps its own copy of the file, so reading needs about twice the file size in
  // memory, and no limit on the whole file is checked here, only on each dataset read from it.
  fs.writeFile(path, bytes);
  try {
    let file: H5File;
    try {
      file = new File(path, 'r');
    } catch (error) {
      throw unreadableHdf5(fileName, error);
    }
    if (file.file_id < 0n) {
      throw unreadableHdf5(fileName);
    }
    try {
      return read(file);
    } finally {
      file.close();
    }
  } finally {
    fs.unlink(path);
  }
}

function unreadableHdf5(fileName: string, cause?: unknown): DataFormatError {
  return new DataFormatError({
    file: fileName,
    problem: 'the HDF5 library could not open the file',
    rule: 'The file must be a complete, undamaged HDF5 file',
    received: 'a file with an HDF5 signature that HDF5 2.0 rejects (the browser console has its diagnostics)',
    action: 'Check that the file opens with h5py or h5dump, and copy or download it again',
    cause,
  });
}

/** Returns the dataset at `path`, null when nothing is there, and throws when it is a group. */
export function getDataset(file: H5File, path: string, location: DataLocation): Dataset | null {
  let entity: ReturnType<H5File['get']>;
  try {
    entity = file.get(path);
  } catch {
    return null;
  }
  if (entity === null) {
    return null;
  }
  if (!('metadata' in entity) || !('shape' in entity) || !('value' in entity)) {
    throw new DataFormatError({
      ...location,
      entry: path,
      problem: `${path} is not a dataset`,
      rule: `${path} must be an HDF5 dataset`,
      received: `a ${entity.constructor.name}`,
      action: 'Check the file against the CXI layout',
    });
  }
  return entity as Dataset;
}

/** A real numeric dataset as a typed array, with its shape and a dtype name for messages. */
export interface Hdf5RealArray {
  shape: number[];
  dtype: string;
  isInteger: boolean;
  values: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
}

/** Describes a dataset's type as NumPy names it, such as 'float32' or 'uint16'. */
export function describeHdf5Type(dataset: Dataset): string {
  const metadata = dataset.metadata;
  const bits = metadata.size * 8;
  switch (metadata.type) {
    case H5T_INTEGER:
      return `${metadata.signed ? 'int' : 'uint'}${bits}`;
    case H5T_FLOAT:
      return `float${bits}`;
    case H5T_STRING:
      return 'string';
    case H5T_COMPOUND: {
      const names = metadata.compound_type?.members.map((member) => member.name).join(', ') ?? '';
      return `compound (${names})`;
    }
    default:
      return `HDF5 type class ${metadata.type}`;
  }
}

/**
 * Reads a real integer or float dataset after checking its size against `maxBytes`, so an
 * oversized dataset is rejected before HDF5 allocates it.
 */
export function readRealDataset(dataset: Dataset, location: DataLocation, role: string, maxBytes = MAX_NPY_ARRAY_BYTES): Hdf5RealArray {
  const metadata = dataset.metadata;
  const shape = metadata.shape ?? [];
  const dtype = describeHdf5Type(dataset);
  if (metadata.type !== H5T_INTEGER && metadata.type !== H5T_FLOAT) {
    throw new DataFormatError({
      ...location,
      problem: `the ${role} dataset has the wrong type`,
      rule: `The ${role} must be a real integer or float dataset`,
      received: `shape ${formatShape(shape)} of ${dtype}`,
      action: 'Store the values as real numbers, such as float32 or uint16',
    });
  }
  requireSize(shape, metadata.size, maxBytes, location, dtype);

  const value = dataset.value;
  let values: Hdf5RealArray['values'];
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
    values = Float64Array.from(value, (item) => Number(item));
  } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    values = value as Hdf5RealArray['values'];
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    values = new Float64Array([Number(value)]);
  } else {
    throw new DataFormatError({
      ...location,
      problem: `the ${role} dataset could not be read as numbers`,
      rule: `The ${role} must be a real integer or float dataset`,
      received: `shape ${formatShape(shape)} of ${dtype}`,
      action: 'Store the values as real numbers, such as float32 or uint16',
    });
  }
  return { shape, dtype, isInteger: metadata.type === H5T_INTEGER, values };
}

/**
 * Reads a complex dataset stored as h5py and most writers do, a compound of two floats (r, i),
 * as interleaved float32. A real dataset is accepted with the imaginary part 0.
 */
export function readComplexDataset(dataset: Dataset, location: DataLocation, role: string): { shape: number[]; values: Float32Array } {
  const metadata = dataset.metadata;
  const shape = metadata.shape ?? [];
  if (metadata.type === H5T_INTEGER || metadata.type === H5T_FLOAT) {
    const real = readRealDataset(dataset, location, role);
    const values = new Float32Array(real.values.length * 2);
    real.values.forEach((value, index) => {
      values[2 * index] = value;
    });
    return { shape, values };
  }
  const members = metadata.compound_type?.members ?? [];
  const isComplexPair = metadata.type === H5T_COMPOUND && members.length === 2 && members.every((member) => member.type === H5T_FLOAT);
  if (!isComplexPair) {
    throw new DataFormatError({
      ...location,
      problem: `the ${role} dataset is not complex`,
      rule: `The ${role} must be complex, stored as a compound of two floats (real, imaginary) as h5py writes it`,
      received: `shape ${formatShape(shape)} of ${describeHdf5Type(dataset)}`,
      action: `Save the ${role} as complex64 with h5py`,
    });
  }
  requireSize(shape, metadata.size, MAX_NPY_ARRAY_BYTES, location, describeHdf5Type(dataset));
  const pairs = dataset.value as unknown as Array<[number, number]>;
  const values = new Float32Array(pairs.length * 2);
  pairs.forEach(([real, imaginary], index) => {
    values[2 * index] = real;
    values[2 * index + 1] = imaginary;
  });
  return { shape, values };
}

/** Reads a scalar (or one-element) numeric dataset, or returns null when the path is absent. */
export function readScalar(file: H5File, path: string, location: DataLocation): number | null {
  const dataset = getDataset(file, path, location);
  if (dataset === null) {
    return null;
  }
  const array = readRealDataset(dataset, { ...location, entry: path }, path);
  if (array.values.length !== 1) {
    throw new DataFormatError({
      ...location,
      entry: path,
      problem: `${path} is not a single number`,
      rule: `${path} must hold one value`,
      received: `shape ${formatShape(array.shape)} of ${array.dtype}`,
      action: 'Store one value for the whole scan',
    });
  }
  return array.values[0];
}

function requireSize(shape: number[], itemSize: number, maxBytes: number, location: DataLocation, dtype: string): void {
  const byteLength = shape.reduce((product, size) => product * size, itemSize);
  if (byteLength > maxBytes) {
    throw new DataFormatError({
      ...location,
      problem: 'the dataset is too large to load',
      rule: `A dataset may hold at most ${formatBytes(maxBytes)}`,
      received: `shape ${formatShape(shape)} of ${dtype}, which is ${formatBytes(byteLength)}`,
      action: 'Crop or bin the data, or split the scan into several files, before loading',
    });
  }
}
