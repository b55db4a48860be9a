// The probe views of PinnResultsPanel, rendered to static markup without a browser.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import type { PinnProbeState, PinnSnapshot } from '../../worker/protocol';
import { PinnResultsPanel } from './PinnResultsPanel';

const SIDE = 4;

function snapshotWith(probe?: PinnProbeState): PinnSnapshot {
  return {
    object: Float32Array.from({ length: SIDE * SIDE * 2 }, (_, index) => (index % 2 === 0 ? 1 : 0.1 * index)),
    objectHeight: SIDE,
    objectWidth: SIDE,
    weights: new Float32Array(SIDE * SIDE).fill(1),
    originY_px: 0,
    originX_px: 0,
    pixelSizeRatio: 1,
    ...(probe ? { probe } : {}),
  };
}

function render(probe?: PinnProbeState): string {
  return renderToStaticMarkup(createElement(PinnResultsPanel, { snapshot: snapshotWith(probe) }));
}

describe('PinnResultsPanel probe', () => {
  it('shows a trained probe', () => {
    const probe = Float32Array.from({ length: SIDE * SIDE * 2 }, (_, index) => Math.cos(index));
    const markup = render({ kind: 'trained', probe, probeSize: SIDE });
    expect(markup).toContain('data-testid="pinn-probe-amplitude"');
    expect(markup).toContain('data-testid="pinn-probe-phase"');
    expect(markup).toContain(`Trained probe amplitude (${SIDE} × ${SIDE})`);
    expect(markup).not.toContain('pinn-probe-fixed');
  });

  it('states a fixed probe in one line', () => {
    const markup = render({ kind: 'fixed' });
    expect(markup).toContain('Probe: fixed, from the scan file.');
    expect(markup).not.toContain('pinn-probe-amplitude');
  });

  it('shows nothing for an unknown probe', () => {
    const markup = render();
    expect(markup).not.toContain('pinn-probe');
    expect(markup).toContain('data-testid="pinn-phase"');
  });
});
