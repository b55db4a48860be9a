// Checks the text of the metrics table and the FRC plot's accessible label.
import { describe, expect, it } from 'vitest';

import { metricManifest, readComplexImage, readMask } from '../../test/fixtures/metrics/loadMetricFixtures';
import { describeFrcPlot, formatCrossing, formatFixed, formatPsnr, formatSsim, metricRows } from './format';
import { compareReconstructions } from './index';

describe('formatFixed', () => {
  it('uses a true minus sign and names infinities', () => {
    expect(formatFixed(-1.234, 2)).toBe('−1.23');
    expect(formatFixed(Infinity, 2)).toBe('∞');
    expect(formatFixed(Number.NaN, 2)).toBe('–');
  });
});

describe('formatPsnr and formatSsim', () => {
  it('show units, infinity and undefined values', () => {
    expect(formatPsnr(24.0279)).toBe('24.03 dB');
    expect(formatPsnr(Infinity)).toBe('∞ dB');
    expect(formatPsnr(null)).toMatch(/undefined: the reference is constant/);
    expect(formatSsim(0.79018)).toBe('0.7902');
    expect(formatSsim(null)).toMatch(/undefined/);
  });
});

describe('formatCrossing', () => {
  it('gives frequency and resolution', () => {
    expect(formatCrossing({ frequency_cyclesPerPx: 0.25, resolution_px: 4 }, 0.5)).toBe('0.250 cycles/px (4.00 px)');
  });

  it('states when there is no crossing', () => {
    expect(formatCrossing(null, 0.5)).toBe('above the ½-bit threshold up to 0.500 cycles/px');
  });

  it('states when the FRC starts below', () => {
    expect(formatCrossing(null, 0.5, 'below-at-all-rings')).toBe('no crossing: below the ½-bit threshold at every frequency');
    expect(formatCrossing(null, 0.5, 'below-at-first-ring')).toBe(
      'no crossing: already below the ½-bit threshold at the lowest frequency',
    );
    expect(formatCrossing(null, 0.5, 'no-data')).toMatch(/^undefined: /);
  });
});

describe('metricRows', () => {
  const fixture = metricManifest['compare-region'];
  const comparison = compareReconstructions(readComplexImage(fixture.reference), readComplexImage(fixture.estimate), {
    region: readMask(fixture.region!),
  });
  const rows = metricRows(comparison);
  const valueOf = (label: string) => rows.find((row) => row.label === label)?.value;

  it('lists every metric with its unit', () => {
    expect(valueOf('Shift (rows, columns)')).toBe('−0.85, 1.45 px');
    expect(valueOf('PSNR, phase')).toMatch(/^\d+\.\d\d dB$/);
    expect(valueOf('RMS phase error')).toMatch(/^\d\.\d{4} rad$/);
    expect(valueOf('Phase ramp (rows, columns)')).toMatch(/mrad\/px$/);
    expect(valueOf('FRC ½-bit crossing (complex)')).toMatch(/cycles\/px \(\d+\.\d\d px\)$/);
  });

  it('reports no crossing when the FRC starts below', () => {
    // The amplitude FRC of this case is below the ½-bit threshold at its first ring (NumPy fixture: crossing null).
    const amplitude = compareReconstructions(readComplexImage(fixture.reference), readComplexImage(fixture.estimate), {
      region: readMask(fixture.region!),
      frcQuantity: 'amplitude',
    });
    expect(amplitude.frc.correlation[1]).toBeLessThan(amplitude.frc.threshold[1]);
    const value = metricRows(amplitude).find((row) => row.label === 'FRC ½-bit crossing (amplitude)')?.value;
    expect(value).toMatch(/^no crossing: /);
    expect(value).not.toMatch(/px\)$/);
  });

  it('has one row per metric', () => {
    expect(rows.map((row) => row.label)).toHaveLength(11);
  });
});

describe('describeFrcPlot', () => {
  it('states a curve that starts below', () => {
    expect(describeFrcPlot(33, null, 0.5, 'below-at-all-rings')).toBe(
      'Fourier ring correlation over 33 rings; it has no crossing: below the ½-bit threshold at every frequency',
    );
  });

  it('names the crossing and the resolution', () => {
    expect(describeFrcPlot(33, { frequency_cyclesPerPx: 0.38, resolution_px: 2.63 }, 0.5)).toBe(
      'Fourier ring correlation over 33 rings; it crosses the ½-bit threshold at 0.380 cycles/px (2.63 px)',
    );
  });
});
