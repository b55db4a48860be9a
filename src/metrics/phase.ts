/** Phase helpers shared by the alignment and the metrics. */
import type { ComplexImage } from './types';

/** Wraps an angle in radians to (−π, π]. */
export function wrapPhase(angle_rad: number): number {
  return angle_rad - 2 * Math.PI * Math.ceil((angle_rad - Math.PI) / (2 * Math.PI));
}

/** Phase and amplitude images of a reference and an estimate on the same grid, [height, width]. */
export interface PhaseAndAmplitudeMaps {
  referencePhase_rad: Float64Array;
  estimatePhase_rad: Float64Array;
  referenceAmplitude: Float64Array;
  estimateAmplitude: Float64Array;
}

/**
 * Splits two complex images into amplitude and phase, choosing the 2π branch of each phase so
 * that wrapping does not add jumps of 2π that the fields do not have. The reference phase is
 * wrapped to within π of its circular mean over `mask`, weighted by amplitude. The estimate phase
 * is the reference phase plus their difference wrapped to (−π, π], so it never jumps by 2π where
 * the reference does not.
 */
export function splitPhaseAndAmplitude(
  reference: ComplexImage,
  estimate: ComplexImage,
  mask?: Uint8Array,
): PhaseAndAmplitudeMaps {
  const pixels = reference.height * reference.width;
  const r = reference.data;
  const e = estimate.data;
  let sumRe = 0;
  let sumIm = 0;
  for (let i = 0; i < pixels; i += 1) {
    if (mask === undefined || mask[i]) {
      sumRe += r[2 * i];
      sumIm += r[2 * i + 1];
    }
  }
  const meanPhase_rad = Math.atan2(sumIm, sumRe);

  const referencePhase_rad = new Float64Array(pixels);
  const estimatePhase_rad = new Float64Array(pixels);
  const referenceAmplitude = new Float64Array(pixels);
  const estimateAmplitude = new Float64Array(pixels);
  for (let i = 0; i < pixels; i += 1) {
    const rr = r[2 * i];
    const ri = r[2 * i + 1];
    const er = e[2 * i];
    const ei = e[2 * i + 1];
    const referencePhase = meanPhase_rad + wrapPhase(Math.atan2(ri, rr) - meanPhase_rad);
    // angle(e·conj(r)) is the phase difference, already in (−π, π].
    referencePhase_rad[i] = referencePhase;
    estimatePhase_rad[i] = referencePhase + Math.atan2(ei * rr - er * ri, er * rr + ei * ri);
    referenceAmplitude[i] = Math.hypot(rr, ri);
    estimateAmplitude[i] = Math.hypot(er, ei);
  }
  return { referencePhase_rad, estimatePhase_rad, referenceAmplitude, estimateAmplitude };
}
