/**
 * Page state around the reconstruction worker: the requested and resolved backend, the loaded
 * scan, the solver settings and the progress of the current run.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

import type { ScanDataset } from '../data/dataset';
import type { BackendResolution, RequestedBackend } from '../device/policy';
import { defaultsFor, type PieOptions } from '../solvers/pie/options';
import type { PieStartPoint } from '../solvers/pie/startPoint';
import type { PinnSidecar, SavedPinnModel } from '../solvers/pinn/modelFiles';
import { defaultPinnRunOptions, FILTER_SCALES, type PinnRunOptions } from '../solvers/pinn/runOptions';
import { startReconstructionWorker, type ReconstructionClient } from '../worker/client';
import { formatEpochs } from './components/ProgressPanel';
import type {
  HalvesResult,
  PinnInterruptedEpoch,
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
  /** Error of the last run, of the method in activeMethod. */
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
  /** One line on PtychoPINN settings that the page changed itself, for a new scan or a loaded model. */
  pinnSettingsNotice: string | null;
  /** Training progress of the current model, or null when it was loaded or nothing was trained. */
  pinnProgress: PinnProgress | null;
  pinnSnapshot: PinnSnapshot | null;
  pinnSummary: PinnRunSummary | null;
  /** Method of the current or last run. */
  activeMethod: 'pie' | 'pinn';
  /** Kind of the current or last PtychoPINN request, or null before the first. */
  pinnActivity: PinnActivity | null;
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

/** Settings and epoch count of a PtychoPINN run that the worker can resume. */
interface ResumablePinn {
  options: PinnRunOptions;
  epochsDone: number;
  interruptedEpoch: PinnInterruptedEpoch | null;
}

/** A start point and the name of the file it came from. */
export interface LabelledStartPoint {
  startPoint: PieStartPoint;
  fileName: string;
}

/** Training (Train or Resume) or a reconstruction with the current model. */
export type PinnActivity = 'training' | 'inference';

