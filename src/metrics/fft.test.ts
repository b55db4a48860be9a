// Checks the any-length float64 FFT against a direct DFT.
import { describe, expect, it } from 'vitest';

import { seededRandom } from '../util/random';
import { fft1d, fft2d, signedFrequencyIndex } from './fft';

function randomArray(length: number, random: () => number): Float64Array {
  return Float64Array.from({ length }, () => 2 * random() - 1);
}

/** Direct DFT of one line, with the sign and scale of fft1d. */
function directDft(re: Float64Array, im: Float64Array, inverse: boolean): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < n; k += 1) {
    for (let j = 0; j < n; j += 1) {
      const angle = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      outRe[k] += re[j] * Math.cos(angle) - im[j] * Math.sin(angle);
      outIm[k] += re[j] * Math.sin(angle) + im[j] * Math.cos(angle);
    }
    if (inverse) {
      outRe[k] /= n;
      outIm[k] /= n;
    }
  }
  return [outRe, outIm];
}

function maxDifference(actual: Float64Array, expected: Float64Array): number {
  let max = 0;
  for (let i = 0; i < expected.length; i += 1) max = Math.max(max, Math.abs(actual[i] - expected[i]));
  return max;
}

describe('metrics fft1d', () => {
  it.each([1, 2, 3, 5, 6, 7, 8, 12, 17, 64, 96, 100])('matches the direct DFT at n=%i', (n) => {
    const random = seededRandom(n);
    const re = randomArray(n, random);
    const im = randomArray(n, random);
    for (const inverse of [false, true]) {
      const [expectedRe, expectedIm] = directDft(re, im, inverse);
      const actualRe = Float64Array.from(re);
      const actualIm = Float64Array.from(im);
      fft1d(actualRe, actualIm, n, inverse);
      expect(maxDifference(actualRe, expectedRe)).toBeLessThan(1e-12 * n);
      expect(maxDifference(actualIm, expectedIm)).toBeLessThan(1e-12 * n);
    }
  });

  it('rejects a length beyond the arrays', () => {
    expect(() => fft1d(new Float64Array(4), new Float64Array(4), 5, false)).toThrow(/positive integer/);
  });
});

describe('metrics fft2d', () => {
  it('matches row then column DFTs on 6x10', () => {
    const height = 6;
    const width = 10;
    const random = seededRandom(7);
    const re = randomArray(height * width, random);
    const im = randomArray(height * width, random);
    const expectedRe = Float64Array.from(re);
    const expectedIm = Float64Array.from(im);
    for (let row = 0; row < height; row += 1) {
      const [lineRe, lineIm] = directDft(
        expectedRe.slice(row * width, (row + 1) * width),
        expectedIm.slice(row * width, (row + 1) * width),
        false,
      );
      expectedRe.set(lineRe, row * width);
      expectedIm.set(lineIm, row * width);
    }
    for (let column = 0; column < width; column += 1) {
      const columnRe = Float64Array.from({ length: height }, (_, row) => expectedRe[row * width + column]);
      const columnIm = Float64Array.from({ length: height }, (_, row) => expectedIm[row * width + column]);
      const [lineRe, lineIm] = directDft(columnRe, columnIm, false);
      for (let row = 0; row < height; row += 1) {
        expectedRe[row * width + column] = lineRe[row];
        expectedIm[row * width + column] = lineIm[row];
      }
    }
    const actualRe = Float64Array.from(re);
    const actualIm = Float64Array.from(im);
    fft2d(actualRe, actualIm, height, width, false);
    expect(maxDifference(actualRe, expectedRe)).toBeLessThan(1e-12);
    expect(maxDifference(actualIm, expectedIm)).toBeLessThan(1e-12);
  });

  it('inverts its forward transform on 96x80', () => {
    const random = seededRandom(11);
    const re = randomArray(96 * 80, random);
    const im = randomArray(96 * 80, random);
    const roundRe = Float64Array.from(re);
    const roundIm = Float64Array.from(im);
    fft2d(roundRe, roundIm, 96, 80, false);
    fft2d(roundRe, roundIm, 96, 80, true);
    expect(maxDifference(roundRe, re)).toBeLessThan(1e-13);
    expect(maxDifference(roundIm, im)).toBeLessThan(1e-13);
  });
});

describe('signedFrequencyIndex', () => {
  it('follows numpy.fft.fftfreq order', () => {
    expect([0, 1, 2, 3].map((k) => signedFrequencyIndex(k, 4))).toEqual([0, 1, -2, -1]);
    expect([0, 1, 2, 3, 4].map((k) => signedFrequencyIndex(k, 5))).toEqual([0, 1, 2, -2, -1]);
  });
});
