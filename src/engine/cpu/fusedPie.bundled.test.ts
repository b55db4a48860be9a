import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../../data/dataset';
import { readSiemensStarNpz, SIEMENS_STAR_PROVENANCE } from '../../data/siemensStar';
import { defaultsFor } from '../../solvers/pie/options';
import { PieSolver, type PieEngineChoices } from '../../solvers/pie/pie';
import { registerPhysicsKernels } from '../register';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

interface BundledErrors {
  iterations: number;
  batchSize: number;
  errors: Record<string, number[]>;
}

/** Fourier errors of the NumPy port (bench/rpie_numpy.py), from test/fixtures/make_pie_fixtures.py. */
const reference = JSON.parse(
  readFileSync(resolve(REPO_ROOT, 'test/fixtures/pie/bundled_errors.json'), 'utf8'),
) as BundledErrors;

/** Largest |a − b| relative to the largest |b|. */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i += 1) {
    difference = Math.max(difference, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return difference / scale;
}

describe('PieSolver fused cpu path on the bundled scan', () => {
  let dataset: ScanDataset;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
    const bytes = new Uint8Array(readFileSync(resolve(REPO_ROOT, 'public/data/siemens-star.npz')));
    dataset = readSiemensStarNpz(bytes, 'siemens-star.npz', SIEMENS_STAR_PROVENANCE);
  });

  /** Runs the reference iterations and returns the errors and the final fields. */
  async function run(engine: PieEngineChoices) {
    const solver = new PieSolver(
      dataset,
      { ...defaultsFor('rpie'), batchSize: reference.batchSize, probeModes: 1 },
      undefined,
      engine,
    );
    const tensorsBefore = tf.memory().numTensors;
    const errors = [(await solver.iterate()).fourierError];
    const firstObject = await solver.readObject();
    const firstProbe = await solver.readProbe();
    for (let i = 1; i < reference.iterations; i += 1) errors.push((await solver.iterate()).fourierError);
    const result = {
      errors,
      firstObject,
      firstProbe,
      tensorsAdded: tf.memory().numTensors - tensorsBefore,
      object: await solver.readObject(),
      probe: await solver.readProbe(),
      probeModes: await solver.readProbeModes(),
      coverage: await solver.readCoverage(),
      modeCount: solver.probeModeCount,
    };
    solver.dispose();
    return result;
  }

  it('matches NumPy and the composed kernels', async () => {
    const fused = await run({});
    const composed = await run({ fusedCpu: false });

    // float32 sums over 516 patterns of 128² pixels against NumPy's complex64 with float64 sums.
    fused.errors.forEach((error, i) => expect(Math.abs(error - reference.errors['1'][i])).toBeLessThan(2e-5));
    fused.errors.forEach((error, i) => expect(Math.abs(error - composed.errors[i])).toBeLessThan(1e-6));
    // The first iteration leaves the probe alone. From the second on, the probe and object updates
    // amplify rounding differences: changing the intensities by 1e-7 of their value moves the
    // composed path's object by 5e-3 after three iterations. So only the first is compared closely.
    expect(relativeDifference(fused.firstObject, composed.firstObject)).toBeLessThan(1e-5);
    expect(fused.firstProbe).toEqual(composed.firstProbe);
    expect(relativeDifference(fused.object, composed.object)).toBeLessThan(1e-2);
    expect(relativeDifference(fused.probe, composed.probe)).toBeLessThan(1e-2);
    expect(relativeDifference(fused.coverage, composed.coverage)).toBeLessThan(1e-2);
    expect(fused.probeModes).toEqual(fused.probe);
    expect(fused.modeCount).toBe(1);
    expect(fused.tensorsAdded).toBe(0);
  }, 120_000);

  it('writes orthogonal probe modes back', async () => {
    // The second iteration updates the probe, and PieSolver then orthogonalises the modes and
    // writes them back into the fused update's memory.
    const modes = 3;
    const solver = new PieSolver(dataset, { ...defaultsFor('rpie'), batchSize: reference.batchSize, probeModes: modes });
    await solver.iterate();
    await solver.iterate();
    const fields = await solver.readProbeModes();
    const fusedBytes = solver.wasmMemoryBytes;
    solver.dispose();
    expect(fusedBytes).toBeGreaterThan(0);

    const modeLength = fields.length / modes;
    const gram = (k: number, l: number): [number, number] => {
      let re = 0;
      let im = 0;
      for (let p = 0; p < modeLength; p += 2) {
        const [ar, ai] = [fields[k * modeLength + p], fields[k * modeLength + p + 1]];
        const [br, bi] = [fields[l * modeLength + p], fields[l * modeLength + p + 1]];
        re += ar * br + ai * bi;
        im += ai * br - ar * bi;
      }
      return [re, im];
    };
    const powers = [0, 1, 2].map((mode) => gram(mode, mode)[0]);
    expect(powers[0]).toBeGreaterThan(powers[1]);
    expect(powers[1]).toBeGreaterThan(powers[2]);
    for (const [k, l] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ]) {
      const [re, im] = gram(k, l);
      expect(Math.hypot(re, im) / Math.sqrt(powers[k] * powers[l]), `modes ${k} and ${l}`).toBeLessThan(1e-4);
    }
  }, 60_000);
});
