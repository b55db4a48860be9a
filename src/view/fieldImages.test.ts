import { describe, expect, it } from 'vitest';

import { getColormap } from './colormaps';
import { toFieldImages, toRgba, valueRange } from './fieldImages';

describe('toFieldImages', () => {
  it('splits amplitude and phase', () => {
    // 3·e^{iπ/2}, 2·e^{−iπ/4}
    const field = new Float32Array([0, 3, Math.SQRT2, -Math.SQRT2]);
    const { amplitude, phase } = toFieldImages(field, 2, 1);
    expect(amplitude.values[0]).toBeCloseTo(3, 6);
    expect(amplitude.values[1]).toBeCloseTo(2, 6);
    expect(phase.values[0]).toBeCloseTo(Math.PI / 2, 6);
    expect(phase.values[1]).toBeCloseTo(-Math.PI / 4, 6);
  });

  it('removes the weighted global phase offset', () => {
    // Two pixels with phases 1.0 and 1.4 rad; equal weights put the offset at 1.2 rad.
    const field = new Float32Array([Math.cos(1), Math.sin(1), Math.cos(1.4), Math.sin(1.4)]);
    const { phase } = toFieldImages(field, 2, 1, new Float32Array([1, 1]));
    expect(phase.values[0]).toBeCloseTo(-0.2, 5);
    expect(phase.values[1]).toBeCloseTo(0.2, 5);
  });

  it('rejects a field of the wrong length', () => {
    expect(() => toFieldImages(new Float32Array(6), 2, 2)).toThrow(/Expected 8 interleaved values for a 2×2 field, received 6/);
  });
});

describe('valueRange and toRgba', () => {
  it('ignores masked and non-finite pixels', () => {
    const image = { width: 4, height: 1, values: new Float32Array([5, -1, Number.NaN, 2]) };
    expect(valueRange(image, new Float32Array([0, 1, 1, 1]))).toEqual([-1, 2]);
  });

  it('maps the ends of the range to the ends of the colour map', () => {
    const image = { width: 2, height: 1, values: new Float32Array([0, 10]) };
    const rgba = toRgba(image, 'gray', 0, 10);
    expect(Array.from(rgba)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('draws non-finite pixels transparent', () => {
    const image = { width: 3, height: 1, values: new Float32Array([0, Number.NaN, 10]) };
    const rgba = toRgba(image, 'gray', 0, 10);
    expect(Array.from(rgba.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expect(rgba[3]).toBe(255);
    expect(rgba[11]).toBe(255);
  });

  it('uses a phase map whose ends meet', () => {
    const table = getColormap('phase');
    const first = table.slice(0, 3);
    const last = table.slice(255 * 3, 256 * 3);
    for (let c = 0; c < 3; c += 1) expect(Math.abs(first[c] - last[c])).toBeLessThan(6);
  });
});
