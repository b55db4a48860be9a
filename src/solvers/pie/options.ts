/** Settings of the PIE family of solvers (rPIE and ePIE), with their defaults and checks. */
import { validateFarFieldUpsampling, type FarFieldUpsampling } from './farField';
import { MAX_PROBE_MODES } from './probeModes';

export type PieMethod = 'rpie' | 'epie';

export interface PieOptions {
  /** rPIE (Maiden, Johnson and Li, Optica 4, 736 (2017)) or ePIE (Maiden and Rodenburg, Ultramicroscopy 109, 1256 (2009)). */
  method: PieMethod;
  /** Number of full passes over all scan positions. */
  iterations: number;
  /**
   * Object update parameter. rPIE: the regularisation weight α in (1-α)|P|² + α·max|P|².
   * ePIE: the step size, with max|P|² as the denominator.
   */
  alpha: number;
  /** Probe update parameter, the counterpart of `alpha` with the object patch in place of the probe. */
  beta: number;
  /** Whether the probe is refined along with the object. */
  refineProbe: boolean;
  /** First iteration (0-based) at which the probe is updated, so the object settles first. */
  probeUpdateStart: number;
  /** Scan positions updated together; 1 is the classic sequential algorithm. */
  batchSize: number;
  /**
   * Number of mutually incoherent probe modes (mixed-state reconstruction). One is the classic
   * coherent probe; experimental data with partial coherence often fit better with 3 to 5.
   */
  probeModes: number;
  /**
   * Far-field upsampling U: each detector pixel is modelled as U×U finer far-field samples whose
   * intensities are summed, and the probe window grows to U times the pattern size (see farField.ts).
   * 1 is off. An iteration does about U² times the work.
   */
  farFieldUpsampling: FarFieldUpsampling;
  /** Seed of the shuffle that orders and groups the positions. */
  seed: number;
}

export const defaultPieOptions: PieOptions = {
  method: 'rpie',
  iterations: 100,
  alpha: 0.1,
  beta: 0.1,
  refineProbe: true,
  probeUpdateStart: 1,
  batchSize: 32,
  probeModes: 1,
  farFieldUpsampling: 1,
  seed: 1,
};

/** Defaults of each method: ePIE's α and β are step sizes, so they sit near 1. */
export function defaultsFor(method: PieMethod): PieOptions {
  return method === 'epie' ? { ...defaultPieOptions, method, alpha: 1, beta: 1 } : { ...defaultPieOptions };
}

const METHOD_LABELS: Record<PieMethod, string> = { rpie: 'rPIE', epie: 'ePIE' };

/** Formats a received value for a message. NaN, the value of an emptied number field, reads as "no number (NaN)". */
function describeReceived(value: number): string {
  return Number.isNaN(value) ? 'no number (NaN)' : String(value);
}

/**
 * Returns a list of problems with `options`, each naming the setting, the rule and the value.
 * Settings are named by their labels in the Reconstruction panel (α, β, Iterations, Positions per
 * batch, rPIE/ePIE), because the panel shows these messages as they are. With `patternSize`, the
 * far-field upsampling is also checked against the largest FFT window.
 */
export function validatePieOptions(options: PieOptions, patternSize?: number): string[] {
  const problems: string[] = [];
  const methodKnown = options.method === 'rpie' || options.method === 'epie';
  if (!methodKnown) {
    problems.push(`Method must be rPIE or ePIE, received "${String(options.method)}".`);
  }
  if (!Number.isInteger(options.iterations) || options.iterations < 1 || options.iterations > 100_000) {
    problems.push(`Iterations must be a whole number from 1 to 100000, received ${describeReceived(options.iterations)}.`);
  }
  for (const [key, label] of [
    ['alpha', 'α'],
    ['beta', 'β'],
  ] as const) {
    const value = options[key];
    const upper = options.method === 'epie' ? 2 : 1;
    const method = methodKnown ? METHOD_LABELS[options.method] : 'rPIE';
    if (!Number.isFinite(value) || value <= 0 || value > upper) {
      problems.push(`${label} must lie in (0, ${upper}] for ${method}, received ${describeReceived(value)}.`);
    }
  }
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
    problems.push(`Positions per batch must be a whole number of at least 1, received ${describeReceived(options.batchSize)}.`);
  }
  if (!Number.isInteger(options.probeModes) || options.probeModes < 1 || options.probeModes > MAX_PROBE_MODES) {
    problems.push(
      `Probe modes must be a whole number from 1 to ${MAX_PROBE_MODES}, received ${describeReceived(options.probeModes)}.`,
    );
  }
  problems.push(...validateFarFieldUpsampling(options.farFieldUpsampling, patternSize));
  if (!Number.isInteger(options.probeUpdateStart) || options.probeUpdateStart < 0) {
    problems.push(
      `probeUpdateStart must be a whole number of at least 0, received ${describeReceived(options.probeUpdateStart)}.`,
    );
  }
  return problems;
}
