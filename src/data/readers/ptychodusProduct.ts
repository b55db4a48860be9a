/**
 * Reader of Ptychodus product files (HDF5 or NPZ): the object, probe modes, probe positions, pixel
 * sizes and loss history of a reconstruction, to start a run from or to compare with. The layout
 * and the Ptychodus source it follows are described in src/data/writers/ptychodusLayout.ts.
 *
 * Positions are also returned in our dataset convention: the top-left corner of each probe window
 * in object-array pixels, x the column. With the file's object centre (cx, cy), pixel size (dx, dy),
 * object size W × H and probe size w × h, that is (x_m − cx) / dx + W/2 − w/2, and likewise for y.
 */
import type { Attribute, Dataset, File as H5File } from 'h5wasm';

import { DataFormatError, type DataLocation } from '../errors';
import { formatShape, toFloat32Array } from '../npy';
import { listNpzKeys, readNpzArray } from '../npz';
import { findZipEntry, openZip, readZipEntry, type ZipArchive } from '../zip';
import { readNpyUnicodeScalar } from '../writers/npyUnicode';
import {
  H5_GEOMETRY_ATTRIBUTES,
  LENGTH_UNIT_KEY,
  NPZ_GEOMETRY_KEYS,
  PRODUCT_ARRAY_KEYS,
  PRODUCT_METADATA_KEYS,
  type ComplexStack,
  type ProductLengthUnit,
  type PtychodusProduct,
} from '../writers/ptychodusLayout';
import { findHdf5Superblock, getDataset, readComplexDataset, readRealDataset, withHdf5File } from './hdf5';

export interface PtychodusProductReadResult {
  format: 'ptychodus-h5' | 'ptychodus-npz';
  product: PtychodusProduct;
  /** Column of each probe window's top-left corner in the object array, [M], in object pixels. */
  positionX_px: Float64Array;
  /** Row of each probe window's top-left corner in the object array, [M], in object pixels. */
  positionY_px: Float64Array;
  /** Complete sentences on what the reader assumed or dropped, for the user. */
  notices: string[];
}

/** Name endings of HDF5 files. A file with such a name but no HDF5 signature gets an HDF5 message. */
const HDF5_NAME_ENDINGS = ['.h5', '.hdf5', '.hdf', '.cxi', '.nxs'];

/** First bytes of a ZIP archive (a local file header), and so of an .npz file. */
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

/**
 * Reads a Ptychodus product, choosing HDF5 or NPZ from the first bytes. An empty file, or one that
 * is neither HDF5 nor ZIP, is rejected with a message about products that fits the file name,
 * rather than the NPZ reader's advice on numpy.savez.
 */
export async function readPtychodusProduct(bytes: Uint8Array, fileName: string): Promise<PtychodusProductReadResult> {
  if (bytes.length === 0) {
    throw new DataFormatError({
      file: fileName,
      problem: 'the file is empty (0 bytes)',
      rule: 'A product is an .h5 or .npz file written by Ptychodus or by Ptychoscope\'s export',
      received: 'no bytes',
      action: 'Choose the product file again, or export it again if the copy is empty',
    });
  }
  if (findHdf5Superblock(bytes) >= 0) {
    return readPtychodusProductH5(bytes, fileName);
  }
  const isZip = ZIP_SIGNATURE.every((byte, index) => bytes[index] === byte);
  if (!isZip) {
    const lowerName = fileName.toLowerCase();
    const namedHdf5 = HDF5_NAME_ENDINGS.some((ending) => lowerName.endsWith(ending));
    throw new DataFormatError({
      file: fileName,
      problem: namedHdf5 ? 'the file is not an HDF5 file' : 'the file is neither an HDF5 file nor an NPZ (ZIP) archive',
      rule: namedHdf5
        ? 'An .h5 product is an HDF5 file, which starts with the HDF5 signature \\x89HDF, written by Ptychodus or by Ptychoscope\'s export'
        : 'A product is an HDF5 file (.h5) or a ZIP archive (.npz) written by Ptychodus or by Ptychoscope\'s export',
      received: `${bytes.length} bytes that start with neither signature`,
      action: 'Choose a product file written by Ptychodus or Ptychoscope; this one may be damaged or of another type',
    });
  }
  return readPtychodusProductNpz(bytes, fileName);
}

