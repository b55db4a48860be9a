import type { PinnResumeState } from '../useReconstruction';
import type { PinnProgress } from '../../worker/protocol';
import { formatSeconds } from './ProgressPanel';

interface Props {
  progress: PinnProgress | null;
  running: boolean;
  /** The run that Resume would continue, or null when there is none. */
  resume?: PinnResumeState | null;
  /** True while Resume must wait, for example during a run or while a file is read. */
  resumeDisabled?: boolean;
  onResume?(): void;
}

/** Epoch k of n, elapsed time, an estimate of the time left, the last losses and the Resume button. */
export function PinnProgressPanel({ progress, running, resume = null, resumeDisabled = false, onResume }: Props) {
  const done = progress?.epochsDone ?? 0;
  const total = progress?.epochs ?? 0;
  const elapsed_s = (progress?.elapsed_ms ?? 0) / 1000;
  const left_s = done > 0 ? (elapsed_s / done) * (total - done) : NaN;
  const trainLoss = progress?.trainLosses.at(-1);
  const validationLoss = progress?.validationLosses.at(-1);
  return (
    <div className="progress-panel">
      <progress max={total || 1} value={done} aria-label="Training progress" />
      <p data-testid="pinn-progress-text">
        {progress
          ? `Epoch ${done} of ${total} · ${formatSeconds(elapsed_s)} elapsed` +
            (running ? ` · about ${formatSeconds(left_s)} left` : '') +
            (trainLoss !== undefined ? ` · training loss ${trainLoss.toPrecision(5)}` : '') +
            (validationLoss !== undefined && Number.isFinite(validationLoss)
              ? ` · validation loss ${validationLoss.toPrecision(5)}`
              : '') +
            ` · learning rate ${progress.learningRate.toExponential(1)}`
          : running
            ? 'Preparing the data and building the network…'
            : 'Not started'}
      </p>
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
            {resume.blockedReason ??
              `Resume continues from epoch ${resume.fromEpoch} for ${resume.epochs} more epochs ` +
                `(to epoch ${resume.fromEpoch + resume.epochs}), with the same weights, optimizer state, ` +
                'learning rate and batch order. Train PtychoPINN starts a new network instead.'}
          </p>
        </div>
      )}
    </div>
  );
}
