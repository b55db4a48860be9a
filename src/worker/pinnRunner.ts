/**
 * One PtychoPINN run inside the worker: prepares the training arrays from the loaded scan, trains
 * with a stitched preview after every epoch, then times inference and stitching of the whole scan.
 * The model is kept after the run, so it can be saved or can reconstruct another scan. The
 * training state (data on the device, optimizer, schedule) is kept too, so that a stopped or
 * finished run can resume, until a new run, a loaded model or another scan discards it.
 *
 * Stop requests arrive as worker messages, so every check of `shouldStop` follows a yield to the
 * event loop. On the 'cpu' backend nothing else in a run lets the message arrive.
 */
import * as tf from '@tensorflow/tfjs';

import type { ScanDataset } from '../data/dataset';
import { firstPatterns } from '../data/subset';
import { preparePinnData, type PinnTrainingData } from '../solvers/pinn/dataPrep';
import { pinnParameterCount } from '../solvers/pinn/model';
import {
  loadModelFiles,
  parseSidecar,
  PINN_SIDECAR_VERSION,
  readTrainedProbe,
  saveModelFiles,
  type PinnSidecar,
  type SavedPinnModel,
} from '../solvers/pinn/modelFiles';
import { validatePinnRunOptions, type PinnRunOptions } from '../solvers/pinn/runOptions';
import { reconstructObject, type StitchedObject } from '../solvers/pinn/stitch';
import { PinnTrainer } from '../solvers/pinn/train';
import type { PinnProbeState, PinnProgress, PinnRunSummary, PinnSnapshot } from './protocol';

/** Minimum time between two progress updates sent in the middle of an epoch. */
const BATCH_PROGRESS_INTERVAL_MS = 3000;

/** Lets the event loop run a macrotask, so that a stop message can arrive. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export interface PinnRunHooks {
  onProgress(progress: PinnProgress): void;
  shouldStop(): boolean;
  now(): number;
}

function toSnapshot(stitched: StitchedObject, data: PinnTrainingData, probe?: PinnProbeState): PinnSnapshot {
  return {
    ...(probe ? { probe } : {}),
    object: stitched.object,
    objectHeight: stitched.height,
    objectWidth: stitched.width,
    weights: stitched.weights,
    originY_px: stitched.originY_px * data.pixelSizeRatio,
    originX_px: stitched.originX_px * data.pixelSizeRatio,
    pixelSizeRatio: data.pixelSizeRatio,
  };
}

/** Reads the trainer's probe when it is being trained; a fixed probe is not copied. */
async function probeStateOf(trainer: PinnTrainer, trainableProbe: boolean): Promise<PinnProbeState> {
  if (!trainableProbe) return { kind: 'fixed' };
  return { kind: 'trained', probe: await trainer.probeValues(), probeSize: trainer.normalization.patternSize };
}

/** Returns the probe a saved model records: probe.npy when present, else the sidecar's flag, else null. */
function savedProbeState(files: SavedPinnModel, sidecar: PinnSidecar): PinnProbeState | null {
  if (files.probeNpy) {
    const { values, size } = readTrainedProbe(files.probeNpy);
    return { kind: 'trained', probe: values, probeSize: size };
  }
  return sidecar.trainableProbe === false ? { kind: 'fixed' } : null;
}

/** A training run that can resume: the trainer and what it was built from. */
interface ResumableRun {
  trainer: PinnTrainer;
  data: PinnTrainingData;
  options: PinnRunOptions;
  datasetName: string;
  datasetPatternSize: number;
  /** Training time of all segments so far, without the final inference of each. */
  training_ms: number;
}

/** Origin of the current model, for the summaries of inferences with it. */
interface ModelOrigin {
  source: 'trained' | 'loaded';
  /** Training time of all segments; 0 for a loaded model. */
  training_ms: number;
}

export class PinnRunner {
  /** The current model; the run's trainer owns it while a run can resume. */
  private model: tf.LayersModel | null = null;
  private modelOrigin: ModelOrigin | null = null;
  /** Description of the current model, written as the sidecar when it is saved. */
  private sidecar: PinnSidecar | null = null;
  private lastSnapshot: PinnSnapshot | null = null;
  /** Probe of the current model's training run; null when a loaded model records none. */
  private probeState: PinnProbeState | null = null;
  private resumable: ResumableRun | null = null;

