/**
 * Saved PtychoPINN models: the TensorFlow.js layers format (model.json with the topology and the
 * weight manifest, plus one binary weights file) and a JSON sidecar with what the model needs to
 * treat new data as it treated its training data.
 *
 * A model reconstructs a new scan at inference speed. Each scan is normalised by its own mean count
 * (as in training), so only the pattern size n, the crop and the network settings must match.
 */
import * as tf from '@tensorflow/tfjs';

import { DataFormatError, describeLeadingBytes } from '../../data/errors';
import { createNpyArray, readNpy, writeNpy } from '../../data/npy';
import { findZipEntry, openZip, readZipEntry, writeZip, type ZipArchive, type ZipEntry } from '../../data/zip';
import './model';
import type { PinnNormalization } from './normalization';

/** Version of the sidecar layout; readers reject other versions. */
export const PINN_SIDECAR_VERSION = 1;

/** File name of the weights, as referenced from model.json's weight manifest. */
export const PINN_WEIGHTS_FILE = 'ptychopinn.weights.bin';

export interface PinnSidecar {
  format: 'ptychoscope-ptychopinn';
  version: number;
  /** Network input side n and width. */
  patternSize: number;
  filterScale: number;
  /** Normalisation of the training scan, for reference: new scans are normalised by their own counts. */
  trainingNormalization: PinnNormalization;
  trainingScan: { name: string; patternCount: number; patternSize: number };
  epochs: number;
  finalTrainLoss: number;
  finalValidationLoss: number | null;
  /**
   * Whether the probe was trained along with the network. Sidecars saved before this field
   * existed lack it, so a missing value means not recorded, not false.
   */
  trainableProbe?: boolean;
  savedAt: string;
}

/** A probe fitted during training: [size, size] complex as interleaved float32 (re, im) pairs. */
export interface PinnTrainedProbe {
  values: Float32Array;
  size: number;
}

export interface SavedPinnModel {
  /** model.json text: topology and weights manifest pointing at PINN_WEIGHTS_FILE. */
  modelJson: string;
  weights: ArrayBuffer;
  /** Sidecar JSON text. */
  sidecarJson: string;
  /**
   * probe.npy bytes: the trained probe as complex64 [n, n] in network units. Absent when the probe
   * was not trained and in archives saved before probes were stored. Inference does not read it.
   */
  probeNpy?: Uint8Array;
}

/** Archive entry of the trained probe, next to the other three files. */
export const PINN_PROBE_ENTRY = 'probe.npy';

/**
 * Serialises `model` and its sidecar into three files' contents, plus probe.npy when
 * `trainedProbe` is given.
 */
export async function saveModelFiles(
  model: tf.LayersModel,
  sidecar: PinnSidecar,
  trainedProbe?: PinnTrainedProbe,
): Promise<SavedPinnModel> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const artifacts = saved as tf.io.ModelArtifacts | null;
  if (!artifacts || !artifacts.weightSpecs || !artifacts.weightData) {
    throw new Error('Saving the PtychoPINN model failed: TensorFlow.js returned no weights.');
  }
  const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson = JSON.stringify({
    modelTopology: artifacts.modelTopology,
    format: 'layers-model',
    generatedBy: `TensorFlow.js ${tf.version.tfjs}`,
    weightsManifest: [{ paths: [PINN_WEIGHTS_FILE], weights: artifacts.weightSpecs }],
  });
  const files: SavedPinnModel = { modelJson, weights, sidecarJson: JSON.stringify(sidecar, null, 2) };
  if (trainedProbe) {
    const { values, size } = trainedProbe;
    files.probeNpy = writeNpy(createNpyArray('complex64', [size, size], values));
  }
  return files;
}

/**
 * Reads probe.npy of a saved model as interleaved complex64 values. Throws DataFormatError when
 * the bytes are not an .npy file, and an Error when the array is not a square complex64 matrix.
 */
