/**
 * PtychoPINN throughput and GPU memory on the bundled scan for `npm run bench`, at the given
 * network input and batch size. Training patterns per second count one Adam step per batch through
 * the network, the physics layer and the Poisson loss. Inference patterns per second count network
 * prediction only. GPU memory is read from tf.memory() after every step.
 */
import * as tf from '@tensorflow/tfjs';

import { loadBundledSiemensStar } from '../data/siemensStar';
import { firstPatterns } from '../data/subset';
import { preparePinnData } from '../solvers/pinn/dataPrep';
import { pinnParameterCount } from '../solvers/pinn/model';
import { predictPatches } from '../solvers/pinn/stitch';
import { PinnTrainer } from '../solvers/pinn/train';

export interface BenchPinnRequest {
  patternSize: number;
  batchSize: number;
  filterScale: number;
  /** Patterns per training epoch; each epoch is one timed sample. */
  patterns: number;
  /**
   * Timed epochs after one untimed warm-up epoch. With 0, only the warm-up epoch runs and nothing
   * is timed, which measures the GPU memory of a few steps at a width too slow to time.
   */
  repeats: number;
}

/** GPU memory as tf.memory() reports it, in bytes; null where the backend does not report it. */
export interface GpuMemorySample {
  /**
   * Bytes of GPU buffers (webgpu) or textures (webgl) that the backend has allocated, including
   * freed ones it keeps for reuse: what the browser holds for TensorFlow.js.
   */
  allocated_B: number | null;
  /** Bytes of those buffers or textures that live tensors use. */
  inUse_B: number | null;
}

export interface BenchPinnResult {
  backend: string;
  parameterCount: number;
  /** Seconds per training epoch of `patterns` patterns, one entry per timed epoch. */
  trainingEpochSeconds: number[];
  /** Seconds to predict all `patterns` patterns, one entry per timed run. */
  inferenceSeconds: number[];
  patterns: number;
  numTensorsPerEpoch: number[];
  /** Seconds of each training step, the warm-up epoch's included. */
  stepSeconds: number[];
  /**
   * GPU memory after the trainer is built, before the first step. The webgpu backend uploads a
   * tensor on its first use, so there it reads close to 0.
   */
  gpuMemoryBeforeTraining: GpuMemorySample;
  /** Maximum over the samples taken after every training step, each field on its own. */
  peakGpuMemoryDuringTraining: GpuMemorySample;
}

/**
 * Reads GPU memory from tf.memory(). The field names differ by backend in TensorFlow.js 4.22:
 * webgpu reports numBytesAllocatedInGPU and webgl numBytesInGPUAllocated; both report numBytesInGPU.
 */
export function readGpuMemory(): GpuMemorySample {
  const memory = tf.memory() as tf.MemoryInfo & {
    numBytesInGPU?: number;
    numBytesAllocatedInGPU?: number;
    numBytesInGPUAllocated?: number;
  };
  return {
    allocated_B: memory.numBytesAllocatedInGPU ?? memory.numBytesInGPUAllocated ?? null,
    inUse_B: memory.numBytesInGPU ?? null,
  };
}

function maxOrNull(first: number | null, second: number | null): number | null {
  if (first === null) return second;
  if (second === null) return first;
  return Math.max(first, second);
}

export async function benchPinn(request: BenchPinnRequest): Promise<BenchPinnResult> {
  const { patternSize, batchSize, filterScale, patterns, repeats } = request;
  if (!(patterns >= Math.max(2, batchSize)) || !(Number.isInteger(repeats) && repeats >= 0)) {
    throw new Error(
      'benchPinn: patterns must be at least one batch (and 2) and repeats a whole number of at least 0, ' +
        `received ${patterns} and ${repeats}.`,
    );
  }
  const dataset = firstPatterns(await loadBundledSiemensStar(), patterns);
  const data = await preparePinnData(dataset, { patternSize });

  const trainer = new PinnTrainer(data, { batchSize, filterScale, validationFraction: 0, earlyStoppingPatience: 0 });
  const gpuMemoryBeforeTraining = readGpuMemory();
  let peak: GpuMemorySample = { allocated_B: null, inUse_B: null };
  const trainingEpochSeconds: number[] = [];
  const numTensorsPerEpoch: number[] = [];
  const stepSeconds: number[] = [];
  let stepStarted_ms = performance.now();
  let model: tf.LayersModel;
  try {
    await trainer.train(repeats + 1, {
      onBatchEnd: () => {
        const now_ms = performance.now();
        stepSeconds.push((now_ms - stepStarted_ms) / 1000);
        const sample = readGpuMemory();
        peak = {
          allocated_B: maxOrNull(peak.allocated_B, sample.allocated_B),
          inUse_B: maxOrNull(peak.inUse_B, sample.inUse_B),
        };
        stepStarted_ms = performance.now();
      },
      onEpochEnd: (report) => {
        numTensorsPerEpoch.push(tf.memory().numTensors);
        if (report.epoch > 1) trainingEpochSeconds.push(report.duration_s);
        stepStarted_ms = performance.now();
      },
    });
    model = trainer.releaseModel();
  } catch (error) {
    trainer.dispose();
    throw error;
  }

  const inferenceSeconds: number[] = [];
  try {
    for (let run = 0; run < (repeats > 0 ? repeats + 1 : 0); run += 1) {
      const started = performance.now();
      await predictPatches(model, data.amplitudes, data.patternCount, data.patternSize, batchSize);
      if (run > 0) inferenceSeconds.push((performance.now() - started) / 1000);
    }
  } finally {
    model.dispose();
  }
  return {
    backend: tf.getBackend(),
    parameterCount: pinnParameterCount({ patternSize, filterScale }),
    trainingEpochSeconds,
    inferenceSeconds,
    patterns: data.patternCount,
    numTensorsPerEpoch,
    stepSeconds,
    gpuMemoryBeforeTraining,
    peakGpuMemoryDuringTraining: peak,
  };
}
