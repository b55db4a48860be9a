import { describe, expect, it } from 'vitest';

import { stitchPatches, type PredictedPatches } from './stitch';

const N = 8;

/** Returns the smooth test object at a pixel: amplitude 0.6 + 0.3·sin and a phase ramp that wraps at ±π. */
function objectAt(row: number, col: number): { amplitude: number; phase: number } {
  const amplitude = 0.6 + 0.3 * Math.sin(0.4 * row + 0.2 * col);
  const phase = Math.atan2(Math.sin(0.5 * col - 0.3 * row + 2), Math.cos(0.5 * col - 0.3 * row + 2));
  return { amplitude, phase };
}

/** Samples the test object into one N × N patch per top-left corner (rows[j], cols[j]). */
function samplePatches(rows: number[], cols: number[]): PredictedPatches {
  const amplitude = new Float32Array(rows.length * N * N);
  const phase = new Float32Array(rows.length * N * N);
  rows.forEach((top, j) => {
    for (let row = 0; row < N; row += 1) {
      for (let col = 0; col < N; col += 1) {
        const value = objectAt(top + row, cols[j] + col);
        amplitude[j * N * N + row * N + col] = value.amplitude;
        phase[j * N * N + row * N + col] = value.phase;
      }
    }
  });
  return { amplitude, phase };
}

