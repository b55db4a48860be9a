// Checks compareReconstructions end to end against the NumPy pipeline of make_metric_fixtures.py.
import { describe, expect, it } from 'vitest';

import { expectFrcToMatch } from '../../test/fixtures/metrics/expectFrc';
import { metricManifest, readComplexImage, readMask } from '../../test/fixtures/metrics/loadMetricFixtures';
import { compareReconstructions } from './index';

function expectRelative(actual: number | null, expected: number, tolerance: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! / expected - 1)).toBeLessThan(tolerance);
}

describe.each(['compare-full', 'compare-region'] as const)('compareReconstructions on %s', (name) => {
  const fixture = metricManifest[name];
  const reference = readComplexImage(fixture.reference);
  const estimate = readComplexImage(fixture.estimate);
  const region = fixture.region === null ? undefined : readMask(fixture.region);
  const expected = fixture.expected;
  const comparison = compareReconstructions(reference, estimate, { region });

  it('compares the same pixels as NumPy', () => {
    expect(comparison.box).toEqual(expected.box);
    expect(comparison.pixelCount).toBe(expected.pixelCount);
  });

  it('uses the reference ranges of NumPy', () => {
    expectRelative(comparison.amplitudeRange, expected.amplitudeRange, 1e-6);
    expectRelative(comparison.phaseRange_rad, expected.phaseRange_rad, 1e-6);
  });

  it('matches SSIM, PSNR and RMS phase error within 1e-4', () => {
    expectRelative(comparison.ssimAmplitude, expected.ssimAmplitude, 1e-4);
    expectRelative(comparison.ssimPhase, expected.ssimPhase, 1e-4);
    expectRelative(comparison.psnrAmplitude_dB, expected.psnrAmplitude_dB, 1e-4);
    expectRelative(comparison.psnrPhase_dB, expected.psnrPhase_dB, 1e-4);
    expectRelative(comparison.rmsPhaseError_rad, expected.rmsPhaseError_rad, 1e-4);
  });

  it.each(['complex', 'phase', 'amplitude'] as const)('matches the %s FRC', (quantity) => {
    const result = quantity === 'complex' ? comparison : compareReconstructions(reference, estimate, { region, frcQuantity: quantity });
    expect(result.frc.quantity).toBe(quantity);
    expectFrcToMatch(result.frc, expected.frc[quantity]);
  });
});

describe('compareReconstructions on identical images', () => {
  const reference = readComplexImage(metricManifest['compare-full'].reference);
  const comparison = compareReconstructions(reference, reference);

  it('needs no correction', () => {
    expect(comparison.alignment.shiftRows_px).toBe(0);
    expect(comparison.alignment.shiftColumns_px).toBe(0);
    expect(comparison.alignment.scale).toBeCloseTo(1, 6);
    expect(comparison.alignment.phaseOffset_rad).toBeCloseTo(0, 6);
  });

  it('reports perfect scores', () => {
    expect(comparison.ssimAmplitude).toBeCloseTo(1, 6);
    expect(comparison.ssimPhase).toBeCloseTo(1, 6);
    expect(comparison.rmsPhaseError_rad).toBeLessThan(1e-6);
    for (const value of comparison.frc.correlation.slice(1)) expect(value).toBeCloseTo(1, 6);
    expect(comparison.frc.crossing).toBeNull();
  });

  it('reports a finite or infinite PSNR, never NaN', () => {
    // The aligned copy differs from the reference by float32 rounding at most, so PSNR is large.
    expect(comparison.psnrAmplitude_dB).toBeGreaterThan(100);
    expect(comparison.psnrPhase_dB).toBeGreaterThan(100);
  });

  it('is infinite when nothing needs correcting', () => {
    const exact = compareReconstructions(reference, reference, { register: false, phaseCorrection: 'none', matchScale: false });
    expect(exact.psnrAmplitude_dB).toBe(Infinity);
    expect(exact.psnrPhase_dB).toBe(Infinity);
  });
});

describe('compareReconstructions on a pure phase object', () => {
  it('leaves amplitude SSIM and PSNR undefined', () => {
    const height = 32;
    const width = 32;
    const data = new Float32Array(2 * height * width);
    for (let i = 0; i < height * width; i += 1) {
      const phase = Math.sin(i * 0.37) + Math.cos(i * 0.011);
      data[2 * i] = Math.cos(phase);
      data[2 * i + 1] = Math.sin(phase);
    }
    const image = { data, height, width };
    const comparison = compareReconstructions(image, image, { register: false });
    expect(comparison.ssimAmplitude).toBeNull();
    expect(comparison.psnrAmplitude_dB).toBeNull();
    expect(comparison.ssimPhase).toBeCloseTo(1, 6);
  });
});
