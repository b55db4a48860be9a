import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { fft2 } from '../../engine/ops';
import { registerPhysicsKernels } from '../../engine/register';
import {
  binIntensities,
  cropProbeToPatternSize,
  padProbeModes,
  spreadToFineGrid,
  upsamplingRamp,
  validateFarFieldUpsampling,
} from './farField';

describe('far-field upsampling', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
  });

  it('binIntensities sums 2×2 blocks', () => {
    const fine = tf.tensor3d(Array.from({ length: 32 }, (_, i) => i), [2, 4, 4]);
    const binned = binIntensities(fine, 2);
    const values = Array.from(binned.dataSync());
    fine.dispose();
    binned.dispose();

    expect(binned.shape).toEqual([2, 2, 2]);
    // Block (0, 0) of the first item is rows 0–1, columns 0–1: 0 + 1 + 4 + 5.
    expect(values.slice(0, 4)).toEqual([10, 18, 42, 50]);
    expect(values.slice(4)).toEqual([74, 82, 106, 114]);
  });

  it('spreadToFineGrid repeats each value over its block', () => {
    const values = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const spread = spreadToFineGrid(values, 2);
    const fine = Array.from(spread.dataSync());
    values.dispose();
    spread.dispose();

    expect(spread.shape).toEqual([1, 4, 4, 1]);
    expect(fine).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('spreadToFineGrid keeps the channels apart', () => {
    // Two channels (re, im) per pixel; values 10·pixel + channel.
    const values = tf.tensor4d([0, 1, 10, 11, 20, 21, 30, 31], [1, 2, 2, 2]);
    const spread = spreadToFineGrid(values, 2);
    const fine = spread.arraySync()[0];
    values.dispose();
    spread.dispose();

    expect(fine[0][1]).toEqual([0, 1]);
    expect(fine[1][2]).toEqual([10, 11]);
    expect(fine[3][0]).toEqual([20, 21]);
    expect(fine[2][3]).toEqual([30, 31]);
  });

  it('padProbeModes keeps the power and centres the probe', () => {
    const size = 4;
    const modes = new Float32Array(2 * size * size * 2).map((_, i) => (i % 7) - 3);
    const padded = padProbeModes(modes, size, 2, 2);
    const power = (values: Float32Array) => values.reduce((sum, value) => sum + value * value, 0);

    expect(padded.length).toBe(2 * 8 * 8 * 2);
    expect(power(padded)).toBeCloseTo(power(modes), 4);
    // Pixel (0, 0) of mode 0 lands at (2, 2) of the 8×8 window, times the ramp's value there.
    const ramp = upsamplingRamp(8, 2);
    const index = 2 * (2 * 8 + 2);
    expect(padded[index]).toBeCloseTo(modes[0] * ramp[index] - modes[1] * ramp[index + 1], 6);
    expect(padded[index + 1]).toBeCloseTo(modes[0] * ramp[index + 1] + modes[1] * ramp[index], 6);
    // Rows outside the centre stay zero.
    expect(padded.slice(0, 2 * 8 * 2).every((value) => value === 0)).toBe(true);
  });

  it('cropProbeToPatternSize undoes padProbeModes', () => {
    const probe = Float32Array.from({ length: 4 * 4 * 2 }, (_, i) => Math.sin(1.7 * i) + 0.1 * i);
    const cropped = cropProbeToPatternSize(padProbeModes(probe, 4, 1, 2), 8, 4);
    cropped.forEach((value, i) => expect(value).toBeCloseTo(probe[i], 5));
    expect(() => cropProbeToPatternSize(probe, 8, 4)).toThrow(/expected a 8×8 probe/);
  });

  it('binned far field of a flat probe matches the closed form', () => {
    // A flat N×N probe of amplitude a padded into M = 2N. Its unshifted fine spectrum is
    // |Ψ(q, r)|² = a² g(q) g(r) with g(q) = sin²(πqN/M) / (M sin²(πq/M)). The ramp shifts it by half
    // a fine sample, so fine index j samples q = j − 1/2, and measured pixel k sums j = 2k and 2k + 1.
    const size = 32;
    const windowSize = 2 * size;
    const amplitude = 3;
    const probe = new Float32Array(size * size * 2);
    for (let i = 0; i < probe.length; i += 2) probe[i] = amplitude;
    const padded = padProbeModes(probe, size, 1, 2);

    const binned = tf.tidy(() => {
      const farField = fft2(tf.tensor4d(padded, [1, windowSize, windowSize, 2]), 'forward');
      const intensity = tf.sum(tf.square(farField), 3) as tf.Tensor3D;
      return binIntensities(intensity, 2);
    });
    const values = binned.dataSync();
    binned.dispose();

    const g = (q: number) => Math.sin((Math.PI * q * size) / windowSize) ** 2 / (windowSize * Math.sin((Math.PI * q) / windowSize) ** 2);
    const blockSum = (k: number) => g(2 * k - 0.5) + g(2 * k + 0.5);
    let total = 0;
    for (const [row, col] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [3, 5],
      [size - 1, 0],
      [size - 3, size - 5],
    ]) {
      const expected = amplitude ** 2 * blockSum(row) * blockSum(col);
      expect(values[row * size + col]).toBeCloseTo(expected, 2);
    }
    for (const value of values) total += value;
    // Parseval: the binned intensities add up to Σ|P|².
    expect(total / (amplitude ** 2 * size * size)).toBeCloseTo(1, 5);
    // The ramp centres each block on its pixel, so the binned pattern is symmetric: k and N − k agree.
    expect(values[1]).toBeCloseTo(values[size - 1], 2);
    expect(values[3 * size]).toBeCloseTo(values[(size - 3) * size], 2);
  });

  it('validateFarFieldUpsampling names the value', () => {
    expect(validateFarFieldUpsampling(1, 512)).toEqual([]);
    expect(validateFarFieldUpsampling(2, 256)).toEqual([]);
    expect(validateFarFieldUpsampling(3)[0]).toMatch(/must be 1 \(off\) or 2, received 3/);
    expect(validateFarFieldUpsampling(2, 512)[0]).toMatch(/needs a 1024×1024 window/);
  });
});
