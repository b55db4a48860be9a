/**
 * Test and bench support: builds a FusedPieUpdate from a freshly constructed PieSolver, so that
 * both start from the same object, probe, batches and shuffle generator.
 * NOTE: it reads PieSolver's private fields (objectField, probeFields, batches, random, totalCounts), so a
 * rename there breaks it. It exists only until PieSolver drives the fused path itself.
 */
import type * as tf from '@tensorflow/tfjs';

import { shuffle } from '../../util/random';
import type { PieSolver } from '../../solvers/pie/pie';
import { FusedPieUpdate, type PieUpdateWeights } from './fusedPie';

interface SolverInternals {
  objectField: tf.Tensor3D;
  probeFields: tf.Tensor3D[];
  batches: { amplitudes: tf.Tensor3D; positions: tf.Tensor2D }[];
  random: () => number;
  totalCounts: number;
}

/** A fused run with PieSolver's start point and batch order. */
export interface FusedRun {
  update: FusedPieUpdate;
  /** Runs one iteration and returns its Fourier error, as PieSolver.iterate does. */
  iterate(): number;
}

/** Takes `solver`'s start state; the solver must not have iterated and must have one probe mode. */
export function fusedRunFromSolver(solver: PieSolver): FusedRun {
  const internals = solver as unknown as SolverInternals;
  if (internals.probeFields.length !== 1 || solver.iterationsDone !== 0) {
    throw new Error('fusedRunFromSolver: expected a fresh solver with one probe mode.');
  }
  const [height, width] = internals.objectField.shape;
  const size = internals.probeFields[0].shape[0];
  const update = new FusedPieUpdate(
    internals.objectField.dataSync() as Float32Array,
    height,
    width,
    internals.probeFields[0].dataSync() as Float32Array,
    size,
    internals.batches.map((batch) => ({
      amplitudes: batch.amplitudes.dataSync() as Float32Array,
      positions: batch.positions.dataSync() as Int32Array,
    })),
  );
  const totalCounts = internals.totalCounts;

  const { method, alpha, beta, refineProbe, probeUpdateStart } = solver.options;
  const weights: PieUpdateWeights = {
    objectWeight: method === 'rpie' ? alpha : 1,
    objectStep: method === 'rpie' ? 1 : alpha,
    probeWeight: method === 'rpie' ? beta : 1,
    probeStep: method === 'rpie' ? 1 : beta,
  };
  let iteration = 0;
  return {
    update,
    iterate() {
      const updateProbe = refineProbe && iteration >= probeUpdateStart;
      const order = shuffle(
        internals.batches.map((_, i) => i),
        internals.random,
      );
      let residual = 0;
      for (const index of order) residual = Math.fround(residual + update.updateBatch(index, updateProbe, weights));
      iteration += 1;
      return Math.sqrt(residual / totalCounts);
    },
  };
}
