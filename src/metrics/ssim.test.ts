// Checks SSIM against the NumPy cases of make_metric_fixtures.py, whose reference slides the full
// 11×11 window, and on pairs whose SSIM is known.
import { describe, expect, it } from 'vitest';

import { metricManifest, readComplexImage, readMask } from '../../test/fixtures/metrics/loadMetricFixtures';
import { seededRandom } from '../util/random';
import { splitPhaseAndAmplitude } from './phase';
import { structuralSimilarity } from './ssim';

const fixture = metricManifest.metrics;
const reference = readComplexImage(fixture.reference);
const estimate = readComplexImage(fixture.estimate);
const mask = readMask(fixture.mask);
const maps = splitPhaseAndAmplitude(reference, estimate, mask);
const image = (data: Float64Array) => ({ data, height: reference.height, width: reference.width });

describe('structuralSimilarity against NumPy', () => {
  it('matches on the amplitude inside the mask', () => {
    const value = structuralSimilarity(image(maps.referenceAmplitude), image(maps.estimateAmplitude), fixture.amplitudeRange, mask);
    expect(Math.abs(value / fixture.expected.ssimAmplitude - 1)).toBeLessThan(1e-9);
  });

  it('matches on the amplitude without a mask', () => {
    const value = structuralSimilarity(image(maps.referenceAmplitude), image(maps.estimateAmplitude), fixture.amplitudeRange);
    expect(Math.abs(value / fixture.expected.ssimAmplitudeNoMask - 1)).toBeLessThan(1e-9);
  });

  it('matches on the phase inside the mask', () => {
    const value = structuralSimilarity(image(maps.referencePhase_rad), image(maps.estimatePhase_rad), fixture.phaseRange_rad, mask);
    expect(Math.abs(value / fixture.expected.ssimPhase - 1)).toBeLessThan(1e-9);
  });
});

describe('structuralSimilarity on known pairs', () => {
  const random = seededRandom(5);
  const noise = { data: Float64Array.from({ length: 30 * 30 }, () => random()), height: 30, width: 30 };

  it('is 1 for identical images', () => {
    expect(structuralSimilarity(noise, noise, 1)).toBeCloseTo(1, 12);
  });

  it('drops for a contrast change', () => {
    const scaled = { ...noise, data: noise.data.map((value) => 0.5 * value) };
    expect(structuralSimilarity(noise, scaled, 1)).toBeLessThan(0.9);
  });

  it('rejects a data range that is not positive', () => {
    expect(() => structuralSimilarity(noise, noise, 0)).toThrow(/dataRange must be positive/);
  });

  it('rejects an image smaller than the window', () => {
    const small = { data: new Float64Array(10 * 20), height: 10, width: 20 };
    expect(() => structuralSimilarity(small, small, 1)).toThrow(/does not fit/);
  });

  it('rejects a mask that holds no whole window', () => {
    const thin = new Uint8Array(30 * 30);
    thin.fill(1, 0, 30 * 10);
    expect(() => structuralSimilarity(noise, noise, 1, thin)).toThrow(/wholly inside the mask/);
  });
});
