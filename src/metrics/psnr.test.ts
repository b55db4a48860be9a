// Checks PSNR against the NumPy cases of make_metric_fixtures.py and on pairs whose PSNR is known.
import { describe, expect, it } from 'vitest';

import { metricManifest, readComplexImage, readMask } from '../../test/fixtures/metrics/loadMetricFixtures';
import { splitPhaseAndAmplitude } from './phase';
import { peakSignalToNoiseRatio_dB } from './psnr';

describe('peakSignalToNoiseRatio_dB against NumPy', () => {
  const fixture = metricManifest.metrics;
  const reference = readComplexImage(fixture.reference);
  const estimate = readComplexImage(fixture.estimate);
  const mask = readMask(fixture.mask);
  const maps = splitPhaseAndAmplitude(reference, estimate, mask);
  const image = (data: Float64Array) => ({ data, height: reference.height, width: reference.width });

  it('matches on the amplitude', () => {
    const value = peakSignalToNoiseRatio_dB(image(maps.referenceAmplitude), image(maps.estimateAmplitude), fixture.amplitudeRange, mask);
    expect(Math.abs(value / fixture.expected.psnrAmplitude_dB - 1)).toBeLessThan(1e-9);
  });

  it('matches on the phase', () => {
    const value = peakSignalToNoiseRatio_dB(image(maps.referencePhase_rad), image(maps.estimatePhase_rad), fixture.phaseRange_rad, mask);
    expect(Math.abs(value / fixture.expected.psnrPhase_dB - 1)).toBeLessThan(1e-9);
  });
});

describe('peakSignalToNoiseRatio_dB on known pairs', () => {
  const reference = { data: Float64Array.from([0, 1, 2, 3]), height: 2, width: 2 };

  it('is infinite for identical images', () => {
    expect(peakSignalToNoiseRatio_dB(reference, reference, 3)).toBe(Infinity);
  });

  it('is 20 dB for an error of a tenth of the range', () => {
    const estimate = { ...reference, data: reference.data.map((value) => value + 0.3) };
    expect(peakSignalToNoiseRatio_dB(reference, estimate, 3)).toBeCloseTo(20, 10);
  });

  it('counts only masked pixels', () => {
    const estimate = { ...reference, data: Float64Array.from([0, 1, 2, 100]) };
    expect(peakSignalToNoiseRatio_dB(reference, estimate, 3, Uint8Array.from([1, 1, 1, 0]))).toBe(Infinity);
  });

  it('rejects a data range that is not positive', () => {
    expect(() => peakSignalToNoiseRatio_dB(reference, reference, -1)).toThrow(/dataRange must be positive/);
  });
});
