/**
 * Saved PtychoPINN models: the TensorFlow.js layers format (model.json with the topology and the
 * weight manifest, plus one binary weights file) and a JSON sidecar with what the model needs to
 * treat new data as it treated its training data.
 *
 * A model reconstructs a new scan at inference speed. Each scan is normalised by its own mean count
 * (as in training), so only the pattern size n, the crop and the network settings must match.
 */
import * as tf from '@tensorflow/tfjs';

import { findZipEntry, openZip, readZipEntry, writeZip } from '../../data/zip';
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
  savedAt: string;
}

export interface SavedPinnModel {
  /** model.json text: topology and weights manifest pointing at PINN_WEIGHTS_FILE. */
  modelJson: string;
  weights: ArrayBuffer;
  /** Sidecar JSON text. */
  sidecarJson: string;
}

/** Serialises `model` and its sidecar into three files' contents. */
export async function saveModelFiles(model: tf.LayersModel, sidecar: PinnSidecar): Promise<SavedPinnModel> {
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
  return { modelJson, weights, sidecarJson: JSON.stringify(sidecar, null, 2) };
}

/** Names of the three files inside a saved-model archive. */
export const PINN_ARCHIVE_ENTRIES = {
  model: 'model.json',
  weights: PINN_WEIGHTS_FILE,
  sidecar: 'ptychoscope-sidecar.json',
} as const;

/**
 * Packs a saved model into one .zip of model.json, the weights and the sidecar. One file is saved
 * because browsers block several downloads started by one click.
 */
export function packModelArchive(saved: SavedPinnModel): Uint8Array {
  const encoder = new TextEncoder();
  return writeZip([
    { name: PINN_ARCHIVE_ENTRIES.model, data: encoder.encode(saved.modelJson) },
    { name: PINN_ARCHIVE_ENTRIES.weights, data: new Uint8Array(saved.weights) },
    { name: PINN_ARCHIVE_ENTRIES.sidecar, data: encoder.encode(saved.sidecarJson) },
  ]);
}

/** Unpacks an archive written by {@link packModelArchive}, naming any missing entry. */
export function unpackModelArchive(bytes: ArrayBuffer | Uint8Array, fileName: string): SavedPinnModel {
  const archive = openZip(bytes, fileName);
  const read = (name: string): Uint8Array => {
    const entry = findZipEntry(archive, name);
    if (!entry) {
      throw new Error(`${fileName} has no ${name}; choose a model archive saved by Ptychoscope.`);
    }
    return readZipEntry(archive, entry);
  };
  const decoder = new TextDecoder();
  const weights = read(PINN_ARCHIVE_ENTRIES.weights);
  return {
    modelJson: decoder.decode(read(PINN_ARCHIVE_ENTRIES.model)),
    weights: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    sidecarJson: decoder.decode(read(PINN_ARCHIVE_ENTRIES.sidecar)),
  };
}

/** Checks a parsed sidecar and returns it typed, or throws naming the field and the fix. */
export function parseSidecar(text: string, fileName: string): PinnSidecar {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${fileName} is not valid JSON (${(error as Error).message}). Choose the .json sidecar saved with the model.`);
  }
  const sidecar = value as Partial<PinnSidecar>;
  if (sidecar.format !== 'ptychoscope-ptychopinn') {
    throw new Error(`${fileName} is not a Ptychoscope PtychoPINN sidecar: its "format" is ${JSON.stringify(sidecar.format)}.`);
  }
  if (sidecar.version !== PINN_SIDECAR_VERSION) {
    throw new Error(
      `${fileName} has sidecar version ${String(sidecar.version)}; this app reads version ${PINN_SIDECAR_VERSION}. Retrain or save the model again.`,
    );
  }
  for (const key of ['patternSize', 'filterScale'] as const) {
    if (typeof sidecar[key] !== 'number' || !Number.isFinite(sidecar[key])) {
      throw new Error(`${fileName}: "${key}" must be a number, received ${JSON.stringify(sidecar[key])}.`);
    }
  }
  return sidecar as PinnSidecar;
}

/** Rebuilds a model from model.json text and the weights file's bytes. */
export async function loadModelFiles(modelJson: string, weights: ArrayBuffer, fileName = 'model.json'): Promise<tf.LayersModel> {
  let parsed: { modelTopology?: object; weightsManifest?: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  try {
    parsed = JSON.parse(modelJson);
  } catch (error) {
    throw new Error(`${fileName} is not valid JSON (${(error as Error).message}).`);
  }
  if (!parsed.modelTopology || !Array.isArray(parsed.weightsManifest)) {
    throw new Error(`${fileName} has no modelTopology or weightsManifest; choose the model.json saved by Ptychoscope.`);
  }
  const weightSpecs = parsed.weightsManifest.flatMap((group) => group.weights);
  const expectedBytes = weightSpecs.reduce(
    (sum, spec) => sum + spec.shape.reduce((product, side) => product * side, 1) * 4,
    0,
  );
  if (weights.byteLength !== expectedBytes) {
    throw new Error(
      `The weights file has ${weights.byteLength} bytes but ${fileName} describes ${expectedBytes}. ` +
        'Choose the weights file saved together with this model.json.',
    );
  }
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs, weightData: weights }));
}
