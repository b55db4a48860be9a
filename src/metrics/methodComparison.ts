/**
 * Puts an rPIE object and a PtychoPINN object on one pixel grid and compares them. PtychoPINN may
 * read cropped patterns, so its pixels can be N/n times larger than rPIE's. The rPIE object is then
 * averaged over each PtychoPINN pixel (complex box average) before the two are aligned.
 */
import type { PinnSnapshot, ReconstructionSnapshot } from '../worker/protocol';
import { compareReconstructions, type ReconstructionComparison } from './index';
import { fourierShift } from './registration';

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
   * `compared`, because the shift moves in pixels from beyond the edge or from the unscanned border.
   */
  pinnAligned: Float32Array;
  /** 1 where both methods saw the object well, on the PtychoPINN grid. */
  region: Uint8Array;
  /**
   * `region` minus the pixels whose shifted PtychoPINN value came from beyond the image edge or from
   * PtychoPINN's unscanned border, 1 inside. Metrics use these pixels.
   */
  compared: Uint8Array;
  /** Largest alignment shift taken as plausible, in PtychoPINN pixels. */
  maxPlausibleShift_px: number;
  /** Message that the alignment is probably wrong, or null when the fitted shift is within `maxPlausibleShift_px`. */
  alignmentWarning: string | null;
  metrics: ReconstructionComparison;
}

/**
 * Returns the mask that `valid` becomes when its image is shifted by (shiftRows_px, shiftColumns_px).
 * Pixel (y, x) is 1 when every pixel that a sub-pixel shift mixes into it is inside the image and
 * valid: the floor and ceiling of y − shiftRows_px and of x − shiftColumns_px.
 */
export function shiftValidMask(
  valid: Uint8Array,
  height: number,
  width: number,
  shiftRows_px: number,
  shiftColumns_px: number,
): Uint8Array {
  const result = new Uint8Array(height * width);
  for (let row = 0; row < height; row += 1) {
    const sourceRow = row - shiftRows_px;
    const rows = [Math.floor(sourceRow), Math.ceil(sourceRow)];
    if (rows[0] < 0 || rows[1] >= height) continue;
    for (let col = 0; col < width; col += 1) {
      const sourceCol = col - shiftColumns_px;
      const cols = [Math.floor(sourceCol), Math.ceil(sourceCol)];
      if (cols[0] < 0 || cols[1] >= width) continue;
      let inside = 1;
      for (const r of rows) {
        for (const c of cols) inside &= valid[r * width + c];
      }
      result[row * width + col] = inside;
    }
  }
  return result;
}

/** Resamples rPIE onto the PtychoPINN grid, aligns PtychoPINN with it and computes every metric. */
export function compareMethods(pie: PieComparisonInput, pinn: PinnSnapshot): MethodComparison {
  const resampled = resampleToPinnGrid(pie, pinn);
  let maxCoverage = 0;
  let maxWeight = 0;
  for (const value of resampled.weights) maxCoverage = Math.max(maxCoverage, value);
  for (const value of pinn.weights) maxWeight = Math.max(maxWeight, value);
  const pixels = pinn.objectHeight * pinn.objectWidth;
  const pinnValid = new Uint8Array(pixels);
  const region = new Uint8Array(pixels);
  let selected = 0;
  for (let i = 0; i < region.length; i += 1) {
    pinnValid[i] = pinn.weights[i] >= PINN_WEIGHT_FRACTION * maxWeight ? 1 : 0;
    const inside = resampled.weights[i] >= PIE_COVERAGE_FRACTION * maxCoverage && pinnValid[i] === 1;
    region[i] = inside ? 1 : 0;
    selected += region[i];
  }
  if (selected === 0) {
    throw new Error('The rPIE and PtychoPINN objects do not overlap on a common scanned region, so they cannot be compared.');
  }
  const size = { height: pinn.objectHeight, width: pinn.objectWidth };
  const pieImage = { data: resampled.object, ...size };
  const pinnImage = { data: pinn.object, ...size };
  const registered = compareReconstructions(pieImage, pinnImage, { region });
  const { shiftRows_px, shiftColumns_px } = registered.alignment;

  // The region was chosen where PtychoPINN has data before the shift. After it, PtychoPINN's data
  // sits `shift` further on, so pixels whose source lies in its unscanned border or beyond the
  // image edge are dropped, and offset, ramp, scale and metrics are fitted again without them.
  const shiftedValid = shiftValidMask(pinnValid, size.height, size.width, shiftRows_px, shiftColumns_px);
  const compared = new Uint8Array(pixels);
  let comparedCount = 0;
  let changed = false;
  for (let i = 0; i < pixels; i += 1) {
    compared[i] = registered.alignment.mask[i] & shiftedValid[i];
    comparedCount += compared[i];
    if (compared[i] !== registered.alignment.mask[i]) changed = true;
  }
  if (comparedCount === 0) {
    throw new Error(
      `After the fitted shift of (${shiftRows_px.toFixed(2)}, ${shiftColumns_px.toFixed(2)}) px, no pixel of the ` +
        'shifted PtychoPINN object with data overlaps the rPIE region, so the methods cannot be compared. ' +
        'The alignment probably failed: train PtychoPINN longer or check that both used the same scan.',
    );
  }
  let metrics = registered;
  if (changed) {
    const shifted = fourierShift(pinnImage, shiftRows_px, shiftColumns_px);
    const shiftedData = new Float32Array(pixels * 2);
    for (let i = 0; i < pixels; i += 1) {
      shiftedData[2 * i] = shifted.re[i];
      shiftedData[2 * i + 1] = shifted.im[i];
    }
    const refitted = compareReconstructions(pieImage, { data: shiftedData, ...size }, { region: compared, register: false });
    metrics = { ...refitted, alignment: { ...refitted.alignment, shiftRows_px, shiftColumns_px } };
  }
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
