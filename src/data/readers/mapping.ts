/**
 * Builds a ScanDataset from an .npz or HDF5 file whose arrays match no known layout, following a
 * mapping the user gave: which array is the diffraction stack, which contains the positions,
 * their unit, and which component is x.
 */
import type { ScanDataset } from '../dataset';
import { DataFormatError, type DataLocation } from '../errors';
import { formatShape, isComplexDtype, toFloat32Array, type NpyArray, type NpyReadOptions } from '../npy';
import { listNpzKeys, readNpzArray } from '../npz';
import { localFileProvenance } from '../siemensStar';
import { PRODUCT_ARRAY_KEYS } from '../writers/ptychodusLayout';
import type { ZipArchive } from '../zip';
import { readNpzMemberHeader } from './npzHeaders';
import type { ArraySummary, MeasurementDomain, ReadNotice, ReadResult } from './readResult';
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
  requireFinite,
  requireNonNegativeAmplitudes,
  requirePositionVector,
  resolveStackGeometry,
  resolveZeroFrequency,
  type StackLayout,
  type ZeroFrequencyMode,
} from './stack';

/** Arrays (NPZ) or root datasets (HDF5) that every Ptychodus product contains and scan layouts do not use together. */
const PRODUCT_SIGNATURE_KEYS = [
  PRODUCT_ARRAY_KEYS.object,
  PRODUCT_ARRAY_KEYS.probe,
  PRODUCT_ARRAY_KEYS.positionX_m,
  PRODUCT_ARRAY_KEYS.positionY_m,
];

/**
 * Rejects a Ptychodus product opened as a scan. Its object, probe and positions match no scan
 * layout, and it has no diffraction patterns, so mapping its arrays cannot give a scan.
 * `keys` are the .npz array names or the HDF5 root's names, `entryName` turns a key into a path.
 */
export function rejectPtychodusProduct(keys: readonly string[], fileName: string, entryName: (key: string) => string): void {
  if (!PRODUCT_SIGNATURE_KEYS.every((key) => keys.includes(key))) return;
  throw new DataFormatError({
    file: fileName,
    problem: 'the file is a Ptychodus product, a reconstruction with no diffraction patterns, so it cannot be opened as a scan',
    rule: '"Open a scan" reads measured diffraction patterns and their positions, while a product contains an object, probe and positions',
    received: `a product's entries ${PRODUCT_SIGNATURE_KEYS.map((key) => JSON.stringify(entryName(key))).join(', ')}`,
    action:
      'Open the scan that the product was reconstructed from, then choose this file under ' +
      '"Start from a Ptychodus product of this scan" or "Compare with a Ptychodus product of this scan"',
  });
}

/** Location of the scan positions: one (M, 2) or (2, M) array, or one array per axis. */
export type PositionMapping =
  | {
      kind: 'pairs';
      key: string;
      /** Index of the x component (the column): 0 for (x, y) pairs, 1 for (y, x) pairs. */
      xComponent: 0 | 1;
    }
  | { kind: 'separate'; xKey: string; yKey: string };

/** The user's choice of arrays and units for a MappingRequired result. */
export interface ScanMapping {
  /** Key of the diffraction stack, (M, N, N) or (N, N, M). */
  stackKey: string;
  /** Required for a cube such as (64, 64, 64), detected otherwise. */
  stackLayout?: StackLayout;
  /** Counts or amplitudes, detected when absent. */
  measurement?: MeasurementDomain;
  /** Location of the zero frequency in the stored patterns. */
  zeroFrequency: ZeroFrequencyMode;
  positions: PositionMapping;
  positionUnit: 'pixels' | 'metres';
  /** Object pixel size, required when positionUnit is 'metres'. */
  objectPixelSize_m?: number;
  /** Whether a position marks the probe window's top-left corner or its centre. */
  positionReference: 'corner' | 'centre';
  /** Key of a complex N×N probe guess, or null for none. */
  probeKey: string | null;
  /** Defaults to that of a local file. */
  provenance?: string;
}

