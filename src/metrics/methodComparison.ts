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

/**
 * Largest plausible alignment shift, as a fraction of the probe array width. Scan positions of both
 * methods come from the same file, so the two objects should differ by a small fraction of the probe.
 * NOTE: the bound uses the probe array width, which is larger than the beam itself, so only gross
 * misregistrations are flagged.
 */
const MAX_PLAUSIBLE_SHIFT_PROBE_FRACTION = 0.25;

type PieGeometry = Pick<ReconstructionSnapshot, 'object' | 'objectHeight' | 'objectWidth' | 'coverage' | 'originY_px' | 'originX_px'>;
type PieComparisonInput = PieGeometry & Pick<ReconstructionSnapshot, 'probeSize'>;

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
  /**
   * PtychoPINN after alignment with rPIE (shift, phase offset and ramp, amplitude scale), NaN outside
   * `compared`: the shift moves pixels in from beyond the image edge, and those are not data.
   */
  pinnAligned: Float32Array;
  /** 1 where both methods saw the object well, on the PtychoPINN grid. */
  region: Uint8Array;
  /** `region` minus the rows and columns that the shift brought in from beyond the edge, 1 inside. Metrics use these pixels. */
  compared: Uint8Array;
  /** Largest alignment shift taken as plausible, in PtychoPINN pixels. */
  maxPlausibleShift_px: number;
  /** Message that the alignment is probably wrong, or null when the fitted shift is within `maxPlausibleShift_px`. */
  alignmentWarning: string | null;
  metrics: ReconstructionComparison;
}

/** Resamples rPIE onto the PtychoPINN grid, aligns PtychoPINN with it and computes every metric. */
export function compareMethods(pie: PieComparisonInput, pinn: PinnSnapshot): MethodComparison {
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
  const { alignment } = metrics;

  const pinnAligned = Float32Array.from(alignment.aligned.data);
  for (let i = 0; i < alignment.mask.length; i += 1) {
    if (!alignment.mask[i]) {
      pinnAligned[2 * i] = Number.NaN;
      pinnAligned[2 * i + 1] = Number.NaN;
    }
  }

  const maxPlausibleShift_px = (MAX_PLAUSIBLE_SHIFT_PROBE_FRACTION * pie.probeSize) / pinn.pixelSizeRatio;
  const shift_px = Math.hypot(alignment.shiftRows_px, alignment.shiftColumns_px);
  const alignmentWarning =
    shift_px > maxPlausibleShift_px
      ? `The fitted shift of ${shift_px.toFixed(1)} px is more than a quarter of the probe width ` +
        `(${maxPlausibleShift_px.toFixed(1)} px on this grid), so the alignment is probably wrong and the ` +
        'metrics below compare misaligned images. Train PtychoPINN longer or check that both used the same scan.'
      : null;

  return {
    pie: resampled,
    pinnAligned,
    region,
    compared: alignment.mask,
    maxPlausibleShift_px,
    alignmentWarning,
    metrics,
  };
}
