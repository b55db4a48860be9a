/**
 * One PtychoPINN run inside the worker: prepares the training arrays from the loaded scan, trains
 * with a stitched preview after every epoch, then times inference and stitching of the whole scan.
 * The model is kept after the run, so it can be saved or can reconstruct another scan.
 * It keeps the last trained model so that a later call can reuse it.
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
  saveModelFiles,
  type PinnSidecar,
  type SavedPinnModel,
} from '../solvers/pinn/modelFiles';
import { validatePinnRunOptions, type PinnRunOptions } from '../solvers/pinn/runOptions';
import { reconstructObject, type StitchedObject } from '../solvers/pinn/stitch';
import { trainPinn } from '../solvers/pinn/train';
import type { PinnProgress, PinnRunSummary, PinnSnapshot } from './protocol';

export interface PinnRunHooks {
  onProgress(progress: PinnProgress): void;
  shouldStop(): boolean;
  now(): number;
}

function toSnapshot(stitched: StitchedObject, data: PinnTrainingData): PinnSnapshot {
  return {
    object: stitched.object,
    objectHeight: stitched.height,
    objectWidth: stitched.width,
    weights: stitched.weights,
    originY_px: stitched.originY_px * data.pixelSizeRatio,
    originX_px: stitched.originX_px * data.pixelSizeRatio,
    pixelSizeRatio: data.pixelSizeRatio,
  };
}

export class PinnRunner {
  private model: tf.LayersModel | null = null;
  /** Description of the current model, written as the sidecar when it is saved. */
  private sidecar: PinnSidecar | null = null;
  private lastSnapshot: PinnSnapshot | null = null;

  /** The stitched object of the last finished or stopped run. */
  get snapshot(): PinnSnapshot | null {
    return this.lastSnapshot;
  }

  /** Drops the trained model, for example when another scan is loaded. */
  reset(): void {
    this.model?.dispose();
    this.model = null;
    this.sidecar = null;
    this.lastSnapshot = null;
  }

  async run(dataset: ScanDataset, options: PinnRunOptions, hooks: PinnRunHooks): Promise<PinnRunSummary> {
    const problems = validatePinnRunOptions(options, dataset.patternSize);
    if (problems.length > 0) throw new Error(`Invalid PtychoPINN settings: ${problems.join(' ')}`);

    const started = hooks.now();
    const data = await preparePinnData(firstPatterns(dataset, options.maxPatterns), { patternSize: options.patternSize });
    const trainLosses: number[] = [];
    const validationLosses: number[] = [];
    let epochsDone = 0;

    const result = await trainPinn(
      data,
      {
        epochs: options.epochs,
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        filterScale: options.filterScale,
        trainableProbe: options.trainableProbe,
        seed: options.seed,
      },
      {
        shouldStop: hooks.shouldStop,
        onEpochEnd: async (report, model) => {
          epochsDone = report.epoch;
          trainLosses.push(report.trainLoss);
          validationLosses.push(report.validationLoss);
          // The preview predicts every pattern, about a third of an epoch's cost, so it is skipped
          // when a stop was requested.
          const preview = hooks.shouldStop() ? undefined : toSnapshot(await reconstructObject(model, data), data);
          hooks.onProgress({
            epochsDone,
            epochs: options.epochs,
            trainLosses: trainLosses.slice(),
            validationLosses: validationLosses.slice(),
            learningRate: report.learningRate,
            elapsed_ms: hooks.now() - started,
            snapshot: preview,
          });
        },
      },
    );
    const training_ms = hooks.now() - started;

    this.model?.dispose();
    this.model = result.model;
    const last = result.history.at(-1);
    this.sidecar = {
      format: 'ptychoscope-ptychopinn',
      version: PINN_SIDECAR_VERSION,
      patternSize: data.patternSize,
      filterScale: options.filterScale,
      trainingNormalization: data.normalization,
      trainingScan: { name: dataset.name, patternCount: data.patternCount, patternSize: dataset.patternSize },
      epochs: epochsDone,
      finalTrainLoss: last?.trainLoss ?? Number.NaN,
      finalValidationLoss: last && Number.isFinite(last.validationLoss) ? last.validationLoss : null,
      savedAt: '',
    };
    const inferenceStarted = hooks.now();
    const stitched = await reconstructObject(result.model, data);
    const inference_ms = hooks.now() - inferenceStarted;
    this.lastSnapshot = toSnapshot(stitched, data);
    hooks.onProgress({
      epochsDone,
      epochs: options.epochs,
      trainLosses,
      validationLosses,
      learningRate: result.history.at(-1)?.learningRate ?? options.learningRate,
      elapsed_ms: hooks.now() - started,
      snapshot: this.lastSnapshot,
    });

    return {
      epochsDone,
      stopReason: result.stopReason,
      training_ms,
      inference_ms,
      parameterCount: pinnParameterCount({ patternSize: options.patternSize, filterScale: options.filterScale }),
      patternSize: data.patternSize,
      patternCount: data.patternCount,
      backend: tf.getBackend(),
    };
  }

  /** Serialises the current model and its sidecar. */
  async save(): Promise<SavedPinnModel> {
    if (!this.model || !this.sidecar) throw new Error('No PtychoPINN model to save: train one or load one first.');
    return saveModelFiles(this.model, { ...this.sidecar, savedAt: new Date().toISOString() });
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
    this.model?.dispose();
    this.model = model;
    this.sidecar = sidecar;
    this.lastSnapshot = null;
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
    this.lastSnapshot = toSnapshot(stitched, data);
    hooks.onProgress({
      epochsDone: 0,
      epochs: 0,
      trainLosses: [],
      validationLosses: [],
      learningRate: 0,
      elapsed_ms: inference_ms,
      snapshot: this.lastSnapshot,
    });
    return {
      epochsDone: 0,
      stopReason: 'epochs',
      training_ms: 0,
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