  /** The stitched object of the last finished or stopped run. */
  get snapshot(): PinnSnapshot | null {
    return this.lastSnapshot;
  }

  /** Epochs trained by the run that can resume, or null when there is none. */
  get resumableEpochs(): number | null {
    return this.resumable?.trainer.epochsDone ?? null;
  }

  /** Drops the trained model and the training state, for example when another backend starts. */
  reset(): void {
    this.discardModel();
    this.modelOrigin = null;
    this.sidecar = null;
    this.lastSnapshot = null;
    this.probeState = null;
  }

  /**
   * Frees the training state but keeps the model for saving and inference, for example when
   * another scan is loaded. Afterwards the run cannot resume.
   */
  endTraining(): void {
    if (!this.resumable) return;
    this.model = this.resumable.trainer.releaseModel();
    this.resumable = null;
  }

  private discardModel(): void {
    if (this.resumable) {
      this.resumable.trainer.dispose();
      this.resumable = null;
    } else {
      this.model?.dispose();
    }
    this.model = null;
  }

  /**
   * Trains a new network on `dataset` for options.epochs epochs; the previous model is discarded
   * once the data is prepared. A stop during the preparation keeps the previous model and run.
   */
  async run(dataset: ScanDataset, options: PinnRunOptions, hooks: PinnRunHooks): Promise<PinnRunSummary> {
    const problems = validatePinnRunOptions(options, dataset.patternSize);
    if (problems.length > 0) throw new Error(`Invalid PtychoPINN settings: ${problems.join(' ')}`);

    const started = hooks.now();
    const subset = firstPatterns(dataset, options.maxPatterns);
    await yieldToEventLoop();
    if (hooks.shouldStop()) return this.notStartedSummary(options, subset.patternCount);
    const data = await preparePinnData(subset, { patternSize: options.patternSize });
    await yieldToEventLoop();
    if (hooks.shouldStop()) return this.notStartedSummary(options, data.patternCount);

    this.reset();
    const trainer = new PinnTrainer(data, {
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      filterScale: options.filterScale,
      trainableProbe: options.trainableProbe,
      seed: options.seed,
    });
    this.model = trainer.model;
    this.resumable = {
      trainer,
      data,
      options,
      datasetName: dataset.name,
      datasetPatternSize: dataset.patternSize,
      training_ms: 0,
    };
    return this.trainSegment(this.resumable, options.epochs, hooks, started);
  }

  private notStartedSummary(options: PinnRunOptions, patternCount: number): PinnRunSummary {
    return {
      kind: 'not-started',
      modelSource: 'trained',
      epochsDone: 0,
      interruptedEpoch: null,
      stopReason: 'cancelled',
      training_ms: 0,
      inference_ms: 0,
      parameterCount: pinnParameterCount({ patternSize: options.patternSize, filterScale: options.filterScale }),
      patternSize: options.patternSize,
      patternCount,
      backend: tf.getBackend(),
    };
  }

