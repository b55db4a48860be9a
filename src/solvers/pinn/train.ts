/**
 * Unsupervised training of the PtychoPINN network on one scan. The network maps each normalised
 * diffraction amplitude to an object patch, and the physics layer turns the patch back into a
 * diffraction pattern through the fixed (or optionally trainable) probe. Adam minimises the
 * Poisson negative log-likelihood of the measured counts.
 */
import * as tf from '@tensorflow/tfjs';

import { seededRandom, shuffle } from '../../util/random';
import { registerFastCpuConvolutionGradient } from './cpuConvolutionGradient';
import type { PinnTrainingData } from './dataPrep';
import { poissonLoss } from './loss';
import { buildPinnModel } from './model';
import type { PinnNormalization } from './normalization';
import { predictAmplitudesFromAmplitudePhase } from './physics';

export interface PinnTrainingOptions {
  /** Maximum number of passes over the training patterns. */
  epochs: number;
  /** Patterns per gradient step. */
  batchSize: number;
  /** Initial Adam learning rate. */
  learningRate: number;
  /** Fraction of the patterns held out to measure the validation loss; 0 uses none. */
  validationFraction: number;
  /** Seed of the validation split, the batch order and the network's initial weights. */
  seed: number;
  /** Factor on the network's filter counts (see PinnModelOptions.filterScale). */
  filterScale: number;
  /** Epochs without a lower monitored loss before the learning rate is halved. */
  plateauPatience: number;
  /** Lower bound of the learning rate under plateau halving. */
  minLearningRate: number;
  /** Epochs without a lower monitored loss before training stops; 0 turns early stopping off. */
  earlyStoppingPatience: number;
  /** Also fit the probe (starting from the dataset's) when true. */
  trainableProbe: boolean;
}

export const defaultPinnTrainingOptions: PinnTrainingOptions = {
  epochs: 50,
  batchSize: 16,
  learningRate: 1e-3,
  validationFraction: 0.05,
  seed: 1,
  filterScale: 1,
  plateauPatience: 2,
  minLearningRate: 1e-5,
  earlyStoppingPatience: 6,
  trainableProbe: false,
};

/** Losses of one epoch, in the units of {@link poissonLoss} (per pattern, Σ ln k! left out). */
export interface PinnEpochReport {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches, weighted by batch size. */
  trainLoss: number;
  /** Loss over the held-out patterns after the epoch; NaN when none are held out. */
  validationLoss: number;
  /** Learning rate used during this epoch. */
  learningRate: number;
  /** Wall time of the epoch, including validation. */
  duration_s: number;
}

export interface PinnTrainingCallbacks {
  /**
   * Called after every epoch with the network as it is then, for a preview; training waits for a
   * returned promise. The callback must not dispose or train the model.
   */
  onEpochEnd?: (report: PinnEpochReport, model: tf.LayersModel) => void | Promise<void>;
  /**
   * Checked before every batch; returning true ends training there. An epoch cut short after at
   * least one batch is still validated and reported.
   */
  shouldStop?: () => boolean;
}

export type PinnStopReason = 'epochs' | 'early-stopping' | 'cancelled';

export interface PinnTrainingResult {
  /** The trained network, with the weights of the epoch with the lowest monitored loss. The caller disposes it. */
  model: tf.LayersModel;
  /** Probe [n, n, 2] in network units: the dataset's, or the fitted one with trainableProbe. */
  probe: Float32Array;
  normalization: PinnNormalization;
  history: PinnEpochReport[];
  stopReason: PinnStopReason;
}

/** Adam whose learning rate can be lowered between steps, keeping its moment estimates. */
class AdjustableAdam extends tf.AdamOptimizer {
  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999, 1e-7);
  }

  get currentLearningRate(): number {
    return this.learningRate;
  }

  set currentLearningRate(value: number) {
    this.learningRate = value;
  }
}

function validateOptions(options: PinnTrainingOptions, patternCount: number): void {
  const positiveIntegers = ['epochs', 'batchSize'] as const;
  for (const name of positiveIntegers) {
    if (!Number.isInteger(options[name]) || options[name] < 1) {
      throw new Error(`trainPinn: ${name} must be a positive integer, received ${options[name]}.`);
    }
  }
  if (!(options.learningRate > 0)) {
    throw new Error(`trainPinn: learningRate must be positive, received ${options.learningRate}.`);
  }
  if (!(options.validationFraction >= 0 && options.validationFraction < 1)) {
    throw new Error(`trainPinn: validationFraction must lie in [0, 1), received ${options.validationFraction}.`);
  }
  if (patternCount < 2) {
    throw new Error(`trainPinn: at least 2 patterns are needed, received ${patternCount}.`);
  }
}

/** Splits pattern indices into training and validation sets with a seeded shuffle. */
export function splitIndices(
  patternCount: number,
  validationFraction: number,
  random: () => number,
): { training: number[]; validation: number[] } {
  const order = shuffle(
    Array.from({ length: patternCount }, (_, index) => index),
    random,
  );
  const wanted = validationFraction > 0 ? Math.max(1, Math.round(validationFraction * patternCount)) : 0;
  const validationCount = Math.min(wanted, patternCount - 1);
  return { training: order.slice(validationCount), validation: order.slice(0, validationCount) };
}

/** Tensors that live for the whole training run. */
interface TrainingState {
  model: tf.LayersModel;
  amplitudes: tf.Tensor4D;
  counts: tf.Tensor3D;
  probe: tf.Variable<tf.Rank.R3>;
  intensityScale: number;
}

