// Checks the PtychoPINN physics layer and Poisson loss against PtychoPINN's own golden vectors,
// and their gradients against central finite differences of a float64 direct-DFT reference.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { relativeRms } from '../../../test/fixtures/kernels/load.mjs';
import { readNpzArray } from '../../data/npz';
import { toFloat32Array } from '../../data/npy';
import { openZip } from '../../data/zip';
import { registerPhysicsKernels } from '../../engine/register';
import { poissonLoss } from './loss';
import { fftshift2d, predictAmplitudesFromAmplitudePhase } from './physics';

const REPOSITORY_ROOT = resolve(import.meta.dirname, '../../..');
const GOLDEN_DIRECTORY = resolve(REPOSITORY_ROOT, '../shared/data/pinn-forward');

interface GoldenCase {
  n: number;
  amplitude: Float32Array;
  phase: Float32Array;
  probe: Float32Array;
  scale: number;
  counts: Float32Array;
  expectedForward: Float32Array;
  expectedPoissonLoss: number;
}

/** Reads one golden case. metadata_json is a NumPy string array, which the reader does not support, so it is skipped. */
function loadGoldenCase(caseName: string): GoldenCase {
  const fileName = `${caseName}.npz`;
  const archive = openZip(readFileSync(resolve(GOLDEN_DIRECTORY, fileName)), fileName);
  const read = (key: string): Float32Array => toFloat32Array(readNpzArray(archive, key));
  const xReal = read('x_real');
  const xImag = read('x_imag');
  const probeReal = read('probe_real');
  const probeImag = read('probe_imag');
  const n = Math.round(Math.sqrt(probeReal.length));
  const amplitude = new Float32Array(n * n);
  const phase = new Float32Array(n * n);
  const probe = new Float32Array(2 * n * n);
  for (let i = 0; i < n * n; i += 1) {
    amplitude[i] = Math.hypot(xReal[i], xImag[i]);
    phase[i] = Math.atan2(xImag[i], xReal[i]);
    probe[2 * i] = probeReal[i];
    probe[2 * i + 1] = probeImag[i];
  }
  return {
    n,
    amplitude,
    phase,
    probe,
    scale: read('scale')[0],
    counts: read('I_raw'),
    expectedForward: read('expected_forward'),
    expectedPoissonLoss: read('expected_poisson_loss')[0],
  };
}

/** ln Γ(k + 1) = Σ_{i=2..k} ln i for the whole-number counts of the fixtures, in float64. */
function logFactorial(k: number): number {
  if (!Number.isInteger(k) || k < 0) throw new Error(`logFactorial: expected a whole count, received ${k}.`);
  let sum = 0;
  for (let i = 2; i <= k; i += 1) sum += Math.log(i);
  return sum;
}

/**
 * Float64 reference of the loss: Σ (λ − k ln(λ + ε)) per pattern over a batch of one, with
 * λ = s²·|fftshift(DFT(P·A·e^{iφ}))|² by the direct unitary DFT.
 */
function referenceLoss(
  amplitude: Float64Array,
  phase: Float64Array,
  probe: Float64Array,
  counts: Float64Array,
  n: number,
  scale: number,
): number {
  const exitRe = new Float64Array(n * n);
  const exitIm = new Float64Array(n * n);
  for (let i = 0; i < n * n; i += 1) {
    const objectRe = amplitude[i] * Math.cos(phase[i]);
    const objectIm = amplitude[i] * Math.sin(phase[i]);
    exitRe[i] = probe[2 * i] * objectRe - probe[2 * i + 1] * objectIm;
    exitIm[i] = probe[2 * i] * objectIm + probe[2 * i + 1] * objectRe;
  }
  let loss = 0;
  for (let u = 0; u < n; u += 1) {
    for (let v = 0; v < n; v += 1) {
      let re = 0;
      let im = 0;
      for (let r = 0; r < n; r += 1) {
        for (let c = 0; c < n; c += 1) {
          const angle = (-2 * Math.PI * (u * r + v * c)) / n;
          re += exitRe[r * n + c] * Math.cos(angle) - exitIm[r * n + c] * Math.sin(angle);
          im += exitRe[r * n + c] * Math.sin(angle) + exitIm[r * n + c] * Math.cos(angle);
        }
      }
      const intensity = (scale * scale * (re * re + im * im + 1e-12 * n * n)) / (n * n);
      const shifted = ((u + n / 2) % n) * n + ((v + n / 2) % n);
      loss += intensity - counts[shifted] * Math.log(intensity + 1e-8);
    }
  }
  return loss;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPhysicsKernels();
});

describe('PtychoPINN physics layer', () => {
  it.each(['c1_bigF', 'c1_bigT_probe'])('%s matches expected_forward', (caseName) => {
    const golden = loadGoldenCase(caseName);
    const { n } = golden;
    expect(golden.expectedForward.length).toBe(n * n);

    // The fixtures use fft2(·, norm="ortho"), the unitary transform that src/engine's fft2 is,
    // so the predicted amplitude is scale·|fftshift(fft2(P·O))| with no further factor.
    const predicted = tf.tidy(() =>
      predictAmplitudesFromAmplitudePhase(
        tf.tensor3d(golden.amplitude, [1, n, n]),
        tf.tensor3d(golden.phase, [1, n, n]),
        tf.tensor3d(golden.probe, [n, n, 2]),
        golden.scale,
      ),
    );
    const amplitudes = predicted.dataSync();
    predicted.dispose();
    const intensity = Float64Array.from(amplitudes, (value) => value * value);
    expect(relativeRms(intensity, golden.expectedForward)).toBeLessThanOrEqual(1e-5);
  });

  it('fftshift2d moves the zero frequency to the centre', () => {
    const values = tf.tidy(() => fftshift2d(tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [1, 4, 4, 1])).dataSync());
    // NumPy: np.fft.fftshift(np.arange(16).reshape(4, 4)).ravel()
    expect(Array.from(values)).toEqual([10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5]);
  });
});

