// A trainable probe through the trainer and the worker's runner on the cpu backend: the probe
// moves from the scan's, reaches the result snapshot, and is saved as probe.npy.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../data/dataset';
import { readNpy } from '../data/npy';
import { defaultSimulationOptions, simulateScan } from '../data/simulate';
import { registerPhysicsKernels } from '../engine/register';
import { preparePinnData } from '../solvers/pinn/dataPrep';
import { parseSidecar } from '../solvers/pinn/modelFiles';
import { defaultPinnRunOptions } from '../solvers/pinn/runOptions';
import { PinnTrainer } from '../solvers/pinn/train';
import { PinnRunner, type PinnRunHooks } from './pinnRunner';
import type { PinnProgress } from './protocol';

// 36 patterns of 32², cropped to 16².
const OPTIONS = { ...defaultPinnRunOptions, epochs: 2, batchSize: 8, patternSize: 16, filterScale: 0.125 };

function hooksWith(updates: PinnProgress[] = []): PinnRunHooks {
  return { onProgress: (progress) => updates.push(progress), shouldStop: () => false, now: () => performance.now() };
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('trainable PtychoPINN probe', () => {
  let dataset: ScanDataset;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
    dataset = (await simulateScan({ ...defaultSimulationOptions, patternSize: 32, gridSize: 6 })).dataset;
  });

  it('trainer moves the probe from the start', async () => {
    const data = await preparePinnData(dataset, { patternSize: 16 });
    const trainer = new PinnTrainer(data, { batchSize: 8, filterScale: 0.125, trainableProbe: true, validationFraction: 0 });
    const start = await trainer.probeValues();
    expect(maxAbsDifference(start, data.probe)).toBe(0);

    const result = await trainer.train(1);
    expect(result.probe).toHaveLength(16 * 16 * 2);
    expect(result.probe.every(Number.isFinite)).toBe(true);
    expect(maxAbsDifference(result.probe, data.probe)).toBeGreaterThan(0);
    trainer.dispose();
  });

  it('trainer keeps a fixed probe', async () => {
    const data = await preparePinnData(dataset, { patternSize: 16 });
    const trainer = new PinnTrainer(data, { batchSize: 8, filterScale: 0.125, trainableProbe: false, validationFraction: 0 });
    const result = await trainer.train(1);
    expect(maxAbsDifference(result.probe, data.probe)).toBe(0);
    trainer.dispose();
  });

  it('runner sends and saves the trained probe', async () => {
    const data = await preparePinnData(dataset, { patternSize: 16 });
    const runner = new PinnRunner();
    const updates: PinnProgress[] = [];
    await runner.run(dataset, { ...OPTIONS, trainableProbe: true }, hooksWith(updates));

    const probe = runner.snapshot?.probe;
    expect(probe?.kind).toBe('trained');
    if (probe?.kind !== 'trained') throw new Error('no trained probe in the snapshot');
    expect(probe.probeSize).toBe(16);
    expect(probe.probe).toHaveLength(16 * 16 * 2);
    expect(maxAbsDifference(probe.probe, data.probe)).toBeGreaterThan(0);
    expect(updates.at(-1)?.snapshot?.probe).toEqual(probe);
    // Every epoch's preview carries the probe of that epoch.
    const previews = updates.filter((update) => update.snapshot !== undefined);
    expect(previews.length).toBeGreaterThanOrEqual(2);
    expect(previews.every((update) => update.snapshot?.probe?.kind === 'trained')).toBe(true);

    const saved = await runner.save();
    expect(parseSidecar(saved.sidecarJson, 'sidecar').trainableProbe).toBe(true);
    expect(saved.probeNpy).toBeDefined();
    const array = readNpy(saved.probeNpy as Uint8Array, 'probe.npy');
    expect(array.dtype).toBe('complex64');
    expect(array.shape).toEqual([16, 16]);
    expect(Array.from(array.data as Float32Array)).toEqual(Array.from(probe.probe));

    // A model loaded from those files shows the same probe after an inference.
    const loadedRunner = new PinnRunner();
    await loadedRunner.load(saved);
    await loadedRunner.infer(dataset, hooksWith());
    expect(loadedRunner.snapshot?.probe).toEqual(probe);
    runner.dispose();
    loadedRunner.dispose();
  });

  it('runner marks a fixed probe', async () => {
    const runner = new PinnRunner();
    await runner.run(dataset, { ...OPTIONS, epochs: 1, trainableProbe: false }, hooksWith());
    expect(runner.snapshot?.probe).toEqual({ kind: 'fixed' });
    const saved = await runner.save();
    expect(saved.probeNpy).toBeUndefined();
    expect(parseSidecar(saved.sidecarJson, 'sidecar').trainableProbe).toBe(false);
    runner.dispose();
  });
});
