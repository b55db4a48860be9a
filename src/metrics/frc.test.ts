// Checks the FRC against the NumPy cases of make_metric_fixtures.py and on pairs whose FRC is known.
import { describe, expect, it } from 'vitest';

import { expectFrcToMatch } from '../../test/fixtures/metrics/expectFrc';
import { metricManifest, readComplexImage, readMask } from '../../test/fixtures/metrics/loadMetricFixtures';
import { seededRandom } from '../util/random';
import { classifyThresholdOutcome, findThresholdCrossing, fourierRingCorrelation, halfBitThreshold, windowValues } from './frc';
import type { ComplexImage } from './types';

function randomComplexImage(height: number, width: number, seed: number): ComplexImage {
  const random = seededRandom(seed);
  return { data: Float32Array.from({ length: 2 * height * width }, () => random() - 0.5), height, width };
}

describe('fourierRingCorrelation against NumPy', () => {
  const fixture = metricManifest.metrics;
  const reference = readComplexImage(fixture.reference);
  const estimate = readComplexImage(fixture.estimate);
  const mask = readMask(fixture.mask);

  it('matches on the complex field with a Tukey window', () => {
    const result = fourierRingCorrelation(reference, estimate, { mask, quantity: 'complex', window: 'tukey', tukeyAlpha: 0.25 });
    expectFrcToMatch(result, fixture.expected.frcComplexTukey);
  });

  it('matches on the amplitude with a Hann window', () => {
    const result = fourierRingCorrelation(reference, estimate, { mask, quantity: 'amplitude', window: 'hann' });
    expectFrcToMatch(result, fixture.expected.frcAmplitudeHann);
  });

  it('matches on the phase with no window', () => {
    const result = fourierRingCorrelation(reference, estimate, { mask, quantity: 'phase', window: 'none' });
    expectFrcToMatch(result, fixture.expected.frcPhaseNone);
  });
});

describe('fourierRingCorrelation on known pairs', () => {
  it('is 1 in every ring for identical images', () => {
    const image = randomComplexImage(40, 48, 3);
    const result = fourierRingCorrelation(image, image);
    expect(result.correlation[0]).toBeNaN();
    for (const value of result.correlation.slice(1)) expect(value).toBeCloseTo(1, 12);
    expect(result.crossing).toBeNull();
    expect(result.frequencies_cyclesPerPx.length).toBe(21);
    expect(result.frequencies_cyclesPerPx[20]).toBeCloseTo(0.5, 12);
  });

  it('is near 0 for independent noise', () => {
    const first = randomComplexImage(128, 128, 1);
    const second = randomComplexImage(128, 128, 2);
    const result = fourierRingCorrelation(first, second);
    let sum = 0;
    for (let ring = 1; ring < result.correlation.length; ring += 1) {
      // Each ring's FRC of independent noise has a standard deviation of about 1/√n.
      expect(Math.abs(result.correlation[ring])).toBeLessThan(5 / Math.sqrt(result.ringPixelCounts[ring]));
      sum += result.correlation[ring];
    }
    expect(Math.abs(sum / (result.correlation.length - 1))).toBeLessThan(0.02);
    // Noise starts below the ½-bit threshold, so no resolution may be read off.
    expect(result.correlation[1]).toBeLessThan(result.threshold[1]);
    expect(result.crossing).toBeNull();
    expect(['below-at-all-rings', 'below-at-first-ring']).toContain(result.outcome);
  });

  it('rejects a taper fraction outside [0, 1]', () => {
    const image = randomComplexImage(8, 8, 4);
    expect(() => fourierRingCorrelation(image, image, { tukeyAlpha: 1.5 })).toThrow(/tukeyAlpha/);
  });

  it('rejects images under 4 pixels per side', () => {
    const image = randomComplexImage(3, 8, 4);
    expect(() => fourierRingCorrelation(image, image)).toThrow(/at least 4 pixels/);
  });
});

