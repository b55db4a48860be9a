/**
 * Writes a reconstruction as a Ptychodus product, in HDF5 (through h5wasm) or NPZ, so that
 * Ptychodus and the reconstructors it drives can continue from it. The layout and the source it
 * follows are described in ptychodusLayout.ts.
 *
 * Lengths: with the CXI geometry, pixel sizes and positions are in metres. Without it, as for the
 * bundled scan, every length is in object pixels, both pixel sizes are 1, and the file records this in
 * its comments and in the `ptychoscope_length_unit` key.
 */
import type { ScanDataset } from '../dataset';
import { createNpyArray, writeNpy } from '../npy';
import { loadH5wasm } from '../readers/hdf5';
import type { CxiGeometry } from '../readers/readResult';
import { writeZip, type ZipInputEntry } from '../zip';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { writeNpyUnicodeScalar } from './npyUnicode';
import {
  H5_GEOMETRY_ATTRIBUTES,
  LENGTH_UNIT_KEY,
  NPZ_GEOMETRY_KEYS,
  PRODUCT_ARRAY_KEYS,
  PRODUCT_METADATA_KEYS,
  type ComplexStack,
  type PtychodusProduct,
} from './ptychodusLayout';

/** The elementary charge in coulombs (exact in SI since 2019), to convert joules to electronvolts. */
const ELEMENTARY_CHARGE_C = 1.602176634e-19;

/** The complex dtype that h5py writes for complex64 and reads back as complex64. */
const H5_COMPLEX64: [string, string][] = [
  ['r', '<f'],
  ['i', '<f'],
];

export interface PtychodusProductInput {
  snapshot: ReconstructionSnapshot;
  dataset: ScanDataset;
  /** Fourier error of each completed iteration, written as the loss history. */
  fourierErrors: readonly number[];
  /** The CXI reader's geometry, or null when the scan has no physical lengths. */
  geometry?: CxiGeometry | null;
}

/**
 * Converts a reconstruction into a Ptychodus product. Positions become probe centres, (top-left
 * corner + N/2) × pixel size in the dataset's frame, and the object centre is placed so that
 * Ptychodus maps each position onto the same object pixels as our solver did.
 */
export function toPtychodusProduct({ snapshot, dataset, fourierErrors, geometry = null }: PtychodusProductInput): PtychodusProduct {
  requireSnapshotShapes(snapshot, dataset);
  const lengthUnit = geometry === null ? 'pixel' : 'm';
  const pixelWidth = geometry?.objectPixelSizeX_m ?? 1;
  const pixelHeight = geometry?.objectPixelSizeY_m ?? 1;
  const half = dataset.patternSize / 2;

  const positionIndexes = new Int32Array(dataset.patternCount);
  const positionX_m = new Float64Array(dataset.patternCount);
  const positionY_m = new Float64Array(dataset.patternCount);
  for (let i = 0; i < dataset.patternCount; i += 1) {
    positionIndexes[i] = i;
    positionX_m[i] = (dataset.positionX_px[i] + half) * pixelWidth;
    positionY_m[i] = (dataset.positionY_px[i] + half) * pixelHeight;
  }

  const lossEpochs = Int32Array.from(fourierErrors, (_, index) => index);
  const unitSentence =
    lengthUnit === 'm'
      ? 'Lengths are in metres, from the CXI geometry.'
      : 'The scan had no physical geometry, so every length is in object pixels and both pixel sizes are 1.';

  return {
    name: dataset.name,
    comments: `Exported by Ptychoscope after ${fourierErrors.length} iterations. The losses are the Fourier error. ${unitSentence}`,
    detectorDistance_m: geometry?.distance_m ?? 0,
    probeEnergy_eV: geometry === null ? 0 : geometry.energy_J / ELEMENTARY_CHARGE_C,
    probePhotonCount: 0,
    exposureTime_s: 0,
    massAttenuation_m2_kg: 0,
    lengthUnit,
    positionIndexes,
    positionX_m,
    positionY_m,
    probe: { count: snapshot.probeModeCount, height: snapshot.probeSize, width: snapshot.probeSize, values: snapshot.probeModes },
    probePixelWidth_m: pixelWidth,
    probePixelHeight_m: pixelHeight,
    object: { count: 1, height: snapshot.objectHeight, width: snapshot.objectWidth, values: snapshot.object },
    objectPixelWidth_m: pixelWidth,
    objectPixelHeight_m: pixelHeight,
    objectCenterX_m: (snapshot.originX_px + snapshot.objectWidth / 2) * pixelWidth,
    objectCenterY_m: (snapshot.originY_px + snapshot.objectHeight / 2) * pixelHeight,
    lossEpochs,
    lossValues: Float64Array.from(fourierErrors),
  };
}

