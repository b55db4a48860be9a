/** Messages between the page and the reconstruction worker. */
import type { BackendResolution, RequestedBackend } from '../device/policy';
import type { ScanDataset } from '../data/dataset';
import type { PieOptions } from '../solvers/pie/options';
import type { PieStartPoint } from '../solvers/pie/startPoint';
import type { PinnSidecar, SavedPinnModel } from '../solvers/pinn/modelFiles';
import type { PinnRunOptions } from '../solvers/pinn/runOptions';

/** The current estimate, copied to the host. */
export interface ReconstructionSnapshot {
  /** Object [objectHeight, objectWidth, 2], interleaved complex. */
  object: Float32Array;
  objectHeight: number;
  objectWidth: number;
  /** Main probe mode [probeSize, probeSize, 2], interleaved complex. probeSize is the pattern size, or twice it with far-field upsampling 2. */
  probe: Float32Array;
  probeSize: number;
  /** Every probe mode [probeModeCount, probeSize, probeSize, 2], in decreasing order of power. */
  probeModes: Float32Array;
  probeModeCount: number;
  /** Σ|P|² over all positions per object pixel [objectHeight, objectWidth]: where the scan saw the object. */
  coverage: Float32Array;
  /** Dataset coordinates (y, x) of object pixel [0, 0]. */
  originY_px: number;
  originX_px: number;
}

export interface ReconstructionProgress {
  /** Iterations completed so far. */
  iterationsDone: number;
  iterations: number;
  /** Fourier error of each completed iteration, in order. */
  fourierErrors: number[];
  elapsed_ms: number;
  /** Present at most a few times per second, and always with the last update. */
  snapshot?: ReconstructionSnapshot;
}

export interface RunSummary {
  iterationsDone: number;
  stopped: boolean;
  fourierErrors: number[];
  elapsed_ms: number;
  backend: string;
}

/** Two independent reconstructions of the even and the odd scan positions. */
export interface HalvesResult {
  first: ReconstructionSnapshot;
  second: ReconstructionSnapshot;
  /** Patterns in each half. */
  counts: [number, number];
  iterations: number;
  elapsed_ms: number;
  /** False when stopped before both halves finished; the snapshots are then null-free but partial. */
  completed: boolean;
}

/** A PtychoPINN object stitched from the network's predictions, on the network's pixel grid. */
export interface PinnSnapshot {
  /** Object [objectHeight, objectWidth, 2], interleaved complex; zero where no patch landed. */
  object: Float32Array;
  objectHeight: number;
  objectWidth: number;
  /** Summed stitching weights per object pixel [objectHeight, objectWidth]. */
  weights: Float32Array;
  /** Dataset coordinates (y, x) of object pixel [0, 0], in dataset object pixels. */
  originY_px: number;
  originX_px: number;
  /** Size of one network object pixel in dataset object pixels: N/n, 2 when 128² patterns are cropped to 64². */
  pixelSizeRatio: number;
  /** Probe of the physics layer; absent when unknown, as for a loaded model saved before probes were recorded. */
  probe?: PinnProbeState;
}

/**
 * Probe of a PtychoPINN run: 'trained' carries the fitted probe [probeSize, probeSize, 2],
 * interleaved complex in network units on the network's n × n grid. 'fixed' means the run kept
 * the scan file's probe.
 */
export type PinnProbeState = { kind: 'trained'; probe: Float32Array; probeSize: number } | { kind: 'fixed' };

export interface PinnProgress {
  /**
   * 'training' during Train and Resume. 'inference' when a model reconstructs a scan without
   * training. The epoch and loss fields then describe how that model was trained, as far as the
   * worker records it (no losses for a loaded model).
   */
  stage: 'training' | 'inference';
  /** Completed epochs, counted from the start of the run, resumed segments included. */
  epochsDone: number;
  /** Epoch at which the current request ends. */
  epochs: number;
  /** Batches done of the epoch in progress; 0 at the end of an epoch. */
  batchesDone: number;
  batchesPerEpoch: number;
  trainLosses: number[];
  validationLosses: number[];
  learningRate: number;
  elapsed_ms: number;
  /** Stitched preview, after each epoch. */
  snapshot?: PinnSnapshot;
}

