// Times PtychoPINN training and whole-scan inference on the tfjs 'cpu' backend in Node, on the
// bundled Siemens-star scan at N = 64, batch 16, filterScale 1/8 (PINN_CPU_FILTER_SCALE sets
// another width), with the convolution kernels used before the WebAssembly SIMD ones (stock tfjs,
// with the flat-array JavaScript filter gradient) or with the WebAssembly SIMD ones:
//   PINN_CPU_KERNELS=stock npx vitest bench --run src/solvers/pinn/pinnCpu.bench.ts
//   PINN_CPU_KERNELS=wasm  npx vitest bench --run src/solvers/pinn/pinnCpu.bench.ts
// PINN_CPU_FLAT_KERNELS=stock keeps the stock tfjs kernels that flatArrayKernels.ts replaces
// (Slice, SplitV, MaxPoolGrad, Sum, Add and others), to time the state before that change.
// Each variant runs once (one warm-up and one timed training epoch of 64 patterns, then one
// warm-up batch and one timed inference of every pattern) and prints its figures. The bench
// table's own timing is of that whole run. Browsers run the same code in `npm run bench`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { bench } from 'vitest';

import { readSiemensStarNpz } from '../../data/siemensStar';
import { firstPatterns } from '../../data/subset';
import { registerFastCpuConvolutionGradient } from '../../engine/cpu/convolutionGradient';
import { registerFastCpuConvolutionKernels } from '../../engine/cpu/convolutionKernels';
import { registerFlatArrayCpuKernels } from '../../engine/cpu/flatArrayKernels';
import { registerPhysicsKernels } from '../../engine/register';
import { preparePinnData } from './dataPrep';
import { predictPatches, reconstructObject } from './stitch';
import { PinnTrainer } from './train';

const kernels = process.env.PINN_CPU_KERNELS ?? 'wasm';
const flatKernels = process.env.PINN_CPU_FLAT_KERNELS ?? 'flat';
const TRAINING_PATTERNS = 64;
const BATCH_SIZE = 16;
/** Network width; PINN_CPU_FILTER_SCALE=1 times the published network. */
const FILTER_SCALE = Number(process.env.PINN_CPU_FILTER_SCALE ?? 0.125);

/**
 * Puts back the kernels that PtychoPINN used on 'cpu' before the WebAssembly ones: the stock
 * Conv2D, FusedConv2D and Conv2DBackpropInput and the flat-array JavaScript Conv2DBackpropFilter.
 * PinnTrainer and predictPatches register the WebAssembly kernels themselves, but only once per
 * realm, so registering them here first and then restoring the captured kernels keeps the latter.
 */
function useStockConvolutionKernels(): void {
  registerFastCpuConvolutionGradient();
  const names = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  const configs = names.map((name) => {
    const config = tf.getKernel(name, 'cpu');
    if (config === undefined) throw new Error(`No ${name} kernel on the cpu backend.`);
    return config;
  });
  registerFastCpuConvolutionKernels();
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, 'cpu');
    tf.registerKernel(config);
  }
}

/** Registers the flat-array kernels and puts the stock ones back, so that PinnTrainer keeps the latter. */
function useStockFlatArrayKernels(): void {
  const names = ['Slice', 'SplitV', 'Unpack', 'PadV2', 'GatherV2', 'Concat', 'MaxPool', 'MaxPoolGrad', 'Sum', 'Add', 'Multiply', 'Relu', 'Step'];
  const configs = names.map((name) => {
    const config = tf.getKernel(name, 'cpu');
    if (config === undefined) throw new Error(`No ${name} kernel on the cpu backend.`);
    return { ...config };
  });
  registerFlatArrayCpuKernels();
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, 'cpu');
    tf.registerKernel(config);
  }
}

async function runOnce(): Promise<void> {
  await tf.setBackend('cpu');
  registerPhysicsKernels();
  if (kernels === 'stock') {
    useStockConvolutionKernels();
  } else {
    registerFastCpuConvolutionKernels();
  }
  if (flatKernels === 'stock') useStockFlatArrayKernels();
  const npz = readFileSync(join(import.meta.dirname, '..', '..', '..', 'public', 'data', 'siemens-star.npz'));
  const dataset = readSiemensStarNpz(npz, 'siemens-star.npz');
  const trainingData = await preparePinnData(firstPatterns(dataset, TRAINING_PATTERNS), { patternSize: 64 });

  const trainer = new PinnTrainer(trainingData, {
    batchSize: BATCH_SIZE,
    filterScale: FILTER_SCALE,
    validationFraction: 0,
    earlyStoppingPatience: 0,
  });
  const epochSeconds: number[] = [];
  await trainer.train(2, {
    onEpochEnd: (report) => {
      epochSeconds.push(report.duration_s);
    },
  });
  const model = trainer.releaseModel();

  const data = await preparePinnData(dataset, { patternSize: 64 });
  await predictPatches(model, data.amplitudes.subarray(0, BATCH_SIZE * 64 * 64), BATCH_SIZE, 64, BATCH_SIZE);
  const tensorsBefore = tf.memory().numTensors;
  const predictStarted = performance.now();
  await predictPatches(model, data.amplitudes, data.patternCount, data.patternSize, BATCH_SIZE);
  const predictSeconds = (performance.now() - predictStarted) / 1000;
  const stitchStarted = performance.now();
  await reconstructObject(model, data);
  const inferenceAndStitchSeconds = (performance.now() - stitchStarted) / 1000;
  const tensorsAfter = tf.memory().numTensors;
  model.dispose();

  const trainingRate = TRAINING_PATTERNS / epochSeconds[1];
  const inferenceRate = data.patternCount / predictSeconds;
  console.log(
    `PtychoPINN cpu, width ${FILTER_SCALE} (${kernels} convolution kernels, ${flatKernels} other kernels), Node ${process.version}: training ${trainingRate.toFixed(2)} patterns/s ` +
      `(epochs ${epochSeconds.map((s) => s.toFixed(2)).join(', ')} s), inference ${inferenceRate.toFixed(1)} patterns/s ` +
      `(${data.patternCount} patterns in ${predictSeconds.toFixed(2)} s), inference + stitching ` +
      `${inferenceAndStitchSeconds.toFixed(2)} s, numTensors ${tensorsBefore} → ${tensorsAfter}`,
  );
}

bench(`PtychoPINN on cpu, ${kernels} convolution kernels, ${flatKernels} other kernels`, runOnce, { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 });