describe('halfBitThreshold', () => {
  it('is 1 for one pixel and tends to 0.1716', () => {
    expect(halfBitThreshold(1)).toBeCloseTo(1, 12);
    expect(halfBitThreshold(1e12)).toBeCloseTo(0.2071 / 1.2071, 5);
  });
});

describe('findThresholdCrossing', () => {
  const frequencies = [0, 0.1, 0.2, 0.3, 0.4];
  const threshold = [1, 0.5, 0.5, 0.5, 0.5];

  it('interpolates between the rings around the crossing', () => {
    const crossing = findThresholdCrossing(frequencies, [1, 0.9, 0.7, 0.3, 0.1], threshold);
    expect(crossing!.frequency_cyclesPerPx).toBeCloseTo(0.25, 12);
    expect(crossing!.resolution_px).toBeCloseTo(4, 12);
  });

  it('returns null when ring 1 is already below', () => {
    expect(findThresholdCrossing(frequencies, [1, 0.4, 0.7, 0.3, 0.1], threshold)).toBeNull();
    expect(findThresholdCrossing(frequencies, [1, 0.4, 0.3, 0.2, 0.1], threshold)).toBeNull();
  });

  it('returns null when the first finite ring is below', () => {
    expect(findThresholdCrossing(frequencies, [1, Number.NaN, 0.3, 0.2, 0.1], threshold)).toBeNull();
  });

  it('skips rings without power', () => {
    const crossing = findThresholdCrossing(frequencies, [1, 0.9, Number.NaN, 0.1, 0.1], threshold);
    expect(crossing!.frequency_cyclesPerPx).toBeCloseTo(0.1 + 0.2 * (0.4 / 0.8), 12);
  });

  it('returns null when the FRC stays above', () => {
    expect(findThresholdCrossing(frequencies, [1, 0.9, 0.8, 0.7, 0.6], threshold)).toBeNull();
  });
});

describe('classifyThresholdOutcome', () => {
  const threshold = [1, 0.5, 0.5, 0.5, 0.5];

  it.each([
    ['crossing', [Number.NaN, 0.9, 0.7, 0.3, 0.1]],
    ['above-at-all-rings', [Number.NaN, 0.9, 0.8, 0.7, 0.6]],
    ['below-at-all-rings', [Number.NaN, 0.4, 0.3, 0.2, 0.1]],
    ['below-at-first-ring', [Number.NaN, 0.4, 0.7, 0.3, 0.1]],
    ['below-at-all-rings', [Number.NaN, Number.NaN, 0.3, 0.2, 0.1]],
    ['no-data', [Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN]],
  ] as const)('returns %s for %j', (outcome, correlation) => {
    expect(classifyThresholdOutcome(correlation, threshold)).toBe(outcome);
  });

  it('ignores ring 0', () => {
    expect(classifyThresholdOutcome([0, 0.9, 0.8, 0.7, 0.6], threshold)).toBe('above-at-all-rings');
  });
});

describe('windowValues', () => {
  it('makes a symmetric Hann window', () => {
    const hann = windowValues(5, 'hann', 0.25);
    expect(Array.from(hann).map((value) => Number(value.toFixed(12)))).toEqual([0, 0.5, 1, 0.5, 0]);
  });

  it('makes a Tukey window flat in the middle', () => {
    const tukey = windowValues(9, 'tukey', 0.5);
    expect(tukey[0]).toBe(0);
    expect(tukey[1]).toBeCloseTo(0.5, 12);
    expect(Array.from(tukey.slice(2, 7))).toEqual([1, 1, 1, 1, 1]);
    expect(tukey[8]).toBeCloseTo(0, 12);
  });

  it('is all ones without a taper', () => {
    expect(Array.from(windowValues(4, 'tukey', 0))).toEqual([1, 1, 1, 1]);
    expect(Array.from(windowValues(4, 'none', 0.25))).toEqual([1, 1, 1, 1]);
  });
});
