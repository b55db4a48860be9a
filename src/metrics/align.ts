/**
 * Alignment of a reconstruction with a reference before the two are compared. Ptychography
 * recovers an object only up to a translation, a global phase offset, a linear phase ramp (a
 * shift of the far field) and, with an unknown probe scale, an amplitude factor. Metrics computed
 * without removing these measure the ambiguities instead of the reconstruction.
 *
 * Steps: sub-pixel registration inside the region (registration.ts); when the ramp is corrected,
 * a ramp fit after that registration, removal of that ramp and a second registration; a Fourier
 * shift of the whole estimate; a weighted least-squares fit of phase offset and ramp to the phase
 * difference; then the least-squares amplitude scale.
 */
import { wrapPhase } from './phase';
import { boundingBox, cropComplex, cropMask, growRectangle, regionToMask } from './region';
import { fourierShift, registerImages, type RegistrationQuantity } from './registration';
import { checkComplexImage, checkSameShape, type ComplexImage, type Region } from './types';

/** Phase terms that the alignment removes. */
export type PhaseCorrection = 'none' | 'offset' | 'offset-and-ramp';

export interface AlignmentOptions {
  /** Pixels to align and compare, normally the scanned region. Default: the whole image. */
  region?: Region;
  /** Whether to register and shift the estimate. Default true. */
  register?: boolean;
  /** Refinement steps per pixel of the registration. Default 20 (0.05 px). */
  upsampleFactor?: number;
  /** Quantity that registration correlates; see {@link RegistrationQuantity}. Default 'complex'. */
  registrationQuantity?: RegistrationQuantity;
  /** Default 'offset-and-ramp'. */
  phaseCorrection?: PhaseCorrection;
  /** Whether to fit the amplitude scale. Default true. */
  matchScale?: boolean;
}

/**
 * The aligned estimate and the corrections applied to it:
 * aligned(y, x) = scale·e^{i(phaseOffset_rad + phaseRampRows_radPerPx·y + phaseRampColumns_radPerPx·x)}
 *                 ·estimate(y − shiftRows_px, x − shiftColumns_px),
 * with y and x the row and column of the full image.
 */
export interface Alignment {
  /** The estimate after all corrections, same shape as the input. */
  aligned: ComplexImage;
  /**
   * The region minus the rows and columns that the shift wrapped around from the opposite edge,
   * one value per pixel, 1 inside. Metrics are computed on these pixels.
   */
  mask: Uint8Array;
  shiftRows_px: number;
  shiftColumns_px: number;
  /** Phase added at pixel (0, 0), wrapped to (−π, π]. */
  phaseOffset_rad: number;
  phaseRampRows_radPerPx: number;
  phaseRampColumns_radPerPx: number;
  /** Real factor applied to the estimate. */
  scale: number;
}

/** Pixels around the region's bounding box that registration also reads. */
const REGISTRATION_MARGIN_PX = 8;

