/**
 * Figures about a scan just read from a file, for the summary the page shows before a run:
 * position extent, scan overlap, photon counts and warnings about suspicious data. Pure functions
 * over a ReadResult, so they run in the parse worker and in Node tests.
 */
import type { ScanDataset } from '../dataset';
import { isNearlyWhole, MAX_OBJECT_SIDE_PX, SQUARED_AMPLITUDE_TOLERANCE } from '../validate';
import type { ReadResult } from './readResult';
import { AMPLITUDE_DOUBT_THRESHOLD } from './stack';

/**
 * Two positions closer than this, in object pixels, count as duplicates. A scan that steps by
 * less than 0.01 pixel is implausible, so closer pairs most likely repeat one position.
 */
export const DUPLICATE_DISTANCE_PX = 0.01;

/** Linear overlap below which the summary warns: a rule of thumb, not a hard limit. */
export const MIN_LINEAR_OVERLAP = 0.5;

/** Number of duplicate pairs that the duplicate-position warning names, after which it only counts them. */
export const NAMED_DUPLICATE_PAIRS = 3;

/** Padding that computeScanGeometry (src/solvers/pie/geometry.ts) adds on each side of the scan. */
const OBJECT_PADDING_PX = 4;

export type SummaryWarningCode =
  | 'negative-counts'
  | 'non-finite-counts'
  | 'saturation'
  | 'outside-object'
  | 'duplicate-positions'
  | 'low-overlap'
  | 'object-too-large'
  | 'single-position'
  | 'amplitude-doubt';

export interface SummaryWarning {
  code: SummaryWarningCode;
  /** A complete sentence for the user with the figures that raised the warning. */
  message: string;
}

export interface PositionFigures {
  minX_px: number;
  maxX_px: number;
  minY_px: number;
  maxY_px: number;
  /** maxX_px − minX_px. */
  extentX_px: number;
  extentY_px: number;
  /** Extent in metres when the file gave an object pixel size (CXI), otherwise null. */
  extentX_m: number | null;
  extentY_m: number | null;
  /** Object array the solver allocates: the scan extent plus one window and 4 pixels a side. */
  objectWidth_px: number;
  objectHeight_px: number;
}

/**
 * Scan overlap estimate. The step s is the mean distance from each position to its nearest
 * neighbour. The probe footprint D is the diameter of a disc with the probe's effective area
 * A = (Σ|P|²)² / Σ|P|⁴, which equals the area for a flat disc and the 1/e² intensity area for a
 * Gaussian beam. The linear overlap is 1 − s/D: 0 when neighbouring footprints only touch, and
 * negative when gaps separate them.
 */
export interface OverlapEstimate {
  meanStep_px: number;
  probeDiameter_px: number;
  linearOverlap: number;
  /** 'file' when the probe came from the file, 'default' for the solver's default guess. */
  probeSource: 'file' | 'default';
}

export interface CountFigures {
  /** Mean over patterns of the sum of finite counts in each pattern. */
  meanPerPattern: number;
  /** Largest finite value in any pixel. */
  maxPixel: number;
  /** Pixels at exactly maxPixel. */
  pixelsAtMax: number;
  /** Pixels in [0.9·maxPixel, maxPixel), the tail that a spike at the maximum is compared with. */
  pixelsNearMax: number;
  negativePixels: number;
  nonFinitePixels: number;
}

export interface ScanReadSummary {
  patternCount: number;
  patternSize: number;
  positions: PositionFigures;
  /** Null for a scan of one position, which has no neighbour. */
  overlap: OverlapEstimate | null;
  counts: CountFigures;
  /** Positions that lie within DUPLICATE_DISTANCE_PX of another position. */
  duplicatePositions: number;
  /** The first NAMED_DUPLICATE_PAIRS pairs (i, j), i < j, of positions within DUPLICATE_DISTANCE_PX, in order of i then j. */
  duplicatePairs: [number, number][];
  /**
   * Probe windows that reach outside the object stored in the file (PtychoPINN's objectGuess),
   * or null when the file has no object.
   */
  windowsOutsideObject: number | null;
  warnings: SummaryWarning[];
}

/**
 * Computes the summary of a read scan. `fallbackProbe` is the probe the solver uses when the
 * file has none ([N, N, 2] interleaved complex), so the overlap estimate matches the run.
 */
