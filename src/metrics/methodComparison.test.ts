import { describe, expect, it } from 'vitest';

import { compareMethods, resampleToPinnGrid, shiftValidMask } from './methodComparison';

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

describe('compareMethods', () => {
  const size = 64;
  // Pure-phase object with several smooth bumps, so the correlation peak is sharp and unique.
  function objectPhase_rad(row: number, col: number): number {
    const bumps = [
      [20, 18, 1.2],
      [40, 44, -0.9],
      [30, 52, 0.7],
      [50, 14, 0.8],
    ];
    let phase = 0;
    for (const [r, c, height] of bumps) phase += height * Math.exp(-((row - r) ** 2 + (col - c) ** 2) / 30);
    return phase;
  }
  const pieObject = new Float32Array(size * size * 2);
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      const phase = objectPhase_rad(row, col);
      pieObject[2 * (row * size + col)] = Math.cos(phase);
      pieObject[2 * (row * size + col) + 1] = Math.sin(phase);
    }
  }
  // The PtychoPINN object is the rPIE object moved down 4 rows and left 6 columns: pinn(y, x) = pie(y − 4, x + 6).
  // The band that moved in from beyond the edge is zero with zero stitching weight, as where no
  // PtychoPINN patch landed.
  const moveDown_px = 4;
  const moveLeft_px = 6;
  const pinnObject = new Float32Array(size * size * 2);
  const pinnWeights = new Float32Array(size * size);
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      const sourceRow = row - moveDown_px;
      const sourceCol = col + moveLeft_px;
      if (sourceRow < 0 || sourceCol >= size) continue;
      pinnWeights[row * size + col] = 1;
      pinnObject[2 * (row * size + col)] = pieObject[2 * (sourceRow * size + sourceCol)];
      pinnObject[2 * (row * size + col) + 1] = pieObject[2 * (sourceRow * size + sourceCol) + 1];
    }
  }
  const pie = (probeSize: number) => ({
    object: pieObject,
    objectHeight: size,
    objectWidth: size,
    coverage: new Float32Array(size * size).fill(1),
    originY_px: 0,
    originX_px: 0,
    probeSize,
  });
  const pinn = {
    object: pinnObject,
    objectHeight: size,
    objectWidth: size,
    weights: pinnWeights,
    originY_px: 0,
    originX_px: 0,
    pixelSizeRatio: 1,
  };
  const comparison = compareMethods(pie(64), pinn);
  const { alignment } = comparison.metrics;

  it('recovers the known shift', () => {
    expect(alignment.shiftRows_px).toBeCloseTo(-moveDown_px, 1);
    expect(alignment.shiftColumns_px).toBeCloseTo(moveLeft_px, 1);
  });

  it('marks pixels shifted in from the edge invalid', () => {
    // The region is where PtychoPINN has data: rows 4…63, columns 0…57. aligned(y, x) = pinn(y + 4, x − 6),
    // so the last 4 rows and the first 6 columns come from beyond the edge, and rows 4…59,
    // columns 6…57 remain.
    for (let row = 0; row < size; row += 1) {
      for (let col = 0; col < size; col += 1) {
        const i = row * size + col;
        const inRegion = row >= moveDown_px && col < size - moveLeft_px;
        const shiftedIn = row >= size - moveDown_px || col < moveLeft_px;
        const compared = inRegion && !shiftedIn;
        expect(comparison.region[i], `region at (${row}, ${col})`).toBe(inRegion ? 1 : 0);
        expect(comparison.compared[i], `compared at (${row}, ${col})`).toBe(compared ? 1 : 0);
        expect(Number.isNaN(comparison.pinnAligned[2 * i]), `NaN at (${row}, ${col})`).toBe(!compared);
      }
    }
  });

  it('matches rPIE on the compared pixels', () => {
    let maxError = 0;
    for (let i = 0; i < size * size; i += 1) {
      if (!comparison.compared[i]) continue;
      const errorRe = comparison.pinnAligned[2 * i] - pieObject[2 * i];
      const errorIm = comparison.pinnAligned[2 * i + 1] - pieObject[2 * i + 1];
      maxError = Math.max(maxError, Math.hypot(errorRe, errorIm));
    }
    expect(maxError).toBeLessThan(0.02);
  });

  it('accepts a shift within the probe bound', () => {
    expect(comparison.maxPlausibleShift_px).toBe(16);
    expect(comparison.alignmentWarning).toBeNull();
  });

  it('warns about a shift beyond the probe bound', () => {
    // A 16-pixel probe allows 4 px; the fitted shift is √(4² + 6²) ≈ 7.2 px.
    const narrowProbe = compareMethods(pie(16), pinn);
    expect(narrowProbe.maxPlausibleShift_px).toBe(4);
    expect(narrowProbe.alignmentWarning).toMatch(/fitted shift of 7\.2 px is more than a quarter of the probe width \(4\.0 px/);
  });

  it('drops pixels from the unscanned border', () => {
    // PtychoPINN also has no data in its columns 0…9. Its data sits 6 columns further right after
    // the shift, so columns 10…15 of the region would show its empty border: only 16…57 remain.
    const border_px = 10;
    const object = Float32Array.from(pinnObject);
    const weights = Float32Array.from(pinnWeights);
    for (let row = 0; row < size; row += 1) {
      for (let col = 0; col < border_px; col += 1) {
        object[2 * (row * size + col)] = 0;
        object[2 * (row * size + col) + 1] = 0;
        weights[row * size + col] = 0;
      }
    }
    const bordered = compareMethods(pie(64), { ...pinn, object, weights });
    expect(bordered.metrics.alignment.shiftRows_px).toBeCloseTo(-moveDown_px, 1);
    expect(bordered.metrics.alignment.shiftColumns_px).toBeCloseTo(moveLeft_px, 1);

    let comparedCount = 0;
    let maxError = 0;
    for (let row = 0; row < size; row += 1) {
      for (let col = 0; col < size; col += 1) {
        const i = row * size + col;
        const expected = row >= moveDown_px && row < size - moveDown_px && col >= border_px + moveLeft_px && col < size - moveLeft_px;
        expect(bordered.compared[i], `compared at (${row}, ${col})`).toBe(expected ? 1 : 0);
        expect(Number.isNaN(bordered.pinnAligned[2 * i]), `NaN at (${row}, ${col})`).toBe(!expected);
        if (!expected) continue;
        comparedCount += 1;
        const errorRe = bordered.pinnAligned[2 * i] - pieObject[2 * i];
        const errorIm = bordered.pinnAligned[2 * i + 1] - pieObject[2 * i + 1];
        maxError = Math.max(maxError, Math.hypot(errorRe, errorIm));
      }
    }
    expect(bordered.metrics.pixelCount).toBe(comparedCount);
    expect(maxError).toBeLessThan(0.02);
  });

  it('keeps out-of-image sources invalid', () => {
    // 4 × 4 mask with everything valid, shifted by (1.5, −1): rows need sources 0…3 at y − 1.5, columns at x + 1.
    const valid = new Uint8Array(16).fill(1);
    const shifted = shiftValidMask(valid, 4, 4, 1.5, -1);
    const expected = [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [1, 1, 1, 0],
      [1, 1, 1, 0],
    ].flat();
    expect(Array.from(shifted)).toEqual(expected);
  });

  it('scales the bound to PtychoPINN pixels', () => {
    const coarse = { ...pinn, pixelSizeRatio: 2 };
    const shrunk = { ...pie(64), objectHeight: size, objectWidth: size };
    expect(compareMethods(shrunk, coarse).maxPlausibleShift_px).toBe(8);
  });
});
