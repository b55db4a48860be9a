/**
 * Start points of PIE runs. A start point contains an object, probe modes and optionally positions
 * from an earlier reconstruction of the same scan, such as a Ptychodus product. A run uses them in
 * place of the flat object, the dataset's probe guess and the dataset's positions.
 */
import type { ScanGeometry } from './geometry';
import {
  INITIAL_EXTRA_MODE_POWER,
  MAX_PROBE_MODES,
  modePower,
  orthogonalizeProbeModes,
  SEED_POLYNOMIALS,
} from './probeModes';

export interface PieStartPoint {
  /** Object [objectHeight_px, objectWidth_px, 2], interleaved complex. */
  object: Float32Array;
  objectHeight_px: number;
  objectWidth_px: number;
  /** Dataset coordinates (y, x) of the object's pixel [0, 0]. */
  originY_px: number;
  originX_px: number;
  /** Probe modes [probeModeCount, probeSize_px, probeSize_px, 2], interleaved complex. */
  probeModes: Float32Array;
  probeModeCount: number;
  probeSize_px: number;
  /**
   * Top-left window corners in dataset coordinates, one per pattern in the dataset's order. When
   * absent, the run uses the dataset's positions.
   */
  positions?: { positionY_px: Float32Array; positionX_px: Float32Array };
}

/**
 * Largest relative difference between the modelled and the measured total photon count for which
 * the start point's probe is used as it is. Beyond it, the probe is rescaled (see startProbeScale).
 */
export const START_COUNT_TOLERANCE = 0.05;

/**
 * Checks a start point's shapes against the scan it should start: the probe size against the
 * window, the positions against the pattern count, and every array length against its stated
 * shape. The probe must be as large as the window, U·N with far-field upsampling U, or as large as
 * the patterns, N, which PieSolver then pads to the window. Throws an Error that names the value
 * and what to do.
 */
export function validateStartPoint(
  start: PieStartPoint,
  patternCount: number,
  patternSize: number,
  farFieldUpsampling = 1,
): void {
  const { objectHeight_px: height, objectWidth_px: width, probeModeCount: modes, probeSize_px: size } = start;
  const windowSize = farFieldUpsampling * patternSize;
  if (size !== windowSize && size !== patternSize) {
    const accepted = windowSize === patternSize ? `${patternSize}×${patternSize}` : `${patternSize}×${patternSize} or ${windowSize}×${windowSize}`;
    const advice =
      size === 2 * patternSize
        ? 'Its size is that of a run with far-field upsampling 2, so set far-field upsampling to 2, or start from a flat object.'
        : 'Start from a product of this scan, or from a flat object.';
    throw new Error(
      `The start point's probe is ${size}×${size} pixels, but a run on these ${patternSize}×${patternSize} patterns ` +
        `with far-field upsampling ${farFieldUpsampling} needs a probe of ${accepted}. ${advice}`,
    );
  }

  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`The start point's object must be at least 1×1 pixels, received ${width}×${height}.`);
  }

  if (start.object.length !== height * width * 2) {
    throw new Error(
      `The start point's object of ${width}×${height} pixels needs ${height * width * 2} values, received ${start.object.length}.`,
    );
  }

  if (!Number.isInteger(modes) || modes < 1) {
    throw new Error(`The start point needs at least one probe mode, received ${modes}.`);
  }

  if (start.probeModes.length !== modes * size * size * 2) {
    throw new Error(
      `The start point's ${modes} probe modes of ${size}×${size} need ${modes * size * size * 2} values, ` +
        `received ${start.probeModes.length}.`,
    );
  }

  if (!Number.isFinite(start.originY_px) || !Number.isFinite(start.originX_px)) {
    throw new Error(`The start point's object origin must be finite, received (${start.originY_px}, ${start.originX_px}).`);
  }

  if (start.positions) {
    const { positionY_px, positionX_px } = start.positions;
    if (positionY_px.length !== patternCount || positionX_px.length !== patternCount) {
      throw new Error(
        `The start point has ${positionY_px.length} rows and ${positionX_px.length} columns of positions but the scan ` +
          `has ${patternCount} patterns. Start from a product of this scan.`,
      );
    }
  }

  const badObject = start.object.findIndex((value) => !Number.isFinite(value));
  if (badObject >= 0) {
    const pixel = Math.floor(badObject / 2);
    throw new Error(
      `The start point's object contains a non-finite value, ${start.object[badObject]}, at pixel ` +
        `(${Math.floor(pixel / width)}, ${pixel % width}) as (row, column), so it cannot start a run. ` +
        'Start from a product with a finite object, or from a flat object.',
    );
  }

  const badProbe = start.probeModes.findIndex((value) => !Number.isFinite(value));
  if (badProbe >= 0) {
    const pixel = Math.floor(badProbe / 2);
    const inMode = pixel % (size * size);
    throw new Error(
      `The start point's probe modes contain a non-finite value, ${start.probeModes[badProbe]}, in mode ` +
        `${Math.floor(pixel / (size * size))} at pixel (${Math.floor(inMode / size)}, ${inMode % size}) as (row, column), ` +
        'so they cannot start a run. Start from a product with a finite probe, or from a flat object.',
    );
  }
}

/**
 * Copies the start point's object onto the solver's object grid. Solver pixel (r, c) sits at
 * dataset coordinates (r + geometry.originY_px, c + geometry.originX_px), which is start-object
 * pixel (r + dy, c + dx) with d = round(geometry origin − start origin). Pixels the start object
 * does not cover are 1 + 0i, the flat start. The sub-pixel part of d (at most half a pixel) is dropped.
 */
