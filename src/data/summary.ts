/** Figures about a loaded scan that the page shows before reconstructing. */
import type { ScanDataset } from './dataset';

export interface ScanSummary {
  patternCount: number;
  patternSize: number;
  /** Smallest and largest window corner, in object pixels. */
  minX_px: number;
  maxX_px: number;
  minY_px: number;
  maxY_px: number;
  /** Mean total counts per pattern. */
  meanCountsPerPattern: number;
  maxCount: number;
}

export function summarizeScan(dataset: ScanDataset): ScanSummary {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < dataset.patternCount; i += 1) {
    minX = Math.min(minX, dataset.positionX_px[i]);
    maxX = Math.max(maxX, dataset.positionX_px[i]);
    minY = Math.min(minY, dataset.positionY_px[i]);
    maxY = Math.max(maxY, dataset.positionY_px[i]);
  }
  let total = 0;
  let maxCount = -Infinity;
  for (let i = 0; i < dataset.intensities.length; i += 1) {
    const value = dataset.intensities[i];
    total += value;
    if (value > maxCount) maxCount = value;
  }
  return {
    patternCount: dataset.patternCount,
    patternSize: dataset.patternSize,
    minX_px: minX,
    maxX_px: maxX,
    minY_px: minY,
    maxY_px: maxY,
    meanCountsPerPattern: total / dataset.patternCount,
    maxCount,
  };
}