// ---------------------------------------------------------------------------------------------
// HDF5
// ---------------------------------------------------------------------------------------------

/** Reads a Ptychodus HDF5 product. Throws DataFormatError naming the dataset or attribute at fault. */
export async function readPtychodusProductH5(bytes: Uint8Array, fileName: string): Promise<PtychodusProductReadResult> {
  return withHdf5File(bytes, fileName, (file) => {
    const notices: string[] = [];
    const root = { file: fileName };

    const probeDataset = requireH5Dataset(file, PRODUCT_ARRAY_KEYS.probe, fileName);
    const objectDataset = requireH5Dataset(file, PRODUCT_ARRAY_KEYS.object, fileName);
    const probeLocation = { file: fileName, entry: PRODUCT_ARRAY_KEYS.probe };
    const objectLocation = { file: fileName, entry: PRODUCT_ARRAY_KEYS.object };
    const probeArray = readComplexDataset(probeDataset, probeLocation, 'probe');
    const objectArray = readComplexDataset(objectDataset, objectLocation, 'object');

    const positionX_m = readH5Vector(file, PRODUCT_ARRAY_KEYS.positionX_m, fileName, true) as Float64Array;
    const positionY_m = readH5Vector(file, PRODUCT_ARRAY_KEYS.positionY_m, fileName, true) as Float64Array;
    const indexes = readH5Vector(file, PRODUCT_ARRAY_KEYS.positionIndexes, fileName, false);
    const lossValues =
      readH5Vector(file, PRODUCT_ARRAY_KEYS.lossValues, fileName, false) ?? readH5Vector(file, PRODUCT_ARRAY_KEYS.legacyCosts, fileName, false);
    const lossEpochs = readH5Vector(file, PRODUCT_ARRAY_KEYS.lossEpochs, fileName, false);

    const product: PtychodusProduct = {
      name: readH5StringAttribute(file, PRODUCT_METADATA_KEYS.name) ?? '',
      comments: readH5StringAttribute(file, PRODUCT_METADATA_KEYS.comments) ?? '',
      detectorDistance_m: readH5NumberAttribute(file, PRODUCT_METADATA_KEYS.detectorDistance_m, root, false) ?? 0,
      probeEnergy_eV: readH5NumberAttribute(file, PRODUCT_METADATA_KEYS.probeEnergy_eV, root, false) ?? 0,
      probePhotonCount: readH5NumberAttribute(file, PRODUCT_METADATA_KEYS.probePhotonCount, root, false) ?? 0,
      exposureTime_s: readH5NumberAttribute(file, PRODUCT_METADATA_KEYS.exposureTime_s, root, false) ?? 0,
      massAttenuation_m2_kg: readH5NumberAttribute(file, PRODUCT_METADATA_KEYS.massAttenuation_m2_kg, root, false) ?? 0,
      lengthUnit: toLengthUnit(readH5StringAttribute(file, LENGTH_UNIT_KEY)),
      positionIndexes: toIndexes(indexes, positionX_m.length),
      positionX_m,
      positionY_m,
      probe: toProbeStack(probeArray.shape, probeArray.values, probeLocation, notices),
      probePixelWidth_m: requireNumber(readH5NumberAttribute(probeDataset, H5_GEOMETRY_ATTRIBUTES.pixelWidth_m, probeLocation, true)),
      probePixelHeight_m: requireNumber(readH5NumberAttribute(probeDataset, H5_GEOMETRY_ATTRIBUTES.pixelHeight_m, probeLocation, true)),
      object: toObjectStack(objectArray.shape, objectArray.values, objectLocation, notices),
      objectPixelWidth_m: requireNumber(readH5NumberAttribute(objectDataset, H5_GEOMETRY_ATTRIBUTES.pixelWidth_m, objectLocation, true)),
      objectPixelHeight_m: requireNumber(readH5NumberAttribute(objectDataset, H5_GEOMETRY_ATTRIBUTES.pixelHeight_m, objectLocation, true)),
      objectCenterX_m: requireNumber(readH5NumberAttribute(objectDataset, H5_GEOMETRY_ATTRIBUTES.centerX_m, objectLocation, true)),
      objectCenterY_m: requireNumber(readH5NumberAttribute(objectDataset, H5_GEOMETRY_ATTRIBUTES.centerY_m, objectLocation, true)),
      lossEpochs: toIndexes(lossEpochs, lossValues?.length ?? 0),
      lossValues: Float64Array.from(lossValues ?? []),
    };
    return finish('ptychodus-h5', product, fileName, notices);
  });
}

