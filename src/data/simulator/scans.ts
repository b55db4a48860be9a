/**
 * Scan patterns for the simulator. Positions are the top-left corners of the N×N probe windows
 * on the object, in object pixels, rounded to whole pixels so that the simulated data and the
 * solver's object grid agree exactly. Every window lies inside the object with `margin_px` to spare.
 */
import { gaussianSample, seededRandom } from '../../util/random';

export type ScanKind = 'raster' | 'jittered-raster' | 'fermat-spiral';

export const SCAN_KIND_LABELS: Record<ScanKind, string> = {
  raster: 'Raster',
  'jittered-raster': 'Jittered raster',
  'fermat-spiral': 'Fermat spiral',
};

/** Standard deviation of the jitter, as a fraction of the step. */
export const JITTER_FRACTION = 0.15;

/** Largest number of positions a simulated scan may have. */
export const MAX_SIMULATED_POSITIONS = 4096;

export interface ScanSettings {
  kind: ScanKind;
  /** Distance between neighbouring positions, in object pixels. */
  step_px: number;
  seed: number;
}

export interface ScanPositions {
  positionX_px: Float32Array;
  positionY_px: Float32Array;
}

/**
 * Positions covering an object of objectSize_px² with windows of windowSize_px, keeping each
 * window at least margin_px inside the object.
 */
export function makeScan(
  settings: ScanSettings,
  objectSize_px: number,
  windowSize_px: number,
  margin_px: number,
): ScanPositions {
  if (!(settings.step_px >= 1)) {
    throw new Error(`The scan step must be at least 1 px, received ${settings.step_px} px. Lower the overlap.`);
  }
  const low = margin_px;
  const high = objectSize_px - windowSize_px - margin_px;
  if (high < low) {
    throw new Error(
      `An object of ${objectSize_px} px cannot hold a ${windowSize_px} px window with ${margin_px} px margins. ` +
        'Make the object larger or the patterns smaller.',
    );
  }
  const random = seededRandom(settings.seed);
  const xs: number[] = [];
  const ys: number[] = [];
  const clamp = (value: number) => Math.min(high, Math.max(low, Math.round(value)));

  if (settings.kind === 'fermat-spiral') {
    // Point k sits at radius c·√k and angle k·137.508°; each point then covers about π·c² of area,
    // so c = step/√π gives a mean spacing close to the step.
    const c = settings.step_px / Math.sqrt(Math.PI);
    const centre = (low + high) / 2;
    const reach = (high - low) / 2;
    const golden = Math.PI * (3 - Math.sqrt(5));
    for (let k = 0; xs.length < MAX_SIMULATED_POSITIONS; k += 1) {
      const radius = c * Math.sqrt(k);
      if (radius > reach * Math.SQRT2) break;
      const y = centre + radius * Math.sin(k * golden);
      const x = centre + radius * Math.cos(k * golden);
      if (y < low || y > high || x < low || x > high) continue;
      ys.push(clamp(y));
      xs.push(clamp(x));
    }
  } else {
    const count = Math.floor((high - low) / settings.step_px) + 1;
    const start = low + (high - low - (count - 1) * settings.step_px) / 2;
    const jitter = settings.kind === 'jittered-raster' ? JITTER_FRACTION * settings.step_px : 0;
    for (let i = 0; i < count; i += 1) {
      for (let j = 0; j < count; j += 1) {
        ys.push(clamp(start + i * settings.step_px + jitter * gaussianSample(random)));
        xs.push(clamp(start + j * settings.step_px + jitter * gaussianSample(random)));
      }
    }
  }
  if (xs.length > MAX_SIMULATED_POSITIONS) {
    throw new Error(
      `The scan would have ${xs.length} positions, more than the simulator's limit of ${MAX_SIMULATED_POSITIONS}. ` +
        'Lower the overlap or make the object smaller.',
    );
  }
  return { positionX_px: Float32Array.from(xs), positionY_px: Float32Array.from(ys) };
}
