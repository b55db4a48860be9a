import { useMemo } from 'react';

import { compareMethods } from '../../metrics/methodComparison';
import { invalidateOutside, toFieldImages, valueRange } from '../../view/fieldImages';
import type { PinnRunSummary, PinnSnapshot, ReconstructionSnapshot, RunSummary } from '../../worker/protocol';
import { FieldView } from './FieldView';
import { MetricsWithFrc } from './MetricsWithFrc';
import { formatEpochs, formatIterations, formatSeconds } from './ProgressPanel';

interface Props {
  pie: ReconstructionSnapshot;
  pieSummary: RunSummary | null;
  pinn: PinnSnapshot;
  pinnSummary: PinnRunSummary | null;
}

function union(a: [number, number], b: [number, number]): [number, number] {
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

/**
 * Describes what the PtychoPINN result cost: the model's training time when this page trained it
 * (a loaded model's is unknown), and the inference and stitching that produced the object.
 */
export function describePinnTime(summary: PinnRunSummary): string {
  if (summary.kind === 'not-started') return 'PtychoPINN: time not recorded';
  const epochs = formatEpochs(summary.epochsDone);
  const inference = `inference and stitching ${formatSeconds(summary.inference_ms / 1000)} on ${summary.backend}`;
  if (summary.modelSource === 'loaded') return `PtychoPINN: loaded model (${epochs}), ${inference}`;
  const training = formatSeconds(summary.training_ms / 1000);
  if (summary.kind === 'inference') return `PtychoPINN: model trained here in ${training} (${epochs}), ${inference}`;
  // Training time includes the preview after every epoch, and the last preview can be the final
  // inference, so the two times overlap.
  return `PtychoPINN: training ${training} (${epochs}, with a preview after each), ${inference}`;
}

/**
 * rPIE and PtychoPINN side by side on one grid, with one colour range per quantity. PtychoPINN is
 * aligned with rPIE (shift, phase offset and ramp, amplitude scale) before display and metrics.
 * Both are shown only on the compared pixels, so pixels shifted in from beyond the edge and the
 * unscanned border appear as invalid and set no colour range.
 */
export function ComparisonPanel({ pie, pieSummary, pinn, pinnSummary }: Props) {
  const result = useMemo(() => {
    try {
      const comparison = compareMethods(pie, pinn);
      const { width, height } = comparison.pie;
      const mask = Float32Array.from(comparison.compared);
      const pieFull = toFieldImages(comparison.pie.object, width, height, mask);
      const pinnFull = toFieldImages(comparison.pinnAligned, width, height, mask);
      const pieImages = { phase: invalidateOutside(pieFull.phase, mask), amplitude: invalidateOutside(pieFull.amplitude, mask) };
      const pinnImages = { phase: invalidateOutside(pinnFull.phase, mask), amplitude: invalidateOutside(pinnFull.amplitude, mask) };
      return {
        ok: true as const,
        comparison,
        mask,
        pieImages,
        pinnImages,
        phaseRange: union(valueRange(pieImages.phase, mask), valueRange(pinnImages.phase, mask)),
        amplitudeRange: union(valueRange(pieImages.amplitude, mask), valueRange(pinnImages.amplitude, mask)),
      };
    } catch (error) {
      return { ok: false as const, error: (error as Error).message };
    }
  }, [pie, pinn]);

  const pieTime = pieSummary
    ? `rPIE: ${formatIterations(pieSummary.iterationsDone)}${pieSummary.stopped ? ' (stopped early)' : ''} in ${formatSeconds(pieSummary.elapsed_ms / 1000)} on ${pieSummary.backend}`
    : 'rPIE: time not recorded';
  const pinnTime = pinnSummary ? describePinnTime(pinnSummary) : 'PtychoPINN: time not recorded';

  return (
    <section className="comparison-panel" aria-label="rPIE and PtychoPINN compared" data-testid="method-comparison">
      <h2>rPIE and PtychoPINN compared</h2>
      <p data-testid="method-times">
        {pieTime}. {pinnTime}.
      </p>
      {!result.ok && (
        <p className="banner banner-error" role="alert">
          The comparison could not be computed: {result.error}
        </p>
      )}
      {result.ok && (
        <>
          <p className="notice">
            Both on PtychoPINN&apos;s grid ({pinn.pixelSizeRatio === 1 ? 'the same pixels as rPIE' : `rPIE averaged over ${pinn.pixelSizeRatio} × ${pinn.pixelSizeRatio} pixels`}),
            with one colour range per row; PtychoPINN is shifted, rescaled and its phase offset and ramp matched to rPIE.
            Only the compared pixels are drawn, and a checkerboard marks the others.
          </p>
          {result.comparison.alignmentWarning !== null && (
            <p className="banner banner-warning" role="alert" data-testid="alignment-warning">
              Alignment unreliable: {result.comparison.alignmentWarning}
            </p>
          )}
          <div className="results-panel">
            <FieldView title="rPIE phase" testId="compare-pie-phase" image={result.pieImages.phase} colormap="phase" unit="rad" mask={result.mask} range={result.phaseRange} displayWidth_px={280} />
            <FieldView title="PtychoPINN phase" testId="compare-pinn-phase" image={result.pinnImages.phase} colormap="phase" unit="rad" mask={result.mask} range={result.phaseRange} displayWidth_px={280} />
          </div>
          <div className="results-panel">
            <FieldView title="rPIE amplitude" testId="compare-pie-amplitude" image={result.pieImages.amplitude} colormap="gray" unit="" mask={result.mask} range={result.amplitudeRange} displayWidth_px={280} />
            <FieldView title="PtychoPINN amplitude" testId="compare-pinn-amplitude" image={result.pinnImages.amplitude} colormap="gray" unit="" mask={result.mask} range={result.amplitudeRange} displayWidth_px={280} />
          </div>
          <MetricsWithFrc comparison={result.comparison.metrics} referenceLabel="rPIE" estimateLabel="PtychoPINN" />
        </>
      )}
    </section>
  );
}
