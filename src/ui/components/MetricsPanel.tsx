import type { ReconstructionComparison } from '../../metrics';
import { metricRows } from '../../metrics/format';

interface Props {
  /** The comparison to show, or null before one has been computed. */
  comparison: ReconstructionComparison | null;
  /** Name of the image compared against, such as "ground truth". */
  referenceLabel: string;
  /** Name of the image being scored, such as "rPIE, 100 iterations". */
  estimateLabel: string;
}

/** Table of the alignment and quality metrics of one reconstruction against a reference. */
export function MetricsPanel({ comparison, referenceLabel, estimateLabel }: Props) {
  const title = `${estimateLabel} against ${referenceLabel}`;
  if (comparison === null) {
    return (
      <section className="metrics-panel" aria-label="Reconstruction metrics">
        <p>No comparison of {title} yet.</p>
      </section>
    );
  }

  return (
    <section className="metrics-panel" aria-label="Reconstruction metrics">
      <table style={{ borderCollapse: 'collapse', fontVariantNumeric: 'tabular-nums' }}>
        <caption style={{ textAlign: 'left', fontWeight: 600, marginBottom: 4 }}>{title}</caption>
        <thead>
          <tr>
            <th scope="col" style={{ textAlign: 'left', paddingRight: 16 }}>
              Metric
            </th>
            <th scope="col" style={{ textAlign: 'left', paddingRight: 16 }}>
              Value
            </th>
            <th scope="col" style={{ textAlign: 'left' }}>
              Note
            </th>
          </tr>
        </thead>
        <tbody>
          {metricRows(comparison).map((row) => (
            <tr key={row.label}>
              <th scope="row" style={{ textAlign: 'left', fontWeight: 'normal', paddingRight: 16 }}>
                {row.label}
              </th>
              <td style={{ paddingRight: 16 }}>{row.value}</td>
              <td style={{ color: '#4b5563' }}>{row.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