export function summarizeReadResult(result: ReadResult, fallbackProbe: Float32Array): ScanReadSummary {
  const { dataset } = result;
  const geometry = result.geometry;
  const positions = positionFigures(dataset, geometry?.objectPixelSizeX_m ?? null, geometry?.objectPixelSizeY_m ?? null);
  const steps = nearestNeighbourDistances(dataset.positionX_px, dataset.positionY_px);
  const probe = dataset.probe ?? fallbackProbe;
  const overlap = steps.length < 2 ? null : estimateOverlap(mean(steps), probe, dataset.probe === null ? 'default' : 'file');
  const counts = countFigures(dataset.intensities, dataset.patternCount);
  const duplicatePositions = steps.filter((step) => step < DUPLICATE_DISTANCE_PX).length;
  const duplicatePairs =
    duplicatePositions === 0 ? [] : findDuplicatePairs(dataset.positionX_px, dataset.positionY_px, NAMED_DUPLICATE_PAIRS);
  const windowsOutsideObject =
    result.objectGuess === null ? null : countWindowsOutside(dataset, result.objectGuess.width, result.objectGuess.height);

  const summary: ScanReadSummary = {
    patternCount: dataset.patternCount,
    patternSize: dataset.patternSize,
    positions,
    overlap,
    counts,
    duplicatePositions,
    duplicatePairs,
    windowsOutsideObject,
    warnings: [],
  };
  summary.warnings = collectWarnings(summary);
  const doubt = amplitudeDoubtWarning(result, counts.maxPixel);
  if (doubt !== null) summary.warnings.unshift(doubt);
  return summary;
}

/**
 * Warns when the reader took float values as amplitudes and squared them although their maximum
 * is too large for amplitudes, because scaled intensities (such as counts × 0.37) look the same.
 * The largest stored value is √ of the largest squared intensity.
 */
function amplitudeDoubtWarning(result: ReadResult, maxPixel: number): SummaryWarning | null {
  const decision = result.measurement;
  if (decision === null || decision.forced || decision.assumed !== 'amplitude' || decision.doubtful !== true) return null;
  return {
    code: 'amplitude-doubt',
    message:
      `The stored values were read as amplitudes and squared, but the largest is ${formatCount(Math.sqrt(maxPixel))}, ` +
      `above the ${AMPLITUDE_DOUBT_THRESHOLD} expected of normalised amplitudes, so the squared counts reach ${formatCount(maxPixel)}. ` +
      'If the file contains scaled intensities, read the values as photon counts.',
  };
}

/**
 * Returns up to `limit` pairs (i, j), i < j, of positions closer than DUPLICATE_DISTANCE_PX,
 * ordered by i then j. Positions sorted by x only need comparing while |Δx| is below the distance.
 */
export function findDuplicatePairs(x: ArrayLike<number>, y: ArrayLike<number>, limit: number): [number, number][] {
  const order = Array.from({ length: x.length }, (_, index) => index).sort((a, b) => x[a] - x[b]);
  const pairs: [number, number][] = [];
  for (let rank = 0; rank < order.length; rank++) {
    for (let other = rank + 1; other < order.length && x[order[other]] - x[order[rank]] < DUPLICATE_DISTANCE_PX; other++) {
      const i = order[rank];
      const j = order[other];
      if (Math.hypot(x[j] - x[i], y[j] - y[i]) < DUPLICATE_DISTANCE_PX) pairs.push(i < j ? [i, j] : [j, i]);
    }
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return pairs.slice(0, limit);
}

/**
 * Formats a photon count for display: a value within float32 rounding of a whole number, such as
 * a squared float32 amplitude, as that whole number, and others with 6 significant digits.
 */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (isNearlyWhole(value, SQUARED_AMPLITUDE_TOLERANCE)) return Math.round(value).toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumSignificantDigits: 6 });
}

export function positionFigures(dataset: ScanDataset, pixelSizeX_m: number | null, pixelSizeY_m: number | null): PositionFigures {
  const minX_px = minimum(dataset.positionX_px);
  const maxX_px = maximum(dataset.positionX_px);
  const minY_px = minimum(dataset.positionY_px);
  const maxY_px = maximum(dataset.positionY_px);
  const extentX_px = maxX_px - minX_px;
  const extentY_px = maxY_px - minY_px;
  const objectSide = (extent: number) => Math.ceil(extent) + dataset.patternSize + 2 * OBJECT_PADDING_PX;
  return {
    minX_px,
    maxX_px,
    minY_px,
    maxY_px,
    extentX_px,
    extentY_px,
    extentX_m: pixelSizeX_m === null ? null : extentX_px * pixelSizeX_m,
    extentY_m: pixelSizeY_m === null ? null : extentY_px * pixelSizeY_m,
    objectWidth_px: objectSide(extentX_px),
    objectHeight_px: objectSide(extentY_px),
  };
}

