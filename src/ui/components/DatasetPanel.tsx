import { useEffect, useMemo, useState } from 'react';

import type { ScanDataset } from '../../data/dataset';
import { formatCount } from '../../data/readers/scanSummary';
import { summarizeCountsInChunks, summarizePositions, type CountSummary } from '../../data/summary';
import { ScanMap } from './ScanMap';

interface Props {
  dataset: ScanDataset;
}

/** Pattern count and size, scan extent and counts, beside the scan-position map. */
export function DatasetPanel({ dataset }: Props) {
  const summary = useMemo(() => summarizePositions(dataset), [dataset]);
  // The counts read every pixel, which for a large scan takes long enough to be done in chunks.
  const [counts, setCounts] = useState<{ dataset: ScanDataset; summary: CountSummary } | null>(null);
  useEffect(() => {
    let cancelled = false;
    void summarizeCountsInChunks(dataset).then((result) => {
      if (!cancelled) setCounts({ dataset, summary: result });
    });
    return () => {
      cancelled = true;
    };
  }, [dataset]);
  const countSummary = counts?.dataset === dataset ? counts.summary : null;
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
          <dd>{countSummary ? Math.round(countSummary.meanCountsPerPattern).toLocaleString('en-US') : 'computing…'}</dd>
          <dt>Largest count</dt>
          <dd>{countSummary ? formatCount(countSummary.maxCount) : 'computing…'}</dd>
        </dl>
        <ScanMap dataset={dataset} />
      </div>
      <p className="provenance">{dataset.provenance}</p>
    </section>
  );
}
