import { useMemo } from 'react';

import { compareWithTruth, type ReferenceObject } from '../../metrics/truthComparison';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { MetricsPanel } from './MetricsPanel';
import { MetricsWithFrc } from './MetricsWithFrc';

interface Props {
  truth: ReferenceObject;
  /** Name of the reference, such as "the true object" or "the file's objectGuess". */
  referenceLabel: string;
  snapshot: ReconstructionSnapshot;
  /** Name of the reconstruction, such as "rPIE". */
  estimateLabel: string;
}

/** Metrics and FRC of a reconstruction against a reference object: a simulation's truth or a stored estimate. */
export function TruthComparisonPanel({ truth, referenceLabel, snapshot, estimateLabel }: Props) {
  const result = useMemo(() => {
    try {
      return { comparison: compareWithTruth(truth, snapshot), error: null };
    } catch (error) {
      return { comparison: null, error: (error as Error).message };
    }
  }, [truth, snapshot]);

  return (
    <section className="truth-comparison" aria-label={`Comparison with ${referenceLabel}`} data-testid="truth-comparison">
      <h2>Against {referenceLabel}</h2>
      {result.error && (
        <p className="banner banner-error" role="alert">
          The metrics could not be computed: {result.error}
        </p>
      )}
      {result.comparison ? (
        <MetricsWithFrc comparison={result.comparison} referenceLabel={referenceLabel} estimateLabel={estimateLabel} />
      ) : (
        <MetricsPanel comparison={null} referenceLabel={referenceLabel} estimateLabel={estimateLabel} />
      )}
    </section>
  );
}
