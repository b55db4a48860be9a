// Checks the RMS phase error against the NumPy cases of make_metric_fixtures.py and on pairs whose
// error is known.
import { describe, expect, it } from 'vitest';

import { metricManifest, readComplexImage, readMask } from '../../test/fixtures/metrics/loadMetricFixtures';
import { rmsPhaseError } from './phaseError';
import type { ComplexImage } from './types';

function fromPhases(phases_rad: number[]): ComplexImage {
  const data = new Float32Array(2 * phases_rad.length);
  phases_rad.forEach((phase, i) => {
    data[2 * i] = Math.cos(phase);
    data[2 * i + 1] = Math.sin(phase);
  });
  return { data, height: 1, width: phases_rad.length };
}

describe('rmsPhaseError', () => {
  it('matches NumPy inside the mask', () => {
    const fixture = metricManifest.metrics;
    const result = rmsPhaseError(readComplexImage(fixture.reference), readComplexImage(fixture.estimate), readMask(fixture.mask));
    expect(Math.abs(result.rms_rad / fixture.expected.rmsPhaseError_rad - 1)).toBeLessThan(1e-9);
  });

  it('ignores a global offset', () => {
    const reference = fromPhases([0.1, -0.5, 1.2, 2.9]);
    const estimate = fromPhases([0.1 + 3, -0.5 + 3, 1.2 + 3, 2.9 + 3]);
    const result = rmsPhaseError(reference, estimate);
    expect(result.rms_rad).toBeLessThan(1e-6);
    expect(result.offset_rad).toBeCloseTo(3, 6);
  });

  it('wraps differences across ±π', () => {
    // Differences of +0.1 and −0.1 rad, one of them across the branch cut.
    const reference = fromPhases([Math.PI - 0.05, 0]);
    const estimate = fromPhases([-Math.PI + 0.05, -0.1]);
    const result = rmsPhaseError(reference, estimate);
    expect(result.offset_rad).toBeCloseTo(0, 6);
    expect(result.rms_rad).toBeCloseTo(0.1, 6);
  });

  it('rejects a mask of the wrong length', () => {
    const image = fromPhases([0, 1]);
    expect(() => rmsPhaseError(image, image, new Uint8Array(3))).toThrow(/one value per pixel/);
  });
});