export function readTrainedProbe(probeNpy: Uint8Array, fileName = PINN_PROBE_ENTRY): PinnTrainedProbe {
  const array = readNpy(probeNpy, fileName);
  const [height, width] = array.shape;
  if (array.dtype !== 'complex64' || array.shape.length !== 2 || height !== width) {
    throw new Error(
      `${fileName} must contain a square complex64 probe, received ${array.dtype} of shape [${array.shape.join(', ')}]. Save the model again.`,
    );
  }
  return { values: array.data as Float32Array, size: height };
}

/** Names of the three files inside a saved-model archive. */
export const PINN_ARCHIVE_ENTRIES = {
  model: 'model.json',
  weights: PINN_WEIGHTS_FILE,
  sidecar: 'ptychoscope-sidecar.json',
} as const;

/** Help text on what a model archive contains and how to get one, for files that are not one. */
const MODEL_ARCHIVE_HELP =
  `A saved PtychoPINN model is one .zip that contains ${PINN_ARCHIVE_ENTRIES.model}, ${PINN_ARCHIVE_ENTRIES.weights} ` +
  `and ${PINN_ARCHIVE_ENTRIES.sidecar}. Train a model and click Save model to get one, then choose that .zip here.`;

const SAVE_AGAIN = 'Save the model again with Save model, or choose the archive as Save model wrote it.';

/**
 * Packs a saved model into one .zip of model.json, the weights and the sidecar. One file is saved
 * because browsers block several downloads started by one click. The entries carry the current time.
 */
export function packModelArchive(saved: SavedPinnModel, modifiedAt = new Date()): Uint8Array {
  const encoder = new TextEncoder();
  return writeZip(
    [
      { name: PINN_ARCHIVE_ENTRIES.model, data: encoder.encode(saved.modelJson) },
      { name: PINN_ARCHIVE_ENTRIES.weights, data: new Uint8Array(saved.weights) },
      { name: PINN_ARCHIVE_ENTRIES.sidecar, data: encoder.encode(saved.sidecarJson) },
      ...(saved.probeNpy ? [{ name: PINN_PROBE_ENTRY, data: saved.probeNpy }] : []),
    ],
    { modifiedAt },
  );
}

/**
 * Unpacks an archive written by {@link packModelArchive} and checks its three files: the
 * topology, the size and finiteness of the weights, and the sidecar. The entries may sit at the
 * top level or inside one folder, as an operating system's "Compress" command writes them.
 * Throws an Error that names `fileName`, the entry and what to do when any check fails.
 */
export function unpackModelArchive(bytes: ArrayBuffer | Uint8Array, fileName: string): SavedPinnModel {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  rejectNonZipInput(data, fileName);
  const archive = withArchiveContext(fileName, () => openZip(data, fileName));
  const entries = locateModelEntries(archive, fileName);
  const read = (entry: ZipEntry): Uint8Array => withArchiveContext(fileName, () => readZipEntry(archive, entry));

  const decoder = new TextDecoder();
  const weights = read(entries.weights);
  const saved: SavedPinnModel = {
    modelJson: decoder.decode(read(entries.model)),
    weights: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    sidecarJson: decoder.decode(read(entries.sidecar)),
  };
  const probeEntry = findZipEntry(archive, `${folderOf(entries.sidecar.name)}${PINN_PROBE_ENTRY}`);
  if (probeEntry) {
    const probeLabel = `${PINN_PROBE_ENTRY} in ${fileName}`;
    saved.probeNpy = read(probeEntry);
    withArchiveContext(fileName, () => readTrainedProbe(saved.probeNpy as Uint8Array, probeLabel));
  }
  checkSavedModel(saved, {
    model: `${PINN_ARCHIVE_ENTRIES.model} in ${fileName}`,
    weights: `${PINN_ARCHIVE_ENTRIES.weights} in ${fileName}`,
    sidecar: `${PINN_ARCHIVE_ENTRIES.sidecar} in ${fileName}`,
  });
  return saved;
}

/** Names of a model's three files as messages write them, such as "model.json in x.zip". */
interface ModelFileLabels {
  model: string;
  weights: string;
  sidecar: string;
}

