// Times one rPIE iteration on the bundled Siemens-star scan (516 patterns of 128², batches of 32) in
// Node, with 1 probe mode, with 3 probe modes, and with far-field upsampling 2. It runs the fused
// cpu path and PieSolver's composed kernels:
//   npx vitest bench --run src/engine/cpu/fusedPie.bench.ts
// The NumPy references for the ratios are `python3 bench/rpie_numpy.py --iterations 5 --warmup 1`,
// the same with `--probe-modes 3`, and with `--upsample 2`.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { bench, describe } from 'vitest';

import { readSiemensStarNpz, SIEMENS_STAR_PROVENANCE } from '../../data/siemensStar';
import { defaultsFor } from '../../solvers/pie/options';
import { PieSolver } from '../../solvers/pie/pie';
import { registerPhysicsKernels } from '../register';

await tf.setBackend('cpu');
registerPhysicsKernels();
const bytes = new Uint8Array(readFileSync(resolve(import.meta.dirname, '../../../public/data/siemens-star.npz')));
const dataset = readSiemensStarNpz(bytes, 'siemens-star.npz', SIEMENS_STAR_PROVENANCE);
const options = { ...defaultsFor('rpie'), batchSize: 32, probeModes: 1, iterations: 100_000 };

/** Times `fusedCount` fused and `composedCount` composed iterations of one case and prints the medians. */
async function compare(label: string, caseOptions: typeof options, fusedCount: number, composedCount: number) {
  const fused = new PieSolver(dataset, caseOptions);
  const composed = new PieSolver(dataset, caseOptions, undefined, { fusedCpu: false });
  const fusedMedian = await medianSeconds(() => fused.iterate(), fusedCount);
  const composedMedian = await medianSeconds(() => composed.iterate(), composedCount);
  console.log(
    `${label}: median s/iteration: fused ${fusedMedian.toFixed(4)}, composed ${composedMedian.toFixed(4)} ` +
      `(${(composedMedian / fusedMedian).toFixed(2)}× faster)`,
  );
  return { fused, composed };
}


/** Returns the median seconds of `count` calls of `run` after one warm-up call. Vitest's table shows no median. */
async function medianSeconds(run: () => unknown, count: number): Promise<number> {
  await run();
  const seconds: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await run();
    seconds.push((performance.now() - start) / 1000);
  }
  seconds.sort((a, b) => a - b);
  return seconds[Math.floor(count / 2)];
}

const { fused, composed } = await compare('1 probe mode', options, 15, 9);
// The slower cases get fewer timed runs; they also run in the rPIE bundled tests.
await compare('3 probe modes', { ...options, probeModes: 3 }, 7, 3);
await compare('far-field upsampling 2', { ...options, farFieldUpsampling: 2 }, 7, 3);

describe('one rPIE iteration, bundled scan, 1 probe mode', () => {
  bench('fused cpu (FusedPieUpdate)', async () => {
    await fused.iterate();
  });
  bench('composed cpu kernels (PieSolver)', async () => {
    await composed.iterate();
  });
});
