import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../data/dataset';
import { defaultSimulationOptions, simulateScan } from '../data/simulate';
import { cpuTestResolution } from '../device/testResolution';
import { registerPhysicsKernels } from '../engine/register';
import { defaultPinnRunOptions } from '../solvers/pinn/runOptions';
import { firstPatterns } from '../data/subset';
import type { PinnProgress, ReconstructionApi } from './protocol';
import { createReconstructionService } from './service';

describe('PtychoPINN through the reconstruction service', () => {
  let dataset: ScanDataset;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
    dataset = (await simulateScan({ ...defaultSimulationOptions, patternSize: 32, gridSize: 6 })).dataset;
  });

  it('trains, reports every epoch and stitches an object', async () => {
    const updates: PinnProgress[] = [];
    const service = createReconstructionService({
      resolveDevice: async (requested) => cpuTestResolution(requested),
      onProgress: () => {},
      onPinnProgress: (progress) => updates.push(progress),
    });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    const summary = await service.trainPinn({
      ...defaultPinnRunOptions,
      epochs: 2,
      batchSize: 8,
      patternSize: 16,
      filterScale: 0.125,
    });

    expect(summary.epochsDone).toBe(2);
    expect(summary.patternCount).toBe(36);
    expect(summary.patternSize).toBe(16);
    expect(summary.inference_ms).toBeGreaterThan(0);
    expect(updates.map((update) => update.epochsDone)).toEqual([1, 2, 2]);
    expect(updates[1].trainLosses).toHaveLength(2);
    const snapshot = updates.at(-1)?.snapshot;
    expect(snapshot).toBeDefined();
    // 32² patterns cropped to 16²: network pixels are twice the dataset's.
    expect(snapshot?.pixelSizeRatio).toBe(2);
    expect(snapshot?.object.length).toBe((snapshot?.objectHeight ?? 0) * (snapshot?.objectWidth ?? 0) * 2);
    expect(snapshot?.object.every(Number.isFinite)).toBe(true);
  }, 120_000);

  it('resumes after a stop with epochs numbered on', async () => {
    const updates: PinnProgress[] = [];
    let stopAfterFirstEpoch = true;
    const service: ReconstructionApi = createReconstructionService({
      resolveDevice: async (requested) => cpuTestResolution(requested),
      onProgress: () => {},
      onPinnProgress: (progress) => {
        updates.push(progress);
        // The stop request arrives with the report of epoch 1, so the run ends before epoch 2.
        if (stopAfterFirstEpoch) void service.stop();
      },
    });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    const options = { ...defaultPinnRunOptions, epochs: 3, batchSize: 8, patternSize: 16, filterScale: 0.125 };
    const first = await service.trainPinn(options);
    stopAfterFirstEpoch = false;
    expect(first.stopReason).toBe('cancelled');
    expect(first.epochsDone).toBe(1);

    updates.length = 0;
    const second = await service.resumePinn(2);
    expect(second.stopReason).toBe('epochs');
    expect(second.epochsDone).toBe(3);
    expect(updates.map((update) => update.epochsDone)).toEqual([2, 3, 3]);
    expect(updates.every((update) => update.epochs === 3)).toBe(true);
    expect(updates.at(-1)?.trainLosses).toHaveLength(3);
    expect(second.training_ms).toBeGreaterThan(first.training_ms);

    // Another scan ends the run but keeps the model for inference.
    await service.setDataset(dataset);
    await expect(service.resumePinn(1)).rejects.toThrow(/No PtychoPINN training to resume/);
    const inferred = await service.inferPinn();
    expect(inferred.patternCount).toBe(36);
  }, 120_000);

  it('rejects invalid settings with the setting named', async () => {
    const service = createReconstructionService({ resolveDevice: async (r) => cpuTestResolution(r), onProgress: () => {} });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    await expect(service.trainPinn({ ...defaultPinnRunOptions, patternSize: 48 })).rejects.toThrow(
      /Network input must be a power of two from 16 to the data's 32 px, received 48/,
    );
  });
});

describe('firstPatterns', () => {
  it('keeps the first patterns and their positions', () => {
    const pixels = 4;
    const dataset: ScanDataset = {
      name: 'test',
      patternCount: 3,
      patternSize: 2,
      intensities: Float32Array.from({ length: 3 * pixels }, (_, i) => i),
      positionX_px: Float32Array.from([1, 2, 3]),
      positionY_px: Float32Array.from([4, 5, 6]),
      probe: null,
      provenance: '',
    };
    const subset = firstPatterns(dataset, 2);
    expect(subset.patternCount).toBe(2);
    expect(Array.from(subset.intensities)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(subset.positionX_px)).toEqual([1, 2]);
    expect(Array.from(subset.positionY_px)).toEqual([4, 5]);
    expect(firstPatterns(dataset, 0)).toBe(dataset);
  });
});
