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

/** Pattern count and size and the extent of the window corners: the part that does not read the pixels. */
export function summarizePositions(dataset: ScanDataset): Omit<ScanSummary, keyof CountSummary> {
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
  return {
    patternCount: dataset.patternCount,
    patternSize: dataset.patternSize,
    minX_px: minX,
    maxX_px: maxX,
    minY_px: minY,
    maxY_px: maxY,
  };
}

export function summarizeScan(dataset: ScanDataset): ScanSummary {
  let total = 0;
  let maxCount = -Infinity;
  for (let i = 0; i < dataset.intensities.length; i += 1) {
    const value = dataset.intensities[i];
    total += value;
    if (value > maxCount) maxCount = value;
  }
  return { ...summarizePositions(dataset), meanCountsPerPattern: total / dataset.patternCount, maxCount };
}

/** Total and largest count of a scan, the part of {@link ScanSummary} that reads every pixel. */
export interface CountSummary {
  meanCountsPerPattern: number;
  maxCount: number;
}

/** Values read between two yields to the event loop: about 10 ms of work. */
const COUNT_CHUNK_VALUES = 4 * 1024 * 1024;

const countCache = new WeakMap<Float32Array, CountSummary>();

/**
 * Computes the count figures of `dataset` in chunks, yielding to the event loop between them, so a
 * scan of hundreds of megabytes does not freeze the page. Results are cached per intensity array.
 */
export async function summarizeCountsInChunks(dataset: ScanDataset): Promise<CountSummary> {
  const cached = countCache.get(dataset.intensities);
  if (cached) return cached;
  let total = 0;
  let maxCount = -Infinity;
  const values = dataset.intensities;
  for (let start = 0; start < values.length; start += COUNT_CHUNK_VALUES) {
    const end = Math.min(values.length, start + COUNT_CHUNK_VALUES);
    for (let i = start; i < end; i += 1) {
      const value = values[i];
      total += value;
      if (value > maxCount) maxCount = value;
    }
    if (end < values.length) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const summary = { meanCountsPerPattern: total / dataset.patternCount, maxCount };
  countCache.set(values, summary);
  return summary;
}