/** Runs every check of {@link unpackModelArchive} on three files' contents and returns the sidecar. */
export function checkSavedModel(saved: SavedPinnModel, labels: ModelFileLabels): PinnSidecar {
  const sidecar = parseSidecar(saved.sidecarJson, labels.sidecar);
  const { modelTopology, weightSpecs } = parseModelJson(saved.modelJson, labels.model);
  const inputSide = readInputSide(modelTopology, labels.model);
  if (inputSide !== sidecar.patternSize) {
    throw new Error(
      `${labels.model} reads ${inputSide} × ${inputSide} patterns but ${labels.sidecar} gives ${sidecar.patternSize}. ` +
        'Choose the model.json, weights and sidecar saved together, or save the model again.',
    );
  }
  checkWeights(weightSpecs, saved.weights, labels);
  return sidecar;
}

/** Rejects, with a message fit for a model picker, input that does not start like a ZIP archive. */
function rejectNonZipInput(data: Uint8Array, fileName: string): void {
  if (data.length === 0) {
    throw new Error(`${fileName} is empty (0 bytes), so it is not a model archive. ${MODEL_ARCHIVE_HELP}`);
  }
  if (startsWith(data, [0x50, 0x4b])) return;

  if (startsWith(data, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])) {
    throw new Error(
      `${fileName} is an HDF5 file, which looks like a scan (.cxi or .h5), not a model. Open it with the scan picker ("Open a scan"). ` +
        MODEL_ARCHIVE_HELP,
    );
  }
  if (startsWith(data, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) {
    throw new Error(`${fileName} is a single NumPy array (.npy), not a model. ${MODEL_ARCHIVE_HELP}`);
  }
  const json = parseJsonObject(data);
  if (json && 'modelTopology' in json) {
    throw new Error(`${fileName} is a model.json on its own, without the weights and the sidecar. ${MODEL_ARCHIVE_HELP}`);
  }
  if (json && json.format === 'ptychoscope-ptychopinn') {
    throw new Error(`${fileName} is a sidecar on its own, without model.json and the weights. ${MODEL_ARCHIVE_HELP}`);
  }
  throw new Error(
    `${fileName} is not a model archive: a ZIP archive starts with the bytes PK, and this file has ${describeLeadingBytes(data)}. ` +
      MODEL_ARCHIVE_HELP,
  );
}

function startsWith(data: Uint8Array, prefix: number[]): boolean {
  return data.length >= prefix.length && prefix.every((byte, index) => data[index] === byte);
}

/** Parses `data` as a JSON object when it looks like one; returns null otherwise. */
function parseJsonObject(data: Uint8Array): Record<string, unknown> | null {
  const firstCharacter = String.fromCharCode(data.find((byte) => byte > 0x20) ?? 0);
  if (firstCharacter !== '{') return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(data));
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/** Runs `read` and rewords a ZIP reader error, whose advice is written for .npz scans, for a model archive. */
function withArchiveContext<T>(fileName: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof DataFormatError)) throw error;
    const location = error.entry ? `${error.entry} in ${fileName}` : fileName;
    throw new Error(`${location} cannot be read as a model archive: ${error.problem} (received ${error.received}). ${SAVE_AGAIN}`, {
      cause: error,
    });
  }
}

