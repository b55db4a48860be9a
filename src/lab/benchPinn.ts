/**
 * PtychoPINN throughput on the bundled scan for `npm run bench`, at the given network input and
 * batch size. Training patterns per second count one Adam step per batch through the network, the
 * physics layer and the Poisson loss. Inference patterns per second count network prediction only.
 */
import * as tf from '@tensorflow/tfjs';

import { loadBundledSiemensStar } from '../data/siemensStar';
import { preparePinnData } from '../solvers/pinn/dataPrep';
import { pinnParameterCount } from '../solvers/pinn/model';
import { predictPatches } from '../solvers/pinn/stitch';
import { trainPinn } from '../solvers/pinn/train';
import { firstPatterns } from '../data/subset';

export interface BenchPinnRequest {
  patternSize: number;
  batchSize: number;
  filterScale: number;
  /** Patterns per training epoch; each epoch is one timed sample. */
  patterns: number;
  /** Timed epochs after one untimed warm-up epoch. */
  repeats: number;
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
}

export async function benchPinn(request: BenchPinnRequest): Promise<BenchPinnResult> {
  const { patternSize, batchSize, filterScale, patterns, repeats } = request;
  if (!(patterns >= 2 * batchSize) || !(repeats >= 1)) {
    throw new Error(
      `benchPinn: patterns must be at least two batches and repeats at least 1, received ${patterns} and ${repeats}.`,
    );
  }
  const dataset = firstPatterns(await loadBundledSiemensStar(), patterns);
  const data = await preparePinnData(dataset, { patternSize });

  const trainingEpochSeconds: number[] = [];
  const numTensorsPerEpoch: number[] = [];
  const result = await trainPinn(
    data,
    { epochs: repeats + 1, batchSize, filterScale, validationFraction: 0, earlyStoppingPatience: 0 },
    {
      onEpochEnd: (report) => {
        numTensorsPerEpoch.push(tf.memory().numTensors);
        if (report.epoch > 1) trainingEpochSeconds.push(report.duration_s);
      },
    },
  );

  const inferenceSeconds: number[] = [];
  try {
    for (let run = 0; run <= repeats; run += 1) {
      const started = performance.now();
      await predictPatches(result.model, data.amplitudes, data.patternCount, data.patternSize, batchSize);
      if (run > 0) inferenceSeconds.push((performance.now() - started) / 1000);
    }
  } finally {
    result.model.dispose();
  }
  return {
    backend: tf.getBackend(),
    parameterCount: pinnParameterCount({ patternSize, filterScale }),
    trainingEpochSeconds,
    inferenceSeconds,
    patterns: data.patternCount,
    numTensorsPerEpoch,
  };
}
