import type { ScanDataset } from '../../data/dataset';
import { summarizeScan } from '../../data/summary';
import { ScanMap } from './ScanMap';

interface Props {
  dataset: ScanDataset;
}

/** Pattern count and size, scan extent and counts, beside the scan-position map. */
export function DatasetPanel({ dataset }: Props) {
  const summary = summarizeScan(dataset);
  const extentX = summary.maxX_px - summary.minX_px;
  const extentY = summary.maxY_px - summary.minY_px;
  return (
    <section className="dataset-panel" aria-label="Loaded scan">
      <h2>{dataset.name}</h2>
      <div className="dataset-body">
        <dl data-testid="dataset-summary">
          <dt>Patterns</dt>
          <dd data-testid="pattern-count">{summary.patternCount}</dd>
          <dt>Pattern size</dt>
          <dd data-testid="pattern-size">
            {summary.patternSize} × {summary.patternSize} px
          </dd>
          <dt>Scan extent (x × y)</dt>
          <dd data-testid="scan-extent">
            {extentX.toFixed(1)} × {extentY.toFixed(1)} px
          </dd>
          <dt>Mean counts per pattern</dt>
          <dd>{Math.round(summary.meanCountsPerPattern).toLocaleString('en-US')}</dd>
          <dt>Largest count</dt>
          <dd>{summary.maxCount.toLocaleString('en-US')}</dd>
        </dl>
        <ScanMap dataset={dataset} />
      </div>
      <p className="provenance">{dataset.provenance}</p>
    </section>
  );
}