function requireH5Dataset(file: H5File, path: string, fileName: string): Dataset {
  const dataset = getDataset(file, path, { file: fileName });
  if (dataset === null) {
    throw missing(fileName, path, 'dataset');
  }
  return dataset;
}

/** Reads a 1-D numeric dataset as float64, or returns null when it is absent and not required. */
function readH5Vector(file: H5File, path: string, fileName: string, required: boolean): Float64Array | null {
  const dataset = getDataset(file, path, { file: fileName });
  if (dataset === null) {
    if (required) throw missing(fileName, path, 'dataset');
    return null;
  }
  const location = { file: fileName, entry: path };
  const shape = dataset.metadata.shape ?? [];
  if (shape.length !== 1) {
    throw wrongShape(location, path, 'a 1-D array', formatShape(shape));
  }
  // h5wasm returns no value for a dataset with no elements, such as an empty loss history.
  if (shape[0] === 0) {
    return new Float64Array(0);
  }
  return Float64Array.from(readRealDataset(dataset, location, path).values);
}

function readH5Attribute(holder: H5File | Dataset, name: string): Attribute | null {
  return Object.hasOwn(holder.attrs, name) ? holder.attrs[name] : null;
}

function readH5StringAttribute(holder: H5File | Dataset, name: string): string | null {
  const value = readH5Attribute(holder, name)?.value;
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

function readH5NumberAttribute(holder: H5File | Dataset, name: string, location: DataLocation, required: boolean): number | null {
  const attribute = readH5Attribute(holder, name);
  if (attribute === null) {
    if (required) throw missing(location.file, `${location.entry ?? '/'} attribute ${name}`, 'attribute');
    return null;
  }
  const value = attribute.value;
  const number = toSingleNumber(value);
  if (number === null) {
    throw new DataFormatError({
      ...location,
      problem: `the attribute ${name} is not a single number`,
      rule: `${name} must be one number`,
      received: `the value ${JSON.stringify(attribute.json_value)}`,
      action: 'Write the attribute as a float, as Ptychodus does',
    });
  }
  return number;
}

function toSingleNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView) && (value as unknown as ArrayLike<unknown>).length === 1) {
    return Number((value as unknown as ArrayLike<number | bigint>)[0]);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// NPZ
// ---------------------------------------------------------------------------------------------

/** Reads a Ptychodus NPZ product. Throws DataFormatError naming the member at fault. */
export function readPtychodusProductNpz(bytes: Uint8Array, fileName: string): PtychodusProductReadResult {
  const archive = openZip(bytes, fileName);
  const keys = new Set(listNpzKeys(archive));
  const notices: string[] = [];
  const has = (key: string) => keys.has(key);
  const vector = (key: string) => Float64Array.from(toFloat32OrFloat64(readNpzArray(archive, key)));
  const scalar = (key: string, required: boolean): number | null => {
    if (!has(key)) {
      if (required) throw missing(fileName, `${key}.npy`, 'array');
      return null;
    }
    const array = readNpzArray(archive, key);
    const values = toFloat32OrFloat64(array);
    if (array.isComplex || values.length !== 1) {
      throw wrongShape({ file: fileName, entry: `${key}.npy` }, key, 'a single real number', `shape ${formatShape(array.shape)} of ${array.dtype}`);
    }
    return values[0];
  };
  const text = (key: string): string | null => (has(key) ? readNpzString(archive, key) : null);
  const complex = (key: string) => {
    if (!has(key)) throw missing(fileName, `${key}.npy`, 'array');
    const array = readNpzArray(archive, key);
    const values = array.isComplex ? toFloat32Array(array) : interleaveReal(toFloat32Array(array));
    return { shape: array.shape, values };
  };

  for (const key of [PRODUCT_ARRAY_KEYS.positionX_m, PRODUCT_ARRAY_KEYS.positionY_m]) {
    if (!has(key)) throw missing(fileName, `${key}.npy`, 'array');
  }
  const probeArray = complex(PRODUCT_ARRAY_KEYS.probe);
  const objectArray = complex(PRODUCT_ARRAY_KEYS.object);
  const positionX_m = vector(PRODUCT_ARRAY_KEYS.positionX_m);
  const lossKey = has(PRODUCT_ARRAY_KEYS.lossValues) ? PRODUCT_ARRAY_KEYS.lossValues : PRODUCT_ARRAY_KEYS.legacyCosts;
  const lossValues = has(lossKey) ? vector(lossKey) : new Float64Array(0);

  const product: PtychodusProduct = {
    name: text(PRODUCT_METADATA_KEYS.name) ?? '',
    comments: text(PRODUCT_METADATA_KEYS.comments) ?? '',
    detectorDistance_m: scalar(PRODUCT_METADATA_KEYS.detectorDistance_m, false) ?? 0,
    probeEnergy_eV: scalar(PRODUCT_METADATA_KEYS.probeEnergy_eV, false) ?? 0,
    probePhotonCount: scalar(PRODUCT_METADATA_KEYS.probePhotonCount, false) ?? 0,
    exposureTime_s: scalar(PRODUCT_METADATA_KEYS.exposureTime_s, false) ?? 0,
    massAttenuation_m2_kg: scalar(PRODUCT_METADATA_KEYS.massAttenuation_m2_kg, false) ?? 0,
    lengthUnit: toLengthUnit(text(LENGTH_UNIT_KEY)),
    positionIndexes: toIndexes(has(PRODUCT_ARRAY_KEYS.positionIndexes) ? vector(PRODUCT_ARRAY_KEYS.positionIndexes) : null, positionX_m.length),
    positionX_m,
    positionY_m: vector(PRODUCT_ARRAY_KEYS.positionY_m),
    probe: toProbeStack(probeArray.shape, probeArray.values, { file: fileName, entry: 'probe.npy' }, notices),
    probePixelWidth_m: requireNumber(scalar(NPZ_GEOMETRY_KEYS.probePixelWidth_m, true)),
    probePixelHeight_m: requireNumber(scalar(NPZ_GEOMETRY_KEYS.probePixelHeight_m, true)),
    object: toObjectStack(objectArray.shape, objectArray.values, { file: fileName, entry: 'object.npy' }, notices),
    objectPixelWidth_m: requireNumber(scalar(NPZ_GEOMETRY_KEYS.objectPixelWidth_m, true)),
    objectPixelHeight_m: requireNumber(scalar(NPZ_GEOMETRY_KEYS.objectPixelHeight_m, true)),
    objectCenterX_m: requireNumber(scalar(NPZ_GEOMETRY_KEYS.objectCenterX_m, true)),
    objectCenterY_m: requireNumber(scalar(NPZ_GEOMETRY_KEYS.objectCenterY_m, true)),
    lossEpochs: toIndexes(has(PRODUCT_ARRAY_KEYS.lossEpochs) ? vector(PRODUCT_ARRAY_KEYS.lossEpochs) : null, lossValues.length),
    lossValues,
  };
  return finish('ptychodus-npz', product, fileName, notices);
}

function readNpzString(archive: ZipArchive, key: string): string {
  const entryName = `${key}.npy`;
  const entry = findZipEntry(archive, entryName);
  if (entry === undefined) {
    throw missing(archive.fileName, entryName, 'array');
  }
  // A name or comment longer than this is not metadata; the limit keeps a damaged member from
  // being inflated into memory.
  const bytes = readZipEntry(archive, entry, { maxBytes: 1 << 20 });
  return readNpyUnicodeScalar(bytes, { file: archive.fileName, entry: entryName });
}

function toFloat32OrFloat64(array: ReturnType<typeof readNpzArray>): ArrayLike<number> {
  if (array.data instanceof Float64Array) return array.data;
  return toFloat32Array(array);
}

function interleaveReal(real: Float32Array): Float32Array {
  const values = new Float32Array(real.length * 2);
  real.forEach((value, index) => {
    values[2 * index] = value;
  });
  return values;
}

// ---------------------------------------------------------------------------------------------
// Shared checks and conversions
// ---------------------------------------------------------------------------------------------

/**
 * Accepts a probe of shape [N, N], [K, N, N] or [S, K, N, N] as Ptychodus does. For S > 1, the
 * extra probes are orthogonal probe relaxation (OPR) modes, and only the first, which Ptychodus
 * uses when it ignores the OPR weights, is kept.
 */
function toProbeStack(shape: number[], values: Float32Array, location: DataLocation, notices: string[]): ComplexStack {
  if (shape.length < 2 || shape.length > 4) {
    throw wrongShape(location, 'probe', '(N, N), (K, N, N) or (S, K, N, N)', formatShape(shape));
  }
  const [height, width] = shape.slice(-2);
  const count = shape.length >= 3 ? shape[shape.length - 3] : 1;
  if (shape.length === 4 && shape[0] > 1) {
    notices.push(`The probe has ${shape[0]} OPR modes; only the first, shared by every position, was read.`);
  }
  return { count, height, width, values: values.slice(0, count * height * width * 2) };
}

/**
 * Accepts an object of shape [H, W] or [L, H, W]. Several layers (a multislice object) are
 * multiplied into one projected transmission, the thin-object approximation, as Ptychodus's
 * Object.get_layers_flattened does.
 */
function toObjectStack(shape: number[], values: Float32Array, location: DataLocation, notices: string[]): ComplexStack {
  if (shape.length !== 2 && shape.length !== 3) {
    throw wrongShape(location, 'object', '(H, W) or (L, H, W)', formatShape(shape));
  }
  const [height, width] = shape.slice(-2);
  const layers = shape.length === 3 ? shape[0] : 1;
  if (layers < 1) {
    throw wrongShape(location, 'object', 'at least one layer', formatShape(shape));
  }
  const pixels = height * width;
  const projected = values.slice(0, pixels * 2);
  for (let layer = 1; layer < layers; layer += 1) {
    for (let i = 0; i < pixels; i += 1) {
      const re = projected[2 * i];
      const im = projected[2 * i + 1];
      const layerRe = values[2 * (layer * pixels + i)];
      const layerIm = values[2 * (layer * pixels + i) + 1];
      projected[2 * i] = re * layerRe - im * layerIm;
      projected[2 * i + 1] = re * layerIm + im * layerRe;
    }
  }
  if (layers > 1) {
    notices.push(`The object has ${layers} layers; they were multiplied into one projected object.`);
  }
  return { count: 1, height, width, values: projected };
}

function toIndexes(values: ArrayLike<number> | null, count: number): Int32Array {
  if (values === null) {
    return Int32Array.from({ length: count }, (_, index) => index);
  }
  return Int32Array.from(values);
}

function toLengthUnit(value: string | null): ProductLengthUnit {
  return value === 'pixel' ? 'pixel' : 'm';
}

/** Narrows a value that a `required` read has already checked. */
function requireNumber(value: number | null): number {
  if (value === null) throw new Error('requireNumber: a required value was null; the caller must pass required = true.');
  return value;
}

/** Checks the product's sizes against each other and converts the positions to object-array pixels. */
function finish(
  format: PtychodusProductReadResult['format'],
  product: PtychodusProduct,
  fileName: string,
  notices: string[],
): PtychodusProductReadResult {
  const count = product.positionX_m.length;
  if (product.positionY_m.length !== count || product.positionIndexes.length !== count) {
    throw new DataFormatError({
      file: fileName,
      problem: 'the probe position arrays differ in length',
      rule: `${PRODUCT_ARRAY_KEYS.positionX_m}, ${PRODUCT_ARRAY_KEYS.positionY_m} and ${PRODUCT_ARRAY_KEYS.positionIndexes} must have one value per position`,
      received: `${count}, ${product.positionY_m.length} and ${product.positionIndexes.length} values`,
      action: 'Export the product again from Ptychodus',
    });
  }
  if (product.lossEpochs.length !== product.lossValues.length) {
    throw new DataFormatError({
      file: fileName,
      problem: 'the loss arrays differ in length',
      rule: `${PRODUCT_ARRAY_KEYS.lossEpochs} and ${PRODUCT_ARRAY_KEYS.lossValues} must have one value per iteration`,
      received: `${product.lossEpochs.length} and ${product.lossValues.length} values`,
      action: 'Export the product again from Ptychodus',
    });
  }
  const pixelSizes: [string, number][] = [
    ['object pixel width', product.objectPixelWidth_m],
    ['object pixel height', product.objectPixelHeight_m],
    ['probe pixel width', product.probePixelWidth_m],
    ['probe pixel height', product.probePixelHeight_m],
  ];
  for (const [role, size] of pixelSizes) {
    if (!(size > 0) || !Number.isFinite(size)) {
      throw new DataFormatError({
        file: fileName,
        problem: `the ${role} is invalid`,
        rule: 'Pixel sizes must be finite and positive',
        received: String(size),
        action: 'Set the pixel size in Ptychodus and export the product again',
      });
    }
  }

  const positionX_px = new Float64Array(count);
  const positionY_px = new Float64Array(count);
  const { object, probe } = product;
  for (let i = 0; i < count; i += 1) {
    positionX_px[i] = (product.positionX_m[i] - product.objectCenterX_m) / product.objectPixelWidth_m + object.width / 2 - probe.width / 2;
    positionY_px[i] = (product.positionY_m[i] - product.objectCenterY_m) / product.objectPixelHeight_m + object.height / 2 - probe.height / 2;
  }
  if (product.probePixelWidth_m !== product.objectPixelWidth_m || product.probePixelHeight_m !== product.objectPixelHeight_m) {
    notices.push(
      'The probe and object pixel sizes differ; the probe was read as is, not resampled to the object grid.',
    );
  }
  return { format, product, positionX_px, positionY_px, notices };
}

function missing(file: string, entry: string, kind: 'dataset' | 'attribute' | 'array'): DataFormatError {
  return new DataFormatError({
    file,
    entry,
    problem: `the ${kind} ${entry} is missing`,
    rule: `A Ptychodus product must contain ${entry}`,
    received: `a file without it`,
    action: 'Check that this is a product file written by Ptychodus, not a diffraction or settings file',
  });
}

function wrongShape(location: DataLocation, role: string, expected: string, received: string): DataFormatError {
  return new DataFormatError({
    ...location,
    problem: `the ${role} has the wrong shape`,
    rule: `The ${role} must have the shape ${expected}`,
    received,
    action: 'Export the product again from Ptychodus',
  });
}
