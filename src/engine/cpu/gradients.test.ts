// Checks the registered gradients of FFT2 and COMPLEX_MULTIPLY against central finite differences
// of the same losses computed in float64 with a direct DFT in plain JavaScript.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { relativeRms } from '../../../test/fixtures/kernels/load.mjs';
import { complexMultiply, fft2 } from '../ops';
import { registerPhysicsKernels } from '../register';
import { randomValues } from './testValues';

const N = 8;
const STEP = 1e-4;
const TOLERANCE = 1e-5;

/** Unitary 2-D DFT of interleaved n×n fields by the direct sum, in float64. */
function directDft2(x: Float64Array, batch: number, n: number, inverse: boolean): Float64Array {
  const y = new Float64Array(x.length);
  const sign = inverse ? 1 : -1;
  for (let field = 0; field < batch; field += 1) {
    const offset = field * n * n * 2;
    for (let u = 0; u < n; u += 1) {
      for (let v = 0; v < n; v += 1) {
        let re = 0;
        let im = 0;
        for (let r = 0; r < n; r += 1) {
          for (let c = 0; c < n; c += 1) {
            const angle = (sign * 2 * Math.PI * (u * r + v * c)) / n;
            const xr = x[offset + 2 * (r * n + c)];
            const xi = x[offset + 2 * (r * n + c) + 1];
            re += xr * Math.cos(angle) - xi * Math.sin(angle);
            im += xr * Math.sin(angle) + xi * Math.cos(angle);
          }
        }
        y[offset + 2 * (u * n + v)] = re / n;
        y[offset + 2 * (u * n + v) + 1] = im / n;
      }
    }
  }
  return y;
}

/** Complex product of interleaved arrays, reusing a one-field operand for every field. */
function directMultiply(a: Float64Array, b: Float64Array, conjugateA: boolean): Float64Array {
  const length = Math.max(a.length, b.length);
  const y = new Float64Array(length);
  const sign = conjugateA ? -1 : 1;
  for (let i = 0; i < length; i += 2) {
    const ia = i % a.length;
    const ib = i % b.length;
    const ar = a[ia];
    const ai = sign * a[ia + 1];
    y[i] = ar * b[ib] - ai * b[ib + 1];
    y[i + 1] = ar * b[ib + 1] + ai * b[ib];
  }
  return y;
}

/** Σ weights·y², the real scalar loss used by every check here. */
function weightedSquares(y: Float64Array, weights: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < y.length; i += 1) sum += weights[i] * y[i] * y[i];
  return sum;
}

/** Central finite differences of `loss` with respect to every element of `point`. */
function finiteDifferences(loss: (point: Float64Array) => number, point: Float32Array): Float64Array {
  const probe = Float64Array.from(point);
  const gradient = new Float64Array(point.length);
  for (let i = 0; i < point.length; i += 1) {
    probe[i] = point[i] + STEP;
    const up = loss(probe);
    probe[i] = point[i] - STEP;
    const down = loss(probe);
    probe[i] = point[i];
    gradient[i] = (up - down) / (2 * STEP);
  }
  return gradient;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPhysicsKernels();
});

describe('fft2 gradient', () => {
  it.each(['forward', 'inverse'] as const)('matches finite differences (%s)', (direction) => {
    const batch = 2;
    const shape: [number, number, number, number] = [batch, N, N, 2];
    const xValues = randomValues(batch * N * N * 2, 21);
    const weights = randomValues(batch * N * N * 2, 22);
    const weightTensor = tf.tensor4d(weights, shape);

    const gradientOf = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(weightTensor, tf.square(fft2(x as tf.Tensor4D, direction)))));
    const analytic = gradientOf(tf.tensor4d(xValues, shape));
    const numeric = finiteDifferences(
      (x) => weightedSquares(directDft2(x, batch, N, direction === 'inverse'), weights),
      xValues,
    );

    expect(relativeRms(analytic.dataSync(), numeric)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([weightTensor, analytic]);
  });
});

