/**
 * Reading of HDF5 files through the mapping dialog. A file without CXI's diffraction paths has
 * every dataset listed (path, shape, dtype). The user's choice of stack, positions and probe is
 * then applied by the same code as for an .npz (applyMappingToArrays).
 *
 * HDF5 types are named as NumPy names them. A compound of two floats is taken as complex, as
 * h5py writes complex64 and complex128. Strings, enums (h5py's bool), float16 and other classes are
 * listed as unreadable.
 */
import type { Dataset, File as H5File, Group } from 'h5wasm';

import { DataFormatError, formatBytes, type DataLocation } from '../errors';
import { createNpyArray, formatShape, MAX_NPY_ARRAY_BYTES, type NpyArray, type NpyDtype } from '../npy';
import { hasCxiData, readCxiFile, type CxiReadOptions } from './cxi';
import { describeHdf5Type, getDataset, withHdf5File } from './hdf5';
import { applyMappingToArrays, rejectPtychodusProduct, type ScanMapping } from './mapping';
import type { ArraySummary, Hdf5MappingRequired, ReadResult } from './readResult';

/** HDF5 class codes in Metadata.type (H5T_class_t). */
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_COMPOUND = 6;

/** Maximum group depth walked and maximum datasets listed, so that a file with link cycles still ends. */
const MAX_GROUP_DEPTH = 32;
const MAX_LISTED_DATASETS = 10_000;