/**
 * Returns, for each position, the Euclidean distance to its nearest other position, in the
 * positions' unit. Sorting by x and stopping once |Δx| exceeds the best distance so far keeps
 * this near O(M log M) for scan grids and spirals; the worst case is O(M²).
 */
export function nearestNeighbourDistances(x: ArrayLike<number>, y: ArrayLike<number>): number[] {
  const count = x.length;
  if (count < 2) return [];
  const order = Array.from({ length: count }, (_, index) => index).sort((a, b) => x[a] - x[b]);
  const best = new Array<number>(count).fill(Infinity);
  for (let rank = 0; rank < count; rank++) {
    const i = order[rank];
    for (const direction of [-1, 1]) {
      for (let other = rank + direction; other >= 0 && other < count; other += direction) {
        const j = order[other];
        const dx = x[j] - x[i];
        if (Math.abs(dx) > best[i]) break;
        const distance = Math.hypot(dx, y[j] - y[i]);
        if (distance < best[i]) best[i] = distance;
      }
    }
  }
  return best;
}

/** Returns the diameter of the disc with the probe's effective area (Σ|P|²)² / Σ|P|⁴, in pixels. */
export function probeFootprintDiameter(probe: Float32Array): number {
  let power = 0;
  let powerSquared = 0;
  for (let index = 0; index < probe.length; index += 2) {
    const intensity = probe[index] * probe[index] + probe[index + 1] * probe[index + 1];
    power += intensity;
    powerSquared += intensity * intensity;
  }
  if (powerSquared === 0) return 0;
  const area = (power * power) / powerSquared;
  return 2 * Math.sqrt(area / Math.PI);
}

function estimateOverlap(meanStep_px: number, probe: Float32Array, probeSource: 'file' | 'default'): OverlapEstimate {
  const probeDiameter_px = probeFootprintDiameter(probe);
  const linearOverlap = probeDiameter_px > 0 ? 1 - meanStep_px / probeDiameter_px : Number.NaN;
  return { meanStep_px, probeDiameter_px, linearOverlap, probeSource };
}

export function countFigures(intensities: Float32Array, patternCount: number): CountFigures {
  let total = 0;
  let maxPixel = -Infinity;
  let negativePixels = 0;
  let nonFinitePixels = 0;
  for (let index = 0; index < intensities.length; index++) {
    const value = intensities[index];
    if (!Number.isFinite(value)) {
      nonFinitePixels++;
      continue;
    }
    total += value;
    if (value < 0) negativePixels++;
    if (value > maxPixel) maxPixel = value;
  }
  // A second pass, because the maximum is known only after the first.
  let pixelsAtMax = 0;
  let pixelsNearMax = 0;
  const nearThreshold = 0.9 * maxPixel;
  for (let index = 0; index < intensities.length; index++) {
    const value = intensities[index];
    if (value === maxPixel) pixelsAtMax++;
    else if (value >= nearThreshold && value < maxPixel) pixelsNearMax++;
  }
  return {
    meanPerPattern: patternCount > 0 ? total / patternCount : 0,
    maxPixel: Number.isFinite(maxPixel) ? maxPixel : Number.NaN,
    pixelsAtMax,
    pixelsNearMax,
    negativePixels,
    nonFinitePixels,
  };
}

/**
 * Returns the bit depth n when `value` equals 2^n − 1 for n from 8 to 32, the full scale of
 * common detector counters, or null.
 */
export function fullScaleBits(value: number): number | null {
  for (let bits = 8; bits <= 32; bits++) {
    if (value === 2 ** bits - 1) return bits;
  }
  return null;
}

/**
 * Flags likely saturation: the maximum is the full scale of an n-bit counter, or at least
 * 3 pixels sit at the maximum and they outnumber the pixels within 10 % below it. Counts of a
 * free-running beam thin out towards the maximum, so a pile-up there means clipping.
 */
export function isSaturationSuspected(counts: CountFigures): boolean {
  if (!(counts.maxPixel > 0) || counts.pixelsAtMax === 0) return false;
  if (fullScaleBits(counts.maxPixel) !== null) return true;
  return counts.pixelsAtMax >= 3 && counts.pixelsAtMax > counts.pixelsNearMax;
}