describe('stitchPatches', () => {
  it('reassembles an object from rounded positions', () => {
    const rows = [0, 0, 3, 3, 6];
    const cols = [0, 3, 0, 3, 5];
    const patches = samplePatches(rows, cols);
    const padding_px = 2;
    const stitched = stitchPatches(patches, rows.length, N, Float32Array.from(rows), Float32Array.from(cols), {
      padding_px,
      subpixel: false,
    });
    expect(stitched.height).toBe(padding_px + 6 + N + padding_px);
    expect(stitched.width).toBe(padding_px + 5 + N + padding_px);
    expect(stitched.originY_px).toBe(-padding_px);
    expect(stitched.originX_px).toBe(-padding_px);

    let covered = 0;
    let maxError = 0;
    for (let row = 0; row < stitched.height; row += 1) {
      for (let col = 0; col < stitched.width; col += 1) {
        const index = row * stitched.width + col;
        if (stitched.weights[index] === 0) continue;
        covered += 1;
        const truth = objectAt(row - padding_px, col - padding_px);
        const re = truth.amplitude * Math.cos(truth.phase);
        const im = truth.amplitude * Math.sin(truth.phase);
        maxError = Math.max(maxError, Math.abs(stitched.object[2 * index] - re), Math.abs(stitched.object[2 * index + 1] - im));
      }
    }
    // Only the central N/2 × N/2 of each patch is kept.
    const union = new Set<string>();
    rows.forEach((top, j) => {
      for (let row = N / 4; row < (3 * N) / 4; row += 1) {
        for (let col = N / 4; col < (3 * N) / 4; col += 1) union.add(`${top + row},${cols[j] + col}`);
      }
    });
    expect(covered).toBe(union.size);
    expect(maxError).toBeLessThan(1e-6);
  });

  it('spreads sub-pixel positions with bilinear weights that sum to one', () => {
    const rows = [0.25, 2.5, 4.75];
    const cols = [0.5, 1.25, 3.0];
    const amplitude = new Float32Array(rows.length * N * N).fill(0.7);
    const phase = new Float32Array(rows.length * N * N).fill(-2.5);
    const stitched = stitchPatches({ amplitude, phase }, rows.length, N, Float32Array.from(rows), Float32Array.from(cols), {
      cropSize: 6,
    });

    let totalWeight = 0;
    let maxError = 0;
    for (let index = 0; index < stitched.weights.length; index += 1) {
      totalWeight += stitched.weights[index];
      if (stitched.weights[index] === 0) continue;
      maxError = Math.max(
        maxError,
        Math.abs(stitched.object[2 * index] - 0.7 * Math.cos(-2.5)),
        Math.abs(stitched.object[2 * index + 1] - 0.7 * Math.sin(-2.5)),
      );
    }
    expect(totalWeight).toBeCloseTo(rows.length * 6 * 6, 4);
    expect(maxError).toBeLessThan(1e-6);
  });

  it('places a sub-pixel patch between pixels', () => {
    // Patch 0 carries one bright pixel at (N/2, N/2) and sits at (0.25, 20.5). Patch 1, all zero
    // and far away at (0, 0), fixes the origin so that patch 0 keeps its fractional offset.
    const amplitude = new Float32Array(2 * N * N);
    const phase = new Float32Array(2 * N * N);
    amplitude[(N / 2) * N + N / 2] = 1;
    const stitched = stitchPatches({ amplitude, phase }, 2, N, Float32Array.of(0.25, 0), Float32Array.of(20.5, 0), {
      padding_px: 0,
    });
    // The bright pixel lands at (N/2 + 0.25, 20 + N/2 + 0.5). Bilinear weights split it over four
    // object pixels, and the zero neighbours of the patch fill each pixel's weight up to 1.
    const realAt = (row: number, col: number): number => stitched.object[2 * (row * stitched.width + col)];
    const weightAt = (row: number, col: number): number => stitched.weights[row * stitched.width + col];
    const top = N / 2;
    const left = 20 + N / 2;
    expect(weightAt(top + 1, left + 1)).toBeCloseTo(1, 6);
    expect(realAt(top, left)).toBeCloseTo(0.75 * 0.5, 6);
    expect(realAt(top, left + 1)).toBeCloseTo(0.75 * 0.5, 6);
    expect(realAt(top + 1, left)).toBeCloseTo(0.25 * 0.5, 6);
    expect(realAt(top + 1, left + 1)).toBeCloseTo(0.25 * 0.5, 6);
    expect(realAt(top - 1, left)).toBe(0);
  });

  it('matches a direct bilinear sum, with clipped footprints', () => {
    // Sub-pixel positions with padding 0 and full-width crops put some footprints past the bottom
    // and right edges, so both the inside and the clipped placement paths run.
    const rows = [0.3, 2.7, 5.5, 1.0, 6.9];
    const cols = [0.6, 4.2, 1.5, 6.0, 6.1];
    const count = rows.length;
    const amplitude = new Float32Array(count * N * N);
    const phase = new Float32Array(count * N * N);
    for (let i = 0; i < amplitude.length; i += 1) {
      amplitude[i] = 0.5 + 0.4 * Math.sin(0.37 * i);
      phase[i] = 3 * Math.cos(0.11 * i);
    }
    for (const options of [{ padding_px: 0, cropSize: N }, { padding_px: 1, cropSize: N / 2 }]) {
      const stitched = stitchPatches({ amplitude, phase }, count, N, Float32Array.from(rows), Float32Array.from(cols), options);
      const { height, width } = stitched;
      const border = (N - options.cropSize) / 2;

      // Reference: every kept pixel of every patch deposited on its four bilinear neighbours.
      const sums = new Float64Array(2 * height * width);
      const weights = new Float64Array(height * width);
      for (let j = 0; j < count; j += 1) {
        const top = Math.fround(rows[j]) - stitched.originY_px + border;
        const left = Math.fround(cols[j]) - stitched.originX_px + border;
        const fractionY = top - Math.floor(top);
        const fractionX = left - Math.floor(left);
        for (let row = 0; row < options.cropSize; row += 1) {
          for (let col = 0; col < options.cropSize; col += 1) {
            const source = j * N * N + (row + border) * N + col + border;
            const re = amplitude[source] * Math.cos(phase[source]);
            const im = amplitude[source] * Math.sin(phase[source]);
            for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
              const weight = (dy === 1 ? fractionY : 1 - fractionY) * (dx === 1 ? fractionX : 1 - fractionX);
              const objectRow = Math.floor(top) + row + dy;
              const objectCol = Math.floor(left) + col + dx;
              if (weight === 0 || objectRow >= height || objectCol >= width) continue;
              const index = objectRow * width + objectCol;
              sums[2 * index] += weight * re;
              sums[2 * index + 1] += weight * im;
              weights[index] += weight;
            }
          }
        }
      }

      let clippedPatches = 0;
      let maxWeightError = 0;
      let maxObjectError = 0;
      for (let index = 0; index < height * width; index += 1) {
        maxWeightError = Math.max(maxWeightError, Math.abs(stitched.weights[index] - weights[index]));
        if (weights[index] === 0) continue;
        maxObjectError = Math.max(
          maxObjectError,
          Math.abs(stitched.object[2 * index] - sums[2 * index] / weights[index]),
          Math.abs(stitched.object[2 * index + 1] - sums[2 * index + 1] / weights[index]),
        );
      }
      for (let j = 0; j < count; j += 1) {
        const bottom = Math.floor(Math.fround(rows[j]) - stitched.originY_px + border) + options.cropSize;
        const right = Math.floor(Math.fround(cols[j]) - stitched.originX_px + border) + options.cropSize;
        if (bottom >= height || right >= width) clippedPatches += 1;
      }
      expect(maxWeightError).toBeLessThan(1e-6);
      expect(maxObjectError).toBeLessThan(1e-6);
      if (options.padding_px === 0) expect(clippedPatches).toBeGreaterThan(0);
    }
  });

  it('rejects a crop of the wrong parity', () => {
    const patches = samplePatches([0], [0]);
    expect(() => stitchPatches(patches, 1, N, Float32Array.of(0), Float32Array.of(0), { cropSize: 3 })).toThrow(/parity/);
  });
});
