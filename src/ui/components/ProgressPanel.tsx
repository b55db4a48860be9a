import type { ReconstructionProgress } from '../../worker/protocol';

interface Props {
  progress: ReconstructionProgress | null;
  running: boolean;
}

/**
 * Formats a duration as "4.2 s", "42 s" or "2 min 5 s". The value is rounded before it is split,
 * so 59.6 s reads "1 min 0 s" and 119.6 s reads "2 min 0 s".
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const tenths = Math.round(seconds * 10) / 10;
  if (tenths < 10) return `${tenths.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** Formats an iteration count with the noun in the right number: "1 iteration", "2 iterations". */
export function formatIterations(count: number): string {
  return `${count} ${count === 1 ? 'iteration' : 'iterations'}`;
}

/** Formats an epoch count with the noun in the right number: "1 epoch", "2 epochs". */
export function formatEpochs(count: number): string {
  return `${count} ${count === 1 ? 'epoch' : 'epochs'}`;
}

/** Iteration k of n, elapsed time and an estimate of the time left. */
export function ProgressPanel({ progress, running }: Props) {
  const done = progress?.iterationsDone ?? 0;
  const total = progress?.iterations ?? 0;
  const elapsed_s = (progress?.elapsed_ms ?? 0) / 1000;
  const left_s = done > 0 ? (elapsed_s / done) * (total - done) : NaN;
  const lastError = progress?.fourierErrors.at(-1);
  return (
    <div className="progress-panel">
      <progress max={total || 1} value={done} aria-label="Reconstruction progress" />
      <p data-testid="progress-text">
        {progress
          ? `Iteration ${done} of ${total} · ${formatSeconds(elapsed_s)} elapsed` +
            (running ? ` · about ${formatSeconds(left_s)} left` : '') +
            (lastError !== undefined ? ` · Fourier error ${lastError.toPrecision(4)}` : '')
          : running
            ? 'Preparing the first iteration…'
            : 'Not started'}
      </p>
    </div>
  );
}
