import { useMemo } from 'react';

import type { SimulatedDataset } from '../../data/simulator/simulateDataset';
import { compareWithTruth } from '../../metrics/truthComparison';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { FrcPlot } from './FrcPlot';
import { MetricsPanel } from './MetricsPanel';

interface Props {
  truth: SimulatedDataset['truth'];
  snapshot: ReconstructionSnapshot;
  /** Name of the reconstruction, such as "rPIE". */
  estimateLabel: string;
}

/** Metrics and FRC of a reconstruction of a simulated scan against its true object. */
export function TruthComparisonPanel({ truth, snapshot, estimateLabel }: Props) {
  const result = useMemo(() => {
    try {
      return { comparison: compareWithTruth(truth, snapshot), error: null };
    } catch (error) {
      return { comparison: null, error: (error as Error).message };
    }
  }, [truth, snapshot]);

  return (
    <section className="truth-comparison" aria-label="Comparison with the true object" data-testid="truth-comparison">
      <h2>Against the true object</h2>
      {result.error && (
        <p className="banner banner-error" role="alert">
          The metrics could not be computed: {result.error}
        </p>
      )}
      <div className="views">
        <MetricsPanel comparison={result.comparison} referenceLabel="the true object" estimateLabel={estimateLabel} />
        {result.comparison && (
          <FrcPlot
            frequencies_cyclesPerPx={result.comparison.frc.frequencies_cyclesPerPx}
            correlation={result.comparison.frc.correlation}
            threshold={result.comparison.frc.threshold}
            crossing={result.comparison.frc.crossing}
          />
        )}
      </div>
    </section>
  );
}
