/**
 * Reader for ptychography scans in the Coherent X-ray Imaging (CXI) format, an HDF5 layout.
 *
 * The CXI layout this module reads, and how it maps to the ScanDataset conventions:
 * - `/entry_1/data_1/data` or `/entry_1/instrument_1/detector_1/data` (M, N, N): detector frames
 *   in counts, with the direct beam near the frame centre, so they are shifted by an inverse
 *   fftshift unless the caller says otherwise.
 * - `/entry_1/sample_1/geometry_1/translation` (M, 3), or (3, M): sample positions (x, y, z) in
 *   metres. x becomes the column and y the row, and each position is taken as the centre of the
 *   probe window, so N/2 is subtracted to give its top-left corner.
 * - `/entry_1/instrument_1/detector_1/distance`, `x_pixel_size`, `y_pixel_size` in metres and
 *   `/entry_1/instrument_1/source_1/energy` in joules give the object pixel size
 *   λ·z / (N·pixel), with λ = h·c / E, which converts the translations to object pixels.
 * - `/entry_1/instrument_1/source_1/illumination` (N, N) complex: a probe guess (optional).
 * - `/entry_1/instrument_1/detector_1/mask` (N, N): 0 marks a usable pixel (optional).
 */
import type { Dataset, File as H5File } from 'h5wasm';

import type { ScanDataset } from '../dataset';
import { DataFormatError, type DataLocation } from '../errors';
import { formatShape } from '../npy';
import { localFileProvenance } from '../siemensStar';
import { getDataset, readComplexDataset, readRealDataset, readScalar, withHdf5File, type Hdf5RealArray } from './hdf5';
import type { CxiGeometry, ReadNotice, ReadResult } from './readResult';
import {
  buildIntensities,
  describeDefaultProbe,
  describeStackSource,
  detectZeroFrequency,
  formatNumber,
  inverseFftShift,
  requireFinite,
  resolveStackGeometry,
  resolveZeroFrequency,
  type ZeroFrequencyMode,
} from './stack';

export const CXI_DATA_PATHS = ['/entry_1/data_1/data', '/entry_1/instrument_1/detector_1/data'] as const;
export const CXI_TRANSLATION_PATH = '/entry_1/sample_1/geometry_1/translation';
const DETECTOR = '/entry_1/instrument_1/detector_1';
const SOURCE = '/entry_1/instrument_1/source_1';
export const CXI_DISTANCE_PATH = `${DETECTOR}/distance`;
export const CXI_X_PIXEL_SIZE_PATH = `${DETECTOR}/x_pixel_size`;
export const CXI_Y_PIXEL_SIZE_PATH = `${DETECTOR}/y_pixel_size`;
export const CXI_ENERGY_PATH = `${SOURCE}/energy`;
export const CXI_ILLUMINATION_PATH = `${SOURCE}/illumination`;
export const CXI_MASK_PATH = `${DETECTOR}/mask`;

/** Whether an open HDF5 file stores frames at one of CXI's diffraction paths. */
export function hasCxiData(file: H5File): boolean {
  return CXI_DATA_PATHS.some((path) => getDataset(file, path, { file: file.filename }) !== null);
}

/** Planck constant in J·s and speed of light in m/s, exact in the 2019 SI. */
const PLANCK_J_S = 6.62607015e-34;
const SPEED_OF_LIGHT_M_S = 299_792_458;
/** Elementary charge in coulombs, exact in the 2019 SI: one electronvolt in joules. */
const ELECTRONVOLT_J = 1.602176634e-19;
/**
 * Largest energy, in joules, read as joules (about 6.2 MeV). A larger value is far above any
 * photon energy used for ptychography and is taken as electronvolts, a common mistake in files.
 */
const MAX_PLAUSIBLE_ENERGY_J = 1e-12;

