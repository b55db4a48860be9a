import { useMemo } from 'react';

import { compareHalves } from '../../metrics/halfComparison';
import type { HalvesResult } from '../../worker/protocol';
import { MetricsWithFrc } from './MetricsWithFrc';
import { formatIterations, formatSeconds } from './ProgressPanel';

/** Describes the two half-scan runs: their pattern counts, iterations each and time. */
export function describeHalvesRun(halves: Pick<HalvesResult, 'counts' | 'iterations' | 'elapsed_ms' | 'completed'>): string {
  return (
    `The even and the odd positions (${halves.counts[0]} and ${halves.counts[1]} patterns) were reconstructed ` +
    `separately, ${formatIterations(halves.iterations)} each, in ${formatSeconds(halves.elapsed_ms / 1000)}` +
    `${halves.completed ? '' : ' (stopped before the end)'}.`
  );
}

/** FRC and metrics between independent reconstructions of the even and the odd scan positions. */
export function HalvesPanel({ halves }: { halves: HalvesResult }) {
  const result = useMemo(() => {
    try {
      return { ok: true as const, comparison: compareHalves(halves.first, halves.second) };
    } catch (error) {
      return { ok: false as const, error: (error as Error).message };
    }
  }, [halves]);

  return (
    <section className="halves-panel" aria-label="Half-scan resolution" data-testid="halves-comparison">
      <h2>Resolution from two half-scans</h2>
      <p>
        {describeHalvesRun(halves)} Where their FRC falls below the ½-bit threshold estimates the resolution the data
        support; each half has half the dose, so the full scan does somewhat better.
      </p>
      {!result.ok && (
        <p className="banner banner-error" role="alert">
          The half-scan comparison could not be computed: {result.error}
        </p>
      )}
      {result.ok && (
        <MetricsWithFrc comparison={result.comparison} referenceLabel="the even positions" estimateLabel="The odd positions" />
      )}
    </section>
  );
}
