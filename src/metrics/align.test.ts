// Checks registration and alignment against the NumPy cases of make_metric_fixtures.py and against
// the shift, ramp and scale the cases were made with.
import { describe, expect, it } from 'vitest';

import { metricManifest, readComplexImage, readMask } from '../../test/fixtures/metrics/loadMetricFixtures';
import { alignImages } from './align';
import { fourierShift, registerImages } from './registration';
import type { ComplexImage } from './types';

/** Relative RMS difference ‖a − b‖/‖b‖ over the pixels where mask is 1. */
function relativeRmsOnMask(actual: ComplexImage, expected: ComplexImage, mask: Uint8Array): number {
  let difference = 0;
  let reference = 0;
  for (let i = 0; i < mask.length; i += 1) {
    if (!mask[i]) continue;
    for (const part of [0, 1]) {
      const d = actual.data[2 * i + part] - expected.data[2 * i + part];
      difference += d * d;
      reference += expected.data[2 * i + part] ** 2;
    }
  }
  return Math.sqrt(difference / reference);
}

describe('registerImages', () => {
  const fixture = metricManifest.registration;
  const reference = readComplexImage(fixture.reference);
  const estimate = readComplexImage(fixture.estimate);

  it('recovers a sub-pixel shift within 0.05 px', () => {
    const { shiftRows_px, shiftColumns_px } = registerImages(reference, estimate);
    expect(Math.abs(shiftRows_px - fixture.trueShift_px[0])).toBeLessThanOrEqual(0.05);
    expect(Math.abs(shiftColumns_px - fixture.trueShift_px[1])).toBeLessThanOrEqual(0.05);
  });

  it('lands on the same grid point as NumPy', () => {
    const refined = registerImages(reference, estimate);
    expect(refined.shiftRows_px).toBeCloseTo(fixture.expectedShift_px[0], 9);
    expect(refined.shiftColumns_px).toBeCloseTo(fixture.expectedShift_px[1], 9);
    const coarse = registerImages(reference, estimate, { upsampleFactor: 1 });
    expect(coarse.shiftRows_px).toBe(fixture.expectedCoarseShift_px[0]);
    expect(coarse.shiftColumns_px).toBe(fixture.expectedCoarseShift_px[1]);
  });

  it('recovers an integer shift exactly', () => {
    const shifted = fourierShift(reference, 3, -5);
    const data = new Float32Array(reference.data.length);
    for (let i = 0; i < shifted.re.length; i += 1) {
      data[2 * i] = shifted.re[i];
      data[2 * i + 1] = shifted.im[i];
    }
    const result = registerImages(reference, { data, height: 64, width: 64 });
    expect(result.shiftRows_px).toBeCloseTo(-3, 9);
    expect(result.shiftColumns_px).toBeCloseTo(5, 9);
  });

  it('rejects images of different shapes', () => {
    const small = { data: new Float32Array(2 * 8 * 8), height: 8, width: 8 };
    expect(() => registerImages(reference, small)).toThrow(/same shape/);
  });
});

describe('fourierShift', () => {
  it('moves pixels by a whole-pixel shift', () => {
    const height = 6;
    const width = 5;
    const data = Float32Array.from({ length: 2 * height * width }, (_, i) => Math.sin(i * 0.7) + (i % 3));
    const shifted = fourierShift({ data, height, width }, 2, -1);
    for (let row = 0; row < height; row += 1) {
      for (let column = 0; column < width; column += 1) {
        const source = ((row - 2 + height) % height) * width + ((column + 1) % width);
        expect(shifted.re[row * width + column]).toBeCloseTo(data[2 * source], 5);
        expect(shifted.im[row * width + column]).toBeCloseTo(data[2 * source + 1], 5);
      }
    }
  });
});

describe.each(['compare-full', 'compare-region'] as const)('alignImages on %s', (name) => {
  const fixture = metricManifest[name];
  const reference = readComplexImage(fixture.reference);
  const estimate = readComplexImage(fixture.estimate);
  const region = fixture.region === null ? undefined : readMask(fixture.region);
  const expected = fixture.expected;
  const alignment = alignImages(reference, estimate, { region });

  it('finds the shift within 0.05 px of the true one', () => {
    expect(Math.abs(alignment.shiftRows_px - fixture.truth.shift_px[0])).toBeLessThanOrEqual(0.05);
    expect(Math.abs(alignment.shiftColumns_px - fixture.truth.shift_px[1])).toBeLessThanOrEqual(0.05);
  });

  it('finds the same shift as NumPy', () => {
    expect(alignment.shiftRows_px).toBeCloseTo(expected.shiftRows_px, 9);
    expect(alignment.shiftColumns_px).toBeCloseTo(expected.shiftColumns_px, 9);
  });

  it('fits the same ramp, offset and scale as NumPy', () => {
    expect(alignment.phaseRampRows_radPerPx).toBeCloseTo(expected.phaseRampRows_radPerPx, 7);
    expect(alignment.phaseRampColumns_radPerPx).toBeCloseTo(expected.phaseRampColumns_radPerPx, 7);
    expect(alignment.phaseOffset_rad).toBeCloseTo(expected.phaseOffset_rad, 6);
    expect(Math.abs(alignment.scale / expected.scale - 1)).toBeLessThan(1e-6);
  });

  it('keeps the same pixels as NumPy', () => {
    expect(alignment.mask.reduce((sum, value) => sum + value, 0)).toBe(expected.pixelCount);
  });

  it('produces the aligned image of NumPy', () => {
    const expectedAligned = readComplexImage(fixture.expectedAligned);
    expect(relativeRmsOnMask(alignment.aligned, expectedAligned, alignment.mask)).toBeLessThan(1e-6);
  });

  // Noise adds to Σ|e|² and so biases the least-squares scale low; in the region case the noise
  // outside the ellipse also leaks in through the sub-pixel shift. Both cost about 1.4% there.
  it('recovers the true scale within 2%', () => {
    expect(Math.abs(alignment.scale / fixture.truth.scale - 1)).toBeLessThan(0.02);
  });
});

