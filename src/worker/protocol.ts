/** Messages between the page and the reconstruction worker. */
import type { BackendResolution, RequestedBackend } from '../device/policy';
import type { ScanDataset } from '../data/dataset';
import type { PieOptions } from '../solvers/pie/options';

/** The current estimate, copied to the host. */
export interface ReconstructionSnapshot {
  /** Object [objectHeight, objectWidth, 2], interleaved complex. */
  object: Float32Array;
  objectHeight: number;
  objectWidth: number;
  /** Main probe mode [probeSize, probeSize, 2], interleaved complex. */
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

/** The worker's API: each method is one request and one response. */
export interface ReconstructionApi {
  initialize(requested: RequestedBackend): Promise<BackendResolution>;
  setDataset(dataset: ScanDataset): Promise<void>;
  reconstruct(options: PieOptions): Promise<RunSummary>;
  stop(): Promise<void>;
  snapshot(): Promise<ReconstructionSnapshot | null>;
}

export type ApiMethod = keyof ReconstructionApi;

export interface WorkerRequest {
  id: number;
  method: ApiMethod;
  args: unknown[];
}

export type WorkerMessage =
  | { kind: 'response'; id: number; ok: true; value: unknown }
  | { kind: 'response'; id: number; ok: false; error: string }
  | { kind: 'progress'; progress: ReconstructionProgress }
  | { kind: 'deviceLost'; message: string };
