/**
 * Puts an rPIE object and a PtychoPINN object on one pixel grid and compares them. PtychoPINN may
 * read cropped patterns, so its pixels can be N/n times larger than rPIE's. The rPIE object is then
 * averaged over each PtychoPINN pixel (complex box average) before the two are aligned.
 */
import type { PinnSnapshot, ReconstructionSnapshot } from '../worker/protocol';
import { compareReconstructions, type ReconstructionComparison } from './index';

/** PtychoPINN pixels whose stitching weight reaches this fraction of the maximum are compared. */
const PINN_WEIGHT_FRACTION = 0.5;
/** rPIE pixels whose probe coverage reaches this fraction of the maximum are compared. */
const PIE_COVERAGE_FRACTION = 0.3;

type PieGeometry = Pick<ReconstructionSnapshot, 'object' | 'objectHeight' | 'objectWidth' | 'coverage' | 'originY_px' | 'originX_px'>;

export interface GridObject {
  object: Float32Array;
  /** Per-pixel weight: probe coverage (rPIE) or stitching weight (PtychoPINN). */
  weights: Float32Array;
  height: number;
  width: number;
}

/**
 * Averages the rPIE object over each PtychoPINN pixel. PtychoPINN pixel (r, c) covers dataset
 * coordinates originY + r·ratio … originY + (r + 1)·ratio, and likewise for columns. rPIE pixel
 * (R, C) sits at dataset coordinate R + originY of the rPIE grid. Origins are rounded to whole rPIE
 * pixels, so the grids may differ by up to half an rPIE pixel, which registration absorbs.
 */
export function resampleToPinnGrid(pie: PieGeometry, pinn: PinnSnapshot): GridObject {
  const ratio = Math.round(pinn.pixelSizeRatio);
  const { objectHeight: height, objectWidth: width } = pinn;
  const object = new Float32Array(height * width * 2);
  const weights = new Float32Array(height * width);
  const rowOffset = Math.round(pinn.originY_px - pie.originY_px);
  const colOffset = Math.round(pinn.originX_px - pie.originX_px);
  for (let row = 0; row < height; row += 1) {
    for (let col = 0; col < width; col += 1) {
      let re = 0;
      let im = 0;
      let coverage = 0;
      let count = 0;
      for (let dy = 0; dy < ratio; dy += 1) {
        const pieRow = rowOffset + row * ratio + dy;
        if (pieRow < 0 || pieRow >= pie.objectHeight) continue;
        for (let dx = 0; dx < ratio; dx += 1) {
          const pieCol = colOffset + col * ratio + dx;
          if (pieCol < 0 || pieCol >= pie.objectWidth) continue;
          const index = pieRow * pie.objectWidth + pieCol;
          re += pie.object[2 * index];
          im += pie.object[2 * index + 1];
          coverage += pie.coverage[index];
          count += 1;
        }
      }
      const target = row * width + col;
      if (count > 0) {
        object[2 * target] = re / count;
        object[2 * target + 1] = im / count;
        weights[target] = coverage / count;
      }
    }
  }
  return { object, weights, height, width };
}

export interface MethodComparison {
  /** rPIE on the PtychoPINN grid, the reference of the comparison. */
  pie: GridObject;
  /** PtychoPINN after alignment with rPIE (shift, phase offset and ramp, amplitude scale). */
  pinnAligned: Float32Array;
  /** 1 where both methods saw the object well, on the PtychoPINN grid. */
  region: Uint8Array;
  metrics: ReconstructionComparison;
}

/** Resamples rPIE onto the PtychoPINN grid, aligns PtychoPINN with it and computes every metric. */
export function compareMethods(pie: PieGeometry, pinn: PinnSnapshot): MethodComparison {
  const resampled = resampleToPinnGrid(pie, pinn);
  let maxCoverage = 0;
  let maxWeight = 0;
  for (const value of resampled.weights) maxCoverage = Math.max(maxCoverage, value);
  for (const value of pinn.weights) maxWeight = Math.max(maxWeight, value);
  const region = new Uint8Array(pinn.objectHeight * pinn.objectWidth);
  let selected = 0;
  for (let i = 0; i < region.length; i += 1) {
    const inside = resampled.weights[i] >= PIE_COVERAGE_FRACTION * maxCoverage && pinn.weights[i] >= PINN_WEIGHT_FRACTION * maxWeight;
    region[i] = inside ? 1 : 0;
    selected += region[i];
  }
  if (selected === 0) {
    throw new Error('The rPIE and PtychoPINN objects do not overlap on a common scanned region, so they cannot be compared.');
  }
  const size = { height: pinn.objectHeight, width: pinn.objectWidth };
  const metrics = compareReconstructions({ data: resampled.object, ...size }, { data: pinn.object, ...size }, { region });
  return { pie: resampled, pinnAligned: metrics.alignment.aligned.data, region, metrics };
}