function requireSnapshotShapes(snapshot: ReconstructionSnapshot, dataset: ScanDataset): void {
  const objectValues = snapshot.objectHeight * snapshot.objectWidth * 2;
  const probeValues = snapshot.probeModeCount * snapshot.probeSize * snapshot.probeSize * 2;
  if (snapshot.object.length !== objectValues) {
    throw new Error(
      `toPtychodusProduct: the object of ${snapshot.objectHeight}×${snapshot.objectWidth} needs ${objectValues} values, ` +
        `received ${snapshot.object.length}.`,
    );
  }
  if (snapshot.probeModes.length !== probeValues) {
    throw new Error(
      `toPtychodusProduct: ${snapshot.probeModeCount} probe modes of ${snapshot.probeSize}×${snapshot.probeSize} need ` +
        `${probeValues} values, received ${snapshot.probeModes.length}.`,
    );
  }
  // A run with far-field upsampling 2 has a probe of twice the pattern size, centred on the same positions.
  // NOTE: the product does not record the upsampling or the probe's phase ramp that comes with it.
  if (snapshot.probeSize !== dataset.patternSize && snapshot.probeSize !== 2 * dataset.patternSize) {
    throw new Error(
      `toPtychodusProduct: the probe is ${snapshot.probeSize} pixels wide but the dataset's patterns are ${dataset.patternSize}, ` +
        `so it should be ${dataset.patternSize} or, with far-field upsampling 2, ${2 * dataset.patternSize}. ` +
        'Export the snapshot of a run on this dataset.',
    );
  }
}

/** Splits interleaved (re, im) values into the two columns that h5wasm writes as a compound. */
function complexColumns(values: Float32Array): Map<string, Float32Array> {
  const real = new Float32Array(values.length / 2);
  const imaginary = new Float32Array(values.length / 2);
  for (let i = 0; i < real.length; i += 1) {
    real[i] = values[2 * i];
    imaginary[i] = values[2 * i + 1];
  }
  return new Map([
    ['r', real],
    ['i', imaginary],
  ]);
}

function toBigInt64(values: Int32Array): BigInt64Array {
  return BigInt64Array.from(values, (value) => BigInt(value));
}

let h5FileCounter = 0;

/**
 * Encodes the product as a Ptychodus HDF5 file. The probe is written as [1, K, N, N] and the
 * object as [1, H, W], both complex64, which is how Ptychodus itself writes a probe without OPR
 * modes and a single-layer object.
 */
export async function writePtychodusProductH5(product: PtychodusProduct): Promise<Uint8Array> {
  const { File, fs } = await loadH5wasm();
  // loadH5wasm types only the calls that the readers make, but Emscripten's MEMFS also has readFile.
  const memfs = fs as typeof fs & { readFile(path: string): Uint8Array };
  const path = `/ptychoscope-product-${++h5FileCounter}.h5`;
  const file = new File(path, 'w');
  try {
    writeH5Contents(file, product);
  } finally {
    file.close();
  }
  try {
    return memfs.readFile(path);
  } finally {
    memfs.unlink(path);
  }
}

type H5File = InstanceType<Awaited<ReturnType<typeof loadH5wasm>>['File']>;

function writeH5Contents(file: H5File, product: PtychodusProduct): void {
  file.create_attribute(PRODUCT_METADATA_KEYS.name, product.name);
  file.create_attribute(PRODUCT_METADATA_KEYS.comments, product.comments);
  file.create_attribute(PRODUCT_METADATA_KEYS.detectorDistance_m, product.detectorDistance_m, null, '<d');
  file.create_attribute(PRODUCT_METADATA_KEYS.probeEnergy_eV, product.probeEnergy_eV, null, '<d');
  file.create_attribute(PRODUCT_METADATA_KEYS.probePhotonCount, product.probePhotonCount, null, '<d');
  file.create_attribute(PRODUCT_METADATA_KEYS.exposureTime_s, product.exposureTime_s, null, '<d');
  file.create_attribute(PRODUCT_METADATA_KEYS.massAttenuation_m2_kg, product.massAttenuation_m2_kg, null, '<d');
  file.create_attribute(LENGTH_UNIT_KEY, product.lengthUnit);

  const positionCount = product.positionIndexes.length;
  file.create_dataset({ name: PRODUCT_ARRAY_KEYS.positionIndexes, data: toBigInt64(product.positionIndexes), shape: [positionCount] });
  file.create_dataset({ name: PRODUCT_ARRAY_KEYS.positionX_m, data: product.positionX_m, shape: [positionCount] });
  file.create_dataset({ name: PRODUCT_ARRAY_KEYS.positionY_m, data: product.positionY_m, shape: [positionCount] });

  const probe = writeH5Complex(file, PRODUCT_ARRAY_KEYS.probe, product.probe, [1, product.probe.count]);
  probe.create_attribute(H5_GEOMETRY_ATTRIBUTES.pixelWidth_m, product.probePixelWidth_m, null, '<d');
  probe.create_attribute(H5_GEOMETRY_ATTRIBUTES.pixelHeight_m, product.probePixelHeight_m, null, '<d');

  const object = writeH5Complex(file, PRODUCT_ARRAY_KEYS.object, product.object, [product.object.count]);
  object.create_attribute(H5_GEOMETRY_ATTRIBUTES.centerX_m, product.objectCenterX_m, null, '<d');
  object.create_attribute(H5_GEOMETRY_ATTRIBUTES.centerY_m, product.objectCenterY_m, null, '<d');
  object.create_attribute(H5_GEOMETRY_ATTRIBUTES.pixelWidth_m, product.objectPixelWidth_m, null, '<d');
  object.create_attribute(H5_GEOMETRY_ATTRIBUTES.pixelHeight_m, product.objectPixelHeight_m, null, '<d');
  file.create_dataset({ name: PRODUCT_ARRAY_KEYS.objectLayerSpacing_m, data: new Float64Array(0), shape: [0] });

  const lossCount = product.lossValues.length;
  file.create_dataset({ name: PRODUCT_ARRAY_KEYS.lossEpochs, data: toBigInt64(product.lossEpochs), shape: [lossCount] });
  file.create_dataset({ name: PRODUCT_ARRAY_KEYS.lossValues, data: product.lossValues, shape: [lossCount] });
}