/** Lists every array in an archive with its shape and dtype, marking arrays no reader can use. */
export function summarizeArrays(archive: ZipArchive, options: NpyReadOptions = {}): ArraySummary[] {
  return listNpzKeys(archive).map((key) => {
    const entryName = `${key}.npy`;
    const entry = archive.entries.find((candidate) => candidate.name === entryName);
    try {
      const header = readNpzMemberHeader(archive, entry as NonNullable<typeof entry>, options);
      return { key, shape: header.shape, dtype: header.dtype, readable: true };
    } catch (error) {
      if (!(error instanceof DataFormatError)) throw error;
      const declared = /dtype "([^"]*)"/.exec(error.received)?.[1];
      return { key, shape: [], dtype: declared ?? 'unknown', readable: false, problem: error.message };
    }
  });
}

/**
 * Arrays of one file that a mapping can name: the members of an .npz archive, or the datasets
 * of an HDF5 file by path.
 */
export interface MappableArrays {
  fileName: string;
  format: 'mapped-npz' | 'mapped-hdf5';
  keys: readonly string[];
  /** Entry named in messages: "key.npy" for an .npz member, the path for an HDF5 dataset. */
  entryName(key: string): string;
  /** Reads one array. Throws DataFormatError when it cannot be read. */
  read(key: string): NpyArray;
}

/**
 * Reads the arrays that `mapping` names and converts them to a ScanDataset. Throws
 * DataFormatError when an array is missing or does not fit its role, and a plain Error when the
 * mapping itself is incomplete.
 */
export function applyMapping(archive: ZipArchive, mapping: ScanMapping, options: NpyReadOptions = {}): ReadResult {
  return applyMappingToArrays(
    {
      fileName: archive.fileName,
      format: 'mapped-npz',
      keys: listNpzKeys(archive),
      entryName: (key) => `${key}.npy`,
      read: (key) => readNpzArray(archive, key, options),
    },
    mapping,
  );
}

/** Converts the arrays that `mapping` names to a ScanDataset, whatever file they come from. */
export function applyMappingToArrays(source: MappableArrays, mapping: ScanMapping): ReadResult {
  const { fileName, keys } = source;
  const notices: ReadNotice[] = [];
  const read = (key: string) => {
    if (!keys.includes(key)) {
      throw new DataFormatError({
        file: fileName,
        entry: source.entryName(key),
        problem: `the mapped array ${JSON.stringify(key)} is missing`,
        rule: 'Every array named in the mapping must be in the file',
        received: `the arrays ${keys.map((name) => JSON.stringify(name)).join(', ')}`,
        action: 'Choose arrays from the list shown',
      });
    }
    return source.read(key);
  };
  if (mapping.positionUnit === 'metres' && !(Number.isFinite(mapping.objectPixelSize_m) && (mapping.objectPixelSize_m ?? 0) > 0)) {
    throw new Error(`applyMapping: positions in metres need a positive objectPixelSize_m, received ${mapping.objectPixelSize_m}.`);
  }

  const stackLocation = { file: fileName, entry: source.entryName(mapping.stackKey) };
  const stack = realArrayFromNpy(read(mapping.stackKey), stackLocation, 'diffraction');
  const geometry = resolveStackGeometry(stack.shape, stackLocation, mapping.stackLayout);
  const layoutNotice = describeLayout(geometry, mapping.stackKey);
  if (layoutNotice !== null) notices.push(layoutNotice);
  const measurement = decideMeasurement(stack, mapping.measurement);
  notices.push(describeMeasurement(measurement));
  if (measurement.assumed === 'amplitude') {
    requireNonNegativeAmplitudes(stack, stackLocation);
  }
  const detected = detectZeroFrequency(stack, geometry, measurement.assumed);
  const zeroFrequency = resolveZeroFrequency(detected, geometry.patternSize, mapping.zeroFrequency, 'the mapping');
  notices.push(zeroFrequency.notice);

  const { patternCount, patternSize } = geometry;
  const raw = readMappedPositions(mapping.positions, read, source, patternCount, notices);
  const scale = mapping.positionUnit === 'metres' ? 1 / (mapping.objectPixelSize_m as number) : 1;
  const offset = mapping.positionReference === 'centre' ? patternSize / 2 : 0;
  const positionX_px = Float32Array.from(raw.x, (x) => x * scale - offset);
  const positionY_px = Float32Array.from(raw.y, (y) => y * scale - offset);
  const unitText =
    mapping.positionUnit === 'metres' ? `divided by the object pixel size ${formatNumber(mapping.objectPixelSize_m as number)} m` : 'read as object pixels';
  const referenceText = mapping.positionReference === 'centre' ? `, and ${formatNumber(offset)} pixels (N/2) were subtracted to turn centres into corners` : '';
  notices.push({ topic: 'unit-conversion', severity: 'info', message: `Positions were ${unitText}${referenceText}.` });
  if (mapping.probeKey === null) {
    notices.push({
      topic: 'probe',
      severity: 'warning',
      message: `No probe guess was chosen, so a reconstruction starts from ${describeDefaultProbe(patternSize)}.`,
    });
  }

  const dataset: ScanDataset = {
    name: fileName,
    patternCount,
    patternSize,
    intensities: buildIntensities(stack, geometry, measurement.assumed, zeroFrequency.location.shifted),
    positionX_px,
    positionY_px,
    probe: mapping.probeKey === null ? null : readMappedProbe(read(mapping.probeKey), { file: fileName, entry: source.entryName(mapping.probeKey) }, patternSize),
    provenance: mapping.provenance ?? localFileProvenance(fileName),
  };
  return {
    kind: 'dataset',
    format: source.format,
    dataset,
    notices,
    objectGuess: null,
    measurement,
    zeroFrequency: zeroFrequency.location,
    geometry: null,
    validPixels: null,
    stackSource: describeStackSource(mapping.stackKey, stack, geometry, zeroFrequency.location.shifted),
  };
}

