/** Text for the metrics panel and the FRC plot, kept apart from React so it can be tested in Node. */
import type { FrcCrossing, FrcThresholdOutcome } from './frc';
import type { ReconstructionComparison } from './index';

/** One row of the metrics table: what was measured, its value with unit, and an optional note. */
export interface MetricRow {
  label: string;
  value: string;
  note?: string;
}

const UNDEFINED_FOR_CONSTANT = 'undefined: the reference is constant here';

/** Formats a number with a fixed count of decimals and a true minus sign. */
export function formatFixed(value: number, decimals: number): string {
  if (Number.isNaN(value)) return '–';
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '−∞';
  return value.toFixed(decimals).replace('-', '−');
}

/** Formats a PSNR in decibels, with ∞ for identical images and a reason when it is undefined. */
export function formatPsnr(value_dB: number | null): string {
  if (value_dB === null) return UNDEFINED_FOR_CONSTANT;
  return `${formatFixed(value_dB, 2)} dB`;
}

/** Formats an SSIM, which has no unit, or the reason it is undefined. */
export function formatSsim(value: number | null): string {
  return value === null ? UNDEFINED_FOR_CONSTANT : formatFixed(value, 4);
}

/**
 * Describes the ½-bit crossing, such as "0.381 cycles/px (2.62 px)", or states why there is none.
 * Without `outcome`, a null crossing is read as an FRC that stays above the threshold.
 */
export function formatCrossing(
  crossing: FrcCrossing | null,
  maxFrequency_cyclesPerPx: number,
  outcome: FrcThresholdOutcome = crossing === null ? 'above-at-all-rings' : 'crossing',
): string {
  if (crossing !== null && outcome === 'crossing') {
    return `${formatFixed(crossing.frequency_cyclesPerPx, 3)} cycles/px (${formatFixed(crossing.resolution_px, 2)} px)`;
  }
  switch (outcome) {
    case 'below-at-all-rings':
      return 'no crossing: below the ½-bit threshold at every frequency';
    case 'below-at-first-ring':
      return 'no crossing: already below the ½-bit threshold at the lowest frequency';
    case 'no-data':
      return 'undefined: the FRC has no finite value at any frequency';
    default:
      return `above the ½-bit threshold up to ${formatFixed(maxFrequency_cyclesPerPx, 3)} cycles/px`;
  }
}

/** Lists the rows of the metrics table for one comparison, with units. */
export function metricRows(comparison: ReconstructionComparison): MetricRow[] {
  const { alignment, frc, box } = comparison;
  const frequencies = frc.frequencies_cyclesPerPx;
  return [
    {
      label: 'Shift (rows, columns)',
      value: `${formatFixed(alignment.shiftRows_px, 2)}, ${formatFixed(alignment.shiftColumns_px, 2)} px`,
      note: 'applied to the estimate',
    },
    {
      label: 'Phase ramp (rows, columns)',
      value:
        `${formatFixed(alignment.phaseRampRows_radPerPx * 1000, 2)}, ` +
        `${formatFixed(alignment.phaseRampColumns_radPerPx * 1000, 2)} mrad/px`,
    },
    { label: 'Phase offset', value: `${formatFixed(alignment.phaseOffset_rad, 3)} rad`, note: 'at pixel (0, 0)' },
    { label: 'Amplitude scale', value: `× ${formatFixed(alignment.scale, 4)}` },
    {
      label: 'Compared pixels',
      value: comparison.pixelCount.toLocaleString('en-US'),
      note: `within ${box.height} × ${box.width} px from row ${box.row}, column ${box.column}`,
    },
    {
      label: 'SSIM, amplitude',
      value: formatSsim(comparison.ssimAmplitude),
      note: `L = ${formatFixed(comparison.amplitudeRange, 4)}`,
    },
    {
      label: 'SSIM, phase',
      value: formatSsim(comparison.ssimPhase),
      note: `L = ${formatFixed(comparison.phaseRange_rad, 3)} rad`,
    },
    { label: 'PSNR, amplitude', value: formatPsnr(comparison.psnrAmplitude_dB) },
    { label: 'PSNR, phase', value: formatPsnr(comparison.psnrPhase_dB) },
    { label: 'RMS phase error', value: `${formatFixed(comparison.rmsPhaseError_rad, 4)} rad`, note: 'offset removed' },
    {
      label: `FRC ½-bit crossing (${frc.quantity})`,
      value: formatCrossing(frc.crossing, frequencies[frequencies.length - 1] ?? 0.5, frc.outcome),
    },
  ];
}

/** Describes an FRC curve in one sentence for screen readers. */
export function describeFrcPlot(
  ringCount: number,
  crossing: FrcCrossing | null,
  maxFrequency_cyclesPerPx: number,
  outcome: FrcThresholdOutcome = crossing === null ? 'above-at-all-rings' : 'crossing',
): string {
  const outcomeText = formatCrossing(crossing, maxFrequency_cyclesPerPx, outcome);
  let crossingText: string;
  if (crossing !== null && outcome === 'crossing') crossingText = `crosses the ½-bit threshold at ${outcomeText}`;
  else if (outcome === 'above-at-all-rings') crossingText = `stays ${outcomeText}`;
  else if (outcome === 'no-data') crossingText = `is ${outcomeText}`;
  else crossingText = `has ${outcomeText}`;
  return `Fourier ring correlation over ${ringCount} rings; it ${crossingText}`;
}
