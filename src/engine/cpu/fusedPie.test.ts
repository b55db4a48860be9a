import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  amplitudeResidual,
  complexMultiply,
  conjugateProductSum,
  extractPatches,
  fft2,
  modulusCorrection,
  overlapSum,
  regularizedUpdate,
} from '../ops';
import { binIntensities, spreadToFineGrid } from '../../solvers/pie/farField';
import { MAX_PROBE_MODES } from '../../solvers/pie/probeModes';
import { registerPhysicsKernels } from '../register';
import {
  FusedPieUpdate,
  isFusedPieAvailable,
  MAX_FUSED_PROBE_MODES,
  type FusedPieBatch,
  type PieUpdateWeights,
} from './fusedPie';
import { randomValues } from './testValues';

const RPIE: PieUpdateWeights = { objectWeight: 0.1, objectStep: 1, probeWeight: 0.2, probeStep: 1 };
const EPIE: PieUpdateWeights = { objectWeight: 1, objectStep: 0.9, probeWeight: 1, probeStep: 0.7 };

interface Case {
  height: number;
  width: number;
  size: number;
  batchSizes: number[];
  seed: number;
  /** Probe modes K; 1 unless given. */
  modes?: number;
  /** Far-field upsampling U; `size` is then the window M = U·N. */
  upsampling?: 1 | 2;
}

/** Builds a random object near 1, a random probe, and batches at random positions with random amplitudes. */
function makeCase({ height, width, size, batchSizes, seed, modes = 1, upsampling = 1 }: Case) {
  const object = randomValues(height * width * 2, seed).map((value, i) => (i % 2 === 0 ? 1 + 0.3 * value : 0.3 * value));
  // Later modes are weaker, as after orthogonalisation.
  const modeLength = size * size * 2;
  const probe = randomValues(modes * modeLength, seed + 1).map((value, i) => (2 * value) / (1 + Math.floor(i / modeLength)));
  const patternPixels = (size / upsampling) ** 2;
  let next = seed + 2;
  const batches: FusedPieBatch[] = batchSizes.map((count) => {
    const positions = new Int32Array(2 * count);
    const corners = randomValues(2 * count, next);
    for (let k = 0; k < count; k += 1) {
      positions[2 * k] = Math.floor(((corners[2 * k] + 1) / 2) * (height - size + 1));
      positions[2 * k + 1] = Math.floor(((corners[2 * k + 1] + 1) / 2) * (width - size + 1));
    }
    const amplitudes = randomValues(count * patternPixels, next + 1).map((value) => 3 * upsampling * Math.abs(value));
    next += 2;
    return { amplitudes, positions };
  });
  return { object, probe, batches };
}

/** Runs PieSolver's composed-kernel batch update for one probe mode on the 'cpu' backend. */
function composedBatch(
  object: tf.Tensor3D,
  probe: tf.Tensor3D,
  batch: FusedPieBatch,
  size: number,
  updateProbe: boolean,
  weights: PieUpdateWeights,
): [tf.Tensor3D, tf.Tensor3D, number] {
  const [height, width] = object.shape;
  const count = batch.positions.length / 2;
  const [nextObject, nextProbe, residual] = tf.tidy(() => {
    const positions = tf.tensor2d(batch.positions, [count, 2], 'int32');
    const amplitudes = tf.tensor3d(batch.amplitudes, [count, size, size]);
    const patches = extractPatches(object, positions, size);
    const farField = fft2(complexMultiply<tf.Tensor4D>(probe, patches), 'forward');
    const residual = tf.sum(amplitudeResidual(farField, amplitudes));
    const difference = fft2(modulusCorrection(farField, amplitudes), 'inverse');
    const numerator = overlapSum(complexMultiply<tf.Tensor4D>(probe, difference, true), positions, height, width);
    const coverage = overlapSum(complexMultiply<tf.Tensor3D>(probe, probe, true), positions, height, width);
    const nextObject = regularizedUpdate(
      object,
      numerator,
      coverage,
      tf.max(coverage) as tf.Scalar,
      weights.objectStep,
      weights.objectWeight,
    );
    let nextProbe = probe;
    if (updateProbe) {
      const power = conjugateProductSum(patches, patches);
      nextProbe = regularizedUpdate(
        probe,
        conjugateProductSum(patches, difference),
        power,
        tf.max(power) as tf.Scalar,
        weights.probeStep,
        weights.probeWeight,
      );
    }
    return [nextObject, tf.clone(nextProbe), residual] as const;
  });
  const residualValue = residual.dataSync()[0];
  residual.dispose();
  return [nextObject, nextProbe, residualValue];
}