/** Aligns `estimate` with `reference` inside the region; see {@link Alignment} for what is returned. */
export function alignImages(reference: ComplexImage, estimate: ComplexImage, options: AlignmentOptions = {}): Alignment {
  checkComplexImage(reference, 'alignImages reference');
  checkComplexImage(estimate, 'alignImages estimate');
  checkSameShape(reference, estimate, 'alignImages');
  const {
    region,
    register = true,
    upsampleFactor = 20,
    registrationQuantity = 'complex',
    phaseCorrection = 'offset-and-ramp',
    matchScale = true,
  } = options;
  const { height, width } = reference;
  const regionMask = regionToMask(region, height, width);

  const registerRegion = (field: ComplexImage) => {
    // Registration also reads the estimate up to the margin beyond the region, where the image extends that far.
    const box = growRectangle(boundingBox(regionMask, height, width), REGISTRATION_MARGIN_PX, height, width);
    return registerImages(cropComplex(reference, box), cropComplex(field, box), {
      // Without a region the images are treated as periodic, as in the plain method, with no taper.
      mask: region === undefined ? undefined : cropMask(regionMask, width, box),
      upsampleFactor,
      quantity: registrationQuantity,
    });
  };

  let field = estimate;
  let shift = { shiftRows_px: 0, shiftColumns_px: 0 };
  // Ramp already removed from `field` before the final registration.
  let preRamp = { rows_radPerPx: 0, columns_radPerPx: 0 };
  if (register) {
    shift = registerRegion(estimate);
    if (phaseCorrection === 'offset-and-ramp') {
      // A phase ramp lowers and skews the correlation peak of complex fields, so the ramp found after
      // a first registration is removed from the estimate and the estimate is registered again.
      const firstMask = excludeWrappedPixels(regionMask, height, width, shift.shiftRows_px, shift.shiftColumns_px);
      const firstShifted = fourierShift(estimate, shift.shiftRows_px, shift.shiftColumns_px);
      const firstRamp = fitPhaseRamp(reference, firstShifted, firstMask, width, phaseCorrection);
      preRamp = { rows_radPerPx: firstRamp.rows_radPerPx, columns_radPerPx: firstRamp.columns_radPerPx };
      field = toComplexImage(applyPhase(splitComplex(estimate), width, { offset_rad: 0, ...preRamp }), height, width);
      shift = registerRegion(field);
    }
  }
  const { shiftRows_px, shiftColumns_px } = shift;

  const shifted = fourierShift(field, shiftRows_px, shiftColumns_px);
  const mask = excludeWrappedPixels(regionMask, height, width, shiftRows_px, shiftColumns_px);

  const ramp = fitPhaseRamp(reference, shifted, mask, width, phaseCorrection);
  const corrected = applyPhase(shifted, width, ramp);
  const scale = matchScale ? fitScale(reference, corrected, mask) : 1;

  const aligned = new Float32Array(height * width * 2);
  for (let i = 0; i < height * width; i += 1) {
    aligned[2 * i] = scale * corrected.re[i];
    aligned[2 * i + 1] = scale * corrected.im[i];
  }
  // field(y, x) = estimate(y, x)·e^{i(preRamp·(y, x))}, so the ramp removed first becomes part of the
  // reported ramp, and its value at the shift moves into the offset.
  const phaseOffset_rad = wrapPhase(
    ramp.offset_rad - preRamp.rows_radPerPx * shiftRows_px - preRamp.columns_radPerPx * shiftColumns_px,
  );
  return {
    aligned: { data: aligned, height, width },
    mask,
    shiftRows_px,
    shiftColumns_px,
    phaseOffset_rad,
    phaseRampRows_radPerPx: preRamp.rows_radPerPx + ramp.rows_radPerPx,
    phaseRampColumns_radPerPx: preRamp.columns_radPerPx + ramp.columns_radPerPx,
    scale,
  };
}

/**
 * Returns a copy of the mask without the rows and columns whose shifted values came from beyond the
 * opposite edge: the first ⌈shift⌉ for a positive shift, the last ⌈−shift⌉ for a negative one.
 */
function excludeWrappedPixels(
  mask: Uint8Array,
  height: number,
  width: number,
  shiftRows_px: number,
  shiftColumns_px: number,
): Uint8Array {
  const rowsWrapped = Math.min(height, Math.ceil(Math.abs(shiftRows_px)));
  const columnsWrapped = Math.min(width, Math.ceil(Math.abs(shiftColumns_px)));
  const firstRow = shiftRows_px > 0 ? rowsWrapped : 0;
  const endRow = shiftRows_px < 0 ? height - rowsWrapped : height;
  const firstColumn = shiftColumns_px > 0 ? columnsWrapped : 0;
  const endColumn = shiftColumns_px < 0 ? width - columnsWrapped : width;

  const result = new Uint8Array(mask.length);
  let count = 0;
  for (let row = firstRow; row < endRow; row += 1) {
    for (let column = firstColumn; column < endColumn; column += 1) {
      const i = row * width + column;
      result[i] = mask[i];
      count += mask[i];
    }
  }
  if (count === 0) {
    throw new Error(
      `alignImages: after a shift of (${shiftRows_px}, ${shiftColumns_px}) px no region pixel is left that did ` +
        'not wrap around the image edge. Enlarge the region, or pass register: false if the images are already aligned.',
    );
  }
  return result;
}

