// Checks each 'cpu' physics kernel, called through ops.ts, against the NumPy reference cases.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadKernelCases, relativeRms, type FixtureArray, type KernelCase } from '../../../test/fixtures/kernels/load.mjs';
import { complexMultiply, extractPatches, fft2, overlapSum } from '../ops';
import { registerPhysicsKernels } from '../register';

const FFT_TOLERANCE = 1e-5;
const OTHER_TOLERANCE = 1e-6;

function toTensor(array: FixtureArray): tf.Tensor {
  return tf.tensor(array.data, array.shape, array.dtype);
}

function runCase(testCase: KernelCase): tf.Tensor {
  const inputs = testCase.inputs;
  switch (testCase.kernel) {
    case 'fft2':
      return fft2(toTensor(inputs.x) as tf.Tensor4D, 'forward');
    case 'ifft2':
      return fft2(toTensor(inputs.x) as tf.Tensor4D, 'inverse');
    case 'extractPatches':
      return extractPatches(
        toTensor(inputs.object) as tf.Tensor3D,
        toTensor(inputs.positions) as tf.Tensor2D,
        testCase.attrs.size as number,
      );
    case 'overlapSum':
      return overlapSum(
        toTensor(inputs.patches) as tf.Tensor4D,
        toTensor(inputs.positions) as tf.Tensor2D,
        testCase.attrs.height as number,
        testCase.attrs.width as number,
      );
    case 'complexMultiply':
      return complexMultiply(toTensor(inputs.a), toTensor(inputs.b), testCase.attrs.conjugateA as boolean);
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPhysicsKernels();
});

describe('cpu kernels against NumPy', () => {
  const cases = loadKernelCases();

  it('covers every kernel', () => {
    const kernels = new Set(cases.map((testCase) => testCase.kernel));
    expect([...kernels].sort()).toEqual(['complexMultiply', 'extractPatches', 'fft2', 'ifft2', 'overlapSum']);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const actual = tf.tidy(() => runCase(testCase));
    expect(actual.shape).toEqual(testCase.expected.shape);
    const tolerance = testCase.kernel === 'fft2' || testCase.kernel === 'ifft2' ? FFT_TOLERANCE : OTHER_TOLERANCE;
    expect(relativeRms(actual.dataSync(), testCase.expected.data)).toBeLessThanOrEqual(tolerance);
    actual.dispose();
  });
});
