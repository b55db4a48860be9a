/**
 * Probes for the simulator, as N×N interleaved complex fields with unit total power Σ|P|² = 1.
 *
 * - Gaussian: a real Gaussian spot whose full width at half maximum of the amplitude is the diameter.
 * - Focused disk: the in-focus spot of a circular pupil (an Airy pattern), computed as the inverse
 *   FFT of a disk in the detector plane. The disk's radius R (frequency pixels) sets the diameter of
 *   the first dark ring, 1.22·N/R pixels.
 * - Defocused disk: a circular pupil with a quadratic phase of `defocus_waves` waves at its edge, as
 *   upstream or downstream of a zone plate's focus: a disk with ring fringes. The geometric spread of
 *   that phase over a pupil of radius R is 4·N·W/R pixels and the diffraction limit 1.22·N/R, so R is
 *   chosen as N·√(1.22² + 16W²)/D to give the spot a diameter close to D.
 */
import { fft2 } from '../../engine/cpu/fft';

export type ProbeKind = 'focused-disk' | 'defocused-disk' | 'gaussian';

export const PROBE_KIND_LABELS: Record<ProbeKind, string> = {
  'focused-disk': 'Focused disk (Airy spot)',
  'defocused-disk': 'Defocused disk',
  gaussian: 'Gaussian',
};

export interface ProbeSettings {
  kind: ProbeKind;
  /** Diameter of the focused spot in object pixels: FWHM (Gaussian) or first dark ring (disks). */
  diameter_px: number;
  /** Defocus of the defocused disk, in waves of phase at the pupil edge. */
  defocus_waves: number;
}

function normalize(probe: Float32Array): Float32Array {
  let power = 0;
  for (const value of probe) power += value * value;
  const scale = power > 0 ? 1 / Math.sqrt(power) : 0;
  for (let i = 0; i < probe.length; i += 1) probe[i] *= scale;
  return probe;
}

function gaussianProbe(size: number, diameter_px: number): Float32Array {
  const probe = new Float32Array(size * size * 2);
  const sigma = diameter_px / (2 * Math.sqrt(2 * Math.LN2));
  const centre = size / 2;
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      const distance2 = (row - centre) ** 2 + (col - centre) ** 2;
      probe[2 * (row * size + col)] = Math.exp(-distance2 / (2 * sigma * sigma));
    }
  }
  return probe;
}

/** Inverse FFT of a disk pupil with an optional quadratic phase, centred in the window. */
function pupilProbe(size: number, diameter_px: number, defocus_waves: number): Float32Array {
  const radius = (size * Math.sqrt(1.22 ** 2 + 16 * defocus_waves ** 2)) / diameter_px;
  const pupil = new Float32Array(size * size * 2);
  for (let row = 0; row < size; row += 1) {
    const fy = row < size / 2 ? row : row - size;
    for (let col = 0; col < size; col += 1) {
      const fx = col < size / 2 ? col : col - size;
      const rho = Math.hypot(fy, fx) / radius;
      if (rho > 1) continue;
      // The (−1)^(row+col) factor moves the spot from the window corner to its centre.
      const shift = (row + col) % 2 === 0 ? 1 : -1;
      const phase = 2 * Math.PI * defocus_waves * rho * rho;
      pupil[2 * (row * size + col)] = shift * Math.cos(phase);
      pupil[2 * (row * size + col) + 1] = shift * Math.sin(phase);
    }
  }
  const probe = new Float32Array(pupil.length);
  fft2(pupil, probe, 1, size, true);
  return probe;
}

/** Builds a probe of the given kind, N×N interleaved complex with Σ|P|² = 1. */
export function makeProbe(size: number, settings: ProbeSettings): Float32Array {
  if (!(settings.diameter_px > 0 && settings.diameter_px < size)) {
    throw new Error(
      `The probe diameter must lie between 0 and the pattern size ${size} px, received ${settings.diameter_px} px.`,
    );
  }
  switch (settings.kind) {
    case 'gaussian':
      return normalize(gaussianProbe(size, settings.diameter_px));
    case 'focused-disk':
      return normalize(pupilProbe(size, settings.diameter_px, 0));
    case 'defocused-disk':
      return normalize(pupilProbe(size, settings.diameter_px, settings.defocus_waves));
  }
}

/**
 * Computes the diameter, in pixels, of the circle about the window centre that contains 90 % of the probe's
 * power: the footprint used to turn an overlap fraction into a scan step.
 */
export function probeFootprint_px(probe: Float32Array, size: number): number {
  const centre = size / 2;
  const entries: Array<[number, number]> = [];
  let total = 0;
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      const index = 2 * (row * size + col);
      const power = probe[index] ** 2 + probe[index + 1] ** 2;
      entries.push([Math.hypot(row - centre, col - centre), power]);
      total += power;
    }
  }
  entries.sort((a, b) => a[0] - b[0]);
  let enclosed = 0;
  for (const [distance, power] of entries) {
    enclosed += power;
    if (enclosed >= 0.9 * total) return 2 * Math.max(distance, 0.5);
  }
  return size;
}