/** Phase correction φ(y, x) = offset_rad + rows_radPerPx·y + columns_radPerPx·x. */
interface PhaseRamp {
  offset_rad: number;
  rows_radPerPx: number;
  columns_radPerPx: number;
}

/** Rounds of refitting the ramp to the rewrapped residual phase. */
const RAMP_FIT_ROUNDS = 3;

/**
 * Fits the phase that, added to the estimate, best matches the reference inside the mask.
 *
 * The phase difference angle(r·conj(e)) is weighted by |r|·|e|, because the phase of weak pixels is
 * mostly noise. The offset starts at the phase of Σ r·conj(e), which needs no unwrapping. The ramp
 * and a correction of the offset then come from weighted least squares on the residual wrapped to
 * (−π, π], in coordinates centred on the mask. The fit is repeated on the rewrapped residual, so a
 * ramp steep enough to wrap the first residual is still fitted once the residual no longer wraps.
 */
function fitPhaseRamp(
  reference: ComplexImage,
  shifted: { re: Float64Array; im: Float64Array },
  mask: Uint8Array,
  width: number,
  phaseCorrection: PhaseCorrection,
): PhaseRamp {
  if (phaseCorrection === 'none') return { offset_rad: 0, rows_radPerPx: 0, columns_radPerPx: 0 };

  const r = reference.data;
  const pixels = mask.length;
  const differenceRe = new Float64Array(pixels);
  const differenceIm = new Float64Array(pixels);
  let sumRe = 0;
  let sumIm = 0;
  let count = 0;
  let sumRows = 0;
  let sumColumns = 0;
  for (let i = 0; i < pixels; i += 1) {
    differenceRe[i] = r[2 * i] * shifted.re[i] + r[2 * i + 1] * shifted.im[i];
    differenceIm[i] = r[2 * i + 1] * shifted.re[i] - r[2 * i] * shifted.im[i];
    if (mask[i]) {
      sumRe += differenceRe[i];
      sumIm += differenceIm[i];
      count += 1;
      sumRows += Math.floor(i / width);
      sumColumns += i % width;
    }
  }
  const initialOffset_rad = Math.atan2(sumIm, sumRe);
  if (phaseCorrection === 'offset') return { offset_rad: initialOffset_rad, rows_radPerPx: 0, columns_radPerPx: 0 };

  const centreRow = sumRows / count;
  const centreColumn = sumColumns / count;
  // Parameters (offset at the centre, row slope, column slope).
  const parameters = [initialOffset_rad, 0, 0];
  for (let round = 0; round < RAMP_FIT_ROUNDS; round += 1) {
    const normal = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const rightSide = [0, 0, 0];
    for (let i = 0; i < pixels; i += 1) {
      if (!mask[i]) continue;
      const weight = Math.hypot(differenceRe[i], differenceIm[i]);
      const basis = [1, Math.floor(i / width) - centreRow, (i % width) - centreColumn];
      const model = parameters[0] + parameters[1] * basis[1] + parameters[2] * basis[2];
      const residual = wrapPhase(Math.atan2(differenceIm[i], differenceRe[i]) - model);
      for (let j = 0; j < 3; j += 1) {
        rightSide[j] += weight * residual * basis[j];
        for (let k = 0; k < 3; k += 1) normal[3 * j + k] += weight * basis[j] * basis[k];
      }
    }
    const step = solve3x3(normal, rightSide);
    if (step === null) {
      throw new Error(
        'alignImages: the phase ramp cannot be fitted, because the weighted region pixels lie on one line or ' +
          "have zero amplitude. Use a region at least 2 pixels tall and wide, or phaseCorrection: 'offset'.",
      );
    }
    for (let j = 0; j < 3; j += 1) parameters[j] += step[j];
  }
  return {
    offset_rad: wrapPhase(parameters[0] - parameters[1] * centreRow - parameters[2] * centreColumn),
    rows_radPerPx: parameters[1],
    columns_radPerPx: parameters[2],
  };
}

