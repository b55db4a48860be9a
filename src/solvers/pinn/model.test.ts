import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { relativeRms } from '../../../test/fixtures/kernels/load.mjs';
import { registerFastCpuConvolutionGradient } from '../../engine/cpu/convolutionGradient';
import { buildPinnModel, NearestUpsampling, pinnParameterCount } from './model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('PtychoPINN model', () => {
  it('has 2 252 098 parameters at N = 64', () => {
    // A 3×3 convolution from c to f channels has 9·c·f + f parameters.
    // Encoder: 1→64→64: 640 + 36 928; 64→128→128: 73 856 + 147 584; 128→256→256: 295 168 + 590 080.
    //   Sum 1 144 256.
    // Each decoder: 256→128→128: 295 040 + 147 584; 128→64→64: 73 792 + 36 928; head 64→1: 577.
    //   Sum 553 921, twice for amplitude and phase: 1 107 842.
    // Total 1 144 256 + 1 107 842 = 2 252 098.
    const model = buildPinnModel({ patternSize: 64 });
    const count = model.countParams();
    model.dispose();
    expect(count).toBe(2_252_098);
    expect(pinnParameterCount({ patternSize: 64 })).toBe(2_252_098);
  });

  it('counts scaled models like tf.layers', () => {
    for (const [patternSize, filterScale] of [
      [32, 1 / 8],
      [16, 1 / 16],
      [64, 1 / 4],
    ]) {
      const model = buildPinnModel({ patternSize, filterScale });
      expect(pinnParameterCount({ patternSize, filterScale })).toBe(model.countParams());
      model.dispose();
    }
  });

  it('predicts a padded central patch', () => {
    const n = 32;
    const model = buildPinnModel({ patternSize: n, filterScale: 1 / 8 });
    const [amplitude, phase] = model.predict(tf.randomUniform([2, n, n, 1], 0, 3, 'float32', 4)) as tf.Tensor4D[];
    expect(amplitude.shape).toEqual([2, n, n, 1]);
    expect(phase.shape).toEqual([2, n, n, 1]);
    const amplitudes = amplitude.dataSync();
    const phases = phase.dataSync();
    tf.dispose([amplitude, phase]);
    model.dispose();

    let outsideMax = 0;
    let insideMin = Infinity;
    let insideMax = -Infinity;
    let phaseMax = 0;
    for (let b = 0; b < 2; b += 1) {
      for (let row = 0; row < n; row += 1) {
        for (let col = 0; col < n; col += 1) {
          const index = (b * n + row) * n + col;
          const inside = row >= n / 4 && row < (3 * n) / 4 && col >= n / 4 && col < (3 * n) / 4;
          if (inside) {
            insideMin = Math.min(insideMin, amplitudes[index]);
            insideMax = Math.max(insideMax, amplitudes[index]);
            phaseMax = Math.max(phaseMax, Math.abs(phases[index]));
          } else {
            outsideMax = Math.max(outsideMax, Math.abs(amplitudes[index]), Math.abs(phases[index]));
          }
        }
      }
    }
    expect(outsideMax).toBe(0);
    expect(insideMin).toBeGreaterThan(0);
    expect(insideMax).toBeLessThan(1);
    expect(phaseMax).toBeLessThan(Math.PI);
  });

  it('follows its gradient downhill in every layer', () => {
    // Stepping one variable v by −η·g with η|g|² = δ must change the loss L = Σ w·outputs by −δ
    // to first order. This caught wrong upsampling gradients that stalled training.
    const n = 16;
    const model = buildPinnModel({ patternSize: n, filterScale: 1 / 8, seed: 7 });
    const input = tf.randomUniform([4, n, n, 1], 0, 3, 'float32', 1);
    const amplitudeWeights = tf.randomNormal([4, n, n, 1], 0, 1, 'float32', 2);
    const phaseWeights = tf.randomNormal([4, n, n, 1], 0, 1, 'float32', 3);
    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const [amplitude, phase] = model.apply(input, { training: true }) as tf.Tensor[];
        return tf.add(tf.sum(tf.mul(amplitude, amplitudeWeights)), tf.sum(tf.mul(phase, phaseWeights))) as tf.Scalar;
      });
    const { value, grads } = tf.variableGrads(loss, variables);
    const before = value.dataSync()[0];
    const delta = 1e-3;

    for (const variable of variables) {
      const gradient = grads[variable.name];
      const squaredNorm = tf.tidy(() => tf.sum(tf.square(gradient)).dataSync()[0]);
      if (squaredNorm === 0) continue;
      const original = tf.clone(variable);
      variable.assign(tf.tidy(() => tf.sub(original, tf.mul(gradient, delta / squaredNorm))));
      const after = tf.tidy(() => loss().dataSync()[0]);
      variable.assign(original);
      original.dispose();
      // ReLU kinks and float32 rounding kept the ratio within 6 % of 1 over unseeded runs. The
      // wrong upsampling gradient gave ratios from −0.2 to 0.7.
      const ratio = (after - before) / -delta;
      expect(ratio, variable.name).toBeGreaterThan(0.8);
      expect(ratio, variable.name).toBeLessThan(1.2);
    }
    tf.dispose([input, amplitudeWeights, phaseWeights, value, ...Object.values(grads)]);
    model.dispose();
  });

  it('rejects a pattern size that is not a multiple of 8', () => {
    expect(() => buildPinnModel({ patternSize: 36 })).toThrow(/multiple of 8/);
  });
});