export interface CxiReadOptions {
  /** Location of the zero frequency in the stored frames. Defaults to 'centre'. */
  zeroFrequency?: ZeroFrequencyMode;
  /** Sample-to-detector distance, used when the file has none. */
  distance_m?: number;
  /** Photon energy, used when the file has none. */
  energy_J?: number;
  /** Detector pixel size on both axes, used when the file has none. */
  detectorPixelSize_m?: number;
  /** Defaults to that of a local file. */
  provenance?: string;
  /** Maximum size of one dataset in bytes. Defaults to 2 GiB. */
  maxDatasetBytes?: number;
}

/**
 * Reads a CXI ptychography scan held in memory. Throws DataFormatError for malformed input and
 * for a valid CXI file that is not a scan (no translations).
 */
export function readCxi(source: ArrayBuffer | Uint8Array, fileName: string, options: CxiReadOptions = {}): Promise<ReadResult> {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  return withHdf5File(bytes, fileName, (file) => readCxiFile(file, fileName, options));
}

/** Reads a CXI scan from an HDF5 file that withHdf5File has opened. */
export function readCxiFile(file: H5File, fileName: string, options: CxiReadOptions): ReadResult {
  const location: DataLocation = { file: fileName };
  const notices: ReadNotice[] = [];

  const dataPath = CXI_DATA_PATHS.find((path) => getDataset(file, path, location) !== null);
  if (dataPath === undefined) {
    throw new DataFormatError({
      ...location,
      entry: CXI_DATA_PATHS[0],
      problem: 'the file has no diffraction data',
      rule: `A CXI scan stores its frames at ${CXI_DATA_PATHS.join(' or ')}`,
      received: `the top-level groups ${describeKeys(file)}`,
      action: 'Choose a CXI file written by the beamline or by a reconstruction program',
    });
  }
  const translationDataset = getDataset(file, CXI_TRANSLATION_PATH, location);
  if (translationDataset === null) {
    throw new DataFormatError({
      ...location,
      entry: CXI_TRANSLATION_PATH,
      problem: 'this CXI file is not a ptychography scan, because it has no scan positions',
      rule: `A ptychography scan records one sample translation per frame at ${CXI_TRANSLATION_PATH}`,
      received: `frames at ${dataPath} and no translations`,
      action: 'Choose the CXI file of a ptychography scan, which has sample translations',
    });
  }

  const dataLocation = { ...location, entry: dataPath };
  const stack = readRealDataset(getDataset(file, dataPath, location) as Dataset, dataLocation, 'diffraction data', options.maxDatasetBytes);
  const geometry = resolveStackGeometry(stack.shape, dataLocation, 'patterns-first');
  const { patternCount, patternSize } = geometry;

  const physics = readPhysics(file, fileName, patternSize, options, notices);
  const translation = readTranslations(translationDataset, { ...location, entry: CXI_TRANSLATION_PATH }, patternCount, notices);
  // NOTE: a sample translation moves the object under a fixed beam, so the probe's position on
  // the object may be the negated translation, and programs differ on this sign and on whether y
  // points up. The stored values are used as they are, so a mirrored object points to this sign.
  const half = patternSize / 2;
  const positionX_px = Float32Array.from(translation.x_m, (x) => x / physics.objectPixelSizeX_m - half);
  const positionY_px = Float32Array.from(translation.y_m, (y) => y / physics.objectPixelSizeY_m - half);
  notices.push({
    topic: 'unit-conversion',
    severity: 'info',
    message:
      `Translations in metres were divided by the object pixel size λ·z/(N·pixel) = ${formatNumber(physics.objectPixelSizeX_m)} m ` +
      `(x) and ${formatNumber(physics.objectPixelSizeY_m)} m (y), from λ = ${formatNumber(physics.wavelength_m)} m, ` +
      `z = ${formatNumber(physics.distance_m)} m and N = ${patternSize}, then ${formatNumber(half)} pixels (N/2) were subtracted ` +
      'to give window corners. Translation x is the column and y the row.',
  });

  const detected = detectZeroFrequency(stack, geometry, 'counts');
  const zeroFrequency = resolveZeroFrequency(detected, patternSize, options.zeroFrequency ?? 'centre', 'a CXI detector frame');
  notices.push(zeroFrequency.notice);
  const shifted = zeroFrequency.location.shifted;

  const dataset: ScanDataset = {
    name: fileName,
    patternCount,
    patternSize,
    intensities: buildIntensities(stack, geometry, 'counts', shifted),
    positionX_px,
    positionY_px,
    probe: readIllumination(file, location, patternSize, notices),
    provenance: options.provenance ?? localFileProvenance(fileName),
  };
  return {
    kind: 'dataset',
    format: 'cxi',
    dataset,
    notices,
    objectGuess: null,
    measurement: null,
    zeroFrequency: zeroFrequency.location,
    geometry: physics,
    validPixels: readMask(file, location, patternSize, shifted, notices),
    stackSource: describeStackSource(dataPath, stack, geometry, shifted),
  };
}

