import { describe, expect, it } from 'vitest';

import { getColormap } from './colormaps';
import { toFieldImages, toRgba } from './fieldImages';
import { composePhaseFigure, coverageMask, MIN_FIGURE_WIDTH_PX, type PhaseFigureInput } from './phaseFigure';

/** Builds a unit-amplitude object whose pixel i has phase `phases[i]`, fully covered unless `coverage` is given. */
function objectWithPhases(width: number, height: number, phases: number[], coverage?: number[]): PhaseFigureInput {
  const object = new Float32Array(width * height * 2);
  phases.forEach((phase, i) => {
    object[2 * i] = Math.cos(phase);
    object[2 * i + 1] = Math.sin(phase);
  });
  return {
    object,
    objectWidth: width,
    objectHeight: height,
    coverage: coverage ? Float32Array.from(coverage) : new Float32Array(width * height).fill(1),
  };
}

function pixelAt(rgba: Uint8ClampedArray, width: number, x: number, y: number): number[] {
  const offset = (y * width + x) * 4;
  return Array.from(rgba.subarray(offset, offset + 4));
}

describe('coverageMask', () => {
  it('keeps pixels above 5% of the maximum', () => {
    expect(Array.from(coverageMask(new Float32Array([0, 0.04, 0.06, 1])))).toEqual([0, 0, 1, 1]);
  });

  it('masks everything when nothing is covered', () => {
    expect(Array.from(coverageMask(new Float32Array([0, 0])))).toEqual([0, 0]);
  });
});

describe('composePhaseFigure', () => {
  // A 4×3 object. Pixel 0 is unscanned and has an outlying phase that must not set the range.
  const phases = [3, -0.5, -0.4, -0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3, 0.4, 0.5];
  const coverage = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  const input = objectWithPhases(4, 3, phases, coverage);
  const figure = composePhaseFigure(input);
  const { phase } = toFieldImages(input.object, 4, 3, input.coverage);

  it('widens a narrow figure to the minimum', () => {
    expect(figure.width).toBe(MIN_FIGURE_WIDTH_PX);
    expect(figure.height).toBeGreaterThan(3 + figure.bar.height);
    expect(figure.rgba.length).toBe(figure.width * figure.height * 4);
  });

  it('takes the range over covered pixels only', () => {
    let coveredLow = Infinity;
    let coveredHigh = -Infinity;
    for (let i = 1; i < phase.values.length; i += 1) {
      coveredLow = Math.min(coveredLow, phase.values[i]);
      coveredHigh = Math.max(coveredHigh, phase.values[i]);
    }
    expect(figure.range[0]).toBeCloseTo(coveredLow, 6);
    expect(figure.range[1]).toBeCloseTo(coveredHigh, 6);
    expect(phase.values[0]).toBeGreaterThan(figure.range[1]);
  });

  it('uses the ordered map for a 1 rad range', () => {
    expect(figure.range[1] - figure.range[0]).toBeLessThan(2);
    expect(figure.colormap).toBe('phaseRamp');
  });

  it('copies one image pixel per object pixel', () => {
    const expected = toRgba(phase, figure.colormap, figure.range[0], figure.range[1]);
    for (let y = 0; y < 3; y += 1) {
      for (let x = 0; x < 4; x += 1) {
        const offset = (y * 4 + x) * 4;
        expect(pixelAt(figure.rgba, figure.width, figure.imageLeft + x, y)).toEqual(
          Array.from(expected.subarray(offset, offset + 4)),
        );
      }
    }
  });

  it('centres a narrow object on a white background', () => {
    expect(figure.imageLeft).toBe((MIN_FIGURE_WIDTH_PX - 4) / 2);
    expect(pixelAt(figure.rgba, figure.width, 0, 0)).toEqual([255, 255, 255, 255]);
    expect(pixelAt(figure.rgba, figure.width, figure.width - 1, 2)).toEqual([255, 255, 255, 255]);
  });

  it('draws the colour bar from the first to the last colour', () => {
    const table = getColormap(figure.colormap);
    const { top, left, right } = figure.bar;
    expect(top).toBeGreaterThanOrEqual(3);
    expect(pixelAt(figure.rgba, figure.width, left, top)).toEqual([table[0], table[1], table[2], 255]);
    expect(pixelAt(figure.rgba, figure.width, right - 1, top)).toEqual([
      table[255 * 3],
      table[255 * 3 + 1],
      table[255 * 3 + 2],
      255,
    ]);
    expect(pixelAt(figure.rgba, figure.width, left - 1, top)).toEqual([255, 255, 255, 255]);
  });

  it('labels the bar ends with the range in rad', () => {
    expect(figure.labels.map((label) => label.text)).toEqual([
      `${figure.range[0].toFixed(2)} rad`,
      `${figure.range[1].toFixed(2)} rad`,
    ]);
    expect(figure.labels[0]).toMatchObject({ x: figure.bar.left, align: 'left' });
    expect(figure.labels[1]).toMatchObject({ x: figure.bar.right, align: 'right' });
    for (const label of figure.labels) {
      expect(label.y).toBeGreaterThan(figure.bar.top + figure.bar.height);
      expect(label.y).toBeLessThanOrEqual(figure.height);
    }
  });

  it("keeps a wide object's width", () => {
    const width = MIN_FIGURE_WIDTH_PX + 60;
    const wide = composePhaseFigure(objectWithPhases(width, 2, []));
    expect(wide.width).toBe(width);
    expect(wide.imageLeft).toBe(0);
  });

  it('rejects coverage of the wrong length', () => {
    const bad = { ...input, coverage: new Float32Array(5) };
    expect(() => composePhaseFigure(bad)).toThrow(/Expected 12 coverage values for a 3×4 object, received 5/);
  });
});