describe('complexMultiply gradient', () => {
  const batch = 3;
  const batchShape = [batch, N, N, 2];
  const fieldShape = [N, N, 2];
  const cases = [
    { name: 'batched a·b', aShape: batchShape, bShape: batchShape, conjugateA: false },
    { name: 'batched conj(a)·b', aShape: batchShape, bShape: batchShape, conjugateA: true },
    { name: 'broadcast a, a·b', aShape: fieldShape, bShape: batchShape, conjugateA: false },
    { name: 'broadcast a, conj(a)·b', aShape: fieldShape, bShape: batchShape, conjugateA: true },
    { name: 'broadcast b, a·b', aShape: batchShape, bShape: fieldShape, conjugateA: false },
    { name: 'broadcast b, conj(a)·b', aShape: batchShape, bShape: fieldShape, conjugateA: true },
    { name: 'unbatched conj(a)·b', aShape: fieldShape, bShape: fieldShape, conjugateA: true },
  ];

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('matches finite differences (%s)', (_name, testCase) => {
    const { aShape, bShape, conjugateA } = testCase;
    const aValues = randomValues(aShape.reduce((p, d) => p * d, 1), 31);
    const bValues = randomValues(bShape.reduce((p, d) => p * d, 1), 32);
    const outputLength = Math.max(aValues.length, bValues.length);
    const outputShape = aShape.length >= bShape.length ? aShape : bShape;
    const weights = randomValues(outputLength, 33);
    const weightTensor = tf.tensor(weights, outputShape);

    const gradientsOf = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(weightTensor, tf.square(complexMultiply(a, b, conjugateA)))),
    );
    const [gradientA, gradientB] = gradientsOf([tf.tensor(aValues, aShape), tf.tensor(bValues, bShape)]);
    const bFixed = Float64Array.from(bValues);
    const aFixed = Float64Array.from(aValues);
    const numericA = finiteDifferences((a) => weightedSquares(directMultiply(a, bFixed, conjugateA), weights), aValues);
    const numericB = finiteDifferences((b) => weightedSquares(directMultiply(aFixed, b, conjugateA), weights), bValues);

    expect(gradientA.shape).toEqual(aShape);
    expect(gradientB.shape).toEqual(bShape);
    expect(relativeRms(gradientA.dataSync(), numericA)).toBeLessThanOrEqual(TOLERANCE);
    expect(relativeRms(gradientB.dataSync(), numericB)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([weightTensor, gradientA, gradientB]);
  });

  it('chains through fft2 of probe·object', () => {
    const batch = 2;
    const probeValues = randomValues(N * N * 2, 41);
    const objectValues = randomValues(batch * N * N * 2, 42);
    const weights = randomValues(batch * N * N * 2, 43);
    const weightTensor = tf.tensor4d(weights, [batch, N, N, 2]);

    const gradientsOf = tf.grads((probe: tf.Tensor, object: tf.Tensor) =>
      tf.sum(tf.mul(weightTensor, tf.square(fft2(complexMultiply<tf.Tensor4D>(probe, object), 'forward')))),
    );
    const [gradientProbe, gradientObject] = gradientsOf([
      tf.tensor3d(probeValues, [N, N, 2]),
      tf.tensor4d(objectValues, [batch, N, N, 2]),
    ]);
    const probeFixed = Float64Array.from(probeValues);
    const objectFixed = Float64Array.from(objectValues);
    const lossOf = (probe: Float64Array, object: Float64Array): number =>
      weightedSquares(directDft2(directMultiply(probe, object, false), batch, N, false), weights);
    const numericProbe = finiteDifferences((probe) => lossOf(probe, objectFixed), probeValues);
    const numericObject = finiteDifferences((object) => lossOf(probeFixed, object), objectValues);

    expect(relativeRms(gradientProbe.dataSync(), numericProbe)).toBeLessThanOrEqual(TOLERANCE);
    expect(relativeRms(gradientObject.dataSync(), numericObject)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([weightTensor, gradientProbe, gradientObject]);
  });
});