/** Entries of the three model files, found at the top level or inside one common folder. */
function locateModelEntries(archive: ZipArchive, fileName: string): Record<keyof typeof PINN_ARCHIVE_ENTRIES, ZipEntry> {
  const files = archive.entries.filter((entry) => !entry.name.endsWith('/') && !isFinderMetadata(entry.name));
  const expectedNames: string[] = Object.values(PINN_ARCHIVE_ENTRIES);
  const folders = new Set(files.filter((entry) => expectedNames.includes(baseName(entry.name))).map((entry) => folderOf(entry.name)));

  if (folders.size === 0) {
    const arrays = files.filter((entry) => entry.name.endsWith('.npy')).map((entry) => entry.name);
    if (arrays.length > 0) {
      throw new Error(
        `${fileName} looks like a scan, not a model: it contains the NumPy arrays ${arrays.join(', ')}. ` +
          `Open it with the scan picker ("Open a scan"). ${MODEL_ARCHIVE_HELP}`,
      );
    }
    const listed = files.slice(0, 5).map((entry) => entry.name);
    const contents = files.length === 0 ? 'no files' : `${listed.join(', ')}${files.length > listed.length ? ', …' : ''}`;
    throw new Error(`${fileName} is a ZIP archive but not a model archive: it contains ${contents}. ${MODEL_ARCHIVE_HELP}`);
  }
  if (folders.size > 1) {
    const names = [...folders].map((folder) => (folder === '' ? 'the top level' : folder));
    throw new Error(
      `${fileName} contains model files in several places (${names.join(', ')}), but a model archive contains one model. ${MODEL_ARCHIVE_HELP}`,
    );
  }

  const [folder] = folders;
  const find = (name: string): ZipEntry => {
    const entry = findZipEntry(archive, `${folder}${name}`);
    if (!entry) {
      const where = folder === '' ? '' : ` in its folder ${folder}`;
      throw new Error(
        `${fileName} has no ${name}${where}; choose a model archive saved by Ptychoscope, which contains model.json, the weights and the sidecar together.`,
      );
    }
    return entry;
  };
  return {
    model: find(PINN_ARCHIVE_ENTRIES.model),
    weights: find(PINN_ARCHIVE_ENTRIES.weights),
    sidecar: find(PINN_ARCHIVE_ENTRIES.sidecar),
  };
}