/** An epoch that a stop interrupted after some of its batches; Resume continues it. */
export interface PinnInterruptedEpoch {
  /** 1-based epoch number. */
  epoch: number;
  batchesDone: number;
  batchesPerEpoch: number;
}

export interface PinnRunSummary {
  /**
   * 'training' for Train and Resume, 'inference' for a reconstruction with the current model, and
   * 'not-started' when a stop arrived while the data was prepared, so the previous model is kept.
   */
  kind: 'training' | 'inference' | 'not-started';
  /** Whether the model was trained in this worker or loaded from files. */
  modelSource: 'trained' | 'loaded';
  /** Completed epochs of the model, resumed segments included. */
  epochsDone: number;
  /** The epoch a stop interrupted, which is not in epochsDone; null when none was. */
  interruptedEpoch: PinnInterruptedEpoch | null;
  /** Reason training ended; 'epochs' for an inference. */
  stopReason: 'epochs' | 'early-stopping' | 'cancelled';
  /**
   * Training time of the model over every segment, without the final inference of each; 0 for a
   * loaded model (modelSource 'loaded'), whose sidecar does not record it.
   */
  training_ms: number;
  /** Time to predict every pattern and stitch the object, after training or for this inference. */
  inference_ms: number;
  parameterCount: number;
  /** Network input side n and the number of patterns trained on or reconstructed. */
  patternSize: number;
  patternCount: number;
  backend: string;
}

/** The worker's API: each method is one request and one response. */
export interface ReconstructionApi {
  initialize(requested: RequestedBackend): Promise<BackendResolution>;
  setDataset(dataset: ScanDataset): Promise<void>;
  /** Runs rPIE or ePIE on the loaded scan, from `startPoint` when given, else from a flat object. */
  reconstruct(options: PieOptions, startPoint?: PieStartPoint): Promise<RunSummary>;
  trainPinn(options: PinnRunOptions): Promise<PinnRunSummary>;
  /**
   * Trains the last PtychoPINN run for `epochs` more epochs from where it stopped: same weights,
   * optimizer state, schedule and batch order. Rejects when a new run, a loaded model or another
   * scan has ended that run.
   */
  resumePinn(epochs: number): Promise<PinnRunSummary>;
  /** Reconstructs the even and the odd scan positions separately, for a resolution estimate by FRC. */
  reconstructHalves(options: PieOptions): Promise<HalvesResult>;
  /** Reconstructs the loaded scan with the trained or loaded PtychoPINN model, without training. */
  inferPinn(): Promise<PinnRunSummary>;
  savePinnModel(): Promise<SavedPinnModel>;
  loadPinnModel(files: SavedPinnModel): Promise<PinnSidecar>;
  stop(): Promise<void>;
  snapshot(): Promise<ReconstructionSnapshot | null>;
}

/**
 * Requests that move a dataset's intensities to the worker in chunks. Each chunk is a copy whose
 * buffer is transferred, so the page never blocks on one large structured clone. The client's
 * setDataset sends these, and the worker assembles the dataset before calling the service.
 */
export type DatasetTransferMethod = 'beginDataset' | 'appendIntensities' | 'commitDataset';

export type ApiMethod = keyof ReconstructionApi | DatasetTransferMethod;

export interface WorkerRequest {
  id: number;
  method: ApiMethod;
  args: unknown[];
}

export type WorkerMessage =
  | { kind: 'response'; id: number; ok: true; value: unknown }
  | { kind: 'response'; id: number; ok: false; error: string }
  | { kind: 'progress'; progress: ReconstructionProgress }
  | { kind: 'pinnProgress'; progress: PinnProgress }
  | { kind: 'deviceLost'; message: string };
