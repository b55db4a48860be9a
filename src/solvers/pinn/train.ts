/**
 * Unsupervised training of the PtychoPINN network on one scan. The network maps each normalised
 * diffraction amplitude to an object patch, and the physics layer turns the patch back into a
 * diffraction pattern through the fixed (or optionally trainable) probe. Adam minimises the
 * Poisson negative log-likelihood of the measured counts.
 */
import * as tf from '@tensorflow/tfjs';

import { seededRandom, shuffle } from '../../util/random';
import { fastCpuConvolutionHelpersReady, registerFastCpuConvolutionKernels } from '../../engine/cpu/convolutionKernels';
import { registerFlatArrayCpuKernels } from '../../engine/cpu/flatArrayKernels';
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
   * Checked before every batch, after a yield to the event loop so that a stop message can arrive;
   * returning true ends training there. An epoch cut short is neither validated nor reported, and
   * the next call to train continues it from the next batch.
   */
  shouldStop?: () => boolean;
  /** Called after every optimizer step, once its loss has been read. */
  onBatchEnd?: (position: PinnBatchPosition) => void;
}

/** Position of an optimizer step in the run. */
export interface PinnBatchPosition {
  /** 1-based step count of this call to train. */
  step: number;
  /** 1-based epoch number of the step. */
  epoch: number;
  /** Batches of that epoch done, this one included. */
  batchesDone: number;
  batchesPerEpoch: number;
}

/** An epoch that a stop interrupted after some of its batches. */
export interface PinnPartialEpoch {
  /** 1-based epoch number. */
  epoch: number;
  batchesDone: number;
  batchesPerEpoch: number;
}

export type PinnStopReason = 'epochs' | 'early-stopping' | 'cancelled';

export interface PinnTrainingResult {
  /**
   * The trained network, with the weights of the epoch with the lowest monitored loss. The caller
   * of trainPinn disposes it; PinnTrainer.train returns its own model, which the trainer disposes.
   */
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

/** State of an epoch that a stop interrupted: its batch order and the losses of its finished batches. */
interface PendingEpoch {
  order: number[];
  /** Index in `order` of the first pattern not trained on yet. */
  nextStart: number;
  lossSum: number;
  patternsSeen: number;
  /** Wall time spent on the epoch before the stop. */
  elapsed_ms: number;
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

/**
 * Lets the event loop run a macrotask, so that a stop message posted to the worker is handled.
 * Awaiting a tensor's data() is not enough: the 'cpu' backend resolves it as a microtask.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Copies the current values of `variables`; the caller disposes the copies. */
function snapshot(variables: tf.Variable[]): tf.Tensor[] {
  return variables.map((variable) => tf.clone(variable));
}

/**
 * A PtychoPINN training run that can be continued. It keeps everything that decides the next
 * step between calls to {@link PinnTrainer.train}: the weights, the Adam moments and step count,
 * the learning rate and plateau counter, the early-stopping counter and best weights, the loss
 * history, and the seeded generator that shuffles the batches. So training 2 epochs and then 2
 * more gives the same weights as training 4 at once.
 *
 * On the 'cpu' backend the constructor installs faster convolution kernels (see
 * src/engine/cpu/convolutionKernels.ts) and flat-array versions of the slowest other kernels
 * (src/engine/cpu/flatArrayKernels.ts). On 'webgl' it turns off TensorFlow.js's im2col
 * convolutions (WEBGL_CONV_IM2COL), whose unrolled input matrices made one training step of the
 * published network at N = 64, batch 16 allocate 1100 MiB. Without them it allocated 774 MiB,
 * and the step took 114 s instead of 236 s on SwiftShader.
 */
export class PinnTrainer {
  readonly settings: PinnTrainingOptions;
  readonly normalization: PinnNormalization;
  private readonly state: TrainingState;
  private readonly optimizer: AdjustableAdam;
  private readonly variables: tf.Variable[];
  private readonly random: () => number;
  private readonly training: number[];
  private readonly validation: number[];
  private readonly reports: PinnEpochReport[] = [];
  private bestLoss = Number.POSITIVE_INFINITY;
  private bestWeights: tf.Tensor[] | null = null;
  private bestEpochNumber: number | null = null;
  /** Weights of the last epoch, kept between two calls to train while the model contains the best ones. */
  private lastWeights: tf.Tensor[] | null = null;
  /** The epoch that a stop interrupted, which the next call to train continues. */
  private pendingEpoch: PendingEpoch | null = null;
  private epochsSinceBest = 0;
  private epochsSinceDecay = 0;
  private running = false;
  private released = false;

