/**
 * Page state around the reconstruction worker: the requested and resolved backend, the loaded
 * scan, the solver settings and the progress of the current run.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

import type { ScanDataset } from '../data/dataset';
import type { BackendResolution, RequestedBackend } from '../device/policy';
import { defaultsFor, type PieOptions } from '../solvers/pie/options';
import type { PieStartPoint } from '../solvers/pie/startPoint';
import type { SavedPinnModel } from '../solvers/pinn/modelFiles';
import { defaultPinnRunOptions, type PinnRunOptions } from '../solvers/pinn/runOptions';
import { startReconstructionWorker, type ReconstructionClient } from '../worker/client';
import type {
  HalvesResult,
  PinnProgress,
  PinnRunSummary,
  PinnSnapshot,
  ReconstructionProgress,
  ReconstructionSnapshot,
  RunSummary,
} from '../worker/protocol';

export type RunState = 'idle' | 'running' | 'stopping' | 'finished' | 'stopped' | 'failed';

export interface ReconstructionSession {
  resolution: BackendResolution | null;
  deviceError: string | null;
  workerReady: boolean;
  options: PieOptions;
  setOptions(options: PieOptions): void;
  runState: RunState;
  runError: string | null;
  progress: ReconstructionProgress | null;
  snapshot: ReconstructionSnapshot | null;
  summary: RunSummary | null;
  /** Start point of the next rPIE or ePIE run with its file name, or null for a flat start. */
  startPoint: LabelledStartPoint | null;
  setStartPoint(startPoint: LabelledStartPoint | null): void;
  start(): void;
  stop(): void;
  pinnOptions: PinnRunOptions;
  setPinnOptions(options: PinnRunOptions): void;
  pinnProgress: PinnProgress | null;
  pinnSnapshot: PinnSnapshot | null;
  pinnSummary: PinnRunSummary | null;
  /** Method of the current or last run. */
  activeMethod: 'pie' | 'pinn';
  startPinn(): void;
  /** The run that Resume would continue under the current settings, or null when none can resume. */
  pinnResume: PinnResumeState | null;
  /** Continues the last PtychoPINN run for the Epochs setting's number of epochs. */
  resumePinn(): void;
  /** Description of the worker's current PtychoPINN model, or null when there is none. */
  pinnModelLabel: string | null;
  inferPinn(): void;
  /** Returns the model files to save; rejects when there is no model. */
  savePinnModel(): Promise<SavedPinnModel>;
  loadPinnModel(files: SavedPinnModel): Promise<void>;
  /** Reconstructions of the even and the odd positions, for the half-scan FRC. */
  halves: HalvesResult | null;
  startHalves(): void;
}

/** A start point and the name of the file it came from. */
export interface LabelledStartPoint {
  startPoint: PieStartPoint;
  fileName: string;
}

/** The PtychoPINN run that the worker can resume, as the page describes it. */
export interface PinnResumeState {
  /** Epochs trained so far; a resume starts with the next one. */
  fromEpoch: number;
  /** Epochs that a resume adds: the current Epochs setting. */
  epochs: number;
  /** Reason that Resume is unavailable under the current settings, or null when it is available. */
  blockedReason: string | null;
}

const PINN_SETTING_LABELS: Record<Exclude<keyof PinnRunOptions, 'epochs'>, string> = {
  batchSize: 'batch size',
  learningRate: 'learning rate',
  patternSize: 'network input',
  filterScale: 'network width',
  trainableProbe: 'probe training',
  maxPatterns: 'patterns used',
  seed: 'seed',
};

/**
 * Returns why a run trained with `trained` cannot resume under `current`, or null when it can.
 * Only the number of epochs may differ, because the weights, optimizer and batches belong to the
 * other settings.
 */
export function pinnResumeBlockedReason(trained: PinnRunOptions, current: PinnRunOptions): string | null {
  const changed = (Object.keys(PINN_SETTING_LABELS) as (keyof typeof PINN_SETTING_LABELS)[])
    .filter((key) => trained[key] !== current[key])
    .map((key) => PINN_SETTING_LABELS[key]);
  if (changed.length > 0) {
    return (
      `The ${new Intl.ListFormat('en', { type: 'conjunction' }).format(changed)} changed since this network was trained. ` +
      'Set them back to resume, or press Train PtychoPINN to start a new network.'
    );
  }
  if (!Number.isInteger(current.epochs) || current.epochs < 1 || current.epochs > 10_000) {
    return `Epochs must be a whole number from 1 to 10000 to resume, received ${current.epochs}.`;
  }
  return null;
}

