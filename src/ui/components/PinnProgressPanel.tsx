import type { PinnActivity, PinnResumeState } from '../useReconstruction';
import type { PinnProgress, PinnRunSummary } from '../../worker/protocol';
import { formatSeconds } from './ProgressPanel';

interface Props {
  progress: PinnProgress | null;
  running: boolean;
  /** Kind of the current or last PtychoPINN request; an inference shows its own line. */
  activity?: PinnActivity | null;
  /** Summary of the last finished request, which gives an inference's time. */
  summary?: PinnRunSummary | null;
  /** Patterns of the loaded scan, which an inference reconstructs. */
  scanPatternCount?: number;
  /** The run that Resume would continue, or null when there is none. */
  resume?: PinnResumeState | null;
  /** True while Resume must wait, for example during a run or while a file is read. */
  resumeDisabled?: boolean;
  onResume?(): void;
}

/** Describes training progress: epochs done, the batch of the epoch in progress, times, losses and learning rate. */
export function describeTrainingProgress(progress: PinnProgress, running: boolean): string {
  const done = progress.epochsDone;
  const total = progress.epochs;
  const elapsed_s = progress.elapsed_ms / 1000;
  const left_s = done > 0 ? (elapsed_s / done) * (total - done) : NaN;
  const trainLoss = progress.trainLosses.at(-1);
  const validationLoss = progress.validationLosses.at(-1);
  const batch =
    progress.batchesDone > 0
      ? ` · batch ${progress.batchesDone} of ${progress.batchesPerEpoch} of epoch ${done + 1}` +
        (running ? '' : ' (stopped there; Resume continues it)')
      : '';
  return (
    `Epoch ${done} of ${total}${batch} · ${formatSeconds(elapsed_s)} elapsed` +
    (running && done > 0 ? ` · about ${formatSeconds(left_s)} left` : '') +
    (trainLoss !== undefined ? ` · training loss ${trainLoss.toPrecision(5)}` : '') +
    (validationLoss !== undefined && Number.isFinite(validationLoss)
      ? ` · validation loss ${validationLoss.toPrecision(5)}`
      : '') +
    ` · learning rate ${progress.learningRate.toExponential(1)}`
  );
}

/** Describes a reconstruction with the current model, running or done. */
export function describeInference(running: boolean, scanPatternCount: number, summary: PinnRunSummary | null): string {
  if (running) return `Reconstructing ${scanPatternCount} patterns with the model…`;
  if (summary?.kind === 'inference') {
    return `Reconstructed ${summary.patternCount} patterns with the model in ${formatSeconds(summary.inference_ms / 1000)}.`;
  }
  return 'The reconstruction with the model did not finish.';
}

/** Describes what Resume will do under the current settings. */
export function describeResume(resume: PinnResumeState): string {
  if (resume.blockedReason !== null) return resume.blockedReason;
  const target = resume.fromEpoch + resume.epochs;
  const interrupted = resume.interruptedEpoch;
  const start = interrupted
    ? `, starting with the rest of epoch ${interrupted.epoch} (batch ${interrupted.batchesDone + 1} of ${interrupted.batchesPerEpoch})`
    : '';
  return (
    `Resume continues from epoch ${resume.fromEpoch} for ${resume.epochs} more ${resume.epochs === 1 ? 'epoch' : 'epochs'} ` +
    `(to epoch ${target})${start}, with the same weights, optimizer state, learning rate and batch order. ` +
    'Train PtychoPINN starts a new network instead.'
  );
}

/**
 * Epoch k of n, the batch of the epoch in progress, elapsed time, an estimate of the time left,
 * the last losses and the Resume button. A reconstruction with the model shows its own line.
 */
export function PinnProgressPanel({
  progress,
  running,
  activity = 'training',
  summary = null,
  scanPatternCount = 0,
  resume = null,
  resumeDisabled = false,
  onResume,
}: Props) {
  const inference = activity === 'inference';
  const done = progress?.epochsDone ?? 0;
  const total = progress?.epochs ?? 0;
  let text: string;
  if (inference) text = describeInference(running, scanPatternCount, summary);
  else if (progress) text = describeTrainingProgress(progress, running);
  else text = running ? 'Preparing the data and building the network…' : 'Not started';

  return (
    <div className="progress-panel">
      {inference ? (
        running ? (
          <progress aria-label="Reconstruction with the model" />
        ) : (
          <progress max={1} value={summary?.kind === 'inference' ? 1 : 0} aria-label="Reconstruction with the model" />
        )
      ) : (
        <progress max={total || 1} value={done} aria-label="Training progress" />
      )}
      <p data-testid="pinn-progress-text">{text}</p>
      {inference && progress && !running && (
        <p data-testid="pinn-training-record">
          The model&apos;s training: {describeTrainingProgress(progress, false)}.
        </p>
      )}
      {resume && onResume && !running && (
        <div className="buttons">
          <button
            type="button"
            onClick={onResume}
            disabled={resumeDisabled || resume.blockedReason !== null}
            aria-describedby="pinn-resume-note"
          >
            Resume
          </button>
          <p className="notice" id="pinn-resume-note" data-testid="pinn-resume-note">
            {describeResume(resume)}
          </p>
        </div>
      )}
    </div>
  );
}