describe('alignImages against the true ramp', () => {
  const fixture = metricManifest['compare-full'];
  const alignment = alignImages(readComplexImage(fixture.reference), readComplexImage(fixture.estimate));

  it('recovers ramp and offset', () => {
    expect(Math.abs(alignment.phaseRampRows_radPerPx - fixture.truth.phaseRampRows_radPerPx!)).toBeLessThan(5e-4);
    expect(Math.abs(alignment.phaseRampColumns_radPerPx - fixture.truth.phaseRampColumns_radPerPx!)).toBeLessThan(5e-4);
    expect(Math.abs(alignment.phaseOffset_rad - fixture.truth.phaseOffset_rad!)).toBeLessThan(0.01);
  });
});

describe('alignImages options and errors', () => {
  const fixture = metricManifest['compare-full'];
  const reference = readComplexImage(fixture.reference);
  const estimate = readComplexImage(fixture.estimate);

  it('skips what is switched off', () => {
    const alignment = alignImages(reference, estimate, { register: false, phaseCorrection: 'none', matchScale: false });
    expect(alignment.shiftRows_px).toBe(0);
    expect(alignment.shiftColumns_px).toBe(0);
    expect(alignment.phaseOffset_rad).toBe(0);
    expect(alignment.phaseRampRows_radPerPx).toBe(0);
    expect(alignment.scale).toBe(1);
    expect(Array.from(alignment.aligned.data)).toEqual(Array.from(estimate.data));
  });

  it('removes only the offset when asked', () => {
    const alignment = alignImages(reference, estimate, { phaseCorrection: 'offset' });
    expect(alignment.phaseRampRows_radPerPx).toBe(0);
    expect(alignment.phaseRampColumns_radPerPx).toBe(0);
  });

  it('drops the rows and columns that wrapped around', () => {
    const alignment = alignImages(reference, estimate);
    // Shift (1.6, −2.25): rows 0 and 1 and the last 3 columns came from the opposite edge.
    expect(alignment.mask[0 * 64 + 10]).toBe(0);
    expect(alignment.mask[1 * 64 + 10]).toBe(0);
    expect(alignment.mask[2 * 64 + 10]).toBe(1);
    expect(alignment.mask[10 * 64 + 60]).toBe(1);
    expect(alignment.mask[10 * 64 + 61]).toBe(0);
  });

  it('accepts a rectangle and a boolean mask alike', () => {
    const rectangle = { row: 8, column: 6, height: 40, width: 50 };
    const booleans = Array.from({ length: 64 * 64 }, (_, i) => {
      const row = Math.floor(i / 64);
      const column = i % 64;
      return row >= 8 && row < 48 && column >= 6 && column < 56;
    });
    const fromRectangle = alignImages(reference, estimate, { region: rectangle });
    const fromBooleans = alignImages(reference, estimate, { region: booleans });
    expect(fromRectangle.shiftRows_px).toBe(fromBooleans.shiftRows_px);
    expect(fromRectangle.scale).toBe(fromBooleans.scale);
    expect(Math.abs(fromRectangle.shiftRows_px - fixture.truth.shift_px[0])).toBeLessThanOrEqual(0.05);
    expect(Math.abs(fromRectangle.shiftColumns_px - fixture.truth.shift_px[1])).toBeLessThanOrEqual(0.05);
  });

  it('rejects a rectangle outside the image', () => {
    expect(() => alignImages(reference, estimate, { region: { row: 60, column: 0, height: 10, width: 10 } })).toThrow(
      /inside the 64×64 image/,
    );
  });

  it('rejects an empty mask', () => {
    expect(() => alignImages(reference, estimate, { region: new Uint8Array(64 * 64) })).toThrow(/no pixel/);
  });

  it('rejects a NaN pixel', () => {
    const broken = Float32Array.from(estimate.data);
    broken[2 * (3 * 64 + 5) + 1] = Number.NaN;
    expect(() => alignImages(reference, { data: broken, height: 64, width: 64 })).toThrow(/pixel \(3, 5\) is NaN/);
  });

  it('rejects a data array of the wrong length', () => {
    expect(() => alignImages(reference, { data: new Float32Array(10), height: 64, width: 64 })).toThrow(/8192/);
  });
});