function describeKeys(file: H5File): string {
  const keys = file.keys();
  return keys.length === 0 ? '(none)' : keys.map((key) => `/${key}`).join(', ');
}

function readPhysics(file: H5File, fileName: string, patternSize: number, options: CxiReadOptions, notices: ReadNotice[]): CxiGeometry {
  const location = { file: fileName };
  const required = (path: string, fallback: number | undefined, option: string, quantity: string): number => {
    const stored = readScalar(file, path, location);
    const value = stored ?? fallback;
    if (value === undefined) {
      throw new DataFormatError({
        ...location,
        entry: path,
        problem: `the ${quantity} is missing`,
        rule: `Converting translations in metres to object pixels needs the ${quantity} at ${path}`,
        received: 'no dataset at that path',
        action: `Add it to the file, or enter it so that the reader receives the option ${option}`,
      });
    }
    if (!(Number.isFinite(value) && value > 0)) {
      throw new DataFormatError({
        ...location,
        entry: stored === null ? null : path,
        problem: `the ${quantity} is invalid`,
        rule: `The ${quantity} must be a positive number`,
        received: String(value),
        action: `Correct ${path}`,
      });
    }
    if (stored === null) {
      notices.push({ topic: 'unit-conversion', severity: 'info', message: `The file has no ${quantity}; ${formatNumber(value)} from the options was used.` });
    }
    return value;
  };

  const distance_m = required(CXI_DISTANCE_PATH, options.distance_m, 'distance_m', 'detector distance');
  const detectorPixelSizeX_m = required(CXI_X_PIXEL_SIZE_PATH, options.detectorPixelSize_m, 'detectorPixelSize_m', 'detector pixel width');
  const detectorPixelSizeY_m = required(CXI_Y_PIXEL_SIZE_PATH, options.detectorPixelSize_m, 'detectorPixelSize_m', 'detector pixel height');
  let energy_J = required(CXI_ENERGY_PATH, options.energy_J, 'energy_J', 'photon energy');
  if (energy_J > MAX_PLAUSIBLE_ENERGY_J) {
    notices.push({
      topic: 'unit-conversion',
      severity: 'warning',
      message:
        `The photon energy ${formatNumber(energy_J)} is implausible in joules, as CXI stores it, so it was read as ` +
        `${formatNumber(energy_J)} eV = ${formatNumber(energy_J * ELECTRONVOLT_J)} J.`,
    });
    energy_J *= ELECTRONVOLT_J;
  }

  const wavelength_m = (PLANCK_J_S * SPEED_OF_LIGHT_M_S) / energy_J;
  return {
    energy_J,
    wavelength_m,
    distance_m,
    detectorPixelSizeX_m,
    detectorPixelSizeY_m,
    objectPixelSizeX_m: (wavelength_m * distance_m) / (patternSize * detectorPixelSizeX_m),
    objectPixelSizeY_m: (wavelength_m * distance_m) / (patternSize * detectorPixelSizeY_m),
  };
}

