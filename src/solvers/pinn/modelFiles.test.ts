import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { openZip, readZipEntry, writeZip, type ZipInputEntry } from '../../data/zip';
import { buildPinnModel } from './model';
import {
  loadModelFiles,
  packModelArchive,
  parseSidecar,
  PINN_ARCHIVE_ENTRIES,
  saveModelFiles,
  unpackModelArchive,
  type SavedPinnModel,
} from './modelFiles';
import { testSidecar } from './testSidecar';

const sidecar = testSidecar({ patternSize: 16, sourcePatternSize: 32, savedAt: '2026-12-04T00:00:00.000Z' });

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

/** Saves a fresh 16 × 16 network once, for tests that build broken archives from it. */
let savedModel: Promise<SavedPinnModel> | null = null;
function realSavedModel(): Promise<SavedPinnModel> {
  savedModel ??= (async () => {
    await tf.setBackend('cpu');
    const model = buildPinnModel({ patternSize: 16, filterScale: 0.125 });
    const saved = await saveModelFiles(model, sidecar);
    model.dispose();
    return saved;
  })();
  return savedModel;
}

/** Packs model files as an archive, with optional replacements and a folder in front of every name. */
function packFiles(files: Partial<Record<keyof typeof PINN_ARCHIVE_ENTRIES, Uint8Array | string>>, folder = ''): Uint8Array {
  const encoder = new TextEncoder();
  const entries: ZipInputEntry[] = [];
  for (const [key, name] of Object.entries(PINN_ARCHIVE_ENTRIES) as Array<[keyof typeof PINN_ARCHIVE_ENTRIES, string]>) {
    const content = files[key];
    if (content === undefined) continue;
    entries.push({ name: `${folder}${name}`, data: typeof content === 'string' ? encoder.encode(content) : content });
  }
  return writeZip(entries);
}

/** Reads every entry of an archive, to repack them with others. */
function openFiles(bytes: Uint8Array): ZipInputEntry[] {
  const archive = openZip(bytes, 'repack.zip');
  return archive.entries.map((entry) => ({ name: entry.name, data: readZipEntry(archive, entry) }));
}

function filesOf(saved: SavedPinnModel): { model: string; weights: Uint8Array; sidecar: string } {
  return { model: saved.modelJson, weights: new Uint8Array(saved.weights), sidecar: saved.sidecarJson };
}

/** Index of the first float of the weight `name` in the weights file. */
function weightOffset(saved: SavedPinnModel, name: string): number {
  const specs = (JSON.parse(saved.modelJson) as { weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> }).weightsManifest[0].weights;
  let offset = 0;
  for (const spec of specs) {
    if (spec.name === name) return offset;
    offset += spec.shape.reduce((product, side) => product * side, 1);
  }
  throw new Error(`no weight ${name}`);
}

