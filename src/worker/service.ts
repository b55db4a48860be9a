/**
 * The reconstruction service that runs inside the Web Worker: device resolution, the loaded
 * dataset, and one PIE run at a time. It is a plain object of async functions so that tests can
 * drive it in Node with the CPU backend and no worker.
 */
import * as tf from '@tensorflow/tfjs';

import type { ScanDataset } from '../data/dataset';
import type { BackendResolution, RequestedBackend } from '../device/policy';
import { PieSolver } from '../solvers/pie/pie';
import type { PieOptions } from '../solvers/pie/options';
import type { PieStartPoint } from '../solvers/pie/startPoint';
import type { PinnRunOptions } from '../solvers/pinn/runOptions';
import { PinnRunner } from './pinnRunner';
import { subsetDataset } from '../data/subset';
import { splitHalves } from '../metrics/halfComparison';
import type {
  HalvesResult,
  PinnProgress,
  PinnRunSummary,
  ReconstructionApi,
  ReconstructionProgress,
  ReconstructionSnapshot,
  RunSummary,
} from './protocol';

/** Minimum time between two snapshots sent with progress updates. */
const SNAPSHOT_INTERVAL_MS = 400;

/**
 * Maximum age of the probe coverage sent with a snapshot. Recomputing it costs one overlap sum per
 * batch, an estimated 1.7 s per snapshot on SwiftShader WebGL. It only drifts as the probe is
 * refined, so intermediate snapshots reuse it. The snapshot at the end of a run recomputes it.
 */
const COVERAGE_MAX_AGE_MS = 10_000;

export interface ServiceDependencies {
  resolveDevice(requested: RequestedBackend): Promise<BackendResolution>;
  onProgress(progress: ReconstructionProgress): void;
  onPinnProgress?(progress: PinnProgress): void;
  now?(): number;
}

