import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../data/dataset';
import { defaultSimulationOptions, simulateScan } from '../data/simulate';
import { requestedBackendFrom, type RequestedBackend } from '../device/policy';
import { cpuTestResolution } from '../device/testResolution';
import { registerPhysicsKernels } from '../engine/register';
import { defaultsFor } from '../solvers/pie/options';
import type { PieStartPoint } from '../solvers/pie/startPoint';
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

  it('continues from a start point', async () => {
    const service = createReconstructionService({ resolveDevice: async (r) => cpuTestResolution(r), onProgress: () => {} });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    const first = await service.reconstruct({ ...defaultsFor('rpie'), iterations: 10, batchSize: 8 });
    const snapshot = (await service.snapshot())!;
    const startPoint: PieStartPoint = {
      object: snapshot.object,
      objectHeight_px: snapshot.objectHeight,
      objectWidth_px: snapshot.objectWidth,
      originY_px: snapshot.originY_px,
      originX_px: snapshot.originX_px,
      probeModes: snapshot.probeModes,
      probeModeCount: snapshot.probeModeCount,
      probeSize_px: snapshot.probeSize,
    };
    const second = await service.reconstruct({ ...defaultsFor('rpie'), iterations: 1, batchSize: 8 }, startPoint);
    expect(second.fourierErrors[0]).toBeLessThan(first.fourierErrors[0] / 2);
    expect(second.fourierErrors[0]).toBeLessThan(1.1 * first.fourierErrors[9]);
  });

  it('keeps the last result when a start point does not fit', async () => {
    const service = createReconstructionService({ resolveDevice: async (r) => cpuTestResolution(r), onProgress: () => {} });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    await service.reconstruct({ ...defaultsFor('rpie'), iterations: 2, batchSize: 8 });
    const before = await service.snapshot();
    const startPoint: PieStartPoint = {
      object: new Float32Array(2).fill(1),
      objectHeight_px: 1,
      objectWidth_px: 1,
      originY_px: 0,
      originX_px: 0,
      probeModes: new Float32Array(8 * 8 * 2).fill(1),
      probeModeCount: 1,
      probeSize_px: 8,
    };
    await expect(service.reconstruct({ ...defaultsFor('rpie'), iterations: 2, batchSize: 8 }, startPoint)).rejects.toThrow(
      /probe is 8×8 pixels, but a run on these 32×32 patterns/,
    );
    const after = await service.snapshot();
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
