// Checks the far-field forward model built from the 'cpu' kernels against PtychoPINN golden
// vectors: expected_forward = |fftshift(fft2(scale·probe·x, norm="ortho"))|².
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { relativeRms } from '../../../test/fixtures/kernels/load.mjs';
import { complexMultiply, fft2 } from '../ops';
import { registerPhysicsKernels } from '../register';

const REPOSITORY_ROOT = resolve(import.meta.dirname, '../../..');
const GOLDEN_DIRECTORY = resolve(REPOSITORY_ROOT, '../shared/data/pinn-forward');
const ARRAY_NAMES = ['x_real', 'x_imag', 'probe_real', 'probe_imag', 'scale', 'expected_forward'] as const;
type ArrayName = (typeof ARRAY_NAMES)[number];

// Writes each array of an .npz file as raw little-endian float32 to <directory>/<name>.bin and
// prints the shapes as JSON. The reader in src/data is not used, so this test depends only on NumPy.
const DUMP_SCRIPT = `
import json, sys
import numpy as np
archive = np.load(sys.argv[1])
shapes = {}
for name in sys.argv[3:]:
    array = np.asarray(archive[name], dtype="<f4")
    array.tofile(f"{sys.argv[2]}/{name}.bin")
    shapes[name] = list(array.shape)
print(json.dumps(shapes))
`;

let dumpDirectory = '';

function loadGoldenCase(caseName: string): Record<ArrayName, { shape: number[]; data: Float32Array }> {
  const directory = mkdtempSync(join(dumpDirectory, `${caseName}-`));
  const archivePath = join(GOLDEN_DIRECTORY, `${caseName}.npz`);
  const output = execFileSync('python3', ['-c', DUMP_SCRIPT, archivePath, directory, ...ARRAY_NAMES], {
    encoding: 'utf8',
  });
  const shapes = JSON.parse(output) as Record<ArrayName, number[]>;
  const arrays = {} as Record<ArrayName, { shape: number[]; data: Float32Array }>;
  for (const name of ARRAY_NAMES) {
    const bytes = readFileSync(join(directory, `${name}.bin`));
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    arrays[name] = { shape: shapes[name], data };
  }
  return arrays;
}

function interleave(real: Float32Array, imaginary: Float32Array): Float32Array {
  const values = new Float32Array(2 * real.length);
  for (let i = 0; i < real.length; i += 1) {
    values[2 * i] = real[i];
    values[2 * i + 1] = imaginary[i];
  }
  return values;
}

/** Returns |field|² of an interleaved n×n field, moved so that the zero frequency is at [n/2, n/2]. */
function shiftedIntensity(field: Float32Array, n: number): Float64Array {
  const intensity = new Float64Array(n * n);
  const half = n / 2;
  for (let row = 0; row < n; row += 1) {
    for (let col = 0; col < n; col += 1) {
      const source = 2 * (row * n + col);
      const target = ((row + half) % n) * n + ((col + half) % n);
      intensity[target] = field[source] ** 2 + field[source + 1] ** 2;
    }
  }
  return intensity;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPhysicsKernels();
  dumpDirectory = mkdtempSync(join(tmpdir(), 'ptychoscope-pinn-'));
});

afterAll(() => {
  rmSync(dumpDirectory, { recursive: true, force: true });
});

describe('forward model against PtychoPINN', () => {
  it.each(['c1_bigF', 'c1_bigT_probe'])('%s matches expected_forward', (caseName) => {
    const golden = loadGoldenCase(caseName);
    const n = golden.probe_real.shape[0];
    expect(golden.probe_real.shape).toEqual([n, n]);
    expect(golden.x_real.data.length).toBe(n * n);
    expect(golden.expected_forward.data.length).toBe(n * n);

    const probe = tf.tensor3d(interleave(golden.probe_real.data, golden.probe_imag.data), [n, n, 2]);
    const object = tf.tensor4d(interleave(golden.x_real.data, golden.x_imag.data), [1, n, n, 2]);
    const scale = golden.scale.data[0];
    const farField = tf.tidy(() => fft2(tf.mul(complexMultiply<tf.Tensor4D>(probe, object), scale), 'forward'));

    const intensity = shiftedIntensity(farField.dataSync() as Float32Array, n);
    expect(relativeRms(intensity, golden.expected_forward.data)).toBeLessThanOrEqual(1e-5);
    tf.dispose([probe, object, farField]);
  });
});
