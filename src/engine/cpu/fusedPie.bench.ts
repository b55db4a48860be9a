// Times one rPIE iteration on the bundled Siemens-star scan (516 patterns of 128², one probe mode,
// batches of 32) on the fused cpu path and on PieSolver's composed kernels, in Node:
//   npx vitest bench --run src/engine/cpu/fusedPie.bench.ts
// Compare with `python3 bench/rpie_numpy.py --iterations 5 --warmup 1`, the NumPy reference.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { bench, describe } from 'vitest';

import { readSiemensStarNpz, SIEMENS_STAR_PROVENANCE } from '../../data/siemensStar';
import { defaultsFor } from '../../solvers/pie/options';
import { PieSolver } from '../../solvers/pie/pie';
import { registerPhysicsKernels } from '../register';
import { fusedRunFromSolver } from './fusedPieFromSolver';

await tf.setBackend('cpu');
registerPhysicsKernels();
const bytes = new Uint8Array(readFileSync(resolve(import.meta.dirname, '../../../public/data/siemens-star.npz')));
const dataset = readSiemensStarNpz(bytes, 'siemens-star.npz', SIEMENS_STAR_PROVENANCE);
const options = { ...defaultsFor('rpie'), batchSize: 32, probeModes: 1, iterations: 100_000 };

const fused = fusedRunFromSolver(new PieSolver(dataset, options));
const composed = new PieSolver(dataset, options);

describe('one rPIE iteration, bundled scan, 1 probe mode', () => {
  bench('fused cpu (FusedPieUpdate)', () => {
    fused.iterate();
  });
  bench('composed cpu kernels (PieSolver)', async () => {
    await composed.iterate();
  });
});
