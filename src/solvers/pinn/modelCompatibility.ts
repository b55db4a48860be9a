/**
 * Checks a saved PtychoPINN model against a scan before it reconstructs that scan: whether it can
 * run at all, and where the scan differs from the training data enough that the result may be poor.
 */
import type { ScanDataset } from '../../data/dataset';
import type { PinnSidecar } from './modelFiles';

/**
 * Ratio of mean counts per pattern, scan to training scan or the reverse, above which a warning
 * is shown. Each scan is normalised by its own mean count, but the relative Poisson noise scales
 * as 1/√counts, so a network trained at one noise level receives input at another.
 * NOTE: 2 is a judgement, not a measured limit on reconstruction quality.
 */
export const MEAN_COUNT_RATIO_LIMIT = 2;

/** Result of {@link checkModelForScan}. */
export interface ModelScanCheck {
  /** Reason the model cannot reconstruct the scan, or null when it can. */
  blocker: string | null;
  /** Reasons the reconstruction may be poor, each a full sentence. Empty when none apply. */
  warnings: string[];
}

/** The parts of a scan that the check reads. */
export type ScanForModelCheck = Pick<ScanDataset, 'patternCount' | 'patternSize' | 'intensities'>;

/**
 * Returns the mean photon count per pattern over the central cropSize × cropSize of patterns
 * [M, N, N] stored with the zero frequency at [0, 0], the region PtychoPINN's data preparation keeps.
 */
export function meanCountsInCentralCrop(
  intensities: Float32Array,
  patternCount: number,
  patternSize: number,
  cropSize: number,
): number {
  const half = patternSize / 2;
  const border = (patternSize - cropSize) / 2;
  let total = 0;
  for (let pattern = 0; pattern < patternCount; pattern += 1) {
    const start = pattern * patternSize * patternSize;
    for (let row = 0; row < cropSize; row += 1) {
      const rowStart = start + ((row + border + half) % patternSize) * patternSize;
      for (let col = 0; col < cropSize; col += 1) {
        total += intensities[rowStart + ((col + border + half) % patternSize)];
      }
    }
  }
  return total / patternCount;
}

/**
 * Checks whether the model described by `sidecar` can reconstruct `scan`, and compares the scan
 * with the training scan that the sidecar records: source pattern size and mean counts per pattern.
 */
export function checkModelForScan(sidecar: PinnSidecar, scan: ScanForModelCheck): ModelScanCheck {
  const modelSize = sidecar.patternSize;
  if (modelSize > scan.patternSize) {
    return {
      blocker:
        `This model reads ${modelSize} × ${modelSize} patterns and this scan has ${scan.patternSize} × ${scan.patternSize} patterns, ` +
        `so the model cannot reconstruct it. Load a scan with patterns of at least ${modelSize} × ${modelSize}, or train a model on this scan.`,
      warnings: [],
    };
  }
  const meanCounts = meanCountsInCentralCrop(scan.intensities, scan.patternCount, scan.patternSize, modelSize);
  if (!(meanCounts > 0) || !Number.isFinite(meanCounts)) {
    return {
      blocker:
        `The central ${modelSize} × ${modelSize} of this scan's patterns has a mean count of ${meanCounts}, ` +
        'so the patterns cannot be normalised. Check that the scan holds photon counts.',
      warnings: [],
    };
  }

  const warnings: string[] = [];
  const trainingSize = sidecar.trainingNormalization.sourcePatternSize;
  if (trainingSize !== scan.patternSize) {
    warnings.push(
      `The model was trained on ${trainingSize} × ${trainingSize} patterns and this scan has ${scan.patternSize} × ${scan.patternSize}, ` +
        `so the central ${modelSize} × ${modelSize} that the network reads is a different share of each pattern than in training.`,
    );
  }
  const trainingCounts = sidecar.trainingNormalization.photonsPerPattern;
  const ratio = meanCounts / trainingCounts;
  if (ratio > MEAN_COUNT_RATIO_LIMIT || ratio < 1 / MEAN_COUNT_RATIO_LIMIT) {
    const comparison = ratio > 1 ? `${formatRatio(ratio)} more` : `${formatRatio(1 / ratio)} fewer`;
    warnings.push(
      `This scan has ${formatCount(meanCounts)} counts per pattern in the central ${modelSize} × ${modelSize}, ${comparison} than ` +
        `the training scan's ${formatCount(trainingCounts)}, so its noise level differs from what the network learned.`,
    );
  }
  return { blocker: null, warnings };
}

function formatRatio(ratio: number): string {
  return `${ratio < 10 ? ratio.toFixed(1) : Math.round(ratio).toString()}×`;
}

function formatCount(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}
