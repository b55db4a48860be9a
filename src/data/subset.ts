/** Subsets of a scan: some of its patterns with their positions, as a dataset of their own. */
import type { ScanDataset } from './dataset';

/** Copies the patterns of `dataset` at `indices`, in that order, with their positions. */
export function subsetDataset(dataset: ScanDataset, indices: number[]): ScanDataset {
  const pixels = dataset.patternSize * dataset.patternSize;
  const intensities = new Float32Array(indices.length * pixels);
  indices.forEach((pattern, k) => intensities.set(dataset.intensities.subarray(pattern * pixels, (pattern + 1) * pixels), k * pixels));
  return {
    ...dataset,
    patternCount: indices.length,
    intensities,
    positionX_px: Float32Array.from(indices, (pattern) => dataset.positionX_px[pattern]),
    positionY_px: Float32Array.from(indices, (pattern) => dataset.positionY_px[pattern]),
  };
}

/** Keeps the first `count` patterns of a dataset, all of them when count is 0 or not smaller. */
export function firstPatterns(dataset: ScanDataset, count: number): ScanDataset {
  if (count === 0 || count >= dataset.patternCount) return dataset;
  const indices = Array.from({ length: count }, (_, index) => index);
  return { ...subsetDataset(dataset, indices), name: `${dataset.name}, first ${count} patterns` };
}