/** Real dtypes that an HDF5 integer or float dataset can map to, keyed by NumPy's name. */
const REAL_DTYPES = new Set<string>(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64']);

export interface Hdf5ScanReadOptions {
  cxi?: Omit<CxiReadOptions, 'provenance'>;
  provenance?: string;
  /** Largest dataset that can be read, in bytes. Defaults to 2 GiB. */
  maxDatasetBytes?: number;
}

/**
 * Reads an HDF5 file held in memory: as CXI when it stores frames at a CXI path, otherwise as
 * a request to map its datasets. Throws DataFormatError when the HDF5 library cannot open it.
 */
export function readHdf5Scan(bytes: Uint8Array, fileName: string, options: Hdf5ScanReadOptions = {}): Promise<ReadResult | Hdf5MappingRequired> {
  return withHdf5File(bytes, fileName, (file): ReadResult | Hdf5MappingRequired => {
    if (hasCxiData(file)) {
      return readCxiFile(file, fileName, { ...options.cxi, provenance: options.provenance });
    }
    rejectPtychodusProduct(file.keys(), fileName, (key) => `/${key}`);
    const arrays = listHdf5Datasets(file, options.maxDatasetBytes);
    const reason =
      arrays.length === 0
        ? 'The HDF5 file contains no datasets.'
        : 'The HDF5 file has no diffraction data at a CXI path (/entry_1/data_1/data or /entry_1/instrument_1/detector_1/data).';
    return { kind: 'hdf5-mapping-required', fileName, reason, arrays, bytes };
  });
}

/**
 * Lists every dataset of an open HDF5 file by its absolute path, depth first in the order h5wasm
 * returns the names, marking those that no mapping can use.
 */
export function listHdf5Datasets(file: H5File, maxBytes = MAX_NPY_ARRAY_BYTES): ArraySummary[] {
  const arrays: ArraySummary[] = [];
  const walk = (group: Group, prefix: string, depth: number) => {
    for (const name of group.keys()) {
      if (arrays.length >= MAX_LISTED_DATASETS) return;
      const path = `${prefix}/${name}`;
      let entity: ReturnType<Group['get']>;
      try {
        entity = group.get(name);
      } catch {
        continue; // A broken or external link that h5wasm cannot resolve.
      }
      if (entity === null) continue;
      if ('metadata' in entity && 'shape' in entity && 'value' in entity) {
        arrays.push(summarizeDataset(entity as Dataset, path, maxBytes));
      } else if ('keys' in entity && typeof entity.keys === 'function' && depth < MAX_GROUP_DEPTH) {
        walk(entity as Group, path, depth + 1);
      }
    }
  };
  walk(file, '', 0);
  return arrays;
}

function summarizeDataset(dataset: Dataset, path: string, maxBytes: number): ArraySummary {
  const shape = dataset.metadata.shape ?? [];
  const dtype = npyDtypeOf(dataset);
  if (dtype === null) {
    const declared = describeHdf5Type(dataset);
    return { key: path, shape, dtype: declared, readable: false, problem: `${path} is ${declared}, not real or complex numbers.` };
  }
  const byteLength = shape.reduce((product, size) => product * size, dataset.metadata.size);
  if (byteLength > maxBytes) {
    return {
      key: path,
      shape,
      dtype,
      readable: false,
      problem: `${path} is ${formatBytes(byteLength)}, more than the ${formatBytes(maxBytes)} a dataset may hold.`,
    };
  }
  return { key: path, shape, dtype, readable: true };
}

/** Returns the NumPy dtype for a real or complex dataset, or null for any other type. */
function npyDtypeOf(dataset: Dataset): NpyDtype | null {
  const metadata = dataset.metadata;
  if (metadata.type === H5T_INTEGER || metadata.type === H5T_FLOAT) {
    const name = describeHdf5Type(dataset);
    return REAL_DTYPES.has(name) ? (name as NpyDtype) : null;
  }
  const members = metadata.compound_type?.members ?? [];
  const isComplexPair =
    metadata.type === H5T_COMPOUND &&
    members.length === 2 &&
    members.every((member) => member.type === H5T_FLOAT && member.size === members[0].size);
  if (!isComplexPair) return null;
  if (members[0].size === 4) return 'complex64';
  if (members[0].size === 8) return 'complex128';
  return null;
}

/**
 * Reads the dataset at `path` as an NpyArray, complex compounds as interleaved (re, im). Throws
 * DataFormatError when the path is absent, is a group, or contains a type no mapping can use.
 */
export function readHdf5DatasetAsNpy(file: H5File, path: string, fileName: string, maxBytes = MAX_NPY_ARRAY_BYTES): NpyArray {
  const location: DataLocation = { file: fileName, entry: path };
  const dataset = getDataset(file, path, location);
  if (dataset === null) {
    throw new DataFormatError({
      ...location,
      problem: `the mapped dataset ${path} is missing`,
      rule: 'Every dataset named in the mapping must be in the file',
      received: 'nothing at that path',
      action: 'Choose datasets from the list shown',
    });
  }
  const summary = summarizeDataset(dataset, path, maxBytes);
  if (!summary.readable) {
    throw new DataFormatError({
      ...location,
      problem: `the mapped dataset ${path} cannot be read`,
      rule: 'A mapped dataset must hold real or complex numbers and fit the size limit',
      received: `shape ${formatShape(summary.shape)} of ${summary.dtype}: ${summary.problem ?? ''}`,
      action: 'Choose another dataset from the list shown',
    });
  }

  const dtype = summary.dtype as NpyDtype;
  const value = dataset.value;
  if (dtype === 'complex64' || dtype === 'complex128') {
    // h5wasm returns a compound as one [re, im] array per element (a scalar as one pair).
    const pairs = (summary.shape.length === 0 ? [value] : value) as unknown as Array<[number, number]>;
    const interleaved = dtype === 'complex64' ? new Float32Array(pairs.length * 2) : new Float64Array(pairs.length * 2);
    pairs.forEach(([real, imaginary], index) => {
      interleaved[2 * index] = real;
      interleaved[2 * index + 1] = imaginary;
    });
    return createNpyArray(dtype, summary.shape, interleaved as Float32Array & Float64Array) as NpyArray;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    return createNpyArray('float64', [], new Float64Array([Number(value)]));
  }
  if (!ArrayBuffer.isView(value)) {
    throw new DataFormatError({
      ...location,
      problem: `the mapped dataset ${path} could not be read as numbers`,
      rule: 'A mapped dataset must hold real or complex numbers',
      received: `shape ${formatShape(summary.shape)} of ${summary.dtype}`,
      action: 'Choose another dataset from the list shown',
    });
  }
  return createNpyArray(dtype, summary.shape, value as never) as NpyArray;
}

/**
 * Opens the HDF5 bytes again and applies the user's mapping. Keys in `mapping` are dataset
 * paths as listHdf5Datasets returns them.
 */
export function applyHdf5Mapping(bytes: Uint8Array, fileName: string, mapping: ScanMapping, maxDatasetBytes = MAX_NPY_ARRAY_BYTES): Promise<ReadResult> {
  return withHdf5File(bytes, fileName, (file) => {
    const keys = listHdf5Datasets(file, maxDatasetBytes).map((array) => array.key);
    return applyMappingToArrays(
      {
        fileName,
        format: 'mapped-hdf5',
        keys,
        entryName: (key) => key,
        read: (key) => readHdf5DatasetAsNpy(file, key, fileName, maxDatasetBytes),
      },
      mapping,
    );
  });
}
