/**
 * Reader for PtychoPINN's .npz datasets (the files that ptycho.raw_data.RawData reads and writes).
 *
 * PtychoPINN's layout, which this module converts to the ScanDataset conventions:
 * - `diffraction`, or the legacy key `diff3d`: (M, N, N), or legacy (N, N, M), optionally with a
 *   trailing channel axis of 1. The values are amplitudes (square roots of intensities) on a
 *   normalised scale in PtychoPINN's default convention, or counts in its count-intensity
 *   convention. The patterns are centred: the zero frequency sits at [N/2, N/2] (fftshifted).
 * - `xcoords`, `ycoords` (M,): the probe centre on the object in object pixels, x the column.
 *   PtychoPINN's patch extraction pads the object by N/2 and crops N×N after a shift by the
 *   coordinate, so the window's top-left corner is at (x − N/2, y − N/2).
 * - `xcoords_start`, `ycoords_start` (M,): coordinates before position correction (optional).
 * - `probeGuess` (N, N) complex, `objectGuess` (H, W) complex (optional), `scan_index` (M,).
 * - `_metadata`: provenance, sometimes a pickled object. It is never read, because unpickling can
 *   run arbitrary code.
 */
import type { ScanDataset } from '../dataset';
import { DataFormatError, type DataLocation } from '../errors';
import { formatShape, isComplexDtype, toFloat32Array, type NpyArray, type NpyReadOptions } from '../npy';
import { listNpzKeys, readNpzArray } from '../npz';
import { localFileProvenance } from '../siemensStar';
import { openZip, type ZipArchive } from '../zip';
import type { ComplexImage, MeasurementDomain, ReadNotice, ReadResult } from './readResult';
import {
  buildIntensities,
  decideMeasurement,
  describeDefaultProbe,
  describeStackSource,
  describeLayout,
  describeMeasurement,
  detectZeroFrequency,
  formatNumber,
  realArrayFromNpy,
  requireNonNegativeAmplitudes,
  requirePositionVector,
  resolveStackGeometry,
  resolveZeroFrequency,
  type StackLayout,
  type ZeroFrequencyMode,
} from './stack';

/** Keys of the diffraction stack, in the order they are looked up. */
export const PTYCHOPINN_STACK_KEYS = ['diffraction', 'diff3d'] as const;

/** Keys this reader uses. Any other key is listed in a notice as unused. */
const KNOWN_KEYS = new Set([
  ...PTYCHOPINN_STACK_KEYS,
  'xcoords',
  'ycoords',
  'xcoords_start',
  'ycoords_start',
  'probeGuess',
  'objectGuess',
  'scan_index',
  '_metadata',
]);

export interface PtychoPinnReadOptions {
  /** Reads the stored values as this domain instead of detecting it. */
  measurement?: MeasurementDomain;
  /** Reads the stack in this layout, required for a cube such as (64, 64, 64). */
  stackLayout?: StackLayout;
  /** Location of the zero frequency in the stored patterns. Defaults to 'centre', PtychoPINN's convention. */
  zeroFrequency?: ZeroFrequencyMode;
  /** Uses `xcoords_start`/`ycoords_start` instead of `xcoords`/`ycoords`. */
  useStartCoordinates?: boolean;
  /** Defaults to that of a local file. */
  provenance?: string;
  /** Limits applied to each array before it is allocated. */
  npy?: NpyReadOptions;
}

/** Checks for a PtychoPINN stack key ("diffraction" or "diff3d") among an archive's keys. */
export function hasPtychoPinnKeys(keys: readonly string[]): boolean {
  return PTYCHOPINN_STACK_KEYS.some((key) => keys.includes(key));
}

/** Reads a PtychoPINN .npz held in memory. Throws DataFormatError for malformed input. */
export function readPtychoPinnNpz(source: ArrayBuffer | Uint8Array, fileName: string, options: PtychoPinnReadOptions = {}): ReadResult {
  return readPtychoPinnArchive(openZip(source, fileName), options);
}

