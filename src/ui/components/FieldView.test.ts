// Colour-bar labels of FieldView, rendered to static markup without a browser.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { FieldView } from './FieldView';

function colourBarLabels(values: number[]): string[] {
  const image = { width: values.length, height: 1, values: Float32Array.from(values) };
  const markup = renderToStaticMarkup(createElement(FieldView, { title: 'amplitude', image, colormap: 'gray', unit: '' }));
  const bar = markup.slice(markup.indexOf('class="colour-bar"'));
  return [...bar.matchAll(/<span>([^<]*)<\/span>/g)].map((match) => match[1].trim());
}

describe('FieldView colour bar', () => {
  it('shows float noise at an end as 0', () => {
    expect(colourBarLabels([1.9e-16, 1.2, 2.31])).toEqual(['0', '2.31']);
  });

  it('keeps a small genuine end value', () => {
    expect(colourBarLabels([0.004, 0.006, 0.009])).toEqual(['4.0e-3', '9.0e-3']);
  });

  it('keeps a negative end', () => {
    expect(colourBarLabels([-0.94, 0, 0.58])).toEqual(['-0.94', '0.58']);
  });
});