export function createReconstructionService(dependencies: ServiceDependencies): ReconstructionApi {
  const now = dependencies.now ?? (() => performance.now());
  let resolution: BackendResolution | null = null;
  let dataset: ScanDataset | null = null;
  let solver: PieSolver | null = null;
  const pinn = new PinnRunner();
  let running = false;
  let stopRequested = false;

  let coverageCache: { solver: PieSolver; values: Float32Array; time: number } | null = null;

  async function readCoverage(current: PieSolver, fresh: boolean): Promise<Float32Array> {
    const cached = coverageCache;
    if (!fresh && cached && cached.solver === current && now() - cached.time < COVERAGE_MAX_AGE_MS) {
      return cached.values;
    }
    const values = await current.readCoverage();
    coverageCache = { solver: current, values, time: now() };
    return values;
  }

  async function takeSnapshot(current: PieSolver, freshCoverage = true): Promise<ReconstructionSnapshot> {
    const [object, probeModes, coverage] = await Promise.all([
      current.readObject(),
      current.readProbeModes(),
      readCoverage(current, freshCoverage),
    ]);
    const probe = probeModes.slice(0, current.windowSize * current.windowSize * 2);
    return {
      object,
      objectHeight: current.geometry.objectHeight_px,
      objectWidth: current.geometry.objectWidth_px,
      probe,
      probeSize: current.windowSize,
      probeModes,
      probeModeCount: current.probeModeCount,
      coverage,
      originY_px: current.geometry.originY_px,
      originX_px: current.geometry.originX_px,
    };
  }

  return {
    async initialize(requested) {
      resolution = await dependencies.resolveDevice(requested);
      return resolution;
    },

    async setDataset(next) {
      if (running) throw new Error('A reconstruction is running; stop it before loading another dataset.');
      dataset = next;
      solver?.dispose();
      solver = null;
      // The model stays for inference on the new scan, but training cannot resume on other data.
      pinn.endTraining();
    },

    async reconstructHalves(options: PieOptions): Promise<HalvesResult> {
      if (!resolution) throw new Error('The compute backend is not initialised; call initialize() first.');
      if (!dataset) throw new Error('No dataset is loaded; load one before reconstructing.');
      if (running) throw new Error('A reconstruction is already running.');
      const halves = splitHalves(dataset.patternCount).map((indices) => subsetDataset(dataset as ScanDataset, indices));
      if (halves.some((half) => half.patternCount < 2)) {
        throw new Error(`The scan has ${dataset.patternCount} patterns; each half needs at least 2.`);
      }
      running = true;
      stopRequested = false;
      const started = now();
      const snapshots: ReconstructionSnapshot[] = [];
      let completed = true;
      try {
        for (const [index, half] of halves.entries()) {
          const halfSolver = new PieSolver(half, options);
          try {
            while (halfSolver.iterationsDone < options.iterations && !stopRequested) {
              const { completed: iterationDone } = await halfSolver.iterate(() => stopRequested);
              if (!iterationDone) break;
              dependencies.onProgress({
                iterationsDone: index * options.iterations + halfSolver.iterationsDone,
                iterations: 2 * options.iterations,
                fourierErrors: [],
                elapsed_ms: now() - started,
              });
            }
            completed = completed && halfSolver.iterationsDone === options.iterations;
            snapshots.push(await takeSnapshot(halfSolver));
          } finally {
            halfSolver.dispose();
          }
        }
        return {
          first: snapshots[0],
          second: snapshots[1],
          counts: [halves[0].patternCount, halves[1].patternCount],
          iterations: options.iterations,
          elapsed_ms: now() - started,
          completed,
        };
      } finally {
        running = false;
      }
    },

    async trainPinn(options: PinnRunOptions): Promise<PinnRunSummary> {
      if (!resolution) throw new Error('The compute backend is not initialised; call initialize() first.');
      if (!dataset) throw new Error('No dataset is loaded; load one before training.');
      if (running) throw new Error('A reconstruction is already running.');
      running = true;
      stopRequested = false;
      try {
        return await pinn.run(dataset, options, {
          onProgress: (progress) => dependencies.onPinnProgress?.(progress),
          shouldStop: () => stopRequested,
          now,
        });
      } finally {
        running = false;
      }
    },

    async reconstruct(options: PieOptions, startPoint?: PieStartPoint): Promise<RunSummary> {
      if (!resolution) throw new Error('The compute backend is not initialised; call initialize() first.');
      if (!dataset) throw new Error('No dataset is loaded; load one before reconstructing.');
      if (running) throw new Error('A reconstruction is already running.');
      // Built before the previous solver is disposed, so invalid settings or a start point that
      // does not fit the scan keep the last result.
      const next = new PieSolver(dataset, options, startPoint);
      solver?.dispose();
      solver = next;
      running = true;
      stopRequested = false;
      const fourierErrors: number[] = [];
      const started = now();

      try {
        let lastSnapshot = -Infinity;
        while (solver.iterationsDone < options.iterations && !stopRequested) {
          const { fourierError, completed } = await solver.iterate(() => stopRequested);
          if (!completed) break;
          fourierErrors.push(fourierError);
          const finished = solver.iterationsDone === options.iterations;
          const progress: ReconstructionProgress = {
            iterationsDone: solver.iterationsDone,
            iterations: options.iterations,
            fourierErrors: fourierErrors.slice(),
            elapsed_ms: now() - started,
          };
          if (finished || now() - lastSnapshot >= SNAPSHOT_INTERVAL_MS) {
            progress.snapshot = await takeSnapshot(solver, finished);
            lastSnapshot = now();
          }
          dependencies.onProgress(progress);
        }

        const stopped = solver.iterationsDone < options.iterations;
        if (stopped) {
          dependencies.onProgress({
            iterationsDone: solver.iterationsDone,
            iterations: options.iterations,
            fourierErrors: fourierErrors.slice(),
            elapsed_ms: now() - started,
            snapshot: await takeSnapshot(solver),
          });
        }
        return {
          iterationsDone: solver.iterationsDone,
          stopped,
          fourierErrors,
          elapsed_ms: now() - started,
          backend: tf.getBackend(),
        };
      } finally {
        running = false;
      }
    },

    async resumePinn(epochs: number): Promise<PinnRunSummary> {
      if (running) throw new Error('A reconstruction is already running.');
      running = true;
      stopRequested = false;
      try {
        return await pinn.resume(epochs, {
          onProgress: (progress) => dependencies.onPinnProgress?.(progress),
          shouldStop: () => stopRequested,
          now,
        });
      } finally {
        running = false;
      }
    },

    async inferPinn(): Promise<PinnRunSummary> {
      if (!dataset) throw new Error('No dataset is loaded; load one before reconstructing.');
      if (running) throw new Error('A reconstruction is already running.');
      running = true;
      try {
        return await pinn.infer(dataset, {
          onProgress: (progress) => dependencies.onPinnProgress?.(progress),
          now,
        });
      } finally {
        running = false;
      }
    },

    async savePinnModel() {
      return pinn.save();
    },

    async loadPinnModel(files) {
      if (running) throw new Error('A reconstruction is running; stop it before loading a model.');
      return pinn.load(files);
    },

    async stop() {
      stopRequested = true;
    },

    async snapshot() {
      return solver ? takeSnapshot(solver) : null;
    },
  };
}
