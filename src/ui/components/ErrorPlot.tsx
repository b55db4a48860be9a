interface Props {
  errors: number[];
  width_px?: number;
  height_px?: number;
}

/** Plots the Fourier error per iteration on a logarithmic axis. */
export function ErrorPlot({ errors, width_px = 340, height_px = 200 }: Props) {
  const left = 52;
  const right = 10;
  const top = 10;
  const bottom = 34;
  const plotWidth = width_px - left - right;
  const plotHeight = height_px - top - bottom;
  const finite = errors.filter((value) => Number.isFinite(value) && value > 0);
  const logLow = finite.length ? Math.floor(Math.log10(Math.min(...finite)) * 4) / 4 : -2;
  const logHigh = finite.length ? Math.ceil(Math.log10(Math.max(...finite)) * 4) / 4 : 0;
  const logSpan = Math.max(logHigh - logLow, 0.25);
  const xScale = (index: number) => left + (errors.length > 1 ? (index / (errors.length - 1)) * plotWidth : 0);
  const yScale = (value: number) => top + ((logHigh - Math.log10(value)) / logSpan) * plotHeight;
  const points: { x: number; y: number }[] = [];
  errors.forEach((value, index) => {
    if (value > 0 && Number.isFinite(value)) points.push({ x: xScale(index), y: yScale(value) });
  });
  const ticks = [logLow, (logLow + logHigh) / 2, logHigh];

  return (
    <figure className="error-plot">
      <figcaption>
        Fourier error per iteration, E = √(Σ(|Ψ| − √I)² / ΣI) over all patterns
      </figcaption>
      <svg
        data-testid="fourier-errors"
        data-errors={JSON.stringify(errors)}
        width={width_px}
        height={height_px}
        role="img"
        aria-label={
          errors.length
            ? `Fourier error, ${errors.length} iterations, last ${errors[errors.length - 1].toPrecision(3)}`
            : 'Fourier error: no iterations yet'
        }
      >
        <rect x={left} y={top} width={plotWidth} height={plotHeight} fill="#fafafa" stroke="#bbb" />
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={left - 4} x2={left} y1={yScale(10 ** tick)} y2={yScale(10 ** tick)} stroke="#555" />
            <text x={left - 6} y={yScale(10 ** tick) + 4} textAnchor="end" fontSize="10">
              {(10 ** tick).toPrecision(2)}
            </text>
          </g>
        ))}
        {points.length > 1 ? (
          <polyline
            points={points.map(({ x, y }) => `${x},${y}`).join(' ')}
            fill="none"
            stroke="#c0392b"
            strokeWidth="1.5"
          />
        ) : (
          // A polyline of one point draws nothing, so a lone point gets a marker.
          points.map(({ x, y }) => <circle key={`${x},${y}`} cx={x} cy={y} r={3} fill="#c0392b" />)
        )}
        <text x={left + plotWidth / 2} y={height_px - 6} textAnchor="middle" fontSize="11">
          iteration {errors.length ? `1 … ${errors.length}` : ''}
        </text>
      </svg>
    </figure>
  );
}
