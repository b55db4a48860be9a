/**
 * Entry point for opening a scan file: recognises the container by its first bytes (ZIP for
 * .npz, HDF5 for .cxi/.h5) and the layout by its array names, then runs the matching reader.
 * Arrays that match no layout come back as a MappingRequired result (Hdf5MappingRequired for an
 * HDF5 file without CXI's paths) for the user to map.
 */
import { memoryByteSource, type ByteSource } from '../byteSource';
import { DataFormatError, describeLeadingBytes } from '../errors';
import type { NpyReadOptions } from '../npy';
import { listNpzKeys, readNpzArray } from '../npz';
import { localFileProvenance, siemensStarToScanDataset } from '../siemensStar';
import { openZip, type ZipArchive } from '../zip';
import type { CxiReadOptions } from './cxi';
import { findHdf5Superblock } from './hdf5';
import { readHdf5Scan } from './hdf5Mapping';
import { rejectPtychodusProduct, summarizeArrays } from './mapping';
import { hasPtychoPinnKeys, readPtychoPinnArchive, type PtychoPinnReadOptions } from './ptychoPinnNpz';
import type { ReadResult, ScanFileReadOutcome } from './readResult';

export { applyHdf5Mapping, listHdf5Datasets } from './hdf5Mapping';
export { applyMapping, summarizeArrays, type PositionMapping, type ScanMapping } from './mapping';

/** The containers recognised from a file's first bytes. */
export type ContainerKind = 'zip' | 'hdf5' | 'npy' | 'unknown';

/** Keys of a scan in tike's layout, read by the bundled scan's reader. */
export const TIKE_KEYS = ['data', 'scan', 'probe'] as const;

export interface ScanFileReadOptions {
  ptychoPinn?: Omit<PtychoPinnReadOptions, 'provenance'>;
  cxi?: Omit<CxiReadOptions, 'provenance'>;
  /** Limits applied to each .npz array before it is allocated. */
  npy?: NpyReadOptions;
  /** Defaults to that of a local file. */
  provenance?: string;
}

/** Recognises the container from its signature: 'PK' for ZIP (.npz), \x89HDF\r\n\x1a\n for HDF5. */
export function detectContainer(bytes: Uint8Array): ContainerKind {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && bytes[3] === bytes[2] + 1) {
    return 'zip';
  }
  if (findHdf5Superblock(bytes) >= 0) {
    return 'hdf5';
  }
  if (bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') {
    return 'npy';
  }
  return 'unknown';
}

/**
 * Reads a scan file held in memory with the reader its content calls for. Returns a ReadResult,
 * MappingRequired when an .npz has arrays under names that no reader recognises, or
 * Hdf5MappingRequired for an HDF5 file without CXI's diffraction paths. Throws DataFormatError
 * for unrecognised, malformed or unsupported input.
 */
export async function readScanFile(
  source: ArrayBuffer | Uint8Array,
  fileName: string,
  options: ScanFileReadOptions = {},
): Promise<ScanFileReadOutcome> {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  const provenance = options.provenance ?? localFileProvenance(fileName);
  const container = detectContainer(bytes);
  switch (container) {
    case 'zip':
      return readNpzScanFile(memoryByteSource(bytes), fileName, { ...options, provenance });
    case 'hdf5':
      return readHdf5Scan(bytes, fileName, { cxi: options.cxi, provenance });
    case 'npy':
      throw new DataFormatError({
        file: fileName,
        problem: 'the file is a single NumPy array, not a scan',
        rule: 'A scan needs the diffraction patterns and the positions together, in an .npz archive or a CXI file',
        received: describeLeadingBytes(bytes),
        action: 'Save the patterns, positions and probe together with numpy.savez',
      });
    default:
      throw new DataFormatError({
        file: fileName,
        problem: 'the file format is not recognised',
        rule: 'Scans are read from .npz archives (starting with "PK") and from CXI or other HDF5 files (starting with \\x89HDF)',
        received: describeLeadingBytes(bytes),
        action: 'Choose an .npz or .cxi file, or convert the scan to one of them',
      });
  }
}

/**
 * Reads an .npz scan through a ByteSource. Only the archive's directory and the arrays the reader
 * needs are read, each once, so a source that reads from a File keeps little more than the
 * dataset in memory.
 */
export function readNpzScanFile(source: ByteSource, fileName: string, options: ScanFileReadOptions = {}): ScanFileReadOutcome {
  return readNpzScan(openZip(source, fileName), options, options.provenance ?? localFileProvenance(fileName));
}

/** Picks the layout of an opened .npz from its keys: tike, PtychoPINN, or none (mapping). */
export function readNpzScan(archive: ZipArchive, options: ScanFileReadOptions, provenance: string): ScanFileReadOutcome {
  const keys = listNpzKeys(archive);
  if (TIKE_KEYS.every((key) => keys.includes(key))) {
    return readTikeArchive(archive, options.npy, provenance);
  }
  const hasCoordinates = ['', '_start'].some((suffix) => keys.includes(`xcoords${suffix}`) && keys.includes(`ycoords${suffix}`));
  if (hasPtychoPinnKeys(keys) && hasCoordinates) {
    return readPtychoPinnArchive(archive, { ...options.ptychoPinn, npy: options.npy, provenance });
  }
  rejectPtychodusProduct(keys, archive.fileName, (key) => `${key}.npy`);
  // A PtychoPINN stack key without PtychoPINN's coordinates usually means positions stored under
  // another name, which the user can point to.
  const reason =
    keys.length === 0
      ? 'The archive contains no arrays.'
      : `The arrays ${keys.map((key) => JSON.stringify(key)).join(', ')} match neither tike's layout ` +
        `("data", "scan", "probe") nor PtychoPINN's ("diffraction" or "diff3d" with "xcoords" and "ycoords").`;
  return { kind: 'mapping-required', fileName: archive.fileName, reason, arrays: summarizeArrays(archive, options.npy), archive };
}

function readTikeArchive(archive: ZipArchive, npyOptions: NpyReadOptions | undefined, provenance: string): ReadResult {
  const arrays = new Map(TIKE_KEYS.map((key) => [key, readNpzArray(archive, key, npyOptions)]));
  const dataset = siemensStarToScanDataset(arrays, archive.fileName, provenance);
  return {
    kind: 'dataset',
    format: 'tike-npz',
    dataset,
    notices: [
      {
        topic: 'positions',
        severity: 'info',
        message: "Read in tike's layout: counts with the zero frequency at [0, 0], and positions as (row, column) window corners.",
      },
    ],
    objectGuess: null,
    measurement: null,
    zeroFrequency: null,
    geometry: null,
    validPixels: null,
  };
}