describe('Poisson loss', () => {
  it.each(['c1_bigF', 'c1_bigT_probe', 'c1_bigT_uniform'])('%s matches expected_poisson_loss', (caseName) => {
    const golden = loadGoldenCase(caseName);
    const { n } = golden;
    let constant = 0;
    for (const k of golden.counts) constant += logFactorial(k);

    const loss = tf.tidy(() =>
      poissonLoss(tf.sqrt(tf.tensor3d(golden.expectedForward, [1, n, n])) as tf.Tensor3D, tf.tensor3d(golden.counts, [1, n, n])),
    );
    const value = loss.dataSync()[0] + constant;
    loss.dispose();
    expect(Math.abs(value - golden.expectedPoissonLoss) / Math.abs(golden.expectedPoissonLoss)).toBeLessThanOrEqual(1e-4);
  });

  it.each(['c1_bigF', 'c1_bigT_probe'])('%s from the physics layer matches expected_poisson_loss', (caseName) => {
    const golden = loadGoldenCase(caseName);
    const { n } = golden;
    let constant = 0;
    for (const k of golden.counts) constant += logFactorial(k);

    const loss = tf.tidy(() => {
      const predicted = predictAmplitudesFromAmplitudePhase(
        tf.tensor3d(golden.amplitude, [1, n, n]),
        tf.tensor3d(golden.phase, [1, n, n]),
        tf.tensor3d(golden.probe, [n, n, 2]),
        golden.scale,
      );
      return poissonLoss(predicted, tf.tensor3d(golden.counts, [1, n, n]));
    });
    const value = loss.dataSync()[0] + constant;
    loss.dispose();
    expect(Math.abs(value - golden.expectedPoissonLoss) / Math.abs(golden.expectedPoissonLoss)).toBeLessThanOrEqual(1e-4);
  });

  it('averages the per-pattern sums over the batch', () => {
    const value = tf.tidy(() => {
      const amplitudes = tf.tensor3d([1, 2, 3, 4, 2, 2, 2, 2], [2, 2, 2]);
      const counts = tf.tensor3d([1, 0, 2, 5, 0, 0, 0, 3], [2, 2, 2]);
      return poissonLoss(amplitudes, counts).dataSync()[0];
    });
    // Pattern 1: (1 − 0) + 4 + (9 − 2 ln 9) + (16 − 5 ln 16); pattern 2: 4·4 − 3 ln 4.
    const expected = (1 + 4 + 9 - 2 * Math.log(9) + 16 - 5 * Math.log(16) + 16 - 3 * Math.log(4)) / 2;
    expect(value).toBeCloseTo(expected, 4);
  });
});

describe('physics layer gradients', () => {
  it('match central finite differences of a float64 reference', () => {
    const n = 8;
    const scale = 3;
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const amplitude = Float64Array.from({ length: n * n }, () => 0.3 + 0.7 * random());
    const phase = Float64Array.from({ length: n * n }, () => Math.PI * (2 * random() - 1));
    const probe = Float64Array.from({ length: 2 * n * n }, () => 2 * random() - 1);
    const counts = Float64Array.from({ length: n * n }, () => Math.floor(20 * random()));

    const lossOf = (a: tf.Tensor3D, p: tf.Tensor3D): tf.Scalar =>
      poissonLoss(
        predictAmplitudesFromAmplitudePhase(a, p, tf.tensor3d(Float32Array.from(probe), [n, n, 2]), scale),
        tf.tensor3d(Float32Array.from(counts), [1, n, n]),
      );
    const [gradientAmplitude, gradientPhase] = tf.tidy(() => {
      const gradients = tf.grads((a: tf.Tensor, p: tf.Tensor) => lossOf(a as tf.Tensor3D, p as tf.Tensor3D))([
        tf.tensor3d(Float32Array.from(amplitude), [1, n, n]),
        tf.tensor3d(Float32Array.from(phase), [1, n, n]),
      ]);
      return gradients.map((gradient) => gradient.dataSync());
    });

    const tfLoss = tf.tidy(
      () => lossOf(tf.tensor3d(Float32Array.from(amplitude), [1, n, n]), tf.tensor3d(Float32Array.from(phase), [1, n, n])).dataSync()[0],
    );
    const loss64 = referenceLoss(amplitude, phase, probe, counts, n, scale);
    expect(Math.abs(tfLoss - loss64) / Math.abs(loss64)).toBeLessThan(1e-5);

    const step = 1e-5;
    const numeric = (values: Float64Array, isAmplitude: boolean): Float64Array =>
      Float64Array.from(values, (_, i) => {
        const plus = values.slice();
        const minus = values.slice();
        plus[i] += step;
        minus[i] -= step;
        const lossPlus = isAmplitude
          ? referenceLoss(plus, phase, probe, counts, n, scale)
          : referenceLoss(amplitude, plus, probe, counts, n, scale);
        const lossMinus = isAmplitude
          ? referenceLoss(minus, phase, probe, counts, n, scale)
          : referenceLoss(amplitude, minus, probe, counts, n, scale);
        return (lossPlus - lossMinus) / (2 * step);
      });
    // float32 forward and backward passes against a float64 difference quotient: the relative RMS
    // error is a few 1e-6 in practice, so 1e-4 leaves margin without hiding a wrong factor.
    expect(relativeRms(gradientAmplitude, numeric(amplitude, true))).toBeLessThan(1e-4);
    expect(relativeRms(gradientPhase, numeric(phase, false))).toBeLessThan(1e-4);
  });
});
