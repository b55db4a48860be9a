// PtychoPINN runs in the worker's runner on the cpu backend: stops during preparation and in the
// middle of an epoch, and the summaries of inferences with a trained and with a loaded model.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../data/dataset';
import { defaultSimulationOptions, simulateScan } from '../data/simulate';
import { registerPhysicsKernels } from '../engine/register';
import { defaultPinnRunOptions } from '../solvers/pinn/runOptions';
import { PinnRunner, type PinnRunHooks } from './pinnRunner';
import type { PinnProgress } from './protocol';

// 36 patterns of 32², cropped to 16²: 2 are held out, so an epoch is 5 batches of at most 8.
const OPTIONS = { ...defaultPinnRunOptions, epochs: 2, batchSize: 8, patternSize: 16, filterScale: 0.125 };

function hooksWith(shouldStop: () => boolean, updates: PinnProgress[] = []): PinnRunHooks {
  return { onProgress: (progress) => updates.push(progress), shouldStop, now: () => performance.now() };
}

describe('PinnRunner', () => {
  let dataset: ScanDataset;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
    dataset = (await simulateScan({ ...defaultSimulationOptions, patternSize: 32, gridSize: 6 })).dataset;
  });

  it('keeps the previous run when stopped during preparation', async () => {
    const runner = new PinnRunner();
    await runner.run(dataset, { ...OPTIONS, epochs: 1 }, hooksWith(() => false));
    const previousSnapshot = runner.snapshot;

    // The stop arrives as a macrotask, as a worker message does, right after the request.
    let stopRequested = false;
    setTimeout(() => (stopRequested = true), 0);
    const summary = await runner.run(dataset, OPTIONS, hooksWith(() => stopRequested));
    expect(summary.kind).toBe('not-started');
    expect(summary.stopReason).toBe('cancelled');
    expect(runner.resumableEpochs).toBe(1);
    expect(runner.snapshot).toBe(previousSnapshot);
    const resumed = await runner.resume(1, hooksWith(() => false));
    expect(resumed.epochsDone).toBe(2);
    runner.dispose();
  });

  it('leaves an interrupted epoch off the curve and resumes it', async () => {
    const runner = new PinnRunner();
    const updates: PinnProgress[] = [];
    // shouldStop runs twice during preparation, before each of the 5 batches and once after each
    // epoch, so the 10th call comes after the first batch of epoch 2.
    let checks = 0;
    const stopped = await runner.run(dataset, { ...OPTIONS, epochs: 3 }, hooksWith(() => (checks += 1) >= 10, updates));
    expect(stopped.stopReason).toBe('cancelled');
    expect(stopped.epochsDone).toBe(1);
    expect(stopped.interruptedEpoch).toEqual({ epoch: 2, batchesDone: 1, batchesPerEpoch: 5 });
    const last = updates.at(-1);
    expect(last?.trainLosses).toHaveLength(1);
    expect(last?.batchesDone).toBe(1);
    expect(last?.snapshot).toBeDefined();

    updates.length = 0;
    const resumed = await runner.resume(2, hooksWith(() => false, updates));
    expect(resumed.epochsDone).toBe(3);
    expect(resumed.interruptedEpoch).toBeNull();
    expect(updates.at(-1)?.trainLosses).toHaveLength(3);
    expect(updates.every((update) => update.stage === 'training' && update.epochs === 3)).toBe(true);
    runner.dispose();
  });

  it('skips the final stitch before a completed epoch', async () => {
    const runner = new PinnRunner();
    const updates: PinnProgress[] = [];
    // The 5th call comes before the third batch of epoch 1.
    let checks = 0;
    const stopped = await runner.run(dataset, OPTIONS, hooksWith(() => (checks += 1) >= 5, updates));
    expect(stopped.epochsDone).toBe(0);
    expect(stopped.interruptedEpoch).toEqual({ epoch: 1, batchesDone: 2, batchesPerEpoch: 5 });
    expect(stopped.inference_ms).toBe(0);
    expect(runner.snapshot).toBeNull();
    expect(updates.at(-1)?.snapshot).toBeUndefined();
    runner.dispose();
  });

  it('reports the training of the model an inference used', async () => {
    const runner = new PinnRunner();
    const trained = await runner.run(dataset, OPTIONS, hooksWith(() => false));
    const updates: PinnProgress[] = [];
    const inferred = await runner.infer(dataset, hooksWith(() => false, updates));
    expect(inferred.kind).toBe('inference');
    expect(inferred.modelSource).toBe('trained');
    expect(inferred.epochsDone).toBe(2);
    expect(inferred.training_ms).toBe(trained.training_ms);
    expect(inferred.patternCount).toBe(36);
    expect(updates).toHaveLength(1);
    expect(updates[0].stage).toBe('inference');
    expect(updates[0].trainLosses).toHaveLength(2);
    expect(updates[0].snapshot).toBeDefined();

    const files = await runner.save();
    const fresh = new PinnRunner();
    await fresh.load(files);
    const loaded = await fresh.infer(dataset, hooksWith(() => false));
    expect(loaded.modelSource).toBe('loaded');
    expect(loaded.epochsDone).toBe(2);
    expect(loaded.training_ms).toBe(0);
    runner.dispose();
    fresh.dispose();
  });
});