/** Mean Poisson loss of a batch of patterns given by index; the caller owns the result. */
function batchLoss(state: TrainingState, indices: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const inputs = tf.gather(state.amplitudes, indices);
    const measured = tf.gather(state.counts, indices);
    const [amplitude, phase] = state.model.apply(inputs, { training: true }) as tf.Tensor4D[];
    const predicted = predictAmplitudesFromAmplitudePhase(
      tf.squeeze(amplitude, [3]) as tf.Tensor3D,
      tf.squeeze(phase, [3]) as tf.Tensor3D,
      state.probe,
      state.intensityScale,
    );
    return poissonLoss(predicted, measured);
  });
}

async function evaluate(state: TrainingState, indices: number[], batchSize: number): Promise<number> {
  if (indices.length === 0) return Number.NaN;
  let total = 0;
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.slice(start, start + batchSize);
    const indexTensor = tf.tensor1d(batch, 'int32');
    const loss = batchLoss(state, indexTensor);
    total += (await loss.data())[0] * batch.length;
    tf.dispose([indexTensor, loss]);
  }
  return total / indices.length;
}

/** Copies the current values of `variables`; the caller disposes the copies. */
function snapshot(variables: tf.Variable[]): tf.Tensor[] {
  return variables.map((variable) => tf.clone(variable));
}

/**
 * Trains a new network on `data`. On the 'cpu' backend this first installs a faster convolution
 * filter gradient (see cpuConvolutionGradient.ts). All tensors except the returned model are
 * disposed before it resolves, also when it throws.
 */
export async function trainPinn(
  data: PinnTrainingData,
  options: Partial<PinnTrainingOptions> = {},
  callbacks: PinnTrainingCallbacks = {},
): Promise<PinnTrainingResult> {
  const settings: PinnTrainingOptions = { ...defaultPinnTrainingOptions, ...options };
  const { patternCount, patternSize } = data;
  validateOptions(settings, patternCount);
  if (tf.getBackend() === 'cpu') registerFastCpuConvolutionGradient();

  const random = seededRandom(settings.seed);
  const { training, validation } = splitIndices(patternCount, settings.validationFraction, random);

  const model = buildPinnModel({ patternSize, filterScale: settings.filterScale, seed: settings.seed });
  const probeValues = tf.tensor3d(data.probe, [patternSize, patternSize, 2]);
  const probe = tf.variable(probeValues, settings.trainableProbe);
  probeValues.dispose();
  const state: TrainingState = {
    model,
    amplitudes: tf.tensor4d(data.amplitudes, [patternCount, patternSize, patternSize, 1]),
    counts: tf.tensor3d(data.counts, [patternCount, patternSize, patternSize]),
    probe,
    intensityScale: data.normalization.intensityScale,
  };
  const optimizer = new AdjustableAdam(settings.learningRate);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  if (settings.trainableProbe) variables.push(state.probe);

  const history: PinnEpochReport[] = [];
  let stopReason: PinnStopReason = 'epochs';
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestWeights: tf.Tensor[] | null = null;
  let epochsSinceBest = 0;
  let epochsSinceDecay = 0;

  try {
    for (let epoch = 1; epoch <= settings.epochs && stopReason === 'epochs'; epoch += 1) {
      const started_ms = performance.now();
      const learningRate = optimizer.currentLearningRate;
      const order = shuffle(training, random);
      let lossSum = 0;
      let patternsSeen = 0;

      for (let start = 0; start < order.length; start += settings.batchSize) {
        if (callbacks.shouldStop?.() === true) {
          stopReason = 'cancelled';
          break;
        }
        const batch = order.slice(start, start + settings.batchSize);
        const indexTensor = tf.tensor1d(batch, 'int32');
        const loss = optimizer.minimize(() => batchLoss(state, indexTensor), true, variables);
        indexTensor.dispose();
        if (loss === null) throw new Error('trainPinn: the optimizer returned no loss value.');
        // Reading the loss each batch also yields to the event loop, so a stop request can arrive.
        lossSum += (await loss.data())[0] * batch.length;
        patternsSeen += batch.length;
        loss.dispose();
      }
      if (patternsSeen === 0) break;

      const trainLoss = lossSum / patternsSeen;
      const validationLoss = await evaluate(state, validation, settings.batchSize);
      const report: PinnEpochReport = {
        epoch,
        trainLoss,
        validationLoss,
        learningRate,
        duration_s: (performance.now() - started_ms) / 1000,
      };
      history.push(report);

      const monitored = validation.length > 0 ? validationLoss : trainLoss;
      if (monitored < bestLoss) {
        bestLoss = monitored;
        epochsSinceBest = 0;
        epochsSinceDecay = 0;
        if (bestWeights !== null) tf.dispose(bestWeights);
        bestWeights = snapshot(variables);
      } else {
        epochsSinceBest += 1;
        epochsSinceDecay += 1;
        if (epochsSinceDecay >= settings.plateauPatience) {
          optimizer.currentLearningRate = Math.max(settings.minLearningRate, optimizer.currentLearningRate / 2);
          epochsSinceDecay = 0;
        }
        if (settings.earlyStoppingPatience > 0 && epochsSinceBest >= settings.earlyStoppingPatience) {
          stopReason = 'early-stopping';
        }
      }
      await callbacks.onEpochEnd?.(report, model);
    }

    if (bestWeights !== null) {
      const restored = bestWeights;
      variables.forEach((variable, index) => variable.assign(restored[index]));
    }
    const probe = (await state.probe.data()) as Float32Array;
    return { model, probe: probe.slice(), normalization: data.normalization, history, stopReason };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    if (bestWeights !== null) tf.dispose(bestWeights);
    optimizer.dispose();
    tf.dispose([state.amplitudes, state.counts, state.probe]);
  }
}
