import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../../data/dataset';
import { readSiemensStarNpz, SIEMENS_STAR_PROVENANCE } from '../../data/siemensStar';
import { defaultsFor } from '../../solvers/pie/options';
import { PieSolver } from '../../solvers/pie/pie';
import { registerPhysicsKernels } from '../register';
import { fusedRunFromSolver } from './fusedPieFromSolver';

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

describe('fused rPIE on the bundled Siemens-star scan', () => {
  let dataset: ScanDataset;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
    const bytes = new Uint8Array(readFileSync(resolve(REPO_ROOT, 'public/data/siemens-star.npz')));
    dataset = readSiemensStarNpz(bytes, 'siemens-star.npz', SIEMENS_STAR_PROVENANCE);
  });

  it('matches NumPy with one probe mode', () => {
    const solver = new PieSolver(dataset, { ...defaultsFor('rpie'), batchSize: reference.batchSize, probeModes: 1 });
    const run = fusedRunFromSolver(solver);
    solver.dispose();
    const errors = Array.from({ length: reference.iterations }, () => run.iterate());

    // float32 sums over 516 patterns of 128² pixels against NumPy's complex64 with float64 sums.
    errors.forEach((error, i) => expect(Math.abs(error - reference.errors['1'][i])).toBeLessThan(2e-5));
  }, 60_000);
});