function writeH5Complex(file: H5File, name: string, stack: ComplexStack, leadingShape: number[]) {
  return file.create_dataset({
    name,
    data: complexColumns(stack.values),
    shape: [...leadingShape, stack.height, stack.width],
    dtype: H5_COMPLEX64,
  });
}

/**
 * Encodes the product as a Ptychodus NPZ archive (numpy.savez layout, uncompressed as
 * Ptychodus writes it). Shapes match the HDF5 file.
 */
export function writePtychodusProductNpz(product: PtychodusProduct): Uint8Array {
  const scalar = (value: number) => writeNpy(createNpyArray('float64', [], new Float64Array([value])));
  const members: [string, Uint8Array][] = [
    [PRODUCT_METADATA_KEYS.name, writeNpyUnicodeScalar(product.name)],
    [PRODUCT_METADATA_KEYS.comments, writeNpyUnicodeScalar(product.comments)],
    [PRODUCT_METADATA_KEYS.detectorDistance_m, scalar(product.detectorDistance_m)],
    [PRODUCT_METADATA_KEYS.probeEnergy_eV, scalar(product.probeEnergy_eV)],
    [PRODUCT_METADATA_KEYS.probePhotonCount, scalar(product.probePhotonCount)],
    [PRODUCT_METADATA_KEYS.exposureTime_s, scalar(product.exposureTime_s)],
    [PRODUCT_METADATA_KEYS.massAttenuation_m2_kg, scalar(product.massAttenuation_m2_kg)],
    [LENGTH_UNIT_KEY, writeNpyUnicodeScalar(product.lengthUnit)],

    [PRODUCT_ARRAY_KEYS.positionIndexes, writeNpy(createNpyArray('int64', [product.positionIndexes.length], toBigInt64(product.positionIndexes)))],
    [PRODUCT_ARRAY_KEYS.positionX_m, writeNpy(createNpyArray('float64', [product.positionX_m.length], product.positionX_m))],
    [PRODUCT_ARRAY_KEYS.positionY_m, writeNpy(createNpyArray('float64', [product.positionY_m.length], product.positionY_m))],

    [PRODUCT_ARRAY_KEYS.probe, writeNpy(createNpyArray('complex64', [1, product.probe.count, product.probe.height, product.probe.width], product.probe.values))],
    [NPZ_GEOMETRY_KEYS.probePixelWidth_m, scalar(product.probePixelWidth_m)],
    [NPZ_GEOMETRY_KEYS.probePixelHeight_m, scalar(product.probePixelHeight_m)],

    [PRODUCT_ARRAY_KEYS.object, writeNpy(createNpyArray('complex64', [product.object.count, product.object.height, product.object.width], product.object.values))],
    [NPZ_GEOMETRY_KEYS.objectCenterX_m, scalar(product.objectCenterX_m)],
    [NPZ_GEOMETRY_KEYS.objectCenterY_m, scalar(product.objectCenterY_m)],
    [NPZ_GEOMETRY_KEYS.objectPixelWidth_m, scalar(product.objectPixelWidth_m)],
    [NPZ_GEOMETRY_KEYS.objectPixelHeight_m, scalar(product.objectPixelHeight_m)],
    [PRODUCT_ARRAY_KEYS.objectLayerSpacing_m, writeNpy(createNpyArray('float64', [0], new Float64Array(0)))],

    [PRODUCT_ARRAY_KEYS.lossEpochs, writeNpy(createNpyArray('int64', [product.lossEpochs.length], toBigInt64(product.lossEpochs)))],
    [PRODUCT_ARRAY_KEYS.lossValues, writeNpy(createNpyArray('float64', [product.lossValues.length], product.lossValues))],
  ];
  const entries: ZipInputEntry[] = members.map(([key, data]) => ({ name: `${key}.npy`, data, compression: 'store' }));
  return writeZip(entries);
}