/** Reads translations stored (M, 3) as the CXI format defines, or transposed as (3, M). */
function readTranslations(
  dataset: Dataset,
  location: DataLocation,
  patternCount: number,
  notices: ReadNotice[],
): { x_m: Float64Array; y_m: Float64Array } {
  const array: Hdf5RealArray = readRealDataset(dataset, location, 'translation');
  const [rows, columns] = array.shape;
  const rowsArePositions = array.shape.length === 2 && rows === patternCount && columns === 3;
  const columnsArePositions = array.shape.length === 2 && rows === 3 && columns === patternCount;
  if (!rowsArePositions && !columnsArePositions) {
    throw new DataFormatError({
      ...location,
      problem: 'the translations do not match the frames',
      rule: `The file has ${patternCount} frames, so the translations must have shape (${patternCount}, 3), one (x, y, z) per frame, or (3, ${patternCount})`,
      received: `shape ${formatShape(array.shape)} of ${array.dtype}`,
      action: 'Check that the translations and the frames come from the same scan',
    });
  }
  if (rowsArePositions && columnsArePositions) {
    notices.push({
      topic: 'positions',
      severity: 'warning',
      message: 'The translations are 3×3, so they were read as the CXI format defines them: one (x, y, z) row per frame.',
    });
  } else if (columnsArePositions) {
    notices.push({ topic: 'positions', severity: 'info', message: `The translations are stored (3, ${patternCount}), transposed from CXI's (M, 3).` });
  }

  const x_m = new Float64Array(patternCount);
  const y_m = new Float64Array(patternCount);
  for (let index = 0; index < patternCount; index++) {
    x_m[index] = rowsArePositions ? array.values[3 * index] : array.values[index];
    y_m[index] = rowsArePositions ? array.values[3 * index + 1] : array.values[patternCount + index];
  }
  requireFinite(x_m, location, 'The x translation');
  requireFinite(y_m, location, 'The y translation');
  return { x_m, y_m };
}

function readIllumination(file: H5File, location: DataLocation, patternSize: number, notices: ReadNotice[]): Float32Array | null {
  const dataset = getDataset(file, CXI_ILLUMINATION_PATH, location);
  if (dataset === null) {
    notices.push({
      topic: 'probe',
      severity: 'warning',
      message: `The file has no probe at ${CXI_ILLUMINATION_PATH}, so a reconstruction starts from ${describeDefaultProbe(patternSize)}.`,
    });
    return null;
  }
  const probe = readComplexDataset(dataset, { ...location, entry: CXI_ILLUMINATION_PATH }, 'illumination');
  if (probe.shape.length !== 2 || probe.shape[0] !== patternSize || probe.shape[1] !== patternSize) {
    notices.push({
      topic: 'probe',
      severity: 'warning',
      message: `The illumination has shape ${formatShape(probe.shape)}, not ${patternSize}×${patternSize} like the frames, so it was not used.`,
    });
    return null;
  }
  return probe.values;
}

function readMask(file: H5File, location: DataLocation, patternSize: number, shifted: boolean, notices: ReadNotice[]): Uint8Array | null {
  const dataset = getDataset(file, CXI_MASK_PATH, location);
  if (dataset === null) {
    return null;
  }
  const mask = readRealDataset(dataset, { ...location, entry: CXI_MASK_PATH }, 'mask');
  if (mask.shape.length !== 2 || mask.shape[0] !== patternSize || mask.shape[1] !== patternSize) {
    notices.push({
      topic: 'detector-mask',
      severity: 'warning',
      message: `The detector mask has shape ${formatShape(mask.shape)}, not ${patternSize}×${patternSize} like the frames, so it was not used.`,
    });
    return null;
  }
  const valid = Uint8Array.from(mask.values, (flags) => (flags === 0 ? 1 : 0));
  const masked = valid.length - valid.reduce((sum, flag) => sum + flag, 0);
  notices.push({
    topic: 'detector-mask',
    severity: masked > 0 ? 'warning' : 'info',
    message: `The detector mask marks ${masked} of ${valid.length} pixels as unusable (non-zero CXI flags).`,
  });
  return shifted ? inverseFftShift(valid, patternSize) : valid;
}
