// Checks the typed-array FFT of fft.ts on its own, at every supported size, against a separable
// direct DFT in float64.
import { describe, expect, it } from 'vitest';

import { relativeRms } from '../../../test/fixtures/kernels/load.mjs';
import { fft2, getFftPlan, isFftSize } from './fft';
import { randomValues } from './testValues';

/** Unitary 2-D DFT of interleaved n×n fields as a direct 1-D DFT over rows, then over columns. */
function separableDft2(x: Float32Array, batch: number, n: number, inverse: boolean): Float64Array {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let k = 0; k < n; k += 1) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = (inverse ? 1 : -1) * Math.sin((2 * Math.PI * k) / n);
  }
  const result = Float64Array.from(x);
  const lineRe = new Float64Array(n);
  const lineIm = new Float64Array(n);
  for (let field = 0; field < batch; field += 1) {
    for (const [lineStride, elementStride] of [[n, 1], [1, n]]) {
      for (let line = 0; line < n; line += 1) {
        const start = field * n * n + line * lineStride;
        for (let k = 0; k < n; k += 1) {
          let re = 0;
          let im = 0;
          for (let j = 0; j < n; j += 1) {
            const index = 2 * (start + j * elementStride);
            const phase = (j * k) % n;
            re += result[index] * cos[phase] - result[index + 1] * sin[phase];
            im += result[index] * sin[phase] + result[index + 1] * cos[phase];
          }
          lineRe[k] = re / Math.sqrt(n);
          lineIm[k] = im / Math.sqrt(n);
        }
        for (let k = 0; k < n; k += 1) {
          result[2 * (start + k * elementStride)] = lineRe[k];
          result[2 * (start + k * elementStride) + 1] = lineIm[k];
        }
      }
    }
  }
  return result;
}

describe('typed-array fft2', () => {
  const sizes = [2, 4, 8, 16, 32, 64, 128, 256, 512];

  it.each(sizes)('matches the direct DFT at N=%i', (n) => {
    const batch = n <= 64 ? 3 : 1;
    const input = randomValues(batch * n * n * 2, n);
    // The direct DFT costs 2n³ operations, so N=512 checks only the forward direction; the inverse
    // differs from it only in the conjugations that the smaller sizes cover.
    const directions = n < 512 ? [false, true] : [false];
    for (const inverse of directions) {
      const output = new Float32Array(input.length);
      fft2(input, output, batch, n, inverse);
      expect(relativeRms(output, separableDft2(input, batch, n, inverse))).toBeLessThanOrEqual(1e-6);
    }
  });

  it('works in place', () => {
    const n = 32;
    const input = randomValues(2 * n * n * 2, 5);
    const separate = new Float32Array(input.length);
    fft2(input, separate, 2, n, false);
    const inPlace = input.slice();
    fft2(inPlace, inPlace, 2, n, false);
    expect(inPlace).toEqual(separate);
  });

  it('rejects arrays shorter than the batch', () => {
    expect(() => fft2(new Float32Array(100), new Float32Array(128), 1, 8, false)).toThrow(
      'fft2: 1 fields of 8×8 need 128 float32 values, received input 100 and output 128.',
    );
  });

  it('rejects lengths that are not powers of two', () => {
    expect(isFftSize(96)).toBe(false);
    expect(isFftSize(1)).toBe(false);
    expect(isFftSize(1024)).toBe(true);
    expect(() => getFftPlan(96)).toThrow('FFT length must be a power of two of at least 2, received 96.');
  });
});
