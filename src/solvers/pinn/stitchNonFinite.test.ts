import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { buildPinnModel } from './model';
import { NonFiniteObjectError, predictPatches, stitchPatches, type PredictedPatches } from './stitch';

const N = 8;
const rows = Float32Array.from([0, 2, 4]);
const cols = Float32Array.from([0, 3, 1]);

function uniformPatches(count: number): PredictedPatches {
  return { amplitude: new Float32Array(count * N * N).fill(0.5), phase: new Float32Array(count * N * N).fill(0.1) };
}

describe('stitchPatches non-finite predictions', () => {
  it('rejects NaN in a kept region', () => {
    const patches = uniformPatches(3);
    // Row 3, column 4 of pattern 1 lies in the central N/2 × N/2 that is kept.
    patches.amplitude[N * N + 3 * N + 4] = Number.NaN;
    const stitch = () => stitchPatches(patches, 3, N, rows, cols);
    expect(stitch).toThrow(NonFiniteObjectError);
    expect(stitch).toThrow(/^The network predicted NaN or infinite values for 1 of 3 patterns, so the stitched object is invalid\./);
  });

  it('rejects an infinite phase', () => {
    const patches = uniformPatches(3);
    patches.phase[2 * N * N + 4 * N + 3] = Number.POSITIVE_INFINITY;
    expect(() => stitchPatches(patches, 3, N, rows, cols)).toThrow(/for 1 of 3 patterns/);
  });

  it('ignores NaN outside the kept region', () => {
    const patches = uniformPatches(3);
    patches.amplitude[0] = Number.NaN;
    const stitched = stitchPatches(patches, 3, N, rows, cols);
    expect(stitched.object.every(Number.isFinite)).toBe(true);
  });
});

describe('predictPatches with NaN weights', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives patches that stitching rejects', async () => {
    const patternSize = 16;
    const model = buildPinnModel({ patternSize, filterScale: 0.125 });
    const nanWeights = model.getWeights().map((weight) => tf.fill(weight.shape, Number.NaN));
    model.setWeights(nanWeights);
    tf.dispose(nanWeights);
    const amplitudes = new Float32Array(3 * patternSize * patternSize).fill(1);
    const patches = await predictPatches(model, amplitudes, 3, patternSize);
    model.dispose();
    expect(() => stitchPatches(patches, 3, patternSize, rows, cols)).toThrow(/for 3 of 3 patterns/);
  });
});
