/**
 * The interactive simulator: builds a test object, a probe and a scan from a few settings and
 * computes the diffraction patterns |FFT2(P·O_j)|² (unitary FFT, zero frequency at [0, 0]) on the
 * host, with Poisson noise. The result is a ScanDataset plus the true object and probe, so a
 * reconstruction of it can be scored against the truth.
 */
import { fft2 } from '../../engine/cpu/fft';
import { poissonSample, seededRandom } from '../../util/random';
import type { ScanDataset } from '../dataset';
import { makeProbe, probeFootprint_px, type ProbeKind } from './probes';
import { makeScan, type ScanKind } from './scans';
import {
  blobsPattern,
  composeObject,
  resampleToSquare,
  siemensStarPattern,
  type BuiltInObject,
  type GrayImage,
} from './testObjects';

export interface SimulatorSettings {
  /** Side N of the square diffraction patterns; a power of two. */
  patternSize: number;
  /** Side of the square object, in object pixels. */
  objectSize_px: number;
  builtInObject: BuiltInObject;
  /** Uploaded images that replace the built-in pattern for the amplitude and for the phase. */
  amplitudeImage: GrayImage | null;
  phaseImage: GrayImage | null;
  /** Amplitude of the most absorbing feature, in (0, 1]. */
  minAmplitude: number;
  /** Phase shift of the strongest feature, in radians. */
  phaseRange_rad: number;
  probeKind: ProbeKind;
  /** Probe spot diameter in object pixels (FWHM for the Gaussian, first dark ring for disks). */
  probeDiameter_px: number;
  defocus_waves: number;
  scanKind: ScanKind;
  /** Linear overlap of neighbouring probe footprints, 1 − step / footprint, in [0, 0.95]. */
  overlap: number;
  /** Mean photon count per pattern; 0 gives noise-free intensities. */
  photonsPerPattern: number;
  seed: number;
}

export const defaultSimulatorSettings: SimulatorSettings = {
  patternSize: 64,
  objectSize_px: 192,
  builtInObject: 'siemens-star',
  amplitudeImage: null,
  phaseImage: null,
  minAmplitude: 0.7,
  phaseRange_rad: 1,
  probeKind: 'defocused-disk',
  probeDiameter_px: 16,
  defocus_waves: 1.5,
  scanKind: 'fermat-spiral',
  overlap: 0.7,
  photonsPerPattern: 1e6,
  seed: 1,
};

/** Gap between the scanned windows and the object edge, so the solver's padding stays inside. */
export const SIMULATION_MARGIN_PX = 8;

export interface SimulationPreview {
  /** True object [objectSize, objectSize, 2]. */
  object: Float32Array;
  objectSize_px: number;
  /** True probe [N, N, 2] with unit power. */
  probe: Float32Array;
  /** Diameter holding 90 % of the probe power, in pixels. */
  footprint_px: number;
  step_px: number;
  positionX_px: Float32Array;
  positionY_px: Float32Array;
}

export interface SimulatedDataset {
  dataset: ScanDataset;
  truth: {
    /** True object [height, width, 2]; pixel [0, 0] is at dataset coordinates (0, 0). */
    object: Float32Array;
    height: number;
    width: number;
    /** True probe [N, N, 2] on the photon scale of the data. */
    probe: Float32Array;
  };
}

/**
 * Returns the strongest defocus whose pupil still fits the detector grid: the defocused disk's pupil
 * radius N·√(1.22² + 16W²)/D (see probes.ts) must stay within N/2, so W ≤ √((D/2)² − 1.22²)/4.
 */
export function maxDefocusWaves(diameter_px: number): number {
  return Math.sqrt(Math.max((diameter_px / 2) ** 2 - 1.22 ** 2, 0)) / 4;
}

/** Lists problems with the settings, each naming the field, the rule and the value received. */
export function validateSimulatorSettings(settings: SimulatorSettings): string[] {
  const problems: string[] = [];
  const n = settings.patternSize;
  if (![32, 64, 128].includes(n)) problems.push(`Pattern size must be 32, 64 or 128 px, received ${n}.`);

  const minObjectSize_px = n + 2 * SIMULATION_MARGIN_PX + 1;
  const size = settings.objectSize_px;
  if (!Number.isInteger(size) || size < minObjectSize_px || size > 1024) {
    problems.push(
      `Object size must be a whole number from ${minObjectSize_px} to 1024 px for ${n} px patterns, received ${size}.`,
    );
  }
  if (!(settings.minAmplitude > 0 && settings.minAmplitude <= 1)) {
    problems.push(`Minimum amplitude must lie in (0, 1], received ${settings.minAmplitude}.`);
  }
  if (!(Math.abs(settings.phaseRange_rad) <= 2 * Math.PI)) {
    problems.push(`Phase range must lie within ±2π rad, received ${settings.phaseRange_rad}.`);
  }

  if (!(settings.probeDiameter_px >= 2 && settings.probeDiameter_px <= n / 2)) {
    problems.push(`Probe diameter must lie from 2 to ${n / 2} px (half the pattern size), received ${settings.probeDiameter_px}.`);
  }
  const maxDefocus_waves = maxDefocusWaves(settings.probeDiameter_px);
  if (settings.probeKind === 'defocused-disk' && !(settings.defocus_waves >= 0 && settings.defocus_waves <= maxDefocus_waves)) {
    problems.push(
      `Defocus must lie from 0 to ${maxDefocus_waves.toFixed(2)} waves for a ${settings.probeDiameter_px} px spot, ` +
        `received ${settings.defocus_waves}. Stronger defocus needs a larger diameter.`,
    );
  }

  if (!(settings.overlap >= 0 && settings.overlap <= 0.95)) {
    problems.push(`Overlap must lie from 0 to 0.95, received ${settings.overlap}.`);
  }
  if (!(settings.photonsPerPattern >= 0 && settings.photonsPerPattern <= 1e12)) {
    problems.push(`Photons per pattern must lie from 0 (no noise) to 1e12, received ${settings.photonsPerPattern}.`);
  }
  return problems;
}

