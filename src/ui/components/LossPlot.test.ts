// LossPlot rendered to static markup without a browser.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { LossPlot } from './LossPlot';

function render(trainLosses: number[], validationLosses: number[]): string {
  return renderToStaticMarkup(createElement(LossPlot, { trainLosses, validationLosses }));
}

function circles(markup: string): string[] {
  return markup.match(/<circle [^>]*>/g) ?? [];
}

describe('LossPlot', () => {
  it('draws both losses of one epoch', () => {
    const dots = circles(render([-1.6e6], [-1.7e6]));
    expect(dots).toHaveLength(2);
    expect(dots[0]).toContain('fill="#1f5fa8"');
    expect(dots[1]).toContain('stroke="#c0392b"');
  });

  it('skips a missing validation loss', () => {
    expect(circles(render([-1.6e6], [Number.NaN]))).toHaveLength(1);
  });

  it('draws no dots for several epochs', () => {
    expect(circles(render([3, 2, 1], [3.5, 2.5, 1.5]))).toHaveLength(0);
  });

  it('labels the epoch count in the right number', () => {
    expect(render([-1.6e6], [-1.7e6])).toContain('aria-label="Loss over 1 epoch, last training loss');
    expect(render([3, 2], [3, 2])).toContain('aria-label="Loss over 2 epochs, last training loss');
  });
});