/** True for the __MACOSX/ copies and ._ resource files that macOS adds to archives it compresses. */
function isFinderMetadata(name: string): boolean {
  return name.startsWith('__MACOSX/') || baseName(name).startsWith('._');
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Returns the folder part of an entry name with its trailing slash, or '' at the top level. */
function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/') + 1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a sidecar's text and returns it typed, or throws naming the field and the fix. */
export function parseSidecar(text: string, fileName: string): PinnSidecar {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${fileName} is not valid JSON (${(error as Error).message}). Choose the .json sidecar saved with the model.`);
  }
  const sidecar = (isRecord(value) ? value : {}) as Partial<PinnSidecar>;
  if (sidecar.format !== 'ptychoscope-ptychopinn') {
    throw new Error(`${fileName} is not a Ptychoscope PtychoPINN sidecar: its "format" is ${JSON.stringify(sidecar.format)}.`);
  }
  if (sidecar.version !== PINN_SIDECAR_VERSION) {
    throw new Error(
      `${fileName} has sidecar version ${String(sidecar.version)}; this app reads version ${PINN_SIDECAR_VERSION}. Retrain or save the model again.`,
    );
  }

  const requirePositive = (path: string, received: unknown, integer: boolean): void => {
    const valid = typeof received === 'number' && Number.isFinite(received) && received > 0 && (!integer || Number.isInteger(received));
    if (!valid) {
      throw new Error(
        `${fileName}: "${path}" must be a positive ${integer ? 'integer' : 'number'}, received ${JSON.stringify(received)}. ` +
          'The sidecar was edited or damaged: save the model again with Save model.',
      );
    }
  };
  requirePositive('patternSize', sidecar.patternSize, true);
  requirePositive('filterScale', sidecar.filterScale, false);
  const normalization: Partial<PinnNormalization> = isRecord(sidecar.trainingNormalization) ? sidecar.trainingNormalization : {};
  requirePositive('trainingNormalization.patternSize', normalization.patternSize, true);
  requirePositive('trainingNormalization.sourcePatternSize', normalization.sourcePatternSize, true);
  requirePositive('trainingNormalization.photonsPerPattern', normalization.photonsPerPattern, false);
  requirePositive('trainingNormalization.intensityScale', normalization.intensityScale, false);
  requirePositive('trainingNormalization.amplitudeScale', normalization.amplitudeScale, false);
  const trainingScan: Partial<PinnSidecar['trainingScan']> = isRecord(sidecar.trainingScan) ? sidecar.trainingScan : {};
  requirePositive('trainingScan.patternSize', trainingScan.patternSize, true);
  requirePositive('trainingScan.patternCount', trainingScan.patternCount, true);
  if (typeof trainingScan.name !== 'string') {
    throw new Error(`${fileName}: "trainingScan.name" must be a string, received ${JSON.stringify(trainingScan.name)}.`);
  }
  if (sidecar.trainableProbe !== undefined && typeof sidecar.trainableProbe !== 'boolean') {
    throw new Error(
      `${fileName}: "trainableProbe" must be true or false when present, received ${JSON.stringify(sidecar.trainableProbe)}. ` +
        'The sidecar was edited or damaged: save the model again with Save model.',
    );
  }
  if (normalization.patternSize !== sidecar.patternSize) {
    throw new Error(
      `${fileName}: "trainingNormalization.patternSize" is ${String(normalization.patternSize)} but "patternSize" is ${String(sidecar.patternSize)}. ` +
        'The sidecar was edited or damaged: save the model again with Save model.',
    );
  }
  return sidecar as PinnSidecar;
}

/** model.json's two parts that loading needs. */
interface ParsedModelJson {
  modelTopology: Record<string, unknown>;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

function parseModelJson(modelJson: string, label: string): ParsedModelJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(modelJson);
  } catch (error) {
    throw new Error(`${label} is not valid JSON (${(error as Error).message}). ${SAVE_AGAIN}`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.modelTopology) || !Array.isArray(parsed.weightsManifest)) {
    throw new Error(`${label} has no modelTopology or weightsManifest; choose the model.json saved by Ptychoscope.`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const group of parsed.weightsManifest) {
    if (!isRecord(group) || !Array.isArray(group.weights)) {
      throw new Error(`${label}: every weightsManifest group needs a "weights" list. ${SAVE_AGAIN}`);
    }
    weightSpecs.push(...(group.weights as tf.io.WeightsManifestEntry[]));
  }
  return { modelTopology: parsed.modelTopology, weightSpecs };
}

/**
 * Checks the parts of a Keras-style topology that TensorFlow.js needs before it builds a model and
 * returns the side n of the single [null, n, n, 1] input. TensorFlow.js itself checks the rest.
 */
function readInputSide(topology: Record<string, unknown>, label: string): number {
  const reject = (detail: string): Error =>
    new Error(`${label} does not describe a PtychoPINN network: ${detail}. ${SAVE_AGAIN}`);
  const layers = isRecord(topology.config) ? topology.config.layers : undefined;
  if (typeof topology.class_name !== 'string' || !Array.isArray(layers)) {
    throw reject(`its modelTopology needs "class_name" and "config.layers", and its keys are ${Object.keys(topology).join(', ') || 'none'}`);
  }
  layers.forEach((layer: unknown, index) => {
    if (!isRecord(layer) || typeof layer.class_name !== 'string' || !isRecord(layer.config)) {
      throw reject(`layer ${index} has no "class_name" or "config"`);
    }
  });
  const inputs = (layers as Array<{ class_name: string; config: Record<string, unknown> }>).filter(
    (layer) => layer.class_name === 'InputLayer',
  );
  if (inputs.length !== 1) {
    throw reject(`it has ${inputs.length} input layers, and a PtychoPINN network has one`);
  }
  const shape = inputs[0].config.batch_input_shape ?? inputs[0].config.batch_shape;
  const side = Array.isArray(shape) ? shape[1] : undefined;
  if (!Array.isArray(shape) || shape.length !== 4 || !Number.isInteger(side) || (side as number) < 1 || shape[2] !== side || shape[3] !== 1) {
    throw reject(`its input shape is ${JSON.stringify(shape)}, and a PtychoPINN network reads [null, n, n, 1] patterns`);
  }
  return side as number;
}

/**
 * Checks each weight's description, that the weights file has exactly the bytes they describe, and
 * that every value is finite: a model saved after training diverged predicts NaN everywhere.
 */
function checkWeights(weightSpecs: tf.io.WeightsManifestEntry[], weights: ArrayBuffer, labels: Pick<ModelFileLabels, 'model' | 'weights'>): void {
  let expectedBytes = 0;
  for (const spec of weightSpecs) {
    const validShape = Array.isArray(spec.shape) && spec.shape.every((side) => Number.isInteger(side) && side >= 0);
    if (typeof spec.name !== 'string' || !validShape) {
      throw new Error(`${labels.model} lists a weight without a name or with an invalid shape: ${JSON.stringify(spec)}. ${SAVE_AGAIN}`);
    }
    if (spec.dtype !== 'float32' || spec.quantization !== undefined) {
      throw new Error(
        `${labels.model} stores the weight ${spec.name} as ${spec.quantization ? 'quantized ' : ''}${spec.dtype}, ` +
          `and a PtychoPINN model stores float32 weights. ${SAVE_AGAIN}`,
      );
    }
    expectedBytes += spec.shape.reduce((product, side) => product * side, 1) * Float32Array.BYTES_PER_ELEMENT;
  }
  if (weights.byteLength !== expectedBytes) {
    throw new Error(
      `${labels.weights} has ${weights.byteLength} bytes but ${labels.model} describes ${expectedBytes}. ` +
        'Choose the weights file saved together with this model.json, or save the model again.',
    );
  }

  const values = new Float32Array(weights);
  let offset = 0;
  let firstInvalid: { name: string; invalidCount: number; size: number } | null = null;
  let invalidWeightCount = 0;
  for (const spec of weightSpecs) {
    const size = spec.shape.reduce((product, side) => product * side, 1);
    let invalidCount = 0;
    for (let index = offset; index < offset + size; index += 1) {
      if (!Number.isFinite(values[index])) invalidCount += 1;
    }
    if (invalidCount > 0) {
      invalidWeightCount += 1;
      firstInvalid ??= { name: spec.name, invalidCount, size };
    }
    offset += size;
  }
  if (firstInvalid) {
    const layer = firstInvalid.name.split('/')[0];
    const others = invalidWeightCount > 1 ? `, and ${invalidWeightCount - 1} more of its ${weightSpecs.length} weights have such values` : '';
    throw new Error(
      `${labels.weights}: the weight ${firstInvalid.name} (layer ${layer}) has ${firstInvalid.invalidCount} of ${firstInvalid.size} values ` +
        `that are NaN or infinite${others}, so the network would predict NaN. This happens when training diverged before the model was saved. ` +
        'Train the model again (a lower learning rate often helps) and save it once its loss is finite.',
    );
  }
}

/**
 * Rebuilds a model from model.json text and the weights file's bytes, after the checks of
 * {@link unpackModelArchive} on these two files. Throws when TensorFlow.js cannot build the
 * topology or the result is not a PtychoPINN network: one [n, n, 1] input, two outputs.
 */
export async function loadModelFiles(modelJson: string, weights: ArrayBuffer, fileName = 'model.json'): Promise<tf.LayersModel> {
  const { modelTopology, weightSpecs } = parseModelJson(modelJson, fileName);
  readInputSide(modelTopology, fileName);
  checkWeights(weightSpecs, weights, { model: fileName, weights: 'The weights file' });

  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData: weights }));
  } catch (error) {
    throw new Error(`${fileName} does not describe a PtychoPINN network: ${(error as Error).message} ${SAVE_AGAIN}`, { cause: error });
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 2) {
    const counts = `${model.inputs.length} inputs and ${model.outputs.length} outputs`;
    model.dispose();
    throw new Error(
      `${fileName} does not describe a PtychoPINN network: it has ${counts}, and a PtychoPINN network has one input and two outputs (amplitude and phase). ${SAVE_AGAIN}`,
    );
  }
  return model;
}
