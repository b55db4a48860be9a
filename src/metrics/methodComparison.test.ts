import { describe, expect, it } from 'vitest';

import { resampleToPinnGrid } from './methodComparison';

describe('resampleToPinnGrid', () => {
  it('averages 2 × 2 rPIE pixels into one PtychoPINN pixel', () => {
    // rPIE object 4 × 4 with re = row·10 + col and im = 1; its origin is (2, 2) in dataset pixels.
    const pieObject = new Float32Array(4 * 4 * 2);
    for (let row = 0; row < 4; row += 1) {
      for (let col = 0; col < 4; col += 1) {
        pieObject[2 * (row * 4 + col)] = row * 10 + col;
        pieObject[2 * (row * 4 + col) + 1] = 1;
      }
    }
    const pie = {
      object: pieObject,
      objectHeight: 4,
      objectWidth: 4,
      coverage: new Float32Array(16).fill(3),
      originY_px: 2,
      originX_px: 2,
    };
    // PtychoPINN grid 2 × 2 of 2-pixel cells starting at dataset (2, 4): rPIE rows 0–3, columns 2–3 and beyond.
    const pinn = {
      object: new Float32Array(2 * 2 * 2),
      objectHeight: 2,
      objectWidth: 2,
      weights: new Float32Array(4).fill(1),
      originY_px: 2,
      originX_px: 4,
      pixelSizeRatio: 2,
    };
    const { object, weights } = resampleToPinnGrid(pie, pinn);
    // Cell (0, 0): rPIE rows 0–1, columns 2–3: mean of 2, 3, 12, 13 = 7.5.
    expect(object[0]).toBeCloseTo(7.5, 6);
    expect(object[1]).toBeCloseTo(1, 6);
    // Cell (1, 0): rows 2–3, columns 2–3: mean of 22, 23, 32, 33 = 27.5.
    expect(object[4]).toBeCloseTo(27.5, 6);
    // Cell (0, 1): columns 4–5 lie outside the rPIE object, so it stays empty.
    expect(object[2]).toBe(0);
    expect(weights[1]).toBe(0);
    expect(weights[0]).toBe(3);
  });
});