describe('unpackModelArchive rejections', () => {
  it('rejects weights that are all NaN', async () => {
    const saved = await realSavedModel();
    const weights = new Float32Array(saved.weights.byteLength / 4).fill(Number.NaN);
    const bytes = packFiles({ ...filesOf(saved), weights: new Uint8Array(weights.buffer) });
    const unpack = () => unpackModelArchive(bytes, 'nan-weights.zip');
    expect(unpack).toThrow(/^ptychopinn\.weights\.bin in nan-weights\.zip: the weight encoder0_conv0\/kernel \(layer encoder0_conv0\)/);
    expect(unpack).toThrow(/has 72 of 72 values that are NaN or infinite, and \d+ more of its \d+ weights/);
    expect(unpack).toThrow(/Train the model again/);
  });

  it('names the one weight that holds an infinity', async () => {
    const saved = await realSavedModel();
    const weights = new Float32Array(saved.weights.slice(0));
    const name = 'encoder1_conv0/bias';
    weights[weightOffset(saved, name) + 3] = Number.POSITIVE_INFINITY;
    const bytes = packFiles({ ...filesOf(saved), weights: new Uint8Array(weights.buffer) });
    const unpack = () => unpackModelArchive(bytes, 'inf.zip');
    expect(unpack).toThrow(/the weight encoder1_conv0\/bias \(layer encoder1_conv0\) has 1 of 16 values that are NaN or infinite, so/);
  });

  it('rejects NaN weights in loadModelFiles too', async () => {
    const saved = await realSavedModel();
    const weights = new Float32Array(saved.weights.byteLength / 4).fill(Number.NaN);
    await expect(loadModelFiles(saved.modelJson, weights.buffer)).rejects.toThrow(/the weight encoder0_conv0\/kernel .* NaN or infinite/);
  });

  it('rejects a file that is not a ZIP archive', () => {
    const random = Uint8Array.from({ length: 64 }, (_, index) => (index * 97 + 13) % 251);
    const unpack = () => unpackModelArchive(random, 'random.zip');
    expect(unpack).toThrow(/^random\.zip is not a model archive: a ZIP archive starts with the bytes PK/);
    expect(unpack).toThrow(/click Save model/);
    expect(unpack).not.toThrow(/numpy|\.npz/i);
  });

  it('rejects a bare model.json', async () => {
    const saved = await realSavedModel();
    const unpack = () => unpackModelArchive(new TextEncoder().encode(saved.modelJson), 'model.json');
    expect(unpack).toThrow(/^model\.json is a model\.json on its own, without the weights and the sidecar\. A saved PtychoPINN model is one \.zip/);
  });

  it('rejects an empty file and an HDF5 scan', () => {
    expect(() => unpackModelArchive(new Uint8Array(0), 'empty.zip')).toThrow(/^empty\.zip is empty \(0 bytes\)/);
    const hdf5 = new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    expect(() => unpackModelArchive(hdf5, 'scan.cxi')).toThrow(/^scan\.cxi is an HDF5 file, which looks like a scan .*scan picker/);
  });

  it('rejects a scan .npz as a scan', () => {
    const npz = writeZip([
      { name: 'diffraction.npy', data: new Uint8Array(16) },
      { name: 'xcoords.npy', data: new Uint8Array(16) },
    ]);
    const unpack = () => unpackModelArchive(npz, 'siemens-star.npz');
    expect(unpack).toThrow(/^siemens-star\.npz looks like a scan, not a model: it contains the NumPy arrays diffraction\.npy, xcoords\.npy\./);
    expect(unpack).toThrow(/Open it with the scan picker/);
  });

  it('rejects a ZIP archive of other files', () => {
    const other = writeZip([{ name: 'notes.txt', data: new Uint8Array(4) }]);
    expect(() => unpackModelArchive(other, 'notes.zip')).toThrow(/^notes\.zip is a ZIP archive but not a model archive: it contains notes\.txt\./);
  });

  it('rejects a truncated archive without scan wording', async () => {
    const bytes = packFiles(filesOf(await realSavedModel()));
    const unpack = () => unpackModelArchive(bytes.subarray(0, bytes.length - 30), 'cut.zip');
    expect(unpack).toThrow(/^cut\.zip cannot be read as a model archive: the ZIP archive is truncated/);
    expect(unpack).not.toThrow(/numpy/i);
  });

  it('keeps the missing-entry message', async () => {
    const { model, sidecar: sidecarText } = filesOf(await realSavedModel());
    expect(() => unpackModelArchive(packFiles({ model, sidecar: sidecarText }), 'no-weights.zip')).toThrow(
      /^no-weights\.zip has no ptychopinn\.weights\.bin; choose a model archive saved by Ptychoscope/,
    );
  });

  it('rejects weights of the wrong size', async () => {
    const files = filesOf(await realSavedModel());
    const longer = new Uint8Array(files.weights.length + 1000);
    longer.set(files.weights);
    expect(() => unpackModelArchive(packFiles({ ...files, weights: longer }), 'extra-bytes.zip')).toThrow(
      /^ptychopinn\.weights\.bin in extra-bytes\.zip has \d+ bytes but model\.json in extra-bytes\.zip describes \d+\./,
    );
  });

  it('rejects a topology TensorFlow.js cannot read', async () => {
    const files = filesOf(await realSavedModel());
    const model = { ...JSON.parse(files.model), modelTopology: { foo: 1 } };
    const unpack = () => unpackModelArchive(packFiles({ ...files, model: JSON.stringify(model) }), 'bad-topology.zip');
    expect(unpack).toThrow(
      /^model\.json in bad-topology\.zip does not describe a PtychoPINN network: its modelTopology needs "class_name" and "config\.layers", and its keys are foo\./,
    );
  });

  it('rejects model.json that is not JSON', async () => {
    const files = filesOf(await realSavedModel());
    const unpack = () => unpackModelArchive(packFiles({ ...files, model: files.model.slice(0, 500) }), 'badjson.zip');
    expect(unpack).toThrow(/^model\.json in badjson\.zip is not valid JSON \(/);
  });

  it('rejects a sidecar whose pattern size differs from the network', async () => {
    const files = filesOf(await realSavedModel());
    const edited = { ...sidecar, patternSize: 64, trainingNormalization: { ...sidecar.trainingNormalization, patternSize: 64 } };
    const unpack = () => unpackModelArchive(packFiles({ ...files, sidecar: JSON.stringify(edited) }), 'sidecar-says-64.zip');
    expect(unpack).toThrow(
      /^model\.json in sidecar-says-64\.zip reads 16 × 16 patterns but ptychoscope-sidecar\.json in sidecar-says-64\.zip gives 64\./,
    );
  });

  it('rejects a negative scale in the sidecar', async () => {
    const files = filesOf(await realSavedModel());
    const edited = { ...sidecar, trainingNormalization: { ...sidecar.trainingNormalization, intensityScale: -1 } };
    const unpack = () => unpackModelArchive(packFiles({ ...files, sidecar: JSON.stringify(edited) }), 'neg-scale.zip');
    expect(unpack).toThrow(
      /^ptychoscope-sidecar\.json in neg-scale\.zip: "trainingNormalization\.intensityScale" must be a positive number, received -1\./,
    );
  });

  it('rejects model files in two folders', async () => {
    const files = filesOf(await realSavedModel());
    const entries: ZipInputEntry[] = [
      { name: 'a/model.json', data: new TextEncoder().encode(files.model) },
      { name: 'b/ptychopinn.weights.bin', data: files.weights },
    ];
    expect(() => unpackModelArchive(writeZip(entries), 'two.zip')).toThrow(/^two\.zip contains model files in several places \(a\/, b\/\)/);
  });
});

describe('unpackModelArchive acceptance', () => {
  it('accepts entries inside one folder', async () => {
    const saved = await realSavedModel();
    const folder = 'ptychopinn-model/';
    // What macOS "Compress" writes: a folder entry, the files in it and __MACOSX resource files.
    const macMetadata: ZipInputEntry[] = Object.values(PINN_ARCHIVE_ENTRIES).map((name) => ({
      name: `__MACOSX/${folder}._${name}`,
      data: new Uint8Array(8),
    }));
    const archive = writeZip([
      { name: folder, data: new Uint8Array(0) },
      ...openFiles(packFiles(filesOf(saved), folder)),
      ...macMetadata,
    ]);
    const unpacked = unpackModelArchive(archive, 'in-folder.zip');
    expect(unpacked.modelJson).toBe(saved.modelJson);
    expect(unpacked.sidecarJson).toBe(saved.sidecarJson);
    expect(new Uint8Array(unpacked.weights)).toEqual(new Uint8Array(saved.weights));
  });

  it('dates the packed entries with the save time', async () => {
    const saved = await realSavedModel();
    const savedAt = new Date(2026, 11, 5, 7, 15, 42);
    const bytes = packModelArchive(saved, savedAt);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Local header: MS-DOS time at byte 10 and date at byte 12.
    expect(view.getUint16(12, true)).toBe(((2026 - 1980) << 9) | (12 << 5) | 5);
    expect(view.getUint16(10, true)).toBe((7 << 11) | (15 << 5) | 21);
  });
});

describe('loadModelFiles topology errors', () => {
  it('wraps the TensorFlow.js message', async () => {
    const saved = await realSavedModel();
    const model = JSON.parse(saved.modelJson) as { modelTopology: { config: { layers: Array<{ class_name: string }> } } };
    model.modelTopology.config.layers[1].class_name = 'NoSuchLayer';
    await expect(loadModelFiles(JSON.stringify(model), saved.weights)).rejects.toThrow(
      /^model\.json does not describe a PtychoPINN network: .*NoSuchLayer/,
    );
  });
});
