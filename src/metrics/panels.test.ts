// Renders MetricsPanel and FrcPlot to static HTML in Node and checks their table, labels and roles.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { metricManifest, readComplexImage } from '../../test/fixtures/metrics/loadMetricFixtures';
import { FrcPlot } from '../ui/components/FrcPlot';
import { MetricsPanel } from '../ui/components/MetricsPanel';
import { compareReconstructions } from './index';

const fixture = metricManifest['compare-full'];
const comparison = compareReconstructions(readComplexImage(fixture.reference), readComplexImage(fixture.estimate));

describe('MetricsPanel', () => {
  it('renders a table titled by both labels', () => {
    const html = renderToStaticMarkup(
      createElement(MetricsPanel, { comparison, referenceLabel: 'ground truth', estimateLabel: 'rPIE' }),
    );
    expect(html).toContain('aria-label="Reconstruction metrics"');
    expect(html).toContain('<caption');
    expect(html).toContain('rPIE against ground truth');
    expect(html).toContain('SSIM, phase');
    expect(html).toContain(' dB');
    expect(html).toContain(' rad');
  });

  it('says when there is no comparison yet', () => {
    const html = renderToStaticMarkup(
      createElement(MetricsPanel, { comparison: null, referenceLabel: 'run 1', estimateLabel: 'run 2' }),
    );
    expect(html).toContain('No comparison of run 2 against run 1 yet.');
    expect(html).not.toContain('<table');
  });
});

describe('FrcPlot', () => {
  const { frequencies_cyclesPerPx, correlation, threshold, crossing } = comparison.frc;

  it('is an image with a label naming the crossing', () => {
    const html = renderToStaticMarkup(createElement(FrcPlot, { frequencies_cyclesPerPx, correlation, threshold, crossing }));
    expect(html).toContain('role="img"');
    expect(html).toMatch(/aria-label="Fourier ring correlation over \d+ rings; it crosses the ½-bit threshold at 0\.\d{3} cycles\/px/);
    expect(html).toContain('spatial frequency (cycles/px)');
    expect(html).toMatch(/resolution \d\.\d\d px/);
  });

  it('draws curves for FRC and threshold', () => {
    const html = renderToStaticMarkup(createElement(FrcPlot, { frequencies_cyclesPerPx, correlation, threshold, crossing }));
    expect(html.match(/<polyline/g)).toHaveLength(2);
    expect(html).not.toContain('NaN');
  });

  it('states when the threshold is never crossed', () => {
    const html = renderToStaticMarkup(
      createElement(FrcPlot, {
        frequencies_cyclesPerPx: [0, 0.25, 0.5],
        correlation: [Number.NaN, 0.9, 0.8],
        threshold: [1, 0.3, 0.2],
        crossing: null,
      }),
    );
    expect(html).toContain('stays above the ½-bit threshold up to 0.500 cycles/px');
    expect(html).not.toContain('resolution');
  });

  it('states no crossing when the curve starts below', () => {
    // A crossing passed in is not drawn when the first ring is already below.
    const html = renderToStaticMarkup(
      createElement(FrcPlot, {
        frequencies_cyclesPerPx: [0, 0.25, 0.5],
        correlation: [Number.NaN, 0.1, 0.05],
        threshold: [1, 0.3, 0.2],
        crossing: { frequency_cyclesPerPx: 0.25, resolution_px: 4 },
      }),
    );
    expect(html).toContain('it has no crossing: below the ½-bit threshold at every frequency');
    expect(html).toContain('no crossing: FRC starts below the threshold');
    expect(html).not.toContain('resolution');
  });
});
