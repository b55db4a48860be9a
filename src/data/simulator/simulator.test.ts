import { describe, expect, it } from 'vitest';

import { makeProbe, probeFootprint_px } from './probes';
import { makeScan } from './scans';
import {
  defaultSimulatorSettings,
  maxDefocusWaves,
  previewSimulation,
  simulateDataset,
  validateSimulatorSettings,
} from './simulateDataset';

function amplitudeAt(probe: Float32Array, size: number, row: number, col: number): number {
  const i = 2 * (row * size + col);
  return Math.hypot(probe[i], probe[i + 1]);
}

describe('makeProbe', () => {
  it('gives the Gaussian its FWHM', () => {
    const size = 64;
    const probe = makeProbe(size, { kind: 'gaussian', diameter_px: 12, defocus_waves: 0 });
    const peak = amplitudeAt(probe, size, 32, 32);
    // Half maximum at 6 px from the centre.
    expect(amplitudeAt(probe, size, 32, 38) / peak).toBeCloseTo(0.5, 6);
  });

  it('puts the Airy dark ring at the diameter', () => {
    const size = 128;
    const diameter_px = 20;
    const probe = makeProbe(size, { kind: 'focused-disk', diameter_px, defocus_waves: 0 });
    const profile = Array.from({ length: 20 }, (_, offset) => amplitudeAt(probe, size, 64, 64 + offset));
    // The first minimum of the radial profile sits at 1.22·N/R / 2 = 10 px, within a pixel.
    let minimumAt = 1;
    for (let r = 1; r < 16; r += 1) if (profile[r] < profile[minimumAt]) minimumAt = r;
    expect(Math.abs(minimumAt - diameter_px / 2)).toBeLessThanOrEqual(1);
    expect(profile[minimumAt] / profile[0]).toBeLessThan(0.05);
  });

  it('has unit power for every kind', () => {
    for (const kind of ['gaussian', 'focused-disk', 'defocused-disk'] as const) {
      const probe = makeProbe(64, { kind, diameter_px: 10, defocus_waves: 3 });
      let power = 0;
      for (const value of probe) power += value * value;
      expect(power).toBeCloseTo(1, 5);
    }
  });

  it('sizes the defocused disk by its diameter', () => {
    for (const defocus_waves of [0.5, 1, 1.5]) {
      const probe = makeProbe(64, { kind: 'defocused-disk', diameter_px: 16, defocus_waves });
      const footprint = probeFootprint_px(probe, 64);
      expect(footprint).toBeGreaterThan(0.8 * 16);
      expect(footprint).toBeLessThan(1.5 * 16);
    }
  });
});

describe('makeScan', () => {
  for (const kind of ['raster', 'jittered-raster', 'fermat-spiral'] as const) {
    it(`keeps ${kind} windows inside the object`, () => {
      const { positionX_px, positionY_px } = makeScan({ kind, step_px: 6, seed: 2 }, 160, 64, 8);
      expect(positionX_px.length).toBeGreaterThan(100);
      for (let i = 0; i < positionX_px.length; i += 1) {
        expect(positionX_px[i]).toBeGreaterThanOrEqual(8);
        expect(positionX_px[i]).toBeLessThanOrEqual(160 - 64 - 8);
        expect(positionY_px[i]).toBeGreaterThanOrEqual(8);
        expect(positionY_px[i]).toBeLessThanOrEqual(160 - 64 - 8);
        expect(Number.isInteger(positionX_px[i])).toBe(true);
      }
    });
  }

  it('spaces Fermat spiral points about one step apart', () => {
    const step_px = 8;
    const { positionX_px, positionY_px } = makeScan({ kind: 'fermat-spiral', step_px, seed: 1 }, 400, 64, 8);
    let sum = 0;
    for (let i = 0; i < positionX_px.length; i += 1) {
      let nearest = Infinity;
      for (let j = 0; j < positionX_px.length; j += 1) {
        if (i !== j) nearest = Math.min(nearest, Math.hypot(positionX_px[i] - positionX_px[j], positionY_px[i] - positionY_px[j]));
      }
      sum += nearest;
    }
    const mean = sum / positionX_px.length;
    // A Fermat spiral's nearest-neighbour distance is close to, and a little below, √(area per point).
    expect(mean).toBeGreaterThan(0.7 * step_px);
    expect(mean).toBeLessThan(1.1 * step_px);
  });

  it('rejects an object too small for the window', () => {
    expect(() => makeScan({ kind: 'raster', step_px: 4, seed: 1 }, 70, 64, 8)).toThrow(/cannot hold a 64 px window/);
  });
});

describe('simulateDataset', () => {
  const settings = {
    ...defaultSimulatorSettings,
    patternSize: 32,
    objectSize_px: 96,
    probeDiameter_px: 8,
    defocus_waves: 0.5,
    overlap: 0.5,
  };

  it('obeys Parseval pattern by pattern without noise', () => {
    const preview = previewSimulation(settings);
    const { dataset, truth } = simulateDataset({ ...settings, photonsPerPattern: 0 }, preview);
    const n = dataset.patternSize;
    for (let j = 0; j < dataset.patternCount; j += 1) {
      let exitPower = 0;
      for (let row = 0; row < n; row += 1) {
        for (let col = 0; col < n; col += 1) {
          const o = 2 * ((dataset.positionY_px[j] + row) * truth.width + dataset.positionX_px[j] + col);
          const p = 2 * (row * n + col);
          const objectPower = truth.object[o] ** 2 + truth.object[o + 1] ** 2;
          exitPower += (truth.probe[p] ** 2 + truth.probe[p + 1] ** 2) * objectPower;
        }
      }
      let measured = 0;
      for (let k = 0; k < n * n; k += 1) measured += dataset.intensities[j * n * n + k];
      expect(Math.abs(measured - exitPower) / exitPower).toBeLessThan(1e-5);
    }
  });

  it('draws whole Poisson counts near the photon budget', () => {
    const { dataset } = simulateDataset({ ...settings, photonsPerPattern: 1e5 });
    const n = dataset.patternSize;
    let total = 0;
    for (const value of dataset.intensities) {
      expect(Number.isInteger(value)).toBe(true);
      total += value;
    }
    const mean = total / dataset.patternCount;
    // The object absorbs: amplitude ≥ 0.7, so a pattern keeps between 49 % and 100 % of the photons.
    expect(mean).toBeGreaterThan(0.49e5);
    expect(mean).toBeLessThanOrEqual(1.001e5);
    expect(dataset.intensities.length).toBe(dataset.patternCount * n * n);
  });

  it('limits the defocus to what the grid holds', () => {
    // √(8² − 1.22²)/4 = 1.977 waves for a 16 px spot.
    expect(maxDefocusWaves(16)).toBeCloseTo(1.9765, 3);
    const problems = validateSimulatorSettings({ ...defaultSimulatorSettings, probeDiameter_px: 16, defocus_waves: 2.5 });
    expect(problems).toEqual([
      'Defocus must lie from 0 to 1.98 waves for a 16 px spot, received 2.5. Stronger defocus needs a larger diameter.',
    ]);
  });

  it('names invalid settings', () => {
    expect(validateSimulatorSettings({ ...settings, overlap: 0.99 })).toEqual([
      'Overlap must lie from 0 to 0.95, received 0.99.',
    ]);
    expect(() => previewSimulation({ ...settings, patternSize: 48 })).toThrow(/Pattern size must be 32, 64 or 128 px, received 48/);
  });
});
