/**
 * Builds PtychoPINN sidecars for tests. Every scan in them has 1000 counts per pattern, and the
 * scales follow from that count and the network's pattern size, as normalization.ts derives them.
 */
import { PINN_SIDECAR_VERSION, type PinnSidecar } from './modelFiles';

export interface TestSidecarOptions {
  /** Side of the network's input in pixels. */
  patternSize: number;
  /** Side of the training scan's patterns; larger than patternSize means cropped. */
  sourcePatternSize: number;
  trainingScanName?: string;
  trainingPatternCount?: number;
  epochs?: number;
  finalTrainLoss?: number;
  savedAt?: string;
}

const PHOTONS_PER_PATTERN = 1000;

/** Returns a sidecar of a 1/8-width model with the given sizes; the other fields have fixed test values. */
export function testSidecar(options: TestSidecarOptions): PinnSidecar {
  const { patternSize, sourcePatternSize } = options;
  const half = patternSize / 2;
  return {
    format: 'ptychoscope-ptychopinn',
    version: PINN_SIDECAR_VERSION,
    patternSize,
    filterScale: 0.125,
    trainingNormalization: {
      patternSize,
      sourcePatternSize,
      cropped: sourcePatternSize > patternSize,
      photonsPerPattern: PHOTONS_PER_PATTERN,
      intensityScale: Math.sqrt(PHOTONS_PER_PATTERN) / half,
      amplitudeScale: half / Math.sqrt(PHOTONS_PER_PATTERN),
    },
    trainingScan: {
      name: options.trainingScanName ?? 'test',
      patternCount: options.trainingPatternCount ?? 10,
      patternSize: sourcePatternSize,
    },
    epochs: options.epochs ?? 3,
    finalTrainLoss: options.finalTrainLoss ?? -12.5,
    finalValidationLoss: null,
    savedAt: options.savedAt ?? '2026-12-05T00:00:00.000Z',
  };
}
