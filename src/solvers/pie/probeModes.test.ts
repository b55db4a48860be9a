import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { initialProbeModes, orthogonalizeProbeModes, probeModePowerShares, symmetricEigen } from './probeModes';

interface ModesFixture {
  count: number;
  size: number;
  modes: number[];
  orthogonalModes: number[];
  powers: number[];
}

const fixture = JSON.parse(
  readFileSync(resolve(__dirname, '../../../test/fixtures/pie/probe_modes.json'), 'utf8'),
) as ModesFixture;

function modePowers(modes: Float32Array, count: number): number[] {
  const length = modes.length / count;
  return Array.from({ length: count }, (_, mode) => {
    let power = 0;
    for (let i = mode * length; i < (mode + 1) * length; i += 1) power += modes[i] * modes[i];
    return power;
  });
}

/** |<a, b>| / (|a| |b|) for mode `mode` of two stacks: 1 when they differ only by a phase factor. */
function alignment(a: Float32Array, b: Float32Array, mode: number, length: number): number {
  let re = 0;
  let im = 0;
  let normA = 0;
  let normB = 0;
  for (let i = mode * length; i < (mode + 1) * length; i += 2) {
    re += a[i] * b[i] + a[i + 1] * b[i + 1];
    im += a[i + 1] * b[i] - a[i] * b[i + 1];
    normA += a[i] * a[i] + a[i + 1] * a[i + 1];
    normB += b[i] * b[i] + b[i + 1] * b[i + 1];
  }
  return Math.hypot(re, im) / Math.sqrt(normA * normB);
}

describe('orthogonalizeProbeModes', () => {
  const modes = Float32Array.from(fixture.modes);
  const reference = Float32Array.from(fixture.orthogonalModes);
  const result = orthogonalizeProbeModes(modes, fixture.size, fixture.count);

  it('gives the SVD powers in decreasing order', () => {
    const powers = modePowers(result, fixture.count);
    powers.forEach((power, mode) => expect(power).toBeCloseTo(fixture.powers[mode], 2));
    expect(powers[0]).toBeGreaterThan(powers[1]);
    expect(powers[1]).toBeGreaterThan(powers[2]);
  });

  it('gives the SVD modes up to a phase factor', () => {
    const length = fixture.size * fixture.size * 2;
    for (let mode = 0; mode < fixture.count; mode += 1) {
      expect(alignment(result, reference, mode, length)).toBeGreaterThan(1 - 1e-5);
    }
  });

  it('keeps the total intensity at every pixel', () => {
    const pixels = fixture.size * fixture.size;
    for (let p = 0; p < pixels; p += 1) {
      let before = 0;
      let after = 0;
      for (let mode = 0; mode < fixture.count; mode += 1) {
        const i = (mode * pixels + p) * 2;
        before += modes[i] ** 2 + modes[i + 1] ** 2;
        after += result[i] ** 2 + result[i + 1] ** 2;
      }
      expect(after).toBeCloseTo(before, 3);
    }
  });
});

describe('symmetricEigen', () => {
  it('diagonalises a 3×3 matrix with known eigenvalues', () => {
    // Eigenvalues of [[2, 1, 0], [1, 2, 1], [0, 1, 2]] are 2 − √2, 2 and 2 + √2.
    const { values } = symmetricEigen(Float64Array.from([2, 1, 0, 1, 2, 1, 0, 1, 2]), 3);
    const sorted = Array.from(values).sort((a, b) => a - b);
    expect(sorted[0]).toBeCloseTo(2 - Math.SQRT2, 12);
    expect(sorted[1]).toBeCloseTo(2, 12);
    expect(sorted[2]).toBeCloseTo(2 + Math.SQRT2, 12);
  });
});

describe('initialProbeModes', () => {
  const size = 16;
  const probe = new Float32Array(size * size * 2);
  for (let i = 0; i < probe.length; i += 2) probe[i] = 1 + (i % 7) * 0.1;

  it('keeps the total power and gives each extra mode 2 %', () => {
    const modes = initialProbeModes(probe, size, 4);
    const shares = probeModePowerShares(modes, size, 4);
    expect(shares[0]).toBeCloseTo(0.94, 6);
    for (const share of shares.slice(1)) expect(share).toBeCloseTo(0.02, 6);
    const total = modePowers(modes, 4).reduce((sum, power) => sum + power, 0);
    expect(total).toBeCloseTo(modePowers(probe, 1)[0], 1);
  });

  it('rejects a mode count outside 1 to 8', () => {
    expect(() => initialProbeModes(probe, size, 0)).toThrow(/Probe modes must be a whole number from 1 to 8, received 0/);
    expect(() => initialProbeModes(probe, size, 9)).toThrow(/received 9/);
  });
});