/** Converts the arrays of an opened PtychoPINN archive to a ScanDataset with its notices. */
export function readPtychoPinnArchive(archive: ZipArchive, options: PtychoPinnReadOptions = {}): ReadResult {
  const fileName = archive.fileName;
  const keys = listNpzKeys(archive);
  const notices: ReadNotice[] = [];
  const read = (key: string) => readNpzArray(archive, key, options.npy);
  const where = (key: string): DataLocation => ({ file: fileName, entry: `${key}.npy` });

  const stackKey = PTYCHOPINN_STACK_KEYS.find((key) => keys.includes(key));
  if (stackKey === undefined) {
    throw missingKey(fileName, 'diffraction', keys, 'A PtychoPINN dataset stores its diffraction patterns under "diffraction" or the legacy key "diff3d"');
  }
  if (stackKey === 'diffraction' && keys.includes('diff3d')) {
    notices.push({ topic: 'skipped-entry', severity: 'info', message: 'The file has both "diffraction" and "diff3d"; "diffraction" was read and "diff3d" ignored.' });
  }

  // The stack: layout, then counts or amplitude, then the zero frequency.
  const stackLocation = where(stackKey);
  const stack = realArrayFromNpy(read(stackKey), stackLocation, 'diffraction');
  const geometry = resolveStackGeometry(stack.shape, stackLocation, options.stackLayout);
  const layoutNotice = describeLayout(geometry, stackKey);
  if (layoutNotice !== null) notices.push(layoutNotice);

  const measurement = decideMeasurement(stack, options.measurement);
  notices.push(describeMeasurement(measurement));
  if (measurement.assumed === 'amplitude') {
    requireNonNegativeAmplitudes(stack, stackLocation);
  }

  const detected = detectZeroFrequency(stack, geometry, measurement.assumed);
  const zeroFrequency = resolveZeroFrequency(detected, geometry.patternSize, options.zeroFrequency ?? 'centre', 'PtychoPINN');
  notices.push(zeroFrequency.notice);
  // The stack was read for this dataset alone, so a float32 stack becomes the intensities in place.
  const stackSource = describeStackSource(stackKey, stack, geometry, zeroFrequency.location.shifted);
  const intensities = buildIntensities(stack, geometry, measurement.assumed, zeroFrequency.location.shifted, true);

  // Positions: centre coordinates converted to top-left corners.
  const { patternCount, patternSize } = geometry;
  const positions = readCoordinates(archive, keys, patternCount, options.useStartCoordinates ?? false, notices, options.npy);
  const half = patternSize / 2;
  const positionX_px = Float32Array.from(positions.x, (x) => x - half);
  const positionY_px = Float32Array.from(positions.y, (y) => y - half);
  notices.push({
    topic: 'positions',
    severity: 'info',
    message:
      `Positions are "${positions.xKey}" and "${positions.yKey}", PtychoPINN's probe centres in object pixels with x the column; ` +
      `${formatNumber(half)} pixels (N/2) were subtracted to give the top-left corners of the ${patternSize}×${patternSize} windows.`,
  });

  const probe = readProbe(archive, keys, patternSize, notices, options.npy);
  const objectGuess = readObjectGuess(archive, keys, notices, options.npy);
  describeScanIndex(archive, keys, patternCount, notices, options.npy);
  describeSkippedKeys(keys, notices);

  const dataset: ScanDataset = {
    name: fileName,
    patternCount,
    patternSize,
    intensities,
    positionX_px,
    positionY_px,
    probe,
    provenance: options.provenance ?? localFileProvenance(fileName),
  };
  return {
    kind: 'dataset',
    format: 'ptychopinn-npz',
    dataset,
    notices,
    objectGuess,
    measurement,
    zeroFrequency: zeroFrequency.location,
    geometry: null,
    validPixels: null,
    stackSource,
  };
}

interface Coordinates {
  x: Float64Array;
  y: Float64Array;
  xKey: string;
  yKey: string;
}

