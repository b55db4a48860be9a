import { classifyThresholdOutcome, type FrcCrossing } from '../../metrics';
import { describeFrcPlot, formatFixed } from '../../metrics/format';

interface Props {
  /** Ring frequencies in cycles per pixel, ascending. */
  frequencies_cyclesPerPx: ArrayLike<number>;
  /** FRC per ring; NaN rings are left out of the curve. */
  correlation: ArrayLike<number>;
  /** ½-bit threshold per ring. */
  threshold: ArrayLike<number>;
  crossing: FrcCrossing | null;
  width_px?: number;
  height_px?: number;
}

/** Splits a curve into runs of finite points, so NaN rings leave gaps instead of breaking the line. */
function finiteRuns(xs: ArrayLike<number>, ys: ArrayLike<number>): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  for (let i = 0; i < ys.length; i += 1) {
    if (Number.isFinite(ys[i]) && Number.isFinite(xs[i])) {
      current.push([xs[i], ys[i]]);
    } else if (current.length) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length) runs.push(current);
  return runs;
}

/**
 * Plots the FRC and its ½-bit threshold against spatial frequency, marking the first crossing, or
 * stating in the plot that there is none when the curve starts below the threshold.
 */
export function FrcPlot({
  frequencies_cyclesPerPx,
  correlation,
  threshold,
  crossing,
  width_px = 360,
  height_px = 220,
}: Props) {
  const left = 44;
  const right = 12;
  const top = 12;
  const bottom = 38;
  const plotWidth = width_px - left - right;
  const plotHeight = height_px - top - bottom;

  const ringCount = frequencies_cyclesPerPx.length;
  const maxFrequency = ringCount ? frequencies_cyclesPerPx[ringCount - 1] : 0.5;
  const frequencySpan = maxFrequency > 0 ? maxFrequency : 0.5;
  let lowest = 0;
  for (let i = 0; i < correlation.length; i += 1) {
    if (Number.isFinite(correlation[i])) lowest = Math.min(lowest, correlation[i]);
  }
  // The FRC axis runs from 0, or lower when the curve goes negative, to 1, in steps of 0.2.
  const yLow = Math.floor(lowest * 5) / 5;
  const xScale = (frequency: number) => left + (frequency / frequencySpan) * plotWidth;
  const yScale = (value: number) => top + ((1 - value) / (1 - yLow)) * plotHeight;
  const toPoints = (run: Array<[number, number]>) => run.map(([x, y]) => `${xScale(x)},${yScale(y)}`).join(' ');

  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => fraction * frequencySpan);
  const yTicks = yLow < 0 ? [yLow, 0, 0.5, 1] : [0, 0.5, 1];
  const outcome = classifyThresholdOutcome(correlation, threshold);
  const label = describeFrcPlot(ringCount, crossing, maxFrequency, outcome);
  const shownCrossing = outcome === 'crossing' ? crossing : null;
  let noCrossingText: string | null = null;
  if (outcome === 'no-data') noCrossingText = 'no finite FRC value';
  else if (outcome === 'below-at-all-rings' || outcome === 'below-at-first-ring') noCrossingText = 'no crossing: FRC starts below the threshold';

  return (
    <figure className="frc-plot">
      <figcaption>Fourier ring correlation (solid) and ½-bit threshold (dashed)</figcaption>
      <svg width={width_px} height={height_px} role="img" aria-label={label}>
        <rect x={left} y={top} width={plotWidth} height={plotHeight} fill="#fafafa" stroke="#bbb" />
        {yTicks.map((tick) => (
          <g key={`y${tick}`}>
            <line x1={left - 4} x2={left} y1={yScale(tick)} y2={yScale(tick)} stroke="#555" />
            <text x={left - 6} y={yScale(tick) + 4} textAnchor="end" fontSize="10">
              {formatFixed(tick, 1)}
            </text>
          </g>
        ))}
        {xTicks.map((tick) => (
          <g key={`x${tick}`}>
            <line x1={xScale(tick)} x2={xScale(tick)} y1={top + plotHeight} y2={top + plotHeight + 4} stroke="#555" />
            <text x={xScale(tick)} y={top + plotHeight + 14} textAnchor="middle" fontSize="10">
              {formatFixed(tick, 3)}
            </text>
          </g>
        ))}
        {finiteRuns(frequencies_cyclesPerPx, threshold).map((run) => (
          <polyline
            key={`threshold${run[0][0]}`}
            points={toPoints(run)}
            fill="none"
            stroke="#555"
            strokeWidth="1"
            strokeDasharray="4 3"
          />
        ))}
        {finiteRuns(frequencies_cyclesPerPx, correlation).map((run) =>
          run.length > 1 ? (
            <polyline key={`frc${run[0][0]}`} points={toPoints(run)} fill="none" stroke="#1f5fa8" strokeWidth="1.5" />
          ) : (
            <circle key={`frc${run[0][0]}`} cx={xScale(run[0][0])} cy={yScale(run[0][1])} r={2.5} fill="#1f5fa8" />
          ),
        )}
        {noCrossingText !== null && (
          <text x={left + plotWidth - 4} y={top + 12} textAnchor="end" fontSize="10" fill="#c0392b" data-testid="frc-no-crossing">
            {noCrossingText}
          </text>
        )}
        {shownCrossing !== null && (
          <g>
            <line
              x1={xScale(shownCrossing.frequency_cyclesPerPx)}
              x2={xScale(shownCrossing.frequency_cyclesPerPx)}
              y1={top}
              y2={top + plotHeight}
              stroke="#c0392b"
            />
            <text
              x={xScale(shownCrossing.frequency_cyclesPerPx) + (shownCrossing.frequency_cyclesPerPx > frequencySpan / 2 ? -4 : 4)}
              y={top + 12}
              textAnchor={shownCrossing.frequency_cyclesPerPx > frequencySpan / 2 ? 'end' : 'start'}
              fontSize="10"
              fill="#c0392b"
            >
              resolution {formatFixed(shownCrossing.resolution_px, 2)} px
            </text>
          </g>
        )}
        <text x={left + plotWidth / 2} y={height_px - 6} textAnchor="middle" fontSize="11">
          spatial frequency (cycles/px)
        </text>
        <text x={12} y={top + plotHeight / 2} textAnchor="middle" fontSize="11" transform={`rotate(-90 12 ${top + plotHeight / 2})`}>
          FRC
        </text>
      </svg>
    </figure>
  );
}