/** The PtychoPINN run that the worker can resume, as the page describes it. */
export interface PinnResumeState {
  /** Epochs completed so far; a resume starts with the next one. */
  fromEpoch: number;
  /** The epoch a stop interrupted, which a resume finishes first; null when none was. */
  interruptedEpoch: PinnInterruptedEpoch | null;
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

/** Largest power of two from 16 to `limit`, or null when `limit` is below 16. */
function largestNetworkInput(limit: number): number | null {
  if (!(limit >= 16)) return null;
  return 2 ** Math.floor(Math.log2(limit));
}

function isValidNetworkInput(size: number, datasetPatternSize: number): boolean {
  return Number.isInteger(size) && size >= 16 && (size & (size - 1)) === 0 && size <= datasetPatternSize;
}

/** PtychoPINN settings and the one-line notice that explains a change the page made to them. */
export interface AdjustedPinnOptions {
  options: PinnRunOptions;
  /** Null when nothing changed. */
  notice: string | null;
}

/**
 * Lowers the network input to the largest size that a scan of `datasetPatternSize` px patterns
 * allows, when the current one is too large for it. Scans under 16 px are left to validation.
 */
export function fitPinnOptionsToScan(options: PinnRunOptions, datasetPatternSize: number): AdjustedPinnOptions {
  const largest = largestNetworkInput(datasetPatternSize);
  if (largest === null || isValidNetworkInput(options.patternSize, datasetPatternSize)) return { options, notice: null };
  const size = options.patternSize;
  return {
    options: { ...options, patternSize: largest },
    notice:
      `Network input changed from ${size} × ${size} to ${largest} × ${largest}, ` +
      `the largest that this scan's ${datasetPatternSize} × ${datasetPatternSize} patterns allow.`,
  };
}

/**
 * Sets the network input and width to those of a loaded model, so that the settings describe it.
 * An input larger than the scan's patterns is not taken, because the scan could not be trained on.
 */
export function pinnOptionsForModel(
  options: PinnRunOptions,
  model: Pick<PinnSidecar, 'patternSize' | 'filterScale'>,
  datasetPatternSize: number,
): AdjustedPinnOptions {
  const widthKnown = (FILTER_SCALES as readonly number[]).includes(model.filterScale);
  const filterScale = widthKnown ? model.filterScale : options.filterScale;
  const width = model.filterScale === 1 ? 'published width' : `width × ${model.filterScale}`;
  const input = `${model.patternSize} × ${model.patternSize}`;
  if (!isValidNetworkInput(model.patternSize, datasetPatternSize)) {
    return {
      options: { ...options, filterScale },
      notice:
        `The model reads ${input} patterns, larger than this scan's ${datasetPatternSize} × ${datasetPatternSize}, ` +
        `so it cannot reconstruct this scan; the network input stays ${options.patternSize} × ${options.patternSize}.`,
    };
  }
  return {
    options: { ...options, patternSize: model.patternSize, filterScale },
    notice: `Network input and width set to the loaded model's: ${input}, ${width}.`,
  };
}

/** Describes the model that a training request left in the worker, for the Model line. */
export function describeTrainedModel(result: PinnRunSummary): string {
  const interrupted = result.interruptedEpoch;
  const partial = interrupted
    ? ` and ${interrupted.batchesDone} of ${interrupted.batchesPerEpoch} batches of epoch ${interrupted.epoch}`
    : '';
  return (
    `trained here: ${formatEpochs(result.epochsDone)}${partial} on ${result.patternCount} patterns of ${result.patternSize}², ` +
    `${(result.parameterCount / 1e6).toFixed(2)} M parameters`
  );
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
  const [pinnOptions, setPinnOptionsState] = useState<PinnRunOptions>(defaultPinnRunOptions);
  const [pinnSettingsNotice, setPinnSettingsNotice] = useState<string | null>(null);
  const pinnOptionsRef = useRef(pinnOptions);
  pinnOptionsRef.current = pinnOptions;
  const [pinnActivity, setPinnActivity] = useState<PinnActivity | null>(null);
  const [pinnProgress, setPinnProgress] = useState<PinnProgress | null>(null);
  const [pinnSnapshot, setPinnSnapshot] = useState<PinnSnapshot | null>(null);
  const [pinnSummary, setPinnSummary] = useState<PinnRunSummary | null>(null);
  const [activeMethod, setActiveMethod] = useState<'pie' | 'pinn'>('pie');
  const [pinnModelLabel, setPinnModelLabel] = useState<string | null>(null);
  const [halves, setHalves] = useState<HalvesResult | null>(null);
  /** Settings and epoch count of the PtychoPINN run that the worker can resume. */
  const [resumablePinn, setResumablePinn] = useState<ResumablePinn | null>(null);
  const [startPoint, setStartPoint] = useState<LabelledStartPoint | null>(null);
  /** Set by every progress update, so that a run rejected before its first update can restore the page. */
  const progressArrivedRef = useRef(false);

  useEffect(() => {
    setResolution(null);
    setDeviceError(null);
    const client = startReconstructionWorker({
      onProgress: (update) => {
        progressArrivedRef.current = true;
        setProgress(update);
        if (update.snapshot) setSnapshot(update.snapshot);
      },
      onPinnProgress: (update) => {
        // An inference keeps the training record of the model it used.
        if (update.stage === 'training') setPinnProgress(update);
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
    setPinnActivity(null);
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
    setPinnSummary(null);
    setPinnActivity(null);
    setHalves(null);
    setRunError(null);
    setRunState('idle');
    // The worker ends the training run on another scan, and a new backend starts a new worker.
    setResumablePinn(null);
  }, [dataset, requested]);

  // The worker keeps its model for another scan, so the model's training record stays until a new
  // backend starts a new worker without it.
  useEffect(() => {
    setPinnProgress(null);
  }, [requested]);

  // A start point is made for one scan, so another scan drops it. A network input too large for
  // the new scan's patterns is lowered, so that Train stays available.
  useEffect(() => {
    setStartPoint(null);
    if (dataset === null) return;
    const fitted = fitPinnOptionsToScan(pinnOptionsRef.current, dataset.patternSize);
    if (fitted.notice !== null) {
      setPinnOptionsState(fitted.options);
      setPinnSettingsNotice(fitted.notice);
    }
  }, [dataset]);

  const setPinnOptions = useCallback((next: PinnRunOptions) => {
    setPinnSettingsNotice(null);
    setPinnOptionsState(next);
  }, []);

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
   * result, or the error, after calling `onFailure`.
   */
  const runInWorker = useCallback(
    <T,>(
      method: 'pie' | 'pinn',
      request: (client: ReconstructionClient) => Promise<T>,
      ending: (result: T) => RunState,
      onFailure?: () => void,
    ) => {
      const client = clientRef.current;
      if (!client) return;
      setRunState('running');
      setActiveMethod(method);
      setRunError(null);
      sendDataset(client)
        .then(() => request(client))
        .then((result) => setRunState(ending(result)))
        .catch((error: Error) => {
          onFailure?.();
          setRunError(error.message);
          setRunState('failed');
        });
    },
    [sendDataset],
  );

  const start = useCallback(() => {
    const previous = { progress, summary };
    progressArrivedRef.current = false;
    setProgress(null);
    setSummary(null);
    runInWorker(
      'pie',
      (client) => client.reconstruct(options, startPoint?.startPoint),
      (result) => {
        setSummary(result);
        return result.stopped ? 'stopped' : 'finished';
      },
      () => {
        // The worker keeps its last result when it rejects a run before the first iteration, so
        // the page keeps that run's error curve and summary beside its images and Save buttons.
        if (progressArrivedRef.current) return;
        setProgress(previous.progress);
        setSummary(previous.summary);
      },
    );
  }, [options, startPoint, runInWorker, progress, summary]);

  /**
   * Sends one PtychoPINN training request; on success the run it trained can resume. A request
   * that a stop ended before training began puts back what the page showed before it.
   */
  const runPinnTraining = useCallback(
    (
      options: PinnRunOptions,
      request: (client: ReconstructionClient) => Promise<PinnRunSummary>,
      modelLabelDuringRun: string,
    ) => {
      const previous = {
        progress: pinnProgress,
        summary: pinnSummary,
        activity: pinnActivity,
        label: pinnModelLabel,
        resumable: resumablePinn,
      };
      setPinnSummary(null);
      setResumablePinn(null);
      setPinnActivity('training');
      setPinnModelLabel(modelLabelDuringRun);
      runInWorker(
        'pinn',
        request,
        (result) => {
          if (result.kind === 'not-started') {
            // The stop is reported only when there is no earlier summary to show.
            setPinnSummary(previous.summary ?? result);
            setPinnActivity(previous.activity);
            setPinnProgress(previous.progress);
            setPinnModelLabel(previous.label);
            setResumablePinn(previous.resumable);
            return 'stopped';
          }
          setPinnSummary(result);
          setResumablePinn({ options, epochsDone: result.epochsDone, interruptedEpoch: result.interruptedEpoch });
          setPinnModelLabel(describeTrainedModel(result));
          return result.stopReason === 'cancelled' ? 'stopped' : 'finished';
        },
        // The worker discards a run whose training failed, so nothing is left to resume or save.
        // NOTE: a run whose settings the worker rejects keeps the previous model, which the page
        // then no longer offers. The page starts only runs whose settings pass the same checks.
        () => setPinnModelLabel(null),
      );
    },
    [runInWorker, pinnProgress, pinnSummary, pinnActivity, pinnModelLabel, resumablePinn],
  );

  const startPinn = useCallback(() => {
    // The object of the previous model would stand for the new one until its first epoch ends.
    setPinnProgress(null);
    setPinnSnapshot(null);
    runPinnTraining(pinnOptions, (client) => client.trainPinn(pinnOptions), 'a new network is being trained…');
  }, [pinnOptions, runPinnTraining]);

  const pinnResume: PinnResumeState | null = resumablePinn && {
    fromEpoch: resumablePinn.epochsDone,
    interruptedEpoch: resumablePinn.interruptedEpoch,
    epochs: pinnOptions.epochs,
    blockedReason: pinnResumeBlockedReason(resumablePinn.options, pinnOptions),
  };

  const resumePinn = useCallback(() => {
    if (!resumablePinn || pinnResumeBlockedReason(resumablePinn.options, pinnOptions) !== null) return;
    // The progress stays, so the loss plot extends with the resumed epochs.
    runPinnTraining(
      resumablePinn.options,
      (client) => client.resumePinn(pinnOptions.epochs),
      `being trained further from epoch ${resumablePinn.epochsDone}…`,
    );
  }, [pinnOptions, resumablePinn, runPinnTraining]);

  const startHalves = useCallback(() => {
    // The halves report progress while they run. Afterwards the progress panel and error curve
    // show the main reconstruction again, whose images stay on the page.
    const previousProgress = progress;
    setHalves(null);
    runInWorker(
      'pie',
      (client) => client.reconstructHalves(options),
      (result) => {
        setHalves(result);
        setProgress(previousProgress);
        return result.completed ? 'finished' : 'stopped';
      },
      () => setProgress(previousProgress),
    );
  }, [options, runInWorker, progress]);

  const inferPinn = useCallback(() => {
    setPinnSummary(null);
    setPinnActivity('inference');
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

  const loadPinnModel = useCallback(
    async (files: SavedPinnModel) => {
      const client = clientRef.current;
      if (!client) throw new Error('The reconstruction worker is not running.');
      const sidecar = await client.loadPinnModel(files);
      // The training record and the result belonged to the model that the loaded one replaced.
      setResumablePinn(null);
      setPinnProgress(null);
      setPinnSummary(null);
      setPinnSnapshot(null);
      setPinnActivity(null);
      setPinnModelLabel(
        `loaded: trained on ${sidecar.trainingScan.name} (${sidecar.trainingScan.patternCount} patterns), ` +
          `${formatEpochs(sidecar.epochs)}, input ${sidecar.patternSize}², width ${sidecar.filterScale === 1 ? 'published' : `× ${sidecar.filterScale}`}`,
      );
      const adjusted = pinnOptionsForModel(pinnOptionsRef.current, sidecar, dataset?.patternSize ?? sidecar.patternSize);
      setPinnOptionsState(adjusted.options);
      setPinnSettingsNotice(adjusted.notice);
    },
    [dataset],
  );

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
    pinnSettingsNotice,
    pinnProgress,
    pinnSnapshot,
    pinnSummary,
    activeMethod,
    pinnActivity,
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
