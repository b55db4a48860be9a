import { formatEpochs } from './ProgressPanel';

interface Props {
  trainLosses: number[];
  validationLosses: number[];
  width_px?: number;
  height_px?: number;
}

/** Plots training (solid) and validation (dashed) loss per epoch on a linear axis. */
export function LossPlot({ trainLosses, validationLosses, width_px = 340, height_px = 200 }: Props) {
  const left = 64;
  const right = 10;
  const top = 10;
  const bottom = 34;
  const plotWidth = width_px - left - right;
  const plotHeight = height_px - top - bottom;
  const finite = [...trainLosses, ...validationLosses].filter(Number.isFinite);
  const low = finite.length ? Math.min(...finite) : 0;
  const high = finite.length ? Math.max(...finite) : 1;
  const span = high - low || Math.abs(high) || 1;
  const count = Math.max(trainLosses.length, validationLosses.length);
  const xScale = (index: number) => left + (count > 1 ? (index / (count - 1)) * plotWidth : plotWidth / 2);
  const yScale = (value: number) => top + ((high - value) / span) * plotHeight;
  const line = (values: number[]) =>
    values
      .map((value, index) => (Number.isFinite(value) ? `${xScale(index)},${yScale(value)}` : null))
      .filter((point) => point !== null)
      .join(' ');
  const last = trainLosses.at(-1);

  return (
    <figure className="loss-plot">
      <figcaption>
        Poisson loss per pattern: training (solid), validation (dashed). The constant Σ ln k! is left out, so
        the values can be negative; only their changes matter.
      </figcaption>
      <svg
        data-testid="pinn-losses"
        data-train={JSON.stringify(trainLosses)}
        data-validation={JSON.stringify(validationLosses.map((value) => (Number.isFinite(value) ? value : null)))}
        width={width_px}
        height={height_px}
        role="img"
        aria-label={
          count ? `Loss over ${formatEpochs(count)}, last training loss ${last?.toPrecision(4)}` : 'Loss: no epochs yet'
        }
      >
        <rect x={left} y={top} width={plotWidth} height={plotHeight} fill="#fafafa" stroke="#bbb" />
        {count === 0 && (
          <text x={left + plotWidth / 2} y={top + plotHeight / 2} textAnchor="middle" fontSize="11" fill="#666">
            No epoch finished yet
          </text>
        )}
        {(count > 0 ? [high, (high + low) / 2, low] : []).map((tick) => (
          <text key={tick} x={left - 6} y={yScale(tick) + 4} textAnchor="end" fontSize="10">
            {tick.toPrecision(4)}
          </text>
        ))}
        {/* A polyline of one point draws nothing, so one epoch's losses are drawn as dots, filled for training and open for validation. */}
        {count === 1 && Number.isFinite(trainLosses[0]) && <circle cx={xScale(0)} cy={yScale(trainLosses[0])} r={3} fill="#1f5fa8" />}
        {count === 1 && Number.isFinite(validationLosses[0]) && (
          <circle cx={xScale(0)} cy={yScale(validationLosses[0])} r={3} fill="none" stroke="#c0392b" strokeWidth="1.5" />
        )}
        <polyline points={line(trainLosses)} fill="none" stroke="#1f5fa8" strokeWidth="1.5" />
        <polyline points={line(validationLosses)} fill="none" stroke="#c0392b" strokeWidth="1.5" strokeDasharray="4 3" />
        <text x={left + plotWidth / 2} y={height_px - 6} textAnchor="middle" fontSize="11">
          epoch {count ? `1 … ${count}` : ''}
        </text>
      </svg>
    </figure>
  );
}
