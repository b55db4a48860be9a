import type { PinnRunSummary } from '../../worker/protocol';

/** Shows in one sentence how a PtychoPINN training or inference run ended and what it cost. */
export function PinnSummaryLine({ summary }: { summary: PinnRunSummary }) {
  const inference = `inference and stitching ${(summary.inference_ms / 1000).toFixed(2)} s on ${summary.backend}`;
  const scan = `${summary.patternCount} patterns of ${summary.patternSize}²`;
  if (summary.epochsDone === 0 && summary.training_ms === 0) {
    return <p data-testid="pinn-summary">PtychoPINN reconstructed {scan} with the model: {inference}.</p>;
  }
  const endings: Record<PinnRunSummary['stopReason'], string> = {
    cancelled: 'stopped',
    'early-stopping': 'stopped early (no improvement)',
    epochs: 'finished',
  };
  const ending = endings[summary.stopReason];
  return (
    <p data-testid="pinn-summary">
      PtychoPINN {ending} after {summary.epochsDone} epochs on {scan}, a network of{' '}
      {(summary.parameterCount / 1e6).toFixed(2)} M parameters: training {(summary.training_ms / 1000).toFixed(1)} s, {inference}.
    </p>
  );
}