function readMappedPositions(
  positions: PositionMapping,
  read: (key: string) => NpyArray,
  source: MappableArrays,
  patternCount: number,
  notices: ReadNotice[],
): { x: Float64Array; y: Float64Array } {
  if (positions.kind === 'separate') {
    const vector = (key: string, meaning: string) => {
      const location = { file: source.fileName, entry: source.entryName(key) };
      return requirePositionVector(realArrayFromNpy(read(key), location, 'position'), patternCount, location, meaning);
    };
    return { x: vector(positions.xKey, 'The x position'), y: vector(positions.yKey, 'The y position') };
  }

  const location: DataLocation = { file: source.fileName, entry: source.entryName(positions.key) };
  const array = realArrayFromNpy(read(positions.key), location, 'position');
  // Leading axes of length 1, as in tike's (1, M, 2), carry no information.
  const shape = array.shape.slice(array.shape.findIndex((size, axis) => size !== 1 || axis >= array.shape.length - 2));
  const pairsInRows = shape.length === 2 && shape[0] === patternCount && shape[1] === 2;
  const pairsInColumns = shape.length === 2 && shape[0] === 2 && shape[1] === patternCount;
  if (!pairsInRows && !pairsInColumns) {
    throw new DataFormatError({
      ...location,
      problem: 'the position array does not match the patterns',
      rule: `The file has ${patternCount} patterns, so a position array must have shape (${patternCount}, 2) or (2, ${patternCount})`,
      received: `shape ${formatShape(array.shape)} of ${array.dtype}`,
      action: 'Choose the array that holds one position per pattern',
    });
  }
  if (pairsInColumns && !pairsInRows) {
    notices.push({ topic: 'positions', severity: 'info', message: `The positions are stored as (2, ${patternCount}), one row per axis.` });
  }
  const x = new Float64Array(patternCount);
  const y = new Float64Array(patternCount);
  const yComponent = 1 - positions.xComponent;
  for (let index = 0; index < patternCount; index++) {
    const at = (component: number) => (pairsInRows ? 2 * index + component : component * patternCount + index);
    x[index] = array.values[at(positions.xComponent)];
    y[index] = array.values[at(yComponent)];
  }
  requireFinite(x, location, 'The x position');
  requireFinite(y, location, 'The y position');
  return { x, y };
}

function readMappedProbe(probe: NpyArray, location: DataLocation, patternSize: number): Float32Array {
  const shape = probe.shape.filter((size, axis) => size !== 1 || axis >= probe.shape.length - 2);
  if (!isComplexDtype(probe.dtype) || shape.length !== 2 || shape[0] !== patternSize || shape[1] !== patternSize) {
    throw new DataFormatError({
      ...location,
      problem: 'the mapped probe does not fit the patterns',
      rule: `The probe must be one complex ${patternSize}×${patternSize} array`,
      received: `shape ${formatShape(probe.shape)} of ${probe.dtype}`,
      action: 'Choose a complex array of the pattern size as the probe, or none',
    });
  }
  return new Float32Array(toFloat32Array(probe));
}