  constructor(data: PinnTrainingData, options: Partial<PinnTrainingOptions> = {}) {
    const settings: PinnTrainingOptions = { ...defaultPinnTrainingOptions, ...options };
    const { patternCount, patternSize } = data;
    validateOptions(settings, patternCount);
    if (tf.getBackend() === 'cpu') {
      registerFastCpuConvolutionKernels();
      registerFlatArrayCpuKernels();
    }
    if (tf.getBackend() === 'webgl') tf.env().set('WEBGL_CONV_IM2COL', false);
    this.settings = settings;
    this.normalization = data.normalization;

    this.random = seededRandom(settings.seed);
    const { training, validation } = splitIndices(patternCount, settings.validationFraction, this.random);
    this.training = training;
    this.validation = validation;

    const model = buildPinnModel({ patternSize, filterScale: settings.filterScale, seed: settings.seed });
    const probeValues = tf.tensor3d(data.probe, [patternSize, patternSize, 2]);
    const probe = tf.variable(probeValues, settings.trainableProbe);
    probeValues.dispose();
    this.state = {
      model,
      amplitudes: tf.tensor4d(data.amplitudes, [patternCount, patternSize, patternSize, 1]),
      counts: tf.tensor3d(data.counts, [patternCount, patternSize, patternSize]),
      probe,
      intensityScale: data.normalization.intensityScale,
    };
    this.optimizer = new AdjustableAdam(settings.learningRate);
    this.variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    if (settings.trainableProbe) this.variables.push(probe);
  }

  /** The network, which contains the weights of the best epoch so far between calls to train. */
  get model(): tf.LayersModel {
    return this.state.model;
  }

  /** Epochs reported so far, over every call to train. */
  get epochsDone(): number {
    return this.reports.length;
  }

  /** Reports of every epoch so far, numbered on from one call to the next. */
  get history(): readonly PinnEpochReport[] {
    return this.reports;
  }

  /** The epoch that a stop interrupted after at least one batch, or null when there is none. */
  get partialEpoch(): PinnPartialEpoch | null {
    const pending = this.pendingEpoch;
    if (pending === null || pending.patternsSeen === 0) return null;
    const { batchSize } = this.settings;
    return {
      epoch: this.reports.length + 1,
      batchesDone: Math.ceil(pending.nextStart / batchSize),
      batchesPerEpoch: Math.ceil(pending.order.length / batchSize),
    };
  }

  /** The epoch whose weights the model contains between calls to train, or null before the first epoch. */
  get bestEpoch(): number | null {
    return this.bestEpochNumber;
  }

  /**
   * Copies the probe [n, n, 2] in network units as it is now: during training, after the last
   * optimizer step. It is the dataset's probe unless trainableProbe is set.
   */
  async probeValues(): Promise<Float32Array> {
    if (this.released) throw new Error('PinnTrainer.probeValues: the trainer was released or disposed.');
    return ((await this.state.probe.data()) as Float32Array).slice();
  }

  /** Learning rate the next epoch will use. */
  get learningRate(): number {
    return this.optimizer.currentLearningRate;
  }

  /**
   * Trains until `epochs` more epochs are complete, numbered on from the last call. It returns
   * when they are done, when early stopping triggers or when `shouldStop` returns true, and leaves
   * the best weights so far in the model. An epoch that a stop interrupts is not reported: the
   * next call continues it from its next batch, with the same shuffle, and counts it as the first
   * of its `epochs`. So a stop anywhere followed by a resume trains the same weights as a run
   * that was never stopped.
   */
  async train(epochs: number, callbacks: PinnTrainingCallbacks = {}): Promise<PinnTrainingResult> {
    if (!Number.isInteger(epochs) || epochs < 1) {
      throw new Error(`PinnTrainer.train: epochs must be a positive integer, received ${epochs}.`);
    }
    if (this.released) throw new Error('PinnTrainer.train: the trainer was released or disposed; build a new one.');
    if (this.running) throw new Error('PinnTrainer.train: training is already running; wait for it to finish.');
    this.running = true;
    try {
      this.restoreLastWeights();
      const stopReason = await this.runEpochs(epochs, callbacks);
      this.lastWeights = snapshot(this.variables);
      if (this.bestWeights !== null) {
        const best = this.bestWeights;
        this.variables.forEach((variable, index) => variable.assign(best[index]));
      }
      const probe = (await this.state.probe.data()) as Float32Array;
      return {
        model: this.state.model,
        probe: probe.slice(),
        normalization: this.normalization,
        history: this.reports.slice(),
        stopReason,
      };
    } finally {
      this.running = false;
    }
  }

  /**
   * Ends training and returns the model with the best weights; the caller disposes it. Every other
   * tensor of the run is disposed, and the trainer cannot train again.
   */
  releaseModel(): tf.LayersModel {
    if (this.released) throw new Error('PinnTrainer.releaseModel: the model was already released or disposed.');
    this.disposeTrainingState();
    return this.state.model;
  }

  /** Disposes every tensor of the run, the model included. Calling it twice is harmless. */
  dispose(): void {
    if (this.released) return;
    this.disposeTrainingState();
    this.state.model.dispose();
  }