  /**
   * Trains the last run's network for `epochs` more epochs, continuing its weights, optimizer
   * state, learning-rate schedule, early-stopping counters, batch order and loss history.
   */
  async resume(epochs: number, hooks: PinnRunHooks): Promise<PinnRunSummary> {
    const run = this.resumable;
    if (!run) {
      throw new Error(
        'No PtychoPINN training to resume: a new run, a loaded model or another scan ended it. Press Train to start one.',
      );
    }
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > 10_000) {
      throw new Error(`Epochs to resume must be a whole number from 1 to 10000, received ${epochs}.`);
    }
    return this.trainSegment(run, epochs, hooks, hooks.now());
  }

  /** Trains `epochs` more epochs of `run`, then predicts and stitches the whole training scan. */
  private async trainSegment(
    run: ResumableRun,
    epochs: number,
    hooks: PinnRunHooks,
    started: number,
  ): Promise<PinnRunSummary> {
    const { trainer, data, options } = run;
    const targetEpochs = trainer.epochsDone + epochs;
    const elapsed_ms = () => run.training_ms + hooks.now() - started;
    const progressOf = (snapshot: PinnSnapshot | undefined, batchesDone = 0, batchesPerEpoch = 0): PinnProgress => ({
      stage: 'training',
      epochsDone: trainer.epochsDone,
      epochs: targetEpochs,
      batchesDone,
      batchesPerEpoch,
      trainLosses: trainer.history.map((report) => report.trainLoss),
      validationLosses: trainer.history.map((report) => report.validationLoss),
      learningRate: trainer.history.at(-1)?.learningRate ?? trainer.learningRate,
      elapsed_ms: elapsed_ms(),
      snapshot,
    });

    let lastUpdate = hooks.now();
    /** The last preview, which is the final result when its epoch is the one whose weights are kept. */
    let preview: { epoch: number; snapshot: PinnSnapshot; inference_ms: number } | null = null;
    let result;
    try {
      result = await trainer.train(epochs, {
        shouldStop: hooks.shouldStop,
        onBatchEnd: ({ batchesDone, batchesPerEpoch }) => {
          // Slow epochs, such as those of the published network on the cpu backend, show their batches.
          if (batchesDone === batchesPerEpoch || hooks.now() - lastUpdate < BATCH_PROGRESS_INTERVAL_MS) return;
          lastUpdate = hooks.now();
          hooks.onProgress(progressOf(undefined, batchesDone, batchesPerEpoch));
        },
        onEpochEnd: async (report, model) => {
          // The preview predicts every pattern, about a third of an epoch's cost, so it is skipped
          // when a stop was requested.
          await yieldToEventLoop();
          preview = null;
          if (!hooks.shouldStop()) {
            const previewStarted = hooks.now();
            const probe = await probeStateOf(trainer, options.trainableProbe);
            const snapshot = toSnapshot(await reconstructObject(model, data), data, probe);
            preview = { epoch: report.epoch, snapshot, inference_ms: hooks.now() - previewStarted };
          }
          lastUpdate = hooks.now();
          hooks.onProgress(progressOf(preview?.snapshot));
        },
      });
    } catch (error) {
      // A failed step can leave the weights and the optimizer out of step, so the run cannot resume.
      this.reset();
      throw error;
    }
    run.training_ms = elapsed_ms();
    this.modelOrigin = { source: 'trained', training_ms: run.training_ms };

    const last = result.history.at(-1);
    this.sidecar = {
      format: 'ptychoscope-ptychopinn',
      version: PINN_SIDECAR_VERSION,
      patternSize: data.patternSize,
      filterScale: options.filterScale,
      trainingNormalization: data.normalization,
      trainingScan: { name: run.datasetName, patternCount: data.patternCount, patternSize: run.datasetPatternSize },
      epochs: trainer.epochsDone,
      finalTrainLoss: last?.trainLoss ?? Number.NaN,
      finalValidationLoss: last && Number.isFinite(last.validationLoss) ? last.validationLoss : null,
      trainableProbe: options.trainableProbe,
      savedAt: '',
    };
    // result.probe is the probe of the kept (best) epoch, the one the final object goes with.
    this.probeState = options.trainableProbe
      ? { kind: 'trained', probe: result.probe, probeSize: data.patternSize }
      : { kind: 'fixed' };
    const final = await this.finalSnapshot(trainer, data, preview, hooks);
    const inference_ms = final?.inference_ms ?? 0;
    this.lastSnapshot = final ? { ...final.snapshot, probe: this.probeState } : null;
    const interruptedEpoch = trainer.partialEpoch;
    const ending = progressOf(this.lastSnapshot ?? undefined, interruptedEpoch?.batchesDone, interruptedEpoch?.batchesPerEpoch);
    hooks.onProgress({ ...ending, elapsed_ms: run.training_ms });

    return {
      kind: 'training',
      modelSource: 'trained',
      epochsDone: trainer.epochsDone,
      interruptedEpoch,
      stopReason: result.stopReason,
      training_ms: run.training_ms,
      inference_ms,
      parameterCount: pinnParameterCount({ patternSize: options.patternSize, filterScale: options.filterScale }),
      patternSize: data.patternSize,
      patternCount: data.patternCount,
      backend: tf.getBackend(),
    };
  }

  /**
   * Predicts and stitches the whole training scan with the kept weights. It reuses the last
   * preview when that came from the same weights, and returns null before the first completed
   * epoch, so that a Stop early in a slow run does not wait for a reconstruction of little use.
   */
  private async finalSnapshot(
    trainer: PinnTrainer,
    data: PinnTrainingData,
    preview: { epoch: number; snapshot: PinnSnapshot; inference_ms: number } | null,
    hooks: PinnRunHooks,
  ): Promise<{ snapshot: PinnSnapshot; inference_ms: number } | null> {
    if (trainer.epochsDone === 0) return null;
    if (preview !== null && preview.epoch === trainer.bestEpoch) return preview;
    const started = hooks.now();
    const stitched = await reconstructObject(trainer.model, data);
    return { snapshot: toSnapshot(stitched, data), inference_ms: hooks.now() - started };
  }

  /** Serialises the current model and its sidecar. */
  async save(): Promise<SavedPinnModel> {
    if (!this.model || !this.sidecar) throw new Error('No PtychoPINN model to save: train one or load one first.');
    const trainedProbe =
      this.probeState?.kind === 'trained'
        ? { values: this.probeState.probe, size: this.probeState.probeSize }
        : undefined;
    return saveModelFiles(this.model, { ...this.sidecar, savedAt: new Date().toISOString() }, trainedProbe);
  }

  /** Replaces the current model by a saved one; returns its sidecar. */
  async load(files: SavedPinnModel): Promise<PinnSidecar> {
    const sidecar = parseSidecar(files.sidecarJson, 'the sidecar file');
    const model = await loadModelFiles(files.modelJson, files.weights);
    const inputSide = model.inputs[0]?.shape[1];
    if (inputSide !== sidecar.patternSize) {
      model.dispose();
      throw new Error(
        `The model reads ${String(inputSide)} × ${String(inputSide)} patterns but its sidecar gives ${sidecar.patternSize}; ` +
          'choose the model.json, weights and sidecar saved together.',
      );
    }
    this.discardModel();
    this.model = model;
    this.modelOrigin = { source: 'loaded', training_ms: 0 };
    this.sidecar = sidecar;
    this.lastSnapshot = null;
    this.probeState = savedProbeState(files, sidecar);
    return sidecar;
  }

  /** Reconstructs `dataset` with the current model: prediction of every pattern and stitching only. */
  async infer(dataset: ScanDataset, hooks: Pick<PinnRunHooks, 'onProgress' | 'now'>): Promise<PinnRunSummary> {
    if (!this.model || !this.sidecar) throw new Error('No PtychoPINN model: train one or load one first.');
    const patternSize = this.sidecar.patternSize;
    if (patternSize > dataset.patternSize) {
      throw new Error(
        `The model reads ${patternSize} × ${patternSize} patterns, larger than this scan's ${dataset.patternSize} × ${dataset.patternSize}. ` +
          'Load a scan with patterns at least that large, or train a model on this scan.',
      );
    }
    const started = hooks.now();
    const data = await preparePinnData(dataset, { patternSize });
    const stitched = await reconstructObject(this.model, data);
    const inference_ms = hooks.now() - started;
    this.lastSnapshot = toSnapshot(stitched, data, this.probeState ?? undefined);
    const origin: ModelOrigin = this.modelOrigin ?? { source: 'loaded', training_ms: 0 };
    const history = this.resumable?.trainer.history ?? [];
    hooks.onProgress({
      stage: 'inference',
      epochsDone: this.sidecar.epochs,
      epochs: this.sidecar.epochs,
      batchesDone: 0,
      batchesPerEpoch: 0,
      trainLosses: history.map((report) => report.trainLoss),
      validationLosses: history.map((report) => report.validationLoss),
      learningRate: history.at(-1)?.learningRate ?? Number.NaN,
      elapsed_ms: inference_ms,
      snapshot: this.lastSnapshot,
    });
    return {
      kind: 'inference',
      modelSource: origin.source,
      epochsDone: this.sidecar.epochs,
      interruptedEpoch: null,
      stopReason: 'epochs',
      training_ms: origin.training_ms,
      inference_ms,
      parameterCount: this.model.countParams(),
      patternSize,
      patternCount: data.patternCount,
      backend: tf.getBackend(),
    };
  }

  dispose(): void {
    this.reset();
  }
}
