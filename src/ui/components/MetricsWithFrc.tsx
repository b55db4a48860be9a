import type { ReconstructionComparison } from '../../metrics';
import { FrcPlot } from './FrcPlot';
import { MetricsPanel } from './MetricsPanel';

interface Props {
  comparison: ReconstructionComparison;
  referenceLabel: string;
  estimateLabel: string;
}

/** Shows the metrics table of one comparison beside its FRC plot. */
export function MetricsWithFrc({ comparison, referenceLabel, estimateLabel }: Props) {
  return (
    <div className="views">
      <MetricsPanel comparison={comparison} referenceLabel={referenceLabel} estimateLabel={estimateLabel} />
      <FrcPlot
        frequencies_cyclesPerPx={comparison.frc.frequencies_cyclesPerPx}
        correlation={comparison.frc.correlation}
        threshold={comparison.frc.threshold}
        crossing={comparison.frc.crossing}
      />
    </div>
  );
}