function patternFor(image: GrayImage | null, settings: SimulatorSettings): GrayImage {
  const size = settings.objectSize_px;
  if (image) return resampleToSquare(image, size);
  return settings.builtInObject === 'blobs' ? blobsPattern(size, settings.seed) : siemensStarPattern(size);
}

/** Builds the object, probe and scan for the settings: cheap enough to run on every change. */
export function previewSimulation(settings: SimulatorSettings): SimulationPreview {
  const problems = validateSimulatorSettings(settings);
  if (problems.length > 0) throw new Error(problems.join(' '));
  const amplitudePattern = patternFor(settings.amplitudeImage ?? settings.phaseImage, settings);
  const phasePattern = patternFor(settings.phaseImage ?? settings.amplitudeImage, settings);
  const object = composeObject(amplitudePattern, phasePattern, settings.minAmplitude, settings.phaseRange_rad);
  const probe = makeProbe(settings.patternSize, {
    kind: settings.probeKind,
    diameter_px: settings.probeDiameter_px,
    defocus_waves: settings.defocus_waves,
  });
  const footprint_px = probeFootprint_px(probe, settings.patternSize);
  const step_px = Math.max(1, footprint_px * (1 - settings.overlap));
  const { positionX_px, positionY_px } = makeScan(
    { kind: settings.scanKind, step_px, seed: settings.seed },
    settings.objectSize_px,
    settings.patternSize,
    SIMULATION_MARGIN_PX,
  );
  return { object, objectSize_px: settings.objectSize_px, probe, footprint_px, step_px, positionX_px, positionY_px };
}

/** Errors of the starting probe against the true one, as from imperfectly known optics. */
export const PROBE_GUESS_DIAMETER_ERROR = 0.1;
export const PROBE_GUESS_DEFOCUS_ERROR = 0.2;

/**
 * Builds the solver's starting probe: the same kind of probe as the truth, but 10 % wider and with
 * 20 % less defocus, as an experimenter's model of the optics would be. The solver rescales its power.
 */
function probeGuess(settings: SimulatorSettings): Float32Array {
  return makeProbe(settings.patternSize, {
    kind: settings.probeKind,
    diameter_px: settings.probeDiameter_px * (1 + PROBE_GUESS_DIAMETER_ERROR),
    defocus_waves: settings.defocus_waves * (1 - PROBE_GUESS_DEFOCUS_ERROR),
  });
}

/**
 * Computes |FFT2(P·O_j)|² for every window of `preview` (unitary FFT, zero frequency at [0, 0]).
 * With photonsPerPattern > 0 the probe is scaled to that many photons (Σ|P|² = photons, which is
 * the count of a pattern on free space) and each pixel becomes a Poisson sample.
 */
export function simulateDataset(settings: SimulatorSettings, preview = previewSimulation(settings)): SimulatedDataset {
  const n = settings.patternSize;
  const size = preview.objectSize_px;
  const count = preview.positionX_px.length;
  const photons = settings.photonsPerPattern > 0 ? settings.photonsPerPattern : 1;
  const probe = preview.probe.map((value) => value * Math.sqrt(photons));
  const intensities = new Float32Array(count * n * n);
  const exitWave = new Float32Array(n * n * 2);
  const farField = new Float32Array(n * n * 2);
  const random = seededRandom(settings.seed + 1);

  for (let j = 0; j < count; j += 1) {
    const top = preview.positionY_px[j];
    const left = preview.positionX_px[j];
    for (let row = 0; row < n; row += 1) {
      for (let col = 0; col < n; col += 1) {
        const o = 2 * ((top + row) * size + left + col);
        const p = 2 * (row * n + col);
        const objectRe = preview.object[o];
        const objectIm = preview.object[o + 1];
        exitWave[p] = probe[p] * objectRe - probe[p + 1] * objectIm;
        exitWave[p + 1] = probe[p] * objectIm + probe[p + 1] * objectRe;
      }
    }
    fft2(exitWave, farField, 1, n, false);
    const offset = j * n * n;
    for (let k = 0; k < n * n; k += 1) {
      const intensity = farField[2 * k] ** 2 + farField[2 * k + 1] ** 2;
      intensities[offset + k] = settings.photonsPerPattern > 0 ? poissonSample(intensity, random) : intensity;
    }
  }

  const noise = settings.photonsPerPattern > 0 ? `${settings.photonsPerPattern.toExponential(1)} photons per pattern with Poisson noise` : 'no noise';
  return {
    dataset: {
      name: `Simulated object (${count} patterns of ${n}×${n}, ${noise})`,
      patternCount: count,
      patternSize: n,
      intensities,
      positionX_px: preview.positionX_px,
      positionY_px: preview.positionY_px,
      probe: probeGuess(settings),
      provenance:
        'Simulated in this browser by Ptychoscope; the true object and probe are known. The starting probe is ' +
        'the true kind of probe made 10 % wider and with 20 % less defocus.',
    },
    truth: { object: preview.object, height: size, width: size, probe },
  };
}