/**
 * Runs PieSolver's composed-kernel batch update for K probe modes [K, M, M, 2] and far-field
 * upsampling U, with the formulas of its exitWaveChangeModes and exitWaveChangeUpsampled.
 */
function composedModesBatch(
  object: tf.Tensor3D,
  probes: tf.Tensor4D,
  batch: FusedPieBatch,
  upsampling: 1 | 2,
  updateProbe: boolean,
  weights: PieUpdateWeights,
): [tf.Tensor3D, tf.Tensor4D, number] {
  const [height, width] = object.shape;
  const [modes, size] = probes.shape;
  const patternSize = size / upsampling;
  const count = batch.positions.length / 2;
  const [nextObject, nextProbes, residual] = tf.tidy(() => {
    const positions = tf.tensor2d(batch.positions, [count, 2], 'int32');
    const amplitudes = tf.tensor3d(batch.amplitudes, [count, patternSize, patternSize]);
    const patches = extractPatches(object, positions, size);
    const probeList = tf.unstack(probes) as tf.Tensor3D[];
    const farFields = probeList.map((probe) => fft2(complexMultiply<tf.Tensor4D>(probe, patches), 'forward'));
    const zeros = tf.zeros([count, size, size]) as tf.Tensor3D;
    const intensities = farFields.map((farField) => amplitudeResidual(farField, zeros));
    const fineIntensity = modes === 1 ? intensities[0] : tf.addN(intensities);
    const modulus = tf.sqrt(upsampling === 1 ? fineIntensity : binIntensities(fineIntensity, upsampling));
    const residual = tf.sum(tf.squaredDifference(modulus, amplitudes));
    const factor = tf.div(amplitudes, tf.maximum(modulus, 1e-30));
    let differences: tf.Tensor4D[];
    if (upsampling === 1) {
      differences = farFields.map((farField, mode) => {
        const target = tf.mul(factor, tf.sqrt(intensities[mode])) as tf.Tensor3D;
        return fft2(modulusCorrection(farField, target), 'inverse');
      });
    } else {
      const scale = tf.stack([tf.sub(factor, 1), tf.zerosLike(factor)], 3) as tf.Tensor4D;
      const fineScale = spreadToFineGrid(scale, upsampling);
      differences = farFields.map((farField) => fft2(complexMultiply<tf.Tensor4D>(fineScale, farField), 'inverse'));
    }
    const weighted = probeList.map((probe, mode) => complexMultiply<tf.Tensor4D>(probe, differences[mode], true));
    const numerator = overlapSum(modes === 1 ? weighted[0] : tf.addN(weighted), positions, height, width);
    const powers = probeList.map((probe) => complexMultiply<tf.Tensor3D>(probe, probe, true));
    const coverage = overlapSum(modes === 1 ? powers[0] : tf.addN(powers), positions, height, width);
    const nextObject = regularizedUpdate(
      object,
      numerator,
      coverage,
      tf.max(coverage) as tf.Scalar,
      weights.objectStep,
      weights.objectWeight,
    );
    let nextProbes = tf.clone(probes);
    if (updateProbe) {
      const power = conjugateProductSum(patches, patches);
      const maxPower = tf.max(power) as tf.Scalar;
      const updated = probeList.map((probe, mode) =>
        regularizedUpdate(
          probe,
          conjugateProductSum(patches, differences[mode]),
          power,
          maxPower,
          weights.probeStep,
          weights.probeWeight,
        ),
      );
      nextProbes = tf.stack(updated) as tf.Tensor4D;
    }
    return [nextObject, nextProbes, residual] as const;
  });
  const residualValue = residual.dataSync()[0];
  residual.dispose();
  return [nextObject, nextProbes, residualValue];
}

