import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../data/dataset';
import { defaultSimulationOptions, simulateScan } from '../data/simulate';
import { requestedBackendFrom, type RequestedBackend } from '../device/policy';
import { cpuTestResolution } from '../device/testResolution';
import { registerPhysicsKernels } from '../engine/register';
import { defaultsFor } from '../solvers/pie/options';
import type { ReconstructionProgress } from './protocol';
import { createReconstructionService } from './service';

describe('reconstruction service', () => {
  let dataset: ScanDataset;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
    dataset = (await simulateScan({ ...defaultSimulationOptions, gridSize: 5 })).dataset;
  });

  it('resolves auto when no backend setting is given', async () => {
    const requests: RequestedBackend[] = [];
    const service = createReconstructionService({
      resolveDevice: async (requested) => {
        requests.push(requested);
        return cpuTestResolution(requested);
      },
      onProgress: () => {},
    });
    await service.initialize(requestedBackendFrom(undefined));
    expect(requests).toEqual(['auto']);
  });

  it('rejects reconstruct before initialize and before a dataset', async () => {
    const service = createReconstructionService({ resolveDevice: async (r) => cpuTestResolution(r), onProgress: () => {} });
    await expect(service.reconstruct(defaultsFor('rpie'))).rejects.toThrow(/initialize/);
    await service.initialize('cpu');
    await expect(service.reconstruct(defaultsFor('rpie'))).rejects.toThrow(/No dataset/);
  });

  it('reports progress every iteration and a snapshot at the end', async () => {
    const updates: ReconstructionProgress[] = [];
    const service = createReconstructionService({
      resolveDevice: async (r) => cpuTestResolution(r),
      onProgress: (progress) => updates.push(progress),
    });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    const summary = await service.reconstruct({ ...defaultsFor('rpie'), iterations: 4, batchSize: 8 });
    expect(summary.iterationsDone).toBe(4);
    expect(summary.stopped).toBe(false);
    expect(updates.map((update) => update.iterationsDone)).toEqual([1, 2, 3, 4]);
    expect(updates.at(-1)?.fourierErrors).toHaveLength(4);
    const snapshot = updates.at(-1)?.snapshot;
    expect(snapshot).toBeDefined();
    expect(snapshot!.object).toHaveLength(snapshot!.objectHeight * snapshot!.objectWidth * 2);
    expect(snapshot!.probe).toHaveLength(dataset.patternSize * dataset.patternSize * 2);
  });

  it('stops between iterations and keeps the last estimate', async () => {
    const updates: ReconstructionProgress[] = [];
    const service = createReconstructionService({
      resolveDevice: async (r) => cpuTestResolution(r),
      onProgress: (progress) => {
        updates.push(progress);
        if (progress.iterationsDone === 2) void service.stop();
      },
    });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    const summary = await service.reconstruct({ ...defaultsFor('rpie'), iterations: 50, batchSize: 8 });
    expect(summary.stopped).toBe(true);
    expect(summary.iterationsDone).toBe(2);
    const snapshot = await service.snapshot();
    expect(snapshot).not.toBeNull();
    expect(updates.at(-1)?.snapshot).toBeDefined();
    // The kept object is the estimate after two iterations, not the flat initial guess.
    let differsFromOne = false;
    for (let i = 0; i < snapshot!.object.length; i += 2) {
      if (Math.abs(snapshot!.object[i] - 1) > 1e-3) differsFromOne = true;
    }
    expect(differsFromOne).toBe(true);
  });

  it('keeps the last result when new settings are invalid', async () => {
    const service = createReconstructionService({ resolveDevice: async (r) => cpuTestResolution(r), onProgress: () => {} });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    await service.reconstruct({ ...defaultsFor('rpie'), iterations: 2, batchSize: 8 });
    const before = await service.snapshot();
    await expect(service.reconstruct({ ...defaultsFor('rpie'), alpha: 0 })).rejects.toThrow(/Invalid PIE settings/);
    const after = await service.snapshot();
    expect(after).not.toBeNull();
    expect(Array.from(after!.object)).toEqual(Array.from(before!.object));
  });

  it('reports a run that finished its last iteration as not stopped', async () => {
    const service = createReconstructionService({
      resolveDevice: async (r) => cpuTestResolution(r),
      onProgress: (progress) => {
        if (progress.iterationsDone === 3) void service.stop();
      },
    });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    const summary = await service.reconstruct({ ...defaultsFor('rpie'), iterations: 3, batchSize: 8 });
    expect(summary.iterationsDone).toBe(3);
    expect(summary.stopped).toBe(false);
  });
});
