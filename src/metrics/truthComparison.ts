/**
 * Scores a reconstruction snapshot against the true object of a simulated scan: crops the truth to
 * the solver's object grid, restricts the comparison to the well-illuminated pixels and runs
 * {@link compareReconstructions}.
 */
import type { ReconstructionSnapshot } from '../worker/protocol';
import { compareReconstructions, type ReconstructionComparison } from './index';

/**
 * A reference object on the dataset's coordinates: pixel (r, c) sits at dataset position
 * (r + originY_px, c + originX_px). The origin is 0 for a simulated truth or PtychoPINN's
 * `objectGuess`, whose frame the scan positions already use.
 */
export interface ReferenceObject {
  /** [height, width, 2] interleaved complex. */
  object: Float32Array;
  height: number;
  width: number;
  /** Dataset coordinates of pixel (0, 0); 0 when absent. */
  originY_px?: number;
  originX_px?: number;
}

/** Pixels whose probe coverage reaches this fraction of the maximum are compared. */
export const TRUTH_COVERAGE_FRACTION = 0.3;

type SnapshotGeometry = Pick<
  ReconstructionSnapshot,
  'object' | 'objectHeight' | 'objectWidth' | 'coverage' | 'originY_px' | 'originX_px'
>;

/**
 * Copies the part of the truth that lies under the solver's object array. Solver pixel (r, c) sits
 * at dataset coordinates (r + snapshot.originY_px, c + snapshot.originX_px), which is truth pixel
 * (r + snapshot.originY_px − truth.originY_px, …). Pixels outside the truth become 1 (free space).
 */
export function cropTruthToSnapshot(truth: ReferenceObject, snapshot: SnapshotGeometry): Float32Array {
  const { objectHeight: height, objectWidth: width } = snapshot;
  const cropped = new Float32Array(height * width * 2);
  for (let row = 0; row < height; row += 1) {
    const truthRow = row + Math.round(snapshot.originY_px - (truth.originY_px ?? 0));
    for (let col = 0; col < width; col += 1) {
      const truthCol = col + Math.round(snapshot.originX_px - (truth.originX_px ?? 0));
      const target = 2 * (row * width + col);
      if (truthRow < 0 || truthRow >= truth.height || truthCol < 0 || truthCol >= truth.width) {
        cropped[target] = 1;
        continue;
      }
      const source = 2 * (truthRow * truth.width + truthCol);
      cropped[target] = truth.object[source];
      cropped[target + 1] = truth.object[source + 1];
    }
  }
  return cropped;
}

/** Aligns the snapshot's object with the truth and computes every metric over the scanned region. */
export function compareWithTruth(truth: ReferenceObject, snapshot: SnapshotGeometry): ReconstructionComparison {
  const { objectHeight: height, objectWidth: width } = snapshot;
  let maxCoverage = 0;
  for (const value of snapshot.coverage) maxCoverage = Math.max(maxCoverage, value);
  const region = new Uint8Array(height * width);
  for (let i = 0; i < region.length; i += 1) {
    region[i] = snapshot.coverage[i] >= TRUTH_COVERAGE_FRACTION * maxCoverage ? 1 : 0;
  }
  return compareReconstructions(
    { data: cropTruthToSnapshot(truth, snapshot), height, width },
    { data: snapshot.object, height, width },
    { region },
  );
}
