import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../../data/dataset';
import { readSiemensStarNpz, SIEMENS_STAR_PROVENANCE } from '../../data/siemensStar';
import { registerPhysicsKernels } from '../../engine/register';
import { defaultsFor } from './options';
import { PieSolver } from './pie';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

interface BundledErrors {
  iterations: number;
  batchSize: number;
  errors: Record<string, number[]>;
  /** Far-field upsampling factor of `upsampledErrors`. */
  upsample: 2;
  upsampledErrors: Record<string, number[]>;
}

/** Fourier errors of the NumPy port (bench/rpie_numpy.py), from test/fixtures/make_pie_fixtures.py. */
const reference = JSON.parse(
  readFileSync(resolve(REPO_ROOT, 'test/fixtures/pie/bundled_errors.json'), 'utf8'),
) as BundledErrors;

describe('rPIE on the bundled Siemens-star scan', () => {
  let dataset: ScanDataset;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
    const bytes = new Uint8Array(readFileSync(resolve(REPO_ROOT, 'public/data/siemens-star.npz')));
    dataset = readSiemensStarNpz(bytes, 'siemens-star.npz', SIEMENS_STAR_PROVENANCE);
  });

  for (const modes of [1, 3]) {
    it(`matches NumPy with ${modes} probe mode${modes === 1 ? '' : 's'}`, async () => {
      const solver = new PieSolver(dataset, { ...defaultsFor('rpie'), batchSize: reference.batchSize, probeModes: modes });
      const errors: number[] = [];
      for (let i = 0; i < reference.iterations; i += 1) errors.push((await solver.iterate()).fourierError);
      const count = solver.probeModeCount;
      const fusedBytes = solver.wasmMemoryBytes;
      solver.dispose();

      expect(count).toBe(modes);
      // The 'cpu' backend runs the fused WebAssembly update, whose memory only it reports.
      expect(fusedBytes).toBeGreaterThan(0);
      // float32 sums over 516 patterns of 128² pixels against NumPy's complex64 with float64 sums.
      errors.forEach((error, i) => expect(Math.abs(error - reference.errors[String(modes)][i])).toBeLessThan(2e-5));
    }, 60_000);
  }

  for (const modes of [1, 3]) {
    it(`matches NumPy upsampled with ${modes} mode${modes === 1 ? '' : 's'}`, async () => {
      const options = {
        ...defaultsFor('rpie'),
        batchSize: reference.batchSize,
        probeModes: modes,
        farFieldUpsampling: reference.upsample,
      };
      const solver = new PieSolver(dataset, options);
      const errors: number[] = [];
      for (let i = 0; i < reference.iterations; i += 1) errors.push((await solver.iterate()).fourierError);
      const windowSize = solver.windowSize;
      const count = solver.probeModeCount;
      const fusedBytes = solver.wasmMemoryBytes;
      solver.dispose();

      expect(windowSize).toBe(reference.upsample * dataset.patternSize);
      expect(count).toBe(modes);
      expect(fusedBytes).toBeGreaterThan(0);
      errors.forEach((error, i) => expect(Math.abs(error - reference.upsampledErrors[String(modes)][i])).toBeLessThan(2e-5));
    }, 240_000);
  }
});
