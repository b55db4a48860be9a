/** Root-mean-square phase error between a complex estimate and a reference, up to a global offset. */
import { wrapPhase } from './phase';
import { checkComplexImage, checkMask, checkSameShape, type ComplexImage } from './types';

export interface PhaseError {
  /** RMS of the phase difference after the offset is removed, each difference wrapped to (−π, π]. */
  rms_rad: number;
  /** The removed offset: the circular mean of the differences, angle(Σ e^{i(φ_est − φ_ref)}). */
  offset_rad: number;
}

/**
 * Returns the RMS phase error over the mask (every pixel when omitted). Each pixel's difference
 * φ_est − φ_ref is taken as angle(e·conj(r)), so it never jumps by 2π, then the circular mean is
 * removed and the result wrapped to (−π, π] again. Every pixel counts equally, whatever its
 * amplitude, so the mask should exclude pixels whose phase is undefined.
 */
export function rmsPhaseError(reference: ComplexImage, estimate: ComplexImage, mask?: Uint8Array): PhaseError {
  checkComplexImage(reference, 'rmsPhaseError reference');
  checkComplexImage(estimate, 'rmsPhaseError estimate');
  checkSameShape(reference, estimate, 'rmsPhaseError');
  checkMask(mask, reference.height, reference.width, 'rmsPhaseError');

  const pixels = reference.height * reference.width;
  const r = reference.data;
  const e = estimate.data;
  const differences_rad = new Float64Array(pixels);
  let sumCos = 0;
  let sumSin = 0;
  let count = 0;
  for (let i = 0; i < pixels; i += 1) {
    if (mask !== undefined && !mask[i]) continue;
    const difference = Math.atan2(e[2 * i + 1] * r[2 * i] - e[2 * i] * r[2 * i + 1], e[2 * i] * r[2 * i] + e[2 * i + 1] * r[2 * i + 1]);
    differences_rad[i] = difference;
    sumCos += Math.cos(difference);
    sumSin += Math.sin(difference);
    count += 1;
  }
  if (count === 0) throw new Error('rmsPhaseError: the mask selects no pixel.');

  const offset_rad = Math.atan2(sumSin, sumCos);
  let sumSquares = 0;
  for (let i = 0; i < pixels; i += 1) {
    if (mask !== undefined && !mask[i]) continue;
    const residual = wrapPhase(differences_rad[i] - offset_rad);
    sumSquares += residual * residual;
  }
  return { rms_rad: Math.sqrt(sumSquares / count), offset_rad };
}
