import type { ReconstructionProgress } from '../../worker/protocol';

interface Props {
  progress: ReconstructionProgress | null;
  running: boolean;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
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
