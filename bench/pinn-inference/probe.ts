/**
 * Page for bench/pinn-inference/run.mjs. It times PtychoPINN inference of the bundled scan at N = 64
 * with a 1/8-width model of random weights, which costs the same as a trained one. It also loads
 * the kernel lab, so rPIE runs through window.ptychoLab.benchPie in the same browser.
 */
import '../../src/lab/main';

import * as tf from '@tensorflow/tfjs';

import { loadBundledSiemensStar } from '../../src/data/siemensStar';
import { CONV2D_PLAN_FLAG } from '../../src/engine/webgpu/conv2d';
import { preparePinnData, type PinnTrainingData } from '../../src/solvers/pinn/dataPrep';
import { buildPinnModel } from '../../src/solvers/pinn/model';
import { predictPatches, stitchPatches } from '../../src/solvers/pinn/stitch';

const PATTERN_SIZE = 64;

let model: tf.LayersModel | null = null;
let data: PinnTrainingData | null = null;

function loaded(): { model: tf.LayersModel; data: PinnTrainingData } {
  if (model === null || data === null) throw new Error('No model is loaded. Call probe.setup(backend) first.');
  return { model, data };
}

/**
 * Starts `backend`, prepares the bundled scan and builds a seeded model, at 1/8 of the published
 * width unless `filterScale` sets another (1 is the published width).
 */
async function setup(
  backend: 'cpu' | 'webgl' | 'webgpu',
  filterScale = 0.125,
): Promise<{ ok: boolean; patterns: number }> {
  const started = await window.ptychoLab.useBackend(backend);
  data ??= await preparePinnData(await loadBundledSiemensStar(), { patternSize: PATTERN_SIZE });
  model?.dispose();
  model = buildPinnModel({ patternSize: PATTERN_SIZE, filterScale, seed: 1 });
  return { ok: started.ok, patterns: data.patternCount };
}

/** Sets TensorFlow.js flags, for example the webgpu convolution program choices. */
function setFlags(flags: Record<string, number | boolean | string>): void {
  for (const [name, value] of Object.entries(flags)) tf.env().set(name, value);
}

/** Times prediction of every pattern at `batchSize`, then stitching, in seconds each. */
async function timeWholeScan(batchSize: number): Promise<{ predict_s: number; stitch_s: number }> {
  const { model, data } = loaded();
  const started = performance.now();
  const patches = await predictPatches(model, data.amplitudes, data.patternCount, PATTERN_SIZE, batchSize);
  const predicted = performance.now();
  stitchPatches(patches, data.patternCount, PATTERN_SIZE, data.positionY_px, data.positionX_px);
  const stitched = performance.now();
  return { predict_s: (predicted - started) / 1000, stitch_s: (stitched - predicted) / 1000 };
}

interface PlanDifference {
  /** Largest |software − stock| over all values. */
  maxAbsDifference: number;
  /** ||software − stock|| / ||stock||. */
  relativeRms: number;
}

function planDifference(software: Float32Array, stock: Float32Array): PlanDifference {
  let maxAbsDifference = 0;
  let difference = 0;
  let reference = 0;
  for (let i = 0; i < stock.length; i += 1) {
    const d = software[i] - stock[i];
    maxAbsDifference = Math.max(maxAbsDifference, Math.abs(d));
    difference += d * d;
    reference += stock[i] * stock[i];
  }
  return { maxAbsDifference, relativeRms: Math.sqrt(difference / reference) };
}

/**
 * Predicts and stitches the whole scan at `batchSize` once with each webgpu convolution plan of
 * src/engine/webgpu/conv2d.ts ('software': the direct convolution, 'gpu': tfjs's own kernels).
 * Returns the seconds of each run and how far the patches and the stitched objects differ.
 */
async function compareConv2dPlans(batchSize: number): Promise<{
  software: { predict_s: number; stitch_s: number };
  gpu: { predict_s: number; stitch_s: number };
  amplitude: PlanDifference;
  phase: PlanDifference;
  object: PlanDifference;
}> {
  const { model, data } = loaded();
  const runWithPlan = async (plan: 'software' | 'gpu') => {
    tf.env().set(CONV2D_PLAN_FLAG, plan);
    try {
      const started = performance.now();
      const patches = await predictPatches(model, data.amplitudes, data.patternCount, PATTERN_SIZE, batchSize);
      const predicted = performance.now();
      const stitched = stitchPatches(patches, data.patternCount, PATTERN_SIZE, data.positionY_px, data.positionX_px);
      const seconds = { predict_s: (predicted - started) / 1000, stitch_s: (performance.now() - predicted) / 1000 };
      return { patches, object: stitched.object, seconds };
    } finally {
      tf.env().set(CONV2D_PLAN_FLAG, 'auto');
    }
  };
  const software = await runWithPlan('software');
  const gpu = await runWithPlan('gpu');
  return {
    software: software.seconds,
    gpu: gpu.seconds,
    amplitude: planDifference(software.patches.amplitude, gpu.patches.amplitude),
    phase: planDifference(software.patches.phase, gpu.patches.phase),
    object: planDifference(software.object, gpu.object),
  };
}

/** Predicts the first `batchSize` patterns as one batch, `repeats` times, and returns ms per run. */
async function timeBatch(batchSize: number, repeats: number): Promise<number[]> {
  const { model, data } = loaded();
  const input = tf.tensor4d(data.amplitudes.subarray(0, batchSize * PATTERN_SIZE ** 2), [batchSize, PATTERN_SIZE, PATTERN_SIZE, 1]);
  const runs_ms: number[] = [];
  try {
    for (let run = 0; run < repeats; run += 1) {
      const started = performance.now();
      const outputs = model.predict(input) as tf.Tensor[];
      await Promise.all(outputs.map((output) => output.data()));
      runs_ms.push(performance.now() - started);
      tf.dispose(outputs);
    }
  } finally {
    input.dispose();
  }
  return runs_ms;
}

/** Predicts one batch under tf.profile and returns the kernel time and call count per kernel name. */
async function profileBatch(batchSize: number): Promise<Record<string, { calls: number; ms: number }>> {
  const { model, data } = loaded();
  const input = tf.tensor4d(data.amplitudes.subarray(0, batchSize * PATTERN_SIZE ** 2), [batchSize, PATTERN_SIZE, PATTERN_SIZE, 1]);
  try {
    const info = await tf.profile(async () => {
      const outputs = model.predict(input) as tf.Tensor[];
      await Promise.all(outputs.map((output) => output.data()));
      tf.dispose(outputs);
    });
    const perKernel: Record<string, { calls: number; ms: number }> = {};
    for (const kernel of info.kernels) {
      const entry = (perKernel[kernel.name] ??= { calls: 0, ms: 0 });
      entry.calls += 1;
      entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    }
    return perKernel;
  } finally {
    input.dispose();
  }
}

declare global {
  interface Window {
    probe: {
      setup: typeof setup;
      setFlags: typeof setFlags;
      timeWholeScan: typeof timeWholeScan;
      compareConv2dPlans: typeof compareConv2dPlans;
      timeBatch: typeof timeBatch;
      profileBatch: typeof profileBatch;
    };
  }
}

window.probe = { setup, setFlags, timeWholeScan, compareConv2dPlans, timeBatch, profileBatch };
