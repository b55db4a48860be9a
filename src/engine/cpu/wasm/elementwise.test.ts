import { describe, expect, it } from 'vitest';

import { multiplyComplexFieldsScalar } from '../complexMultiplyKernel';
import { amplitudeResidualScalar, projectModulusScalar } from '../farFieldKernels';
import { addPatchesScalar } from '../patchKernels';
import { applyRegularizedUpdate } from '../updateKernels';
import { getWasmElementwise } from './wasmElementwise';

/** Returns `length` float32 values in [-1, 1) from a fixed linear congruential sequence. */
function pseudoRandom(length: number, seed: number): Float32Array {
  const values = new Float32Array(length);
  let state = seed;
  for (let i = 0; i < length; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** Returns the index of the first value whose bits differ, or -1 when all agree. */
function firstDifference(actual: Float32Array, expected: Float32Array): number {
  const actualBits = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const expectedBits = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < actualBits.length; i += 1) {
    if (actualBits[i] !== expectedBits[i]) return i;
  }
  return -1;
}

describe('element-wise WebAssembly SIMD module', () => {
  const simd = getWasmElementwise();

  it('compiles in Node', () => {
    expect(simd).not.toBeNull();
  });

  const fieldLength = 2 * 6 * 6;
  const batch = 3;
  for (const conjugateA of [false, true]) {
    for (const [label, aLength, bLength] of [
      ['batch by batch', batch * fieldLength, batch * fieldLength],
      ['field by batch', fieldLength, batch * fieldLength],
      ['batch by field', batch * fieldLength, fieldLength],
    ] as const) {
      it(`multiplies ${label}${conjugateA ? ' conjugated' : ''} bit for bit`, () => {
        const a = pseudoRandom(aLength, 1);
        const b = pseudoRandom(bLength, 2);
        const expected = new Float32Array(batch * fieldLength);
        const actual = new Float32Array(batch * fieldLength);
        multiplyComplexFieldsScalar(a, b, expected, batch, fieldLength, conjugateA);
        simd?.multiplyComplexFields(a, b, actual, batch, fieldLength, conjugateA);
        expect(firstDifference(actual, expected)).toBe(-1);
      });
    }
  }

  const size = 4;
  const height = 9;
  const width = 7;
  // Overlapping windows, one of them at the far corner, so sums of several patches are compared.
  const positions = new Int32Array([0, 0, 1, 2, 5, 3, 2, 1, 0, 0]);
  const count = positions.length / 2;
  for (const singlePatch of [false, true]) {
    it(`adds ${singlePatch ? 'one patch at every position' : 'a batch of patches'} bit for bit`, () => {
      const patchStride = singlePatch ? 0 : 2 * size * size;
      const patches = pseudoRandom(singlePatch ? 2 * size * size : count * patchStride, 3);
      const expected = new Float32Array(2 * height * width);
      const actual = new Float32Array(2 * height * width).fill(7);
      addPatchesScalar(patches, positions, expected, count, size, width, patchStride);
      simd?.addPatches(patches, positions, actual, count, size, width, patchStride);
      expect(firstDifference(actual, expected)).toBe(-1);
    });
  }

  const pixels = 50;
  const farField = pseudoRandom(2 * pixels, 4);
  // Zero pixels take the fixed-phase branch, and tiny ones test the float64 modulus.
  farField.set([0, 0], 0);
  farField.set([1e-30, -1e-30], 10);
  farField.set([0, -0], 20);
  const amplitudes = pseudoRandom(pixels, 5).map(Math.abs);
  for (const returnDifference of [false, true]) {
    it(`projects the modulus${returnDifference ? ' as a difference' : ''} bit for bit`, () => {
      const expected = new Float32Array(2 * pixels);
      const actual = new Float32Array(2 * pixels);
      projectModulusScalar(farField, amplitudes, expected, returnDifference);
      simd?.projectModulus(farField, amplitudes, actual, returnDifference);
      expect(firstDifference(actual, expected)).toBe(-1);
    });
  }

  it('computes the amplitude residual bit for bit', () => {
    const expected = new Float32Array(pixels);
    const actual = new Float32Array(pixels);
    amplitudeResidualScalar(farField, amplitudes, expected);
    simd?.amplitudeResidual(farField, amplitudes, actual);
    expect(firstDifference(actual, expected)).toBe(-1);
  });

  it('applies the regularized update bit for bit', () => {
    const length = 2 * 40;
    const x = pseudoRandom(length, 8);
    const numerator = pseudoRandom(length, 9);
    const weights = pseudoRandom(length, 10).map(Math.abs);
    // A zero weight with no regularization takes the 1e-30 floor.
    weights[6] = 0;
    const expected = new Float32Array(length);
    const actual = new Float32Array(length);
    for (const [step, localShare, regularizedMax] of [
      [1, 0.1, 0.9 * 0.75],
      [0.5, 1, 0],
    ]) {
      applyRegularizedUpdate(x, numerator, weights, expected, step, localShare, regularizedMax);
      simd?.applyRegularizedUpdate(x, numerator, weights, actual, step, localShare, regularizedMax);
      expect(firstDifference(actual, expected)).toBe(-1);
    }
  });
});
