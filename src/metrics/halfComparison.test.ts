import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { defaultSimulatorSettings, simulateDataset } from '../data/simulator/simulateDataset';
import { cpuTestResolution } from '../device/testResolution';
import { registerPhysicsKernels } from '../engine/register';
import { defaultsFor } from '../solvers/pie/options';
import { subsetDataset } from '../data/subset';
import { createReconstructionService } from '../worker/service';
import { compareHalves, splitHalves } from './halfComparison';

describe('half-scan comparison', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
  });

  it('splits positions into even and odd', () => {
    expect(splitHalves(5)).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
  });

  it('keeps the chosen patterns and positions', () => {
    const { dataset } = simulateDataset({ ...defaultSimulatorSettings, patternSize: 32, objectSize_px: 96, probeDiameter_px: 8, defocus_waves: 0.5 });
    const subset = subsetDataset(dataset, [2, 0]);
    const pixels = 32 * 32;
    expect(subset.patternCount).toBe(2);
    expect(subset.intensities.subarray(0, pixels)).toEqual(dataset.intensities.subarray(2 * pixels, 3 * pixels));
    expect(Array.from(subset.positionX_px)).toEqual([dataset.positionX_px[2], dataset.positionX_px[0]]);
  });

  it('agrees between halves of a well-sampled scan', async () => {
    const { dataset } = simulateDataset({
      ...defaultSimulatorSettings,
      patternSize: 32,
      objectSize_px: 112,
      probeDiameter_px: 10,
      defocus_waves: 1,
      overlap: 0.8,
    });
    const service = createReconstructionService({ resolveDevice: async (r) => cpuTestResolution(r), onProgress: () => {} });
    await service.initialize('cpu');
    await service.setDataset(dataset);
    const halves = await service.reconstructHalves({ ...defaultsFor('rpie'), iterations: 40, batchSize: 16 });
    expect(halves.completed).toBe(true);
    expect(halves.counts[0] + halves.counts[1]).toBe(dataset.patternCount);

    const comparison = compareHalves(halves.first, halves.second);
    console.info(
      `half-scan: rms ${comparison.rmsPhaseError_rad.toFixed(3)} rad, crossing ${comparison.frc.crossing?.resolution_px.toFixed(2) ?? 'none'} px`,
    );
    // Two 10⁶-photon halves of a 1 rad object: measured 0.01 rad apart and above the threshold to Nyquist.
    expect(comparison.rmsPhaseError_rad).toBeLessThan(0.05);
    const lowRings = Array.from(comparison.frc.correlation.slice(1, 8));
    for (const value of lowRings) expect(value).toBeGreaterThan(0.9);
  }, 120_000);
});
