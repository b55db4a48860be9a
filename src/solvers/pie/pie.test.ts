import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { simulateScan, type SimulatedScan } from '../../data/simulate';
import { registerPhysicsKernels } from '../../engine/register';
import { defaultsFor, type PieOptions } from './options';
import { PieSolver } from './pie';

/**
 * RMS phase error (rad) over the well-covered pixels after removing the global phase offset,
 * which ptychography cannot determine.
 */
function phaseError(truth: Float32Array, estimate: Float32Array, coverage: Float32Array): number {
  let maxCoverage = 0;
  for (const value of coverage) maxCoverage = Math.max(maxCoverage, value);
  let crossRe = 0;
  let crossIm = 0;
  const selected: number[] = [];
  for (let i = 0; i < coverage.length; i += 1) {
    if (coverage[i] < 0.5 * maxCoverage) continue;
    selected.push(i);
    // truth · conj(estimate)
    crossRe += truth[2 * i] * estimate[2 * i] + truth[2 * i + 1] * estimate[2 * i + 1];
    crossIm += truth[2 * i + 1] * estimate[2 * i] - truth[2 * i] * estimate[2 * i + 1];
  }
  const offset = Math.atan2(crossIm, crossRe);
  let sum = 0;
  for (const i of selected) {
    const truthPhase = Math.atan2(truth[2 * i + 1], truth[2 * i]);
    const estimatePhase = Math.atan2(estimate[2 * i + 1], estimate[2 * i]) + offset;
    const difference = Math.atan2(Math.sin(truthPhase - estimatePhase), Math.cos(truthPhase - estimatePhase));
    sum += difference * difference;
  }
  return Math.sqrt(sum / selected.length);
}

describe('PieSolver on a simulated Siemens star', () => {
  let scan: SimulatedScan;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
    scan = await simulateScan({
      patternSize: 32,
      gridSize: 8,
      step_px: 6,
      jitter_px: 1.5,
      phaseContrast_rad: 1,
      photonsPerPattern: 1e6,
      seed: 3,
    });
  });

  // Measured after 100 iterations: 0.09 rad for rPIE and 0.14 rad for ePIE, against 1 rad of
  // contrast. A flat object would score about 0.5 rad.
  const phaseTolerance_rad = { rpie: 0.12, epie: 0.2 };

  for (const method of ['rpie', 'epie'] as const) {
    it(`${method} lowers the Fourier error and recovers the phase`, async () => {
      const options = { ...defaultsFor(method), iterations: 100, batchSize: 8 };
      const solver = new PieSolver(scan.dataset, options);
      expect(solver.geometry.objectHeight_px).toBe(scan.objectHeight);
      expect(solver.geometry.objectWidth_px).toBe(scan.objectWidth);
      const errors: number[] = [];
      for (let i = 0; i < options.iterations; i += 1) errors.push((await solver.iterate()).fourierError);
      const object = await solver.readObject();
      const coverage = await solver.readCoverage();
      solver.dispose();

      expect(errors.every(Number.isFinite)).toBe(true);
      expect(errors[errors.length - 1]).toBeLessThan(errors[0] / 5);
      expect(phaseError(scan.object, object, coverage)).toBeLessThan(phaseTolerance_rad[method]);
    });
  }

  for (const [batchSize, fusedCpu] of [
    [1, true],
    [7, true],
    [7, false],
  ] as const) {
    it(`sums the coverage, batch ${batchSize}, fused ${fusedCpu}`, async () => {
      // Reference: Σ over positions of Σ_m |P_m|² placed at each window, summed here pixel by pixel.
      const options = { ...defaultsFor('rpie'), iterations: 2, batchSize, probeModes: 2 };
      const solver = new PieSolver(scan.dataset, options, undefined, { fusedCpu });
      await solver.iterate();
      await solver.iterate();
      const coverage = await solver.readCoverage();
      const modes = await solver.readProbeModes();
      const { row_px, col_px, objectHeight_px: height, objectWidth_px: width } = solver.geometry;
      const size = solver.patternSize;
      solver.dispose();

      const power = new Float64Array(size * size);
      for (let i = 0; i < modes.length / 2; i += 1) power[i % (size * size)] += modes[2 * i] ** 2 + modes[2 * i + 1] ** 2;
      const expected = new Float64Array(height * width);
      for (let j = 0; j < row_px.length; j += 1) {
        for (let y = 0; y < size; y += 1) {
          for (let x = 0; x < size; x += 1) expected[(row_px[j] + y) * width + col_px[j] + x] += power[y * size + x];
        }
      }
      let largest = 0;
      let worst = 0;
      for (let i = 0; i < expected.length; i += 1) {
        largest = Math.max(largest, expected[i]);
        worst = Math.max(worst, Math.abs(coverage[i] - expected[i]));
      }
      expect(coverage.length).toBe(height * width);
      expect(worst / largest).toBeLessThan(1e-5);
    });
  }

  for (const [probeModes, farFieldUpsampling] of [
    [1, 1],
    [1, 2],
    [2, 2],
  ] as const) {
    it(`keeps the tensor count flat with ${probeModes} mode(s), upsampling ${farFieldUpsampling}`, async () => {
      const before = tf.memory().numTensors;
      const options = { ...defaultsFor('rpie'), iterations: 5, batchSize: 16, probeModes, farFieldUpsampling };
      const solver = new PieSolver(scan.dataset, options);
      await solver.iterate();
      const afterFirst = tf.memory().numTensors;
      await solver.iterate();
      await solver.iterate();
      expect(tf.memory().numTensors).toBe(afterFirst);
      solver.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('upsampled run lowers the error with a window of 2N', async () => {
    const options = { ...defaultsFor('rpie'), iterations: 20, batchSize: 8, farFieldUpsampling: 2 as const };
    const solver = new PieSolver(scan.dataset, options);
    const errors: number[] = [];
    for (let i = 0; i < options.iterations; i += 1) errors.push((await solver.iterate()).fourierError);
    const probe = await solver.readProbe();
    const { windowSize, geometry } = solver;
    solver.dispose();

    expect(windowSize).toBe(64);
    expect(probe.length).toBe(64 * 64 * 2);
    // The object grows by M − N, and its origin moves by (M − N) / 2 so window centres keep their place.
    expect(geometry.objectHeight_px).toBe(scan.objectHeight + 32);
    expect(geometry.objectWidth_px).toBe(scan.objectWidth + 32);
    expect(errors.every(Number.isFinite)).toBe(true);
    expect(errors[errors.length - 1]).toBeLessThan(errors[0] / 3);
  });

  it('rejects a window above 512 pixels', () => {
    const dataset = { ...scan.dataset, patternSize: 512 };
    expect(() => new PieSolver(dataset, { ...defaultsFor('rpie'), farFieldUpsampling: 2 })).toThrow(
      /needs a 1024×1024 window, but the FFT takes at most 512×512/,
    );
  });

  it('rejects an upsampling factor of 3', () => {
    const options = { ...defaultsFor('rpie'), farFieldUpsampling: 3 } as unknown as PieOptions;
    expect(() => new PieSolver(scan.dataset, options)).toThrow(/Far-field upsampling must be 1 \(off\) or 2, received 3/);
  });

  it('rejects invalid settings with the setting named', () => {
    expect(() => new PieSolver(scan.dataset, { ...defaultsFor('rpie'), alpha: 0 })).toThrow(/α must lie in/);
  });
});