describe('NearestUpsampling', () => {
  it('repeats pixels and sums 2 × 2 blocks in its gradient', () => {
    const [batch, height, width, channels] = [2, 3, 4, 3];
    const layer = new NearestUpsampling({});
    const input = tf.randomNormal([batch, height, width, channels], 0, 1, 'float32', 21);
    const upstream = tf.randomNormal([batch, 2 * height, 2 * width, channels], 0, 1, 'float32', 22);
    const output = (layer.apply(input) as tf.Tensor).arraySync() as number[][][][];
    const gradient = tf
      .grad((x: tf.Tensor) => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, upstream)))(input)
      .arraySync() as number[][][][];
    const inputs = input.arraySync() as number[][][][];
    const weights = upstream.arraySync() as number[][][][];

    let forwardError = 0;
    let gradientError = 0;
    for (let b = 0; b < batch; b += 1) {
      for (let row = 0; row < 2 * height; row += 1) {
        for (let col = 0; col < 2 * width; col += 1) {
          for (let c = 0; c < channels; c += 1) {
            forwardError = Math.max(forwardError, Math.abs(output[b][row][col][c] - inputs[b][row >> 1][col >> 1][c]));
          }
        }
      }
      for (let row = 0; row < height; row += 1) {
        for (let col = 0; col < width; col += 1) {
          for (let c = 0; c < channels; c += 1) {
            const blockSum =
              weights[b][2 * row][2 * col][c] +
              weights[b][2 * row + 1][2 * col][c] +
              weights[b][2 * row][2 * col + 1][c] +
              weights[b][2 * row + 1][2 * col + 1][c];
            gradientError = Math.max(gradientError, Math.abs(gradient[b][row][col][c] - blockSum));
          }
        }
      }
    }
    expect(forwardError).toBe(0);
    expect(gradientError).toBeLessThan(1e-5);
    tf.dispose([input, upstream]);
  });
});

describe('fast Conv2DBackpropFilter', () => {
  it('matches the stock cpu kernel', () => {
    const cases = [
      { x: [2, 9, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
      { x: [1, 10, 10, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'same' },
      { x: [3, 8, 6, 4], filter: [2, 3, 4, 2], strides: 1, pad: 'valid' },
    ] as const;
    const filterGradient = (testCase: (typeof cases)[number]): Float32Array =>
      tf.tidy(() => {
        const x = tf.randomNormal([...testCase.x], 0, 1, 'float32', 11) as tf.Tensor4D;
        const filter = tf.randomNormal([...testCase.filter], 0, 1, 'float32', 12) as tf.Tensor4D;
        const weights = tf.randomNormal(tf.conv2d(x, filter, testCase.strides, testCase.pad).shape, 0, 1, 'float32', 13);
        const gradient = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, testCase.strides, testCase.pad), weights)));
        return gradient(filter).dataSync() as Float32Array;
      });

    const stock = cases.map(filterGradient);
    registerFastCpuConvolutionGradient();
    const fast = cases.map(filterGradient);
    cases.forEach((_, index) => {
      expect(relativeRms(fast[index], stock[index])).toBeLessThan(1e-6);
    });
  });
});