function readCoordinates(
  archive: ZipArchive,
  keys: string[],
  patternCount: number,
  useStart: boolean,
  notices: ReadNotice[],
  npyOptions: NpyReadOptions | undefined,
): Coordinates {
  const fileName = archive.fileName;
  const hasCentre = keys.includes('xcoords') && keys.includes('ycoords');
  const hasStart = keys.includes('xcoords_start') && keys.includes('ycoords_start');
  const readVector = (key: string) => {
    const location = { file: fileName, entry: `${key}.npy` };
    const array = realArrayFromNpy(readNpzArray(archive, key, npyOptions), location, key);
    return requirePositionVector(array, patternCount, location, `"${key}"`);
  };

  if (useStart && !hasStart) {
    throw missingKey(fileName, keys.includes('xcoords_start') ? 'ycoords_start' : 'xcoords_start', keys,
      'Reading start coordinates needs both "xcoords_start" and "ycoords_start"');
  }
  if (!useStart && !hasCentre) {
    if (hasStart) {
      notices.push({ topic: 'positions', severity: 'warning', message: 'The file has no "xcoords"/"ycoords", so "xcoords_start"/"ycoords_start" were used.' });
      return { x: readVector('xcoords_start'), y: readVector('ycoords_start'), xKey: 'xcoords_start', yKey: 'ycoords_start' };
    }
    throw missingKey(fileName, keys.includes('xcoords') ? 'ycoords' : 'xcoords', keys,
      'A PtychoPINN dataset stores one probe position per pattern in "xcoords" and "ycoords"');
  }

  const [xKey, yKey] = useStart ? ['xcoords_start', 'ycoords_start'] : ['xcoords', 'ycoords'];
  const x = readVector(xKey);
  const y = readVector(yKey);
  const [otherX, otherY] = useStart ? ['xcoords', 'ycoords'] : ['xcoords_start', 'ycoords_start'];
  if (keys.includes(otherX) && keys.includes(otherY)) {
    const difference = Math.max(maxDifference(x, readVector(otherX)), maxDifference(y, readVector(otherY)));
    if (difference > 0) {
      notices.push({
        topic: 'positions',
        severity: 'info',
        message:
          `"${otherX}"/"${otherY}" differ from "${xKey}"/"${yKey}" by up to ${formatNumber(difference)} pixels ` +
          `(position correction); "${xKey}"/"${yKey}" were used.`,
      });
    }
  }
  return { x, y, xKey, yKey };
}

function maxDifference(a: Float64Array, b: Float64Array): number {
  let max = 0;
  for (let index = 0; index < a.length; index++) {
    max = Math.max(max, Math.abs(a[index] - b[index]));
  }
  return max;
}

function readProbe(
  archive: ZipArchive,
  keys: string[],
  patternSize: number,
  notices: ReadNotice[],
  npyOptions: NpyReadOptions | undefined,
): Float32Array | null {
  if (!keys.includes('probeGuess')) {
    notices.push({
      topic: 'probe',
      severity: 'warning',
      message: `The file has no "probeGuess", so a reconstruction starts from ${describeDefaultProbe(patternSize)}.`,
    });
    return null;
  }
  const location = { file: archive.fileName, entry: 'probeGuess.npy' };
  const probe = readNpzArray(archive, 'probeGuess', npyOptions);
  const squeezed = probe.shape.filter((size, axis) => size !== 1 || axis >= probe.shape.length - 2);
  if (squeezed.length !== 2 || squeezed[0] !== patternSize || squeezed[1] !== patternSize) {
    throw new DataFormatError({
      ...location,
      problem: 'the probe guess has the wrong shape',
      rule: `The probe must be one ${patternSize}×${patternSize} array, the size of the diffraction patterns`,
      received: `shape ${formatShape(probe.shape)} of ${probe.dtype}`,
      action: 'Save a probe of the same size as the patterns, or remove "probeGuess" from the file',
    });
  }
  return toInterleavedComplex(probe, location, notices, 'probeGuess');
}