  private disposeTrainingState(): void {
    this.released = true;
    if (this.bestWeights !== null) tf.dispose(this.bestWeights);
    if (this.lastWeights !== null) tf.dispose(this.lastWeights);
    this.bestWeights = null;
    this.lastWeights = null;
    this.optimizer.dispose();
    tf.dispose([this.state.amplitudes, this.state.counts, this.state.probe]);
  }

  /** Puts back the weights of the last epoch, which the best ones replaced at the end of the last call. */
  private restoreLastWeights(): void {
    const last = this.lastWeights;
    if (last === null) return;
    this.variables.forEach((variable, index) => variable.assign(last[index]));
    tf.dispose(last);
    this.lastWeights = null;
  }

  private async runEpochs(epochs: number, callbacks: PinnTrainingCallbacks): Promise<PinnStopReason> {
    const { settings, optimizer, state, variables } = this;
    const lastEpoch = this.reports.length + epochs;
    const batchesPerEpoch = Math.ceil(this.training.length / settings.batchSize);
    if (tf.getBackend() === 'cpu') await fastCpuConvolutionHelpersReady();
    let steps = 0;
    for (let epoch = this.reports.length + 1; epoch <= lastEpoch; epoch += 1) {
      const started_ms = performance.now();
      const learningRate = optimizer.currentLearningRate;
      const pending = this.pendingEpoch ?? {
        order: shuffle(this.training, this.random),
        nextStart: 0,
        lossSum: 0,
        patternsSeen: 0,
        elapsed_ms: 0,
      };
      this.pendingEpoch = null;
      const { order } = pending;

      for (let start = pending.nextStart; start < order.length; start += settings.batchSize) {
        if (callbacks.shouldStop) {
          await yieldToEventLoop();
          if (callbacks.shouldStop()) {
            pending.nextStart = start;
            pending.elapsed_ms += performance.now() - started_ms;
            this.pendingEpoch = pending;
            return 'cancelled';
          }
        }
        const batch = order.slice(start, start + settings.batchSize);
        const indexTensor = tf.tensor1d(batch, 'int32');
        const loss = optimizer.minimize(() => batchLoss(state, indexTensor), true, variables);
        indexTensor.dispose();
        if (loss === null) throw new Error('trainPinn: the optimizer returned no loss value.');
        pending.lossSum += (await loss.data())[0] * batch.length;
        pending.patternsSeen += batch.length;
        loss.dispose();
        steps += 1;
        callbacks.onBatchEnd?.({
          step: steps,
          epoch,
          batchesDone: Math.ceil((start + batch.length) / settings.batchSize),
          batchesPerEpoch,
        });
      }

      const trainLoss = pending.lossSum / pending.patternsSeen;
      const validationLoss = await evaluate(state, this.validation, settings.batchSize);
      const report: PinnEpochReport = {
        epoch,
        trainLoss,
        validationLoss,
        learningRate,
        duration_s: (pending.elapsed_ms + performance.now() - started_ms) / 1000,
      };
      this.reports.push(report);

      const earlyStop = this.updateSchedule(this.validation.length > 0 ? validationLoss : trainLoss);
      await callbacks.onEpochEnd?.(report, state.model);
      if (earlyStop) return 'early-stopping';
    }
    return 'epochs';
  }

  /**
   * Records the monitored loss of an epoch: keeps the best weights, halves the learning rate after
   * plateauPatience epochs without a lower loss, and returns true once earlyStoppingPatience
   * epochs have passed without one.
   */
  private updateSchedule(monitored: number): boolean {
    const { settings, optimizer } = this;
    if (monitored < this.bestLoss) {
      this.bestLoss = monitored;
      this.epochsSinceBest = 0;
      this.epochsSinceDecay = 0;
      if (this.bestWeights !== null) tf.dispose(this.bestWeights);
      this.bestWeights = snapshot(this.variables);
      this.bestEpochNumber = this.reports.length;
      return false;
    }
    this.epochsSinceBest += 1;
    this.epochsSinceDecay += 1;
    if (this.epochsSinceDecay >= settings.plateauPatience) {
      optimizer.currentLearningRate = Math.max(settings.minLearningRate, optimizer.currentLearningRate / 2);
      this.epochsSinceDecay = 0;
    }
    return settings.earlyStoppingPatience > 0 && this.epochsSinceBest >= settings.earlyStoppingPatience;
  }
}

/**
 * Trains a new network on `data` for options.epochs epochs at most. All tensors except the
 * returned model are disposed before it resolves, also when it throws. {@link PinnTrainer} keeps
 * the run so that it can be continued.
 */
export async function trainPinn(
  data: PinnTrainingData,
  options: Partial<PinnTrainingOptions> = {},
  callbacks: PinnTrainingCallbacks = {},
): Promise<PinnTrainingResult> {
  const trainer = new PinnTrainer(data, options);
  try {
    const result = await trainer.train(trainer.settings.epochs, callbacks);
    return { ...result, model: trainer.releaseModel() };
  } catch (error) {
    trainer.dispose();
    throw error;
  }
}