export function placeStartObject(start: PieStartPoint, geometry: ScanGeometry): Float32Array {
  const { objectHeight_px: height, objectWidth_px: width } = geometry;
  const rowShift = Math.round(geometry.originY_px - start.originY_px);
  const colShift = Math.round(geometry.originX_px - start.originX_px);
  const placed = new Float32Array(height * width * 2);
  for (let row = 0; row < height; row += 1) {
    const sourceRow = row + rowShift;
    const rowInside = sourceRow >= 0 && sourceRow < start.objectHeight_px;
    for (let col = 0; col < width; col += 1) {
      const sourceCol = col + colShift;
      const target = 2 * (row * width + col);
      if (rowInside && sourceCol >= 0 && sourceCol < start.objectWidth_px) {
        const source = 2 * (sourceRow * start.objectWidth_px + sourceCol);
        placed[target] = start.object[source];
        placed[target + 1] = start.object[source + 1];
      } else {
        placed[target] = 1;
      }
    }
  }
  return placed;
}

/**
 * Returns `count` probe modes [count, N, N, 2] from `have` given ones. With fewer given, the extra
 * modes are seeded as initialProbeModes seeds them: the first mode times a low-order polynomial,
 * each with 2 % of the total power, and the given modes are scaled down so the total power is
 * unchanged. With more given, the modes are first made orthogonal and sorted by power, and the
 * `count` strongest are kept, so the total power drops by the share of the dropped ones. When that
 * share exceeds START_COUNT_TOLERANCE, PieSolver's photon check then rescales the kept modes.
 */
export function adjustProbeModeCount(modes: Float32Array, size: number, have: number, count: number): Float32Array {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PROBE_MODES) {
    throw new Error(`Probe modes must be a whole number from 1 to ${MAX_PROBE_MODES}, received ${count}.`);
  }
  const pixels = size * size;
  if (have === count) return Float32Array.from(modes);
  if (have > count) {
    return orthogonalizeProbeModes(modes, size, have).slice(0, count * pixels * 2);
  }

  let totalPower = 0;
  for (let mode = 0; mode < have; mode += 1) totalPower += modePower(modes, mode, pixels);
  const result = new Float32Array(count * pixels * 2);
  const givenScale = Math.sqrt(1 - INITIAL_EXTRA_MODE_POWER * (count - have));
  for (let i = 0; i < have * pixels * 2; i += 1) result[i] = modes[i] * givenScale;

  for (let mode = have; mode < count; mode += 1) {
    const polynomial = SEED_POLYNOMIALS[(mode - 1) % SEED_POLYNOMIALS.length];
    const offset = mode * pixels * 2;
    for (let row = 0; row < size; row += 1) {
      const y = row / size - 0.5;
      for (let col = 0; col < size; col += 1) {
        const weight = polynomial(col / size - 0.5, y);
        const index = (row * size + col) * 2;
        result[offset + index] = modes[index] * weight;
        result[offset + index + 1] = modes[index + 1] * weight;
      }
    }
    const power = modePower(result, mode, pixels);
    const scale = power > 0 ? Math.sqrt((INITIAL_EXTRA_MODE_POWER * totalPower) / power) : 0;
    for (let i = offset; i < offset + pixels * 2; i += 1) result[i] *= scale;
  }
  return result;
}

/**
 * Computes the total photon count the forward model predicts for every pattern, Σ_j Σ_r |O_j(r)|² ·
 * Σ_m |P_m(r)|². By Parseval's theorem with the unitary FFT this equals Σ_j Σ_k Σ_m |Ψ_jmk|².
 * `object` is on the solver's grid [H, W, 2] and the windows at geometry.row_px / col_px.
 */
export function modelledTotalCounts(
  object: Float32Array,
  geometry: ScanGeometry,
  modes: Float32Array,
  size: number,
  modeCount: number,
): number {
  const pixels = size * size;
  const probePower = new Float64Array(pixels);
  for (let mode = 0; mode < modeCount; mode += 1) {
    const offset = mode * pixels * 2;
    for (let i = 0; i < pixels; i += 1) {
      probePower[i] += modes[offset + 2 * i] ** 2 + modes[offset + 2 * i + 1] ** 2;
    }
  }
  const width = geometry.objectWidth_px;
  let total = 0;
  for (let j = 0; j < geometry.row_px.length; j += 1) {
    for (let row = 0; row < size; row += 1) {
      const objectRow = (geometry.row_px[j] + row) * width + geometry.col_px[j];
      for (let col = 0; col < size; col += 1) {
        const index = 2 * (objectRow + col);
        total += (object[index] ** 2 + object[index + 1] ** 2) * probePower[row * size + col];
      }
    }
  }
  return total;
}

/**
 * Returns the factor by which a start probe's amplitudes are multiplied so that the modelled total
 * count equals the measured one. It is 1 when the two agree within START_COUNT_TOLERANCE, as for a
 * product of a run on this scan, whose probe is already on the data's photon scale. Otherwise it
 * is √(measured / modelled), for a product from a program that normalises its probe differently.
 * This is scaleProbeToPhotons's rule with the start object in place of the flat one.
 */
export function startProbeScale(modelledCounts: number, measuredCounts: number): number {
  if (!(modelledCounts > 0) || !(measuredCounts > 0)) {
    throw new Error(
      `Cannot match the start probe to the data: the modelled total count is ${modelledCounts} and the measured ` +
        `${measuredCounts}; both must be positive. Check that the product's probe and object are not zero.`,
    );
  }
  const ratio = modelledCounts / measuredCounts;
  return Math.abs(ratio - 1) <= START_COUNT_TOLERANCE ? 1 : Math.sqrt(1 / ratio);
}