/** Solves the 3×3 system m·x = b (m row-major) by Gaussian elimination with partial pivoting; null when singular. */
function solve3x3(m: number[], b: number[]): number[] | null {
  const a = [
    [m[0], m[1], m[2], b[0]],
    [m[3], m[4], m[5], b[1]],
    [m[6], m[7], m[8], b[2]],
  ];
  const scale = Math.max(...m.map(Math.abs));
  for (let column = 0; column < 3; column += 1) {
    let pivot = column;
    for (let row = column + 1; row < 3; row += 1) {
      if (Math.abs(a[row][column]) > Math.abs(a[pivot][column])) pivot = row;
    }
    if (!(Math.abs(a[pivot][column]) > 1e-12 * scale)) return null;
    [a[column], a[pivot]] = [a[pivot], a[column]];
    for (let row = column + 1; row < 3; row += 1) {
      const factor = a[row][column] / a[column][column];
      for (let k = column; k < 4; k += 1) a[row][k] -= factor * a[column][k];
    }
  }
  const x = [0, 0, 0];
  for (let row = 2; row >= 0; row -= 1) {
    let value = a[row][3];
    for (let k = row + 1; k < 3; k += 1) value -= a[row][k] * x[k];
    x[row] = value / a[row][row];
  }
  return x;
}

function splitComplex(image: ComplexImage): { re: Float64Array; im: Float64Array } {
  const pixels = image.height * image.width;
  const re = new Float64Array(pixels);
  const im = new Float64Array(pixels);
  for (let i = 0; i < pixels; i += 1) {
    re[i] = image.data[2 * i];
    im[i] = image.data[2 * i + 1];
  }
  return { re, im };
}

function toComplexImage(field: { re: Float64Array; im: Float64Array }, height: number, width: number): ComplexImage {
  const data = new Float32Array(height * width * 2);
  for (let i = 0; i < height * width; i += 1) {
    data[2 * i] = field.re[i];
    data[2 * i + 1] = field.im[i];
  }
  return { data, height, width };
}

/** Multiplies the field by e^{iφ(y, x)}. */
function applyPhase(
  field: { re: Float64Array; im: Float64Array },
  width: number,
  ramp: PhaseRamp,
): { re: Float64Array; im: Float64Array } {
  const pixels = field.re.length;
  const re = new Float64Array(pixels);
  const im = new Float64Array(pixels);
  for (let i = 0; i < pixels; i += 1) {
    const angle = ramp.offset_rad + ramp.rows_radPerPx * Math.floor(i / width) + ramp.columns_radPerPx * (i % width);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    re[i] = field.re[i] * c - field.im[i] * s;
    im[i] = field.re[i] * s + field.im[i] * c;
  }
  return { re, im };
}

/** Returns the real s minimising Σ_mask |r − s·e|²: Re Σ r·conj(e) / Σ |e|². */
function fitScale(reference: ComplexImage, field: { re: Float64Array; im: Float64Array }, mask: Uint8Array): number {
  const r = reference.data;
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < mask.length; i += 1) {
    if (!mask[i]) continue;
    numerator += r[2 * i] * field.re[i] + r[2 * i + 1] * field.im[i];
    denominator += field.re[i] * field.re[i] + field.im[i] * field.im[i];
  }
  if (!(denominator > 0)) {
    throw new Error(
      'alignImages: the estimate is zero everywhere in the region, so no amplitude scale can be fitted. ' +
        'Check the estimate, or pass matchScale: false.',
    );
  }
  return numerator / denominator;
}
