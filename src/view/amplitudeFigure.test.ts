import { describe, expect, it } from 'vitest';

import { composeAmplitudeFigure } from './amplitudeFigure';
import { getColormap } from './colormaps';
import { composePhaseFigure, type PhaseFigureInput } from './phaseFigure';

/** Builds a 4×3 object whose pixel i has amplitude `amplitudes[i]` and phase 0.3·i. */
function objectWithAmplitudes(amplitudes: number[], coverage: number[]): PhaseFigureInput {
  const object = new Float32Array(amplitudes.length * 2);
  amplitudes.forEach((amplitude, i) => {
    object[2 * i] = amplitude * Math.cos(0.3 * i);
    object[2 * i + 1] = amplitude * Math.sin(0.3 * i);
  });
  return { object, objectWidth: 4, objectHeight: 3, coverage: Float32Array.from(coverage) };
}

function pixelAt(rgba: Uint8ClampedArray, width: number, x: number, y: number): number[] {
  const offset = (y * width + x) * 4;
  return Array.from(rgba.subarray(offset, offset + 4));
}

function tableColour(index: number): number[] {
  const table = getColormap('gray');
  return [table[3 * index], table[3 * index + 1], table[3 * index + 2], 255];
}

describe('composeAmplitudeFigure', () => {
  // Pixel 0 is unscanned and has an outlying amplitude that must not set the range.
  const amplitudes = [5, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2];
  const coverage = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  const input = objectWithAmplitudes(amplitudes, coverage);
  const figure = composeAmplitudeFigure(input);
  const phaseFigure = composePhaseFigure(input);

  it('should share the phase figure layout', () => {
    expect(figure.width).toBe(phaseFigure.width);
    expect(figure.height).toBe(phaseFigure.height);
    expect(figure.imageLeft).toBe(phaseFigure.imageLeft);
    expect(figure.bar).toEqual(phaseFigure.bar);
  });

  it('should take the range over covered pixels', () => {
    expect(figure.range[0]).toBeCloseTo(0.2, 6);
    expect(figure.range[1]).toBeCloseTo(1.2, 6);
  });

  it('should map the range ends to the table ends', () => {
    // Pixel 1 (x 1, y 0) has the smallest covered amplitude and pixel 11 (x 3, y 2) the largest.
    expect(pixelAt(figure.rgba, figure.width, figure.imageLeft + 1, 0)).toEqual(tableColour(0));
    expect(pixelAt(figure.rgba, figure.width, figure.imageLeft + 3, 2)).toEqual(tableColour(255));
    // The unscanned outlier saturates at the top of the table.
    expect(pixelAt(figure.rgba, figure.width, figure.imageLeft, 0)).toEqual(tableColour(255));
  });

  it('should map a mid value to the mid colour', () => {
    // Amplitude 0.8 (pixel 7) lies at fraction 0.6 of [0.2, 1.2], so at index floor(0.6 · 256) = 153.
    // 0.6 · 256 = 153.6 is far from an integer, so float32 rounding cannot change the index.
    expect(pixelAt(figure.rgba, figure.width, figure.imageLeft + 3, 1)).toEqual(tableColour(153));
  });

  it('should draw a grey colour bar', () => {
    const { top, left, right } = figure.bar;
    expect(pixelAt(figure.rgba, figure.width, left, top)).toEqual(tableColour(0));
    expect(pixelAt(figure.rgba, figure.width, right - 1, top)).toEqual(tableColour(255));
    expect(pixelAt(figure.rgba, figure.width, left - 1, top)).toEqual([255, 255, 255, 255]);
  });

  it('should label the bar with the amplitudes', () => {
    expect(figure.labels.map((label) => label.text)).toEqual(['0.200', '1.20']);
    expect(figure.labels.map((label) => label.x)).toEqual(phaseFigure.labels.map((label) => label.x));
  });

  it('should reject coverage of the wrong length', () => {
    expect(() => composeAmplitudeFigure({ ...input, coverage: new Float32Array(5) })).toThrow(/Expected 12 coverage values/);
  });
});
