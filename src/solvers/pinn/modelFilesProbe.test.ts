// The trained probe in a saved model: probe.npy in the archive and the sidecar's trainableProbe
// flag, and archives saved before either existed.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { createNpyArray, readNpy, writeNpy } from '../../data/npy';
import { openZip } from '../../data/zip';
import { buildPinnModel } from './model';
import {
  loadModelFiles,
  packModelArchive,
  parseSidecar,
  PINN_PROBE_ENTRY,
  readTrainedProbe,
  saveModelFiles,
  unpackModelArchive,
} from './modelFiles';
import { testSidecar } from './testSidecar';

const PATTERN_SIZE = 16;

const sidecar = testSidecar({ patternSize: PATTERN_SIZE, sourcePatternSize: 32 });

/** Builds a probe whose every value differs, so a transposed or real-only copy fails the comparison. */
function testProbe(): Float32Array {
  return Float32Array.from({ length: PATTERN_SIZE * PATTERN_SIZE * 2 }, (_, index) => Math.sin(index) * 0.5 + index / 1000);
}

describe('PtychoPINN model files with a trained probe', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('round-trips probe.npy and the flag', async () => {
    const model = buildPinnModel({ patternSize: PATTERN_SIZE, filterScale: 0.125 });
    const probe = testProbe();
    const saved = await saveModelFiles(model, { ...sidecar, trainableProbe: true }, { values: probe, size: PATTERN_SIZE });
    const archive = packModelArchive(saved);

    const entryNames = openZip(archive, 'model.zip').entries.map((entry) => entry.name);
    expect(entryNames).toContain(PINN_PROBE_ENTRY);

    const unpacked = unpackModelArchive(archive, 'model.zip');
    expect(unpacked.probeNpy).toBeDefined();
    const array = readNpy(unpacked.probeNpy as Uint8Array, PINN_PROBE_ENTRY);
    expect(array.dtype).toBe('complex64');
    expect(array.shape).toEqual([PATTERN_SIZE, PATTERN_SIZE]);
    expect(Array.from(array.data as Float32Array)).toEqual(Array.from(probe));
    expect(readTrainedProbe(unpacked.probeNpy as Uint8Array).size).toBe(PATTERN_SIZE);

    const parsed = parseSidecar(unpacked.sidecarJson, 'ptychoscope-sidecar.json');
    expect(parsed.trainableProbe).toBe(true);
    model.dispose();
  });

  it('records a fixed probe without probe.npy', async () => {
    const model = buildPinnModel({ patternSize: PATTERN_SIZE, filterScale: 0.125 });
    const saved = await saveModelFiles(model, { ...sidecar, trainableProbe: false });
    expect(saved.probeNpy).toBeUndefined();
    const unpacked = unpackModelArchive(packModelArchive(saved), 'model.zip');
    expect(unpacked.probeNpy).toBeUndefined();
    expect(parseSidecar(unpacked.sidecarJson, 'ptychoscope-sidecar.json').trainableProbe).toBe(false);
    model.dispose();
  });

  it('loads an old archive without either', async () => {
    const model = buildPinnModel({ patternSize: PATTERN_SIZE, filterScale: 0.125 });
    // The sidecar as saved before the flag existed: no trainableProbe key at all.
    const saved = await saveModelFiles(model, sidecar);
    expect(saved.sidecarJson).not.toContain('trainableProbe');
    const unpacked = unpackModelArchive(packModelArchive(saved), 'old-model.zip');
    expect(unpacked.probeNpy).toBeUndefined();
    expect(parseSidecar(unpacked.sidecarJson, 'ptychoscope-sidecar.json').trainableProbe).toBeUndefined();
    const loaded = await loadModelFiles(unpacked.modelJson, unpacked.weights);
    expect(loaded.inputs[0]?.shape[1]).toBe(PATTERN_SIZE);
    model.dispose();
    loaded.dispose();
  });

  it('rejects a non-boolean flag', () => {
    const text = JSON.stringify({ ...sidecar, trainableProbe: 'yes' });
    expect(() => parseSidecar(text, 'ptychoscope-sidecar.json')).toThrow(/"trainableProbe" must be true or false/);
  });

  it('rejects a real probe.npy', () => {
    const realProbe = writeNpy(createNpyArray('float32', [PATTERN_SIZE, PATTERN_SIZE], new Float32Array(PATTERN_SIZE * PATTERN_SIZE)));
    expect(() => readTrainedProbe(realProbe)).toThrow(/square complex64 probe/);
  });
});
