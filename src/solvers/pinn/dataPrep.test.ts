import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ScanDataset } from '../../data/dataset';
import { readSiemensStarNpz } from '../../data/siemensStar';
import { registerPhysicsKernels } from '../../engine/register';
import { centreAndCropPatterns, DEFAULT_OBJECT_AMPLITUDE, fourierCropProbe, preparePinnData } from './dataPrep';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPhysicsKernels();
});

/** Runs NumPy's fftshift over the pattern axes and keeps the central `crop` × `crop`. */
function numpyCentreCrop(patternCount: number, size: number, crop: number): number[] {
  const script = `
import json, sys
import numpy as np
m, n, c = (int(value) for value in sys.argv[1:4])
patterns = np.arange(m * n * n, dtype=np.float64).reshape(m, n, n)
border = (n - c) // 2
shifted = np.fft.fftshift(patterns, axes=(1, 2))[:, border:border + c, border:border + c]
print(json.dumps(shifted.ravel().tolist()))
`;
  const output = execFileSync('python3', ['-c', script, String(patternCount), String(size), String(crop)], { encoding: 'utf8' });
  return JSON.parse(output) as number[];
}

function gaussianProbe(size: number, sigma_px: number, centre_px: number, scale: number): Float32Array {
  const probe = new Float32Array(2 * size * size);
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      const radius2 = (row - centre_px) ** 2 + (col - centre_px) ** 2;
      probe[2 * (row * size + col)] = scale * Math.exp(-radius2 / (2 * sigma_px ** 2));
    }
  }
  return probe;
}

describe('centreAndCropPatterns', () => {
  it.each([
    [8, 8],
    [8, 4],
    [16, 8],
  ])('matches NumPy for %i → %i', (size, crop) => {
    const patternCount = 3;
    const counts = Float32Array.from({ length: patternCount * size * size }, (_, index) => index);
    const result = centreAndCropPatterns(counts, patternCount, size, crop);
    expect(Array.from(result)).toEqual(numpyCentreCrop(patternCount, size, crop));
  });
});

describe('fourierCropProbe', () => {
  it('downsamples a band-limited probe by two', async () => {
    // For unitary FFTs, keeping the central n of N frequencies gives P′[m] = (N/n)·P[(N/n)·m] for a
    // band-limited P. A Gaussian of σ = 3 px has its spectrum far inside the kept band.
    const size = 32;
    const crop = 16;
    const probe = gaussianProbe(size, 3, 16, 1);
    const resampled = await fourierCropProbe(probe, size, crop);
    const expected = gaussianProbe(crop, 1.5, 8, 2);
    let errorSum = 0;
    let referenceSum = 0;
    for (let i = 0; i < resampled.length; i += 1) {
      errorSum += (resampled[i] - expected[i]) ** 2;
      referenceSum += expected[i] ** 2;
    }
    expect(Math.sqrt(errorSum / referenceSum)).toBeLessThan(1e-4);
  });
});

describe('preparePinnData', () => {
  function syntheticDataset(size: number, patternCount: number): ScanDataset {
    const intensities = new Float32Array(patternCount * size * size);
    for (let i = 0; i < intensities.length; i += 1) intensities[i] = (i * 7919) % 13;
    return {
      name: 'synthetic',
      patternCount,
      patternSize: size,
      intensities,
      positionX_px: Float32Array.from({ length: patternCount }, (_, index) => 10 * index + 0.5),
      positionY_px: Float32Array.from({ length: patternCount }, (_, index) => -4 * index),
      probe: gaussianProbe(size, size / 8, size / 2, 5),
      provenance: 'test',
    };
  }

  it('normalises amplitudes to (N/2)² per pattern', async () => {
    const data = await preparePinnData(syntheticDataset(32, 5));
    let sum = 0;
    for (const value of data.amplitudes) sum += value * value;
    expect(sum / data.patternCount).toBeCloseTo(16 * 16, 3);
    expect(data.normalization.cropped).toBe(false);
    expect(data.pixelSizeRatio).toBe(1);
    expect(data.normalization.intensityScale * data.normalization.amplitudeScale).toBeCloseTo(1, 12);
    expect(data.normalization.intensityScale).toBeCloseTo(Math.sqrt(data.normalization.photonsPerPattern) / 16, 12);
  });

  it('scales the probe for the assumed object amplitude', async () => {
    const data = await preparePinnData(syntheticDataset(32, 5));
    let power = 0;
    for (const value of data.probe) power += value * value;
    expect(power).toBeCloseTo((16 * 16) / DEFAULT_OBJECT_AMPLITUDE ** 2, 1);
  });

  it('crops 32 → 16 and halves the positions', async () => {
    const dataset = syntheticDataset(32, 4);
    const data = await preparePinnData(dataset, { patternSize: 16 });
    expect(data.patternSize).toBe(16);
    expect(data.counts.length).toBe(4 * 16 * 16);
    expect(data.probe.length).toBe(2 * 16 * 16);
    expect(data.pixelSizeRatio).toBe(2);
    expect(data.normalization.cropped).toBe(true);
    expect(data.normalization.sourcePatternSize).toBe(32);
    expect(data.normalization.patternSize).toBe(16);
    expect(Array.from(data.positionX_px)).toEqual(Array.from(dataset.positionX_px, (value) => value / 2));
    expect(Array.from(data.positionY_px)).toEqual(Array.from(dataset.positionY_px, (value) => value / 2));
  });

  it('rejects a crop larger than the patterns', async () => {
    await expect(preparePinnData(syntheticDataset(16, 2), { patternSize: 32 })).rejects.toThrow(/no larger than/);
  });

  it('crops the 128 × 128 Siemens-star scan to 64 × 64', async () => {
    const path = resolve(import.meta.dirname, '../../..', '../shared/data/siemens-star/siemens-star-tike.npz');
    const dataset = readSiemensStarNpz(readFileSync(path), 'siemens-star-tike.npz');
    const data = await preparePinnData(dataset, { patternSize: 64 });

    expect(data.patternSize).toBe(64);
    expect(data.normalization.cropped).toBe(true);
    expect(data.normalization.sourcePatternSize).toBe(128);
    let total = 0;
    for (const value of dataset.intensities) total += value;
    const keptFraction = data.normalization.photonsPerPattern / (total / dataset.patternCount);
    let amplitudePower = 0;
    for (const value of data.amplitudes) amplitudePower += value * value;
    expect(amplitudePower / data.patternCount).toBeCloseTo(32 * 32, 0);

    // The network models the exit wave only inside the central 32 × 32, so report how much of
    // the resampled probe's power lies there.
    let inside = 0;
    let probePower = 0;
    for (let row = 0; row < 64; row += 1) {
      for (let col = 0; col < 64; col += 1) {
        const power = data.probe[2 * (row * 64 + col)] ** 2 + data.probe[2 * (row * 64 + col) + 1] ** 2;
        probePower += power;
        if (row >= 16 && row < 48 && col >= 16 && col < 48) inside += power;
      }
    }
    console.log(
      `Siemens star cropped to 64: ${(100 * keptFraction).toFixed(1)} % of the counts kept, ` +
        `${(100 * inside / probePower).toFixed(1)} % of the probe power inside the central 32 × 32`,
    );
    expect(keptFraction).toBeGreaterThan(0.5);
    expect(keptFraction).toBeLessThanOrEqual(1);
    expect(data.probe.every(Number.isFinite)).toBe(true);
  });
});