/** Largest |a − b| relative to the largest |b|. */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i += 1) {
    difference = Math.max(difference, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return difference / scale;
}

/** Number of positions where `a` and `b` differ in their bits. */
function countDifferentBits(a: Float32Array, b: Float32Array): number {
  const aBits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bBits = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let different = 0;
  for (let i = 0; i < aBits.length; i += 1) if (aBits[i] !== bBits[i]) different += 1;
  return different;
}

/**
 * Runs two passes over the batches, last batch first, through the fused update and through
 * `composedStep`, checks each batch's residual, and returns the composed object and probe values.
 */
function runBothPaths(
  fused: FusedPieUpdate,
  startObject: tf.Tensor3D,
  startProbe: tf.Tensor,
  batchCount: number,
  composedStep: (object: tf.Tensor3D, probe: tf.Tensor, index: number) => readonly [tf.Tensor3D, tf.Tensor, number],
  updateProbe: boolean,
  weights: PieUpdateWeights,
): [Float32Array, Float32Array] {
  let objectTensor = startObject;
  let probeTensor = startProbe;
  const order = [...Array(batchCount).keys()].reverse();
  for (const pass of [0, 1]) {
    for (const index of order) {
      const fusedResidual = fused.updateBatch(index, updateProbe, weights);
      const [nextObject, nextProbe, residual] = composedStep(objectTensor, probeTensor, index);
      objectTensor.dispose();
      probeTensor.dispose();
      objectTensor = nextObject;
      probeTensor = nextProbe;
      expect(Math.abs(fusedResidual - residual), `residual, pass ${pass}, batch ${index}`).toBeLessThanOrEqual(
        1e-5 * residual,
      );
    }
  }
  const values: [Float32Array, Float32Array] = [
    objectTensor.dataSync() as Float32Array,
    probeTensor.dataSync() as Float32Array,
  ];
  objectTensor.dispose();
  probeTensor.dispose();
  return values;
}

describe('FusedPieUpdate', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerPhysicsKernels();
  });

  it('is available in Node', () => {
    expect(isFusedPieAvailable()).toBe(true);
  });

  const cases = [
    { name: 'rPIE with probe update', weights: RPIE, updateProbe: true, size: 16, batchSizes: [5, 5, 3] },
    { name: 'rPIE without probe update', weights: RPIE, updateProbe: false, size: 16, batchSizes: [4, 4] },
    { name: 'ePIE with probe update', weights: EPIE, updateProbe: true, size: 32, batchSizes: [6, 6, 2] },
    { name: 'ePIE without probe update', weights: EPIE, updateProbe: false, size: 8, batchSizes: [7, 1] },
  ];
  for (const [caseIndex, { name, weights, updateProbe, size, batchSizes }] of cases.entries()) {
    it(`matches the composed kernels, ${name}`, () => {
      const height = 3 * size + 5;
      const width = 2 * size + 7;
      const { object, probe, batches } = makeCase({ height, width, size, batchSizes, seed: 100 * caseIndex + 7 });
      const fused = new FusedPieUpdate(object, height, width, probe, size, batches);
      const [composedObject, composedProbe] = runBothPaths(
        fused,
        tf.tensor3d(object, [height, width, 2]),
        tf.tensor3d(probe, [size, size, 2]),
        batches.length,
        (objectTensor, probeTensor, index) =>
          composedBatch(objectTensor, probeTensor as tf.Tensor3D, batches[index], size, updateProbe, weights),
        updateProbe,
        weights,
      );

      // The fused products round in float32 where the composed kernels round once from float64.
      expect(relativeDifference(fused.readObject(), composedObject)).toBeLessThan(1e-5);
      expect(relativeDifference(fused.readProbe(), composedProbe)).toBeLessThan(1e-5);
      if (!updateProbe) expect(countDifferentBits(fused.readProbe(), probe)).toBe(0);
    });
  }

  const modeCases = [
    { name: '2 modes, rPIE with probe update', weights: RPIE, updateProbe: true, modes: 2, upsampling: 1 as const, size: 16 },
    { name: '3 modes, ePIE with probe update', weights: EPIE, updateProbe: true, modes: 3, upsampling: 1 as const, size: 32 },
    { name: '3 modes, rPIE without probe update', weights: RPIE, updateProbe: false, modes: 3, upsampling: 1 as const, size: 8 },
    { name: 'upsampled, 1 mode, rPIE with probe update', weights: RPIE, updateProbe: true, modes: 1, upsampling: 2 as const, size: 16 },
    { name: 'upsampled, 1 mode, ePIE without probe update', weights: EPIE, updateProbe: false, modes: 1, upsampling: 2 as const, size: 32 },
    { name: 'upsampled, 3 modes, ePIE with probe update', weights: EPIE, updateProbe: true, modes: 3, upsampling: 2 as const, size: 16 },
    { name: 'upsampled, 2 modes, rPIE without probe update', weights: RPIE, updateProbe: false, modes: 2, upsampling: 2 as const, size: 8 },
  ];
  for (const [caseIndex, { name, weights, updateProbe, modes, upsampling, size }] of modeCases.entries()) {
    it(`matches the composed kernels, ${name}`, () => {
      const height = 3 * size + 5;
      const width = 2 * size + 7;
      const batchSizes = [5, 4, 2];
      const seed = 100 * caseIndex + 31;
      const { object, probe, batches } = makeCase({ height, width, size, batchSizes, seed, modes, upsampling });
      const fused = new FusedPieUpdate(object, height, width, probe, size, batches, {
        probeModes: modes,
        farFieldUpsampling: upsampling,
      });
      const [composedObject, composedProbes] = runBothPaths(
        fused,
        tf.tensor3d(object, [height, width, 2]),
        tf.tensor4d(probe, [modes, size, size, 2]),
        batches.length,
        (objectTensor, probeTensor, index) =>
          composedModesBatch(objectTensor, probeTensor as tf.Tensor4D, batches[index], upsampling, updateProbe, weights),
        updateProbe,
        weights,
      );

      expect(relativeDifference(fused.readObject(), composedObject)).toBeLessThan(1e-5);
      const fusedModes = fused.readProbeModes();
      const modeLength = size * size * 2;
      for (let mode = 0; mode < modes; mode += 1) {
        const range = [mode * modeLength, (mode + 1) * modeLength] as const;
        expect(
          relativeDifference(fusedModes.subarray(...range), composedProbes.subarray(...range)),
          `mode ${mode}`,
        ).toBeLessThan(1e-5);
      }
      if (!updateProbe) expect(countDifferentBits(fusedModes, probe)).toBe(0);
      expect(fused.readProbe()).toEqual(fusedModes.subarray(0, modeLength));
    });
  }

  it('writes probe modes back', () => {
    const size = 8;
    const { object, probe, batches } = makeCase({ height: 30, width: 30, size, batchSizes: [3], seed: 9, modes: 3 });
    const fused = new FusedPieUpdate(object, 30, 30, probe, size, batches, { probeModes: 3 });
    expect(countDifferentBits(fused.readProbeModes(), probe)).toBe(0);
    const replacement = probe.map((value) => 0.5 * value + 1);
    fused.writeProbeModes(replacement);
    expect(countDifferentBits(fused.readProbeModes(), replacement)).toBe(0);
    expect(() => fused.writeProbeModes(new Float32Array(size * size * 2))).toThrow(/expected 3 probe modes/);
  });

  it('takes as many modes as PieSolver', () => {
    expect(MAX_FUSED_PROBE_MODES).toBe(MAX_PROBE_MODES);
  });

  it('rejects unsupported modes and upsampling', () => {
    const size = 8;
    const { object, probe, batches } = makeCase({ height: 20, width: 20, size, batchSizes: [1], seed: 4 });
    expect(() => new FusedPieUpdate(object, 20, 20, probe, size, batches, { probeModes: 0 })).toThrow(/probe modes/);
    expect(
      () => new FusedPieUpdate(object, 20, 20, probe, size, batches, { farFieldUpsampling: 3 as 2 }),
    ).toThrow(/upsampling must be 1 or 2/);
    // A 12-pixel window with U = 2 means 6-pixel patterns, which the kernel cannot split into fours.
    const odd = makeCase({ height: 20, width: 20, size: 12, batchSizes: [1], seed: 4 });
    expect(
      () => new FusedPieUpdate(odd.object, 20, 20, odd.probe, 12, [], { farFieldUpsampling: 2 }),
    ).toThrow(/multiple of 4/);
  });

  it('reports its memory size', () => {
    // The memory contains at least the amplitudes, the object, its update sums and the probe.
    const size = 16;
    const { object, probe, batches } = makeCase({ height: 50, width: 41, size, batchSizes: [6, 6], seed: 5 });
    const fused = new FusedPieUpdate(object, 50, 41, probe, size, batches);
    const amplitudeBytes = 12 * size * size * 4;
    const objectBytes = 50 * 41 * 2 * 4;
    expect(fused.memoryBytes).toBeGreaterThanOrEqual(amplitudeBytes + 2 * objectBytes + size * size * 2 * 4);
    expect(fused.memoryBytes % 65536).toBe(0);
  });

  it('gives the same bits on a second run', () => {
    const size = 16;
    const { object, probe, batches } = makeCase({ height: 50, width: 41, size, batchSizes: [6, 6], seed: 3 });
    const results = [0, 1].map(() => {
      const fused = new FusedPieUpdate(object, 50, 41, probe, size, batches);
      const residuals = [0, 1, 0, 1].map((index) => fused.updateBatch(index, true, RPIE));
      return { residuals, object: fused.readObject(), probe: fused.readProbe() };
    });
    expect(results[1].residuals).toEqual(results[0].residuals);
    expect(countDifferentBits(results[1].object, results[0].object)).toBe(0);
    expect(countDifferentBits(results[1].probe, results[0].probe)).toBe(0);
  });

  it('addresses an 8192² object exactly', () => {
    // The same two windows, at the corners of an 8192² object and of a 16² one, get the same update.
    const size = 8;
    const large = 8192;
    const small = 16;
    const { object: smallObject, probe, batches } = makeCase({ height: small, width: small, size, batchSizes: [2], seed: 11 });
    batches[0].positions.set([0, 0, small - size, small - size]);
    const largeObject = new Float32Array(large * large * 2);
    for (let row = 0; row < size; row += 1) {
      const smallTop = smallObject.subarray(2 * row * small, 2 * (row * small + size));
      const smallBottom = smallObject.subarray(2 * ((row + size) * small + size), 2 * ((row + size) * small + small));
      largeObject.set(smallTop, 2 * row * large);
      largeObject.set(smallBottom, 2 * ((row + large - size) * large + large - size));
    }
    const largeBatch = { amplitudes: batches[0].amplitudes, positions: new Int32Array([0, 0, large - size, large - size]) };

    const smallRun = new FusedPieUpdate(smallObject, small, small, probe, size, batches);
    const largeRun = new FusedPieUpdate(largeObject, large, large, probe, size, [largeBatch]);
    expect(largeRun.updateBatch(0, true, RPIE)).toBe(smallRun.updateBatch(0, true, RPIE));

    const smallResult = smallRun.readObject();
    const largeResult = largeRun.readObject();
    for (let row = 0; row < size; row += 1) {
      const bottomRow = row + large - size;
      const largeTop = largeResult.subarray(2 * row * large, 2 * (row * large + size));
      const smallTop = smallResult.subarray(2 * row * small, 2 * (row * small + size));
      const largeBottom = largeResult.subarray(2 * (bottomRow * large + large - size), 2 * (bottomRow * large + large));
      const smallBottom = smallResult.subarray(2 * ((row + size) * small + size), 2 * ((row + size) * small + small));
      expect(countDifferentBits(largeTop, smallTop), `top-left row ${row}`).toBe(0);
      expect(countDifferentBits(largeBottom, smallBottom), `bottom-right row ${row}`).toBe(0);
    }
    expect(countDifferentBits(largeRun.readProbe(), smallRun.readProbe())).toBe(0);
  }, 60_000);

  it('rejects a window outside the object', () => {
    const size = 8;
    const { object, probe } = makeCase({ height: 20, width: 20, size, batchSizes: [], seed: 5 });
    const batch = { amplitudes: new Float32Array(size * size), positions: new Int32Array([13, 0]) };
    expect(() => new FusedPieUpdate(object, 20, 20, probe, size, [batch])).toThrow(/does not lie inside/);
  });

  it('rejects a window size not a multiple of 4', () => {
    const object = new Float32Array(20 * 20 * 2);
    expect(() => new FusedPieUpdate(object, 20, 20, new Float32Array(7 * 7 * 2), 7, [])).toThrow(/multiple of 4/);
  });
});