function countWindowsOutside(dataset: ScanDataset, objectWidth: number, objectHeight: number): number {
  let outside = 0;
  for (let index = 0; index < dataset.patternCount; index++) {
    const x = dataset.positionX_px[index];
    const y = dataset.positionY_px[index];
    if (x < 0 || y < 0 || x + dataset.patternSize > objectWidth || y + dataset.patternSize > objectHeight) outside++;
  }
  return outside;
}

function collectWarnings(summary: ScanReadSummary): SummaryWarning[] {
  const warnings: SummaryWarning[] = [];
  const { counts, overlap, positions } = summary;
  if (counts.negativePixels > 0) {
    warnings.push({
      code: 'negative-counts',
      message: `${countOf(counts.negativePixels, 'pixel')} ${verb(counts.negativePixels)} negative counts. Photon counts cannot be negative: check the background subtraction, or clip them to zero.`,
    });
  }
  if (counts.nonFinitePixels > 0) {
    warnings.push({
      code: 'non-finite-counts',
      message: `${countOf(counts.nonFinitePixels, 'pixel')} ${counts.nonFinitePixels === 1 ? 'is' : 'are'} NaN or infinite. Mask or replace them before reconstructing.`,
    });
  }
  if (isSaturationSuspected(counts)) {
    const bits = fullScaleBits(counts.maxPixel);
    const why = bits === null ? `more than the ${counts.pixelsNearMax} within 10 % below it` : `the full scale of a ${bits}-bit counter (2^${bits} − 1)`;
    warnings.push({
      code: 'saturation',
      message: `${countOf(counts.pixelsAtMax, 'pixel')} ${counts.pixelsAtMax === 1 ? 'sits' : 'sit'} at the maximum count ${counts.maxPixel}, ${why}, so the detector may have saturated. Mask saturated pixels or retake the scan with less flux.`,
    });
  }
  if (summary.windowsOutsideObject !== null && summary.windowsOutsideObject > 0) {
    warnings.push({
      code: 'outside-object',
      message: `${summary.windowsOutsideObject} of ${summary.patternCount} probe windows reach outside the object stored in the file. Check the position unit and whether positions are centres or corners.`,
    });
  }
  if (summary.patternCount === 1) {
    warnings.push({
      code: 'single-position',
      message:
        'The file contains a single pattern, but ptychography needs many patterns from overlapping probe positions. ' +
        'One pattern gives no overlap to recover the phase from, so check that the whole scan was saved.',
    });
  }
  if (summary.duplicatePositions > 0) {
    const pairs = summary.duplicatePairs.map(([i, j]) => `${i} and ${j}`).join(', ');
    // A full list of NAMED_DUPLICATE_PAIRS pairs may have been cut short.
    const listed = summary.duplicatePairs.length < NAMED_DUPLICATE_PAIRS ? 'in the pairs' : 'the first pairs being';
    const named = pairs === '' ? '' : `, ${listed} ${pairs} (indices from 0)`;
    warnings.push({
      code: 'duplicate-positions',
      message:
        `${summary.duplicatePositions} positions lie within ${DUPLICATE_DISTANCE_PX} pixels of another position${named}. ` +
        'Check that the positions are not repeated or truncated to a coarse unit.',
    });
  }
  if (overlap !== null && overlap.linearOverlap < MIN_LINEAR_OVERLAP) {
    warnings.push({
      code: 'low-overlap',
      message: `The linear overlap is ${(100 * overlap.linearOverlap).toFixed(0)} % (mean step ${overlap.meanStep_px.toFixed(2)} px, probe footprint ${overlap.probeDiameter_px.toFixed(2)} px). As a rule of thumb, reconstructions converge poorly below about ${100 * MIN_LINEAR_OVERLAP} %, so check the position unit and the probe.`,
    });
  }
  const side = Math.max(positions.objectWidth_px, positions.objectHeight_px);
  if (side > MAX_OBJECT_SIDE_PX) {
    warnings.push({
      code: 'object-too-large',
      message: `The positions span an object of ${positions.objectWidth_px} × ${positions.objectHeight_px} pixels, more than the ${MAX_OBJECT_SIDE_PX}-pixel limit. The positions are probably in the wrong unit.`,
    });
  }
  return warnings;
}

function minimum(values: ArrayLike<number>): number {
  let result = Infinity;
  for (let index = 0; index < values.length; index++) result = Math.min(result, values[index]);
  return result;
}

function maximum(values: ArrayLike<number>): number {
  let result = -Infinity;
  for (let index = 0; index < values.length; index++) result = Math.max(result, values[index]);
  return result;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function countOf(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}

function verb(count: number): string {
  return count === 1 ? 'has' : 'have';
}