function readObjectGuess(
  archive: ZipArchive,
  keys: string[],
  notices: ReadNotice[],
  npyOptions: NpyReadOptions | undefined,
): ComplexImage | null {
  if (!keys.includes('objectGuess')) {
    return null;
  }
  const location = { file: archive.fileName, entry: 'objectGuess.npy' };
  const object = readNpzArray(archive, 'objectGuess', npyOptions);
  if (object.shape.length !== 2 || object.shape.includes(0)) {
    // The object is only a reference, so a malformed one is skipped rather than blocking the scan.
    notices.push({
      topic: 'skipped-entry',
      severity: 'warning',
      message: `"objectGuess" has shape ${formatShape(object.shape)}, not a 2-D image, so it was skipped.`,
    });
    return null;
  }
  const [height, width] = object.shape;
  return { height, width, values: toInterleavedComplex(object, location, notices, 'objectGuess') };
}

/** Converts a complex or real array to interleaved complex float32, noting a real input. */
function toInterleavedComplex(array: NpyArray, location: DataLocation, notices: ReadNotice[], key: string): Float32Array {
  if (isComplexDtype(array.dtype)) {
    return new Float32Array(toFloat32Array(array));
  }
  if (array.dtype === 'bool') {
    throw new DataFormatError({
      ...location,
      problem: `"${key}" is a bool array`,
      rule: `"${key}" must be complex, or real with the imaginary part taken as 0`,
      received: `shape ${formatShape(array.shape)} of bool`,
      action: `Save "${key}" as complex64`,
    });
  }
  const real = toFloat32Array(array);
  const result = new Float32Array(real.length * 2);
  for (let index = 0; index < real.length; index++) {
    result[2 * index] = real[index];
  }
  notices.push({ topic: 'probe', severity: 'info', message: `"${key}" is real (${array.dtype}); its imaginary part was set to 0.` });
  return result;
}

function describeScanIndex(
  archive: ZipArchive,
  keys: string[],
  patternCount: number,
  notices: ReadNotice[],
  npyOptions: NpyReadOptions | undefined,
): void {
  if (!keys.includes('scan_index')) {
    return;
  }
  const scanIndex = readNpzArray(archive, 'scan_index', npyOptions);
  if (scanIndex.shape.length !== 1 || scanIndex.shape[0] !== patternCount || isComplexDtype(scanIndex.dtype)) {
    notices.push({
      topic: 'skipped-entry',
      severity: 'warning',
      message: `"scan_index" has shape ${formatShape(scanIndex.shape)} of ${scanIndex.dtype}, not one index per pattern (${patternCount}), so it was ignored.`,
    });
    return;
  }
  const distinct = new Set(Array.from(toFloat32Array(scanIndex))).size;
  if (distinct > 1) {
    notices.push({
      topic: 'positions',
      severity: 'warning',
      message: `"scan_index" contains ${distinct} different values, so the file may combine several scans; all patterns were read as one scan.`,
    });
  }
}

function describeSkippedKeys(keys: string[], notices: ReadNotice[]): void {
  if (keys.includes('_metadata')) {
    notices.push({
      topic: 'skipped-entry',
      severity: 'info',
      message: '"_metadata" was not read: it may be a pickled object, and unpickling can run arbitrary code.',
    });
  }
  const unused = keys.filter((key) => !KNOWN_KEYS.has(key));
  if (unused.length > 0) {
    notices.push({
      topic: 'skipped-entry',
      severity: 'info',
      message: `Arrays not used by the reconstruction: ${unused.map((key) => JSON.stringify(key)).join(', ')}.`,
    });
  }
}

function missingKey(fileName: string, key: string, keys: string[], rule: string): DataFormatError {
  return new DataFormatError({
    file: fileName,
    entry: `${key}.npy`,
    problem: `the array ${JSON.stringify(key)} is missing`,
    rule,
    received: keys.length === 0 ? 'an archive with no arrays' : `the arrays ${keys.map((name) => JSON.stringify(name)).join(', ')}`,
    action: 'Check that this is the intended file, or add the array with numpy.savez',
  });
}
