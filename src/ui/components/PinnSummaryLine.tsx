import type { PinnRunSummary } from '../../worker/protocol';
import { formatEpochs } from './ProgressPanel';

/** Describes in one sentence how a PtychoPINN training or inference request ended and what it cost. */
export function describePinnSummary(summary: PinnRunSummary): string {
  const inference = `inference and stitching ${(summary.inference_ms / 1000).toFixed(2)} s on ${summary.backend}`;
  const scan = `${summary.patternCount} patterns of ${summary.patternSize}²`;
  if (summary.kind === 'not-started') {
    return 'PtychoPINN training was stopped while the data was prepared; the previous model, if any, is kept.';
  }
  if (summary.kind === 'inference') return `PtychoPINN reconstructed ${scan} with the model: ${inference}.`;

  const interrupted = summary.interruptedEpoch;
  let ending: string;
  if (summary.stopReason === 'early-stopping') ending = `stopped early (no improvement) after ${formatEpochs(summary.epochsDone)}`;
  else if (summary.stopReason === 'epochs') ending = `finished after ${formatEpochs(summary.epochsDone)}`;
  else if (interrupted) {
    ending =
      `stopped during epoch ${interrupted.epoch} (${formatEpochs(summary.epochsDone)} completed, ` +
      `${interrupted.batchesDone} of ${interrupted.batchesPerEpoch} batches of epoch ${interrupted.epoch})`;
  } else ending = `stopped after ${formatEpochs(summary.epochsDone)}`;
  // The worker stitches no object before the first completed epoch.
  const result = summary.epochsDone > 0 ? inference : 'no object stitched before the first epoch completes';
  return (
    `PtychoPINN ${ending} on ${scan}, a network of ${(summary.parameterCount / 1e6).toFixed(2)} M parameters: ` +
    `training ${(summary.training_ms / 1000).toFixed(1)} s, ${result}.`
  );
}

/** Shows how the last PtychoPINN request ended. */
export function PinnSummaryLine({ summary }: { summary: PinnRunSummary }) {
  return <p data-testid="pinn-summary">{describePinnSummary(summary)}</p>;
}
