import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { buildPinnModel } from './model';
import {
  loadModelFiles,
  packModelArchive,
  parseSidecar,
  PINN_SIDECAR_VERSION,
  saveModelFiles,
  unpackModelArchive,
  type PinnSidecar,
} from './modelFiles';

const sidecar: PinnSidecar = {
  format: 'ptychoscope-ptychopinn',
  version: PINN_SIDECAR_VERSION,
  patternSize: 16,
  filterScale: 0.125,
  trainingNormalization: {
    patternSize: 16,
    sourcePatternSize: 32,
    cropped: true,
    photonsPerPattern: 1000,
    intensityScale: Math.sqrt(1000) / 8,
    amplitudeScale: 8 / Math.sqrt(1000),
  },
  trainingScan: { name: 'test', patternCount: 10, patternSize: 32 },
  epochs: 3,
  finalTrainLoss: -12.5,
  finalValidationLoss: null,
  savedAt: '2026-12-04T00:00:00.000Z',
};

describe('PtychoPINN model files', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('round-trips the weights and predictions', async () => {
    const model = buildPinnModel({ patternSize: 16, filterScale: 0.125 });
    const input = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 3);
    const before = (model.predict(input) as tf.Tensor[]).map((tensor) => tensor.dataSync().slice());
    const saved = await saveModelFiles(model, sidecar);
    const loaded = await loadModelFiles(saved.modelJson, saved.weights);
    const after = (loaded.predict(input) as tf.Tensor[]).map((tensor) => tensor.dataSync().slice());
    expect(after).toHaveLength(2);
    after.forEach((values, output) => expect(Array.from(values)).toEqual(Array.from(before[output])));
    expect(parseSidecar(saved.sidecarJson, 'model.json')).toEqual(sidecar);
    model.dispose();
    loaded.dispose();
    input.dispose();
  });

  it('packs and unpacks the archive unchanged', async () => {
    const model = buildPinnModel({ patternSize: 16, filterScale: 0.125 });
    const saved = await saveModelFiles(model, sidecar);
    model.dispose();
    const unpacked = unpackModelArchive(packModelArchive(saved), 'model.zip');
    expect(unpacked.modelJson).toBe(saved.modelJson);
    expect(unpacked.sidecarJson).toBe(saved.sidecarJson);
    expect(new Uint8Array(unpacked.weights)).toEqual(new Uint8Array(saved.weights));
  });

  it('rejects a weights file of the wrong size', async () => {
    const model = buildPinnModel({ patternSize: 16, filterScale: 0.125 });
    const saved = await saveModelFiles(model, sidecar);
    model.dispose();
    await expect(loadModelFiles(saved.modelJson, saved.weights.slice(8))).rejects.toThrow(
      /The weights file has \d+ bytes but model.json describes \d+/,
    );
  });

  it('rejects a foreign sidecar with the field named', () => {
    expect(() => parseSidecar('{"format": "other"}', 'meta.json')).toThrow(/meta.json is not a Ptychoscope PtychoPINN sidecar/);
    expect(() => parseSidecar('not json', 'meta.json')).toThrow(/meta.json is not valid JSON/);
    expect(() => parseSidecar(JSON.stringify({ ...sidecar, version: 99 }), 'meta.json')).toThrow(/sidecar version 99/);
  });
});