export function useReconstruction(requested: RequestedBackend, dataset: ScanDataset | null): ReconstructionSession {
  const clientRef = useRef<ReconstructionClient | null>(null);
  /** The scan the current worker holds, so that a run sends it only once. */
  const sentDatasetRef = useRef<ScanDataset | null>(null);
  const [resolution, setResolution] = useState<BackendResolution | null>(null);
  const [deviceError, setDeviceError] = useState<string | null>(null);
  const [options, setOptions] = useState<PieOptions>(() => defaultsFor('rpie'));
  const [runState, setRunState] = useState<RunState>('idle');
  const [runError, setRunError] = useState<string | null>(null);
  const [progress, setProgress] = useState<ReconstructionProgress | null>(null);
  const [snapshot, setSnapshot] = useState<ReconstructionSnapshot | null>(null);
  const [summary, setSummary] = useState<RunSummary | null>(null);
  const [pinnOptions, setPinnOptions] = useState<PinnRunOptions>(defaultPinnRunOptions);
  const [pinnProgress, setPinnProgress] = useState<PinnProgress | null>(null);
  const [pinnSnapshot, setPinnSnapshot] = useState<PinnSnapshot | null>(null);
  const [pinnSummary, setPinnSummary] = useState<PinnRunSummary | null>(null);
  const [activeMethod, setActiveMethod] = useState<'pie' | 'pinn'>('pie');
  const [pinnModelLabel, setPinnModelLabel] = useState<string | null>(null);
  const [halves, setHalves] = useState<HalvesResult | null>(null);
  /** Settings and epoch count of the PtychoPINN run that the worker can resume. */
  const [resumablePinn, setResumablePinn] = useState<{ options: PinnRunOptions; epochsDone: number } | null>(null);
  const [startPoint, setStartPoint] = useState<LabelledStartPoint | null>(null);

  useEffect(() => {
    setResolution(null);
    setDeviceError(null);
    const client = startReconstructionWorker({
      onProgress: (update) => {
        setProgress(update);
        if (update.snapshot) setSnapshot(update.snapshot);
      },
      onPinnProgress: (update) => {
        setPinnProgress(update);
        if (update.snapshot) setPinnSnapshot(update.snapshot);
      },
      onDeviceLost: (message) => {
        setDeviceError(`The GPU device was lost: ${message}. Reload the page or pick another backend.`);
        // The worker's pending GPU reads may never return, so release the controls.
        setRunState('failed');
      },
    });
    clientRef.current = client;
    sentDatasetRef.current = null;
    setPinnModelLabel(null);
    let cancelled = false;
    client
      .initialize(requested)
      .then((value) => {
        if (!cancelled) setResolution(value);
      })
      .catch((error: Error) => {
        if (!cancelled) setDeviceError(error.message);
      });
    return () => {
      cancelled = true;
      client.terminate();
      clientRef.current = null;
    };
  }, [requested]);

  // Results of the previous scan or backend no longer match what is loaded now.
  useEffect(() => {
    setSnapshot(null);
    setProgress(null);
    setSummary(null);
    setPinnSnapshot(null);
    setPinnProgress(null);
    setPinnSummary(null);
    setHalves(null);
    setRunError(null);
    setRunState('idle');
    // The worker ends the training run on another scan, and a new backend starts a new worker.
    setResumablePinn(null);
  }, [dataset, requested]);

  // A start point is made for one scan, so another scan drops it.
  useEffect(() => {
    setStartPoint(null);
  }, [dataset]);

  // The worker receives the scan with the first run, so it is ready once its backend has resolved.
  const workerReady = resolution !== null && dataset !== null;

  /**
   * Sends the scan to the worker unless it has it already. The worker gets a scan only when a run
   * needs it, so opening a large file keeps one copy of the patterns in the page, not two.
   */
  const sendDataset = useCallback(
    async (client: ReconstructionClient) => {
      if (dataset === null || sentDatasetRef.current === dataset) return;
      await client.setDataset(dataset);
      sentDatasetRef.current = dataset;
    },
    [dataset],
  );

  /**
   * Runs one worker request as the current run: marks it running under `method`, sends the scan
   * if the worker lacks it, and on completion sets the run state that `ending` derives from the
   * result, or the error.
   */
  const runInWorker = useCallback(
    <T,>(method: 'pie' | 'pinn', request: (client: ReconstructionClient) => Promise<T>, ending: (result: T) => RunState) => {
      const client = clientRef.current;
      if (!client) return;
      setRunState('running');
      setActiveMethod(method);
      setRunError(null);
      sendDataset(client)
        .then(() => request(client))
        .then((result) => setRunState(ending(result)))
        .catch((error: Error) => {
          setRunError(error.message);
          setRunState('failed');
        });
    },
    [sendDataset],
  );

  const start = useCallback(() => {
    setProgress(null);
    setSummary(null);
    runInWorker(
      'pie',
      (client) => client.reconstruct(options, startPoint?.startPoint),
      (result) => {
        setSummary(result);
        return result.stopped ? 'stopped' : 'finished';
      },
    );
  }, [options, startPoint, runInWorker]);

  /** Sends one PtychoPINN training request; on success the run it trained can resume. */
  const runPinnTraining = useCallback(
    (options: PinnRunOptions, request: (client: ReconstructionClient) => Promise<PinnRunSummary>) => {
      setPinnSummary(null);
      setResumablePinn(null);
      // A failed request leaves nothing to resume, because the worker discards a run whose training failed.
      runInWorker('pinn', request, (result) => {
        setPinnSummary(result);
        setResumablePinn({ options, epochsDone: result.epochsDone });
        setPinnModelLabel(
          `trained here: ${result.epochsDone} epochs on ${result.patternCount} patterns of ${result.patternSize}², ` +
            `${(result.parameterCount / 1e6).toFixed(2)} M parameters`,
        );
        return result.stopReason === 'cancelled' ? 'stopped' : 'finished';
      });
    },
    [runInWorker],
  );

  const startPinn = useCallback(() => {
    setPinnProgress(null);
    runPinnTraining(pinnOptions, (client) => client.trainPinn(pinnOptions));
  }, [pinnOptions, runPinnTraining]);

  const pinnResume: PinnResumeState | null = resumablePinn && {
    fromEpoch: resumablePinn.epochsDone,
    epochs: pinnOptions.epochs,
    blockedReason: pinnResumeBlockedReason(resumablePinn.options, pinnOptions),
  };

  const resumePinn = useCallback(() => {
    if (!resumablePinn || pinnResumeBlockedReason(resumablePinn.options, pinnOptions) !== null) return;
    // The progress stays, so the loss plot extends with the resumed epochs.
    runPinnTraining(resumablePinn.options, (client) => client.resumePinn(pinnOptions.epochs));
  }, [pinnOptions, resumablePinn, runPinnTraining]);

  const startHalves = useCallback(() => {
    setHalves(null);
    runInWorker(
      'pie',
      (client) => client.reconstructHalves(options),
      (result) => {
        setHalves(result);
        return result.completed ? 'finished' : 'stopped';
      },
    );
  }, [options, runInWorker]);

  const inferPinn = useCallback(() => {
    setPinnSummary(null);
    runInWorker(
      'pinn',
      (client) => client.inferPinn(),
      (result) => {
        setPinnSummary(result);
        return 'finished';
      },
    );
  }, [runInWorker]);

  const savePinnModel = useCallback(async () => {
    const client = clientRef.current;
    if (!client) throw new Error('The reconstruction worker is not running.');
    return client.savePinnModel();
  }, []);

  const loadPinnModel = useCallback(async (files: SavedPinnModel) => {
    const client = clientRef.current;
    if (!client) throw new Error('The reconstruction worker is not running.');
    const sidecar = await client.loadPinnModel(files);
    setResumablePinn(null);
    setPinnModelLabel(
      `loaded: trained on ${sidecar.trainingScan.name} (${sidecar.trainingScan.patternCount} patterns), ` +
        `${sidecar.epochs} epochs, input ${sidecar.patternSize}²`,
    );
  }, []);

  const stop = useCallback(() => {
    setRunState('stopping');
    void clientRef.current?.stop();
  }, []);

  return {
    resolution,
    deviceError,
    workerReady,
    options,
    setOptions,
    runState,
    runError,
    progress,
    snapshot,
    summary,
    startPoint,
    setStartPoint,
    start,
    stop,
    pinnOptions,
    setPinnOptions,
    pinnProgress,
    pinnSnapshot,
    pinnSummary,
    activeMethod,
    startPinn,
    pinnResume,
    resumePinn,
    pinnModelLabel,
    inferPinn,
    savePinnModel,
    loadPinnModel,
    halves,
    startHalves,
  };
}
