/**
 * Conversions shared by the scan readers: the layout of a diffraction stack, amplitude or
 * counts, the zero-frequency position, and checks of position arrays. Everything here works on
 * plain typed arrays, so it runs in a Web Worker and in Node alike.
 */
import { DataFormatError, type DataLocation } from '../errors';
import { isNearlyWhole, SQUARED_AMPLITUDE_TOLERANCE } from '../validate';
import { formatShape, isComplexDtype, type NpyArray } from '../npy';
import type { MeasurementDecision, MeasurementDomain, ReadNotice, StackSource, ZeroFrequencyLocation } from './readResult';

/** A real array from any file format, with the dtype name kept for messages. */
export interface RealArray {
  shape: number[];
  /** Dtype name as NumPy spells it, such as 'uint16' or 'float64'. */
  dtype: string;
  /** True for integer and bool dtypes, whose values are whole numbers by construction. */
  isInteger: boolean;
  values: ArrayLike<number>;
}

/** Order of the axes of a diffraction stack: (M, N, N) or PtychoPINN's legacy (N, N, M). */
export type StackLayout = 'patterns-first' | 'patterns-last';

/** Location of the zero frequency in the stored patterns. 'detect' picks the nearer of centre and corner. */
export type ZeroFrequencyMode = 'centre' | 'corner' | 'detect';

export interface StackGeometry {
  layout: StackLayout;
  patternCount: number;
  patternSize: number;
}

/**
 * Values of a non-integer stack above which an amplitude reading is doubtful. PtychoPINN
 * normalises amplitudes to about 1, and its data contract checks that the maximum is below 10.
 */
export const AMPLITUDE_DOUBT_THRESHOLD = 10;

/** Converts a real NumPy array to a RealArray, rejecting complex values. */
export function realArrayFromNpy(array: NpyArray, location: DataLocation, role: string): RealArray {
  if (isComplexDtype(array.dtype)) {
    throw new DataFormatError({
      ...location,
      problem: `the ${role} array is complex`,
      rule: `The ${role} must be a real integer or float array`,
      received: `shape ${formatShape(array.shape)} of ${array.dtype}`,
      action: 'Store the measured values as real numbers, for example np.abs(arr).astype(np.float32) for amplitudes',
    });
  }
  const data = array.data;
  const values =
    data instanceof BigInt64Array || data instanceof BigUint64Array ? Float64Array.from(data, (value) => Number(value)) : data;
  const isInteger = array.dtype !== 'float32' && array.dtype !== 'float64';
  return { shape: array.shape, dtype: array.dtype, isInteger, values };
}

/**
 * Works out the number and size of the patterns in a stack of shape (M, N, N) or (N, N, M),
 * optionally with a trailing channel axis of 1. A cube (N, N, N) fits both layouts, so it needs
 * `forcedLayout`. Throws DataFormatError for any other shape.
 */
export function resolveStackGeometry(shape: readonly number[], location: DataLocation, forcedLayout?: StackLayout): StackGeometry {
  const dims = shape.length === 4 && shape[3] === 1 ? shape.slice(0, 3) : [...shape];
  const fail = (problem: string, rule: string, action: string): never => {
    throw new DataFormatError({ ...location, problem, rule, received: `shape ${formatShape(shape)}`, action });
  };

  if (dims.length !== 3) {
    fail(
      'the diffraction stack has the wrong number of dimensions',
      'A stack of M square N×N patterns has shape (M, N, N), or (N, N, M) in the legacy layout',
      'Reshape the patterns into a 3-D array, for example with arr.reshape(M, N, N), and save it again',
    );
  }
  const [first, second, third] = dims;
  if (dims.includes(0)) {
    fail('the diffraction stack is empty', 'The stack must hold at least one pattern of at least 1×1 pixel', 'Choose a file with measured patterns');
  }

  const fitsFirst = second === third;
  const fitsLast = first === second;
  if (forcedLayout !== undefined) {
    const fits = forcedLayout === 'patterns-first' ? fitsFirst : fitsLast;
    if (!fits) {
      fail(
        `the diffraction stack does not fit the requested layout ${forcedLayout}`,
        forcedLayout === 'patterns-first' ? 'Layout patterns-first needs shape (M, N, N)' : 'Layout patterns-last needs shape (N, N, M)',
        'Choose the other layout, or leave the layout to be detected',
      );
    }
    return geometryFor(forcedLayout, dims);
  }
  if (fitsFirst && fitsLast) {
    fail(
      'the diffraction stack layout is ambiguous',
      `A cube of shape ${formatShape(dims)} is either ${first} patterns first, as (M, N, N), or ${third} patterns last, ` +
        'as (N, N, M), and the number of positions is the same either way',
      'Choose the layout explicitly (patterns first is PtychoPINN\'s current layout), or save the stack as (M, N, N) with M ≠ N',
    );
  }
  if (!fitsFirst && !fitsLast) {
    fail(
      'the diffraction patterns are not square',
      'A stack of M square N×N patterns has shape (M, N, N), or (N, N, M) in the legacy layout',
      'Crop or pad the patterns to a square, such as 128×128, before loading',
    );
  }
  return geometryFor(fitsFirst ? 'patterns-first' : 'patterns-last', dims);
}

function geometryFor(layout: StackLayout, dims: number[]): StackGeometry {
  return layout === 'patterns-first'
    ? { layout, patternCount: dims[0], patternSize: dims[1] }
    : { layout, patternCount: dims[2], patternSize: dims[0] };
}

/** Returns a notice for the legacy (N, N, M) layout, or null for (M, N, N). */
export function describeLayout(geometry: StackGeometry, key: string): ReadNotice | null {
  if (geometry.layout === 'patterns-first') {
    return null;
  }
  return {
    topic: 'stack-layout',
    severity: 'info',
    message:
      `The array ${JSON.stringify(key)} is stored patterns last, as (N, N, M) = ` +
      `(${geometry.patternSize}, ${geometry.patternSize}, ${geometry.patternCount}), and was reordered to ` +
      `${geometry.patternCount} patterns of ${geometry.patternSize}×${geometry.patternSize}.`,
  };
}

/**
 * Decides whether the stored values are photon counts or amplitudes (square roots of counts).
 * Integer dtypes, and float arrays holding only whole numbers, are counts. Other float arrays are
 * amplitudes, PtychoPINN's convention. `forced` overrides the detection.
 */
export function decideMeasurement(stack: RealArray, forced?: MeasurementDomain): MeasurementDecision {
  if (forced !== undefined) {
    return { assumed: forced, forced: true, reason: `The caller chose ${forced}.` };
  }
  if (stack.isInteger) {
    return { assumed: 'counts', forced: false, reason: `The values are stored as ${stack.dtype}, an integer dtype, so they are counts.` };
  }

  let nonInteger = 0;
  let nonIntegerSquares = 0;
  let max = -Infinity;
  const values = stack.values;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (value > max) max = value;
    if (!Number.isFinite(value)) continue;
    if (value !== Math.round(value)) nonInteger++;
    if (!isNearlyWhole(Math.fround(value * value), SQUARED_AMPLITUDE_TOLERANCE)) nonIntegerSquares++;
  }
  const maxText = formatNumber(max);
  if (nonInteger === 0) {
    return {
      assumed: 'counts',
      forced: false,
      reason: `All ${values.length} ${stack.dtype} values are whole numbers (maximum ${maxText}), so they are taken as counts.`,
    };
  }
  // Square roots of whole counts, such as np.sqrt(counts).astype(np.float32), square to whole
  // numbers within float32 rounding. Large values whose squares are not whole are more likely
  // intensities scaled by a non-integer factor.
  const doubtful = max > AMPLITUDE_DOUBT_THRESHOLD && nonIntegerSquares > 0;
  let doubt = '';
  if (doubtful) {
    doubt =
      ` The maximum is above ${AMPLITUDE_DOUBT_THRESHOLD}, unusual for PtychoPINN's normalised amplitudes, and ${nonIntegerSquares} squares ` +
      'are not whole counts, so these may be scaled intensities. If so, choose counts instead.';
  } else if (max > AMPLITUDE_DOUBT_THRESHOLD) {
    doubt = ' Their squares are whole numbers, as for square roots of photon counts.';
  }
  return {
    assumed: 'amplitude',
    forced: false,
    doubtful,
    reason:
      `${nonInteger} of ${values.length} ${stack.dtype} values are not whole numbers (maximum ${maxText}), ` +
      `so they are taken as amplitudes, PtychoPINN's convention, and squared to give intensities.${doubt}`,
  };
}

/** Returns the notice that reports a measurement decision. */
export function describeMeasurement(decision: MeasurementDecision): ReadNotice {
  const doubtful = !decision.forced && decision.assumed === 'amplitude' && decision.doubtful === true;
  return { topic: 'measurement-domain', severity: doubtful ? 'warning' : 'info', message: decision.reason };
}

/**
 * Describes the probe guess that the solvers build for a scan without one: defaultProbe in
 * src/solvers/pie/probeScale.ts, scaled to the counts by scaleProbeToPhotons. A test in
 * stack.test.ts checks the radius against defaultProbe.
 */
export function describeDefaultProbe(patternSize: number): string {
  return (
    `the default probe, a real disk of radius ${formatNumber(patternSize / 4)} pixels (N/4) in the ${patternSize}×${patternSize} window ` +
    'with an edge that falls off over about 1.5 pixels, scaled so that its total intensity equals the mean count per pattern'
  );
}

/** Records where a stack's values end up in the dataset, for messages that give file indices. */
export function describeStackSource(name: string, stack: RealArray, geometry: StackGeometry, shifted: boolean): StackSource {
  return { name, shape: [...stack.shape], layout: geometry.layout, shifted };
}

/**
 * Throws DataFormatError when an amplitude stack contains negative values, which squaring would
 * silently turn into positive intensities.
 */
export function requireNonNegativeAmplitudes(stack: RealArray, location: DataLocation): void {
  const values = stack.values;
  for (let index = 0; index < values.length; index++) {
    if (values[index] < 0) {
      throw new DataFormatError({
        ...location,
        problem: 'the diffraction amplitudes contain negative values',
        rule: 'Amplitudes are square roots of intensities, so they cannot be negative',
        received: `${formatNumber(values[index])} at index [${unravelIndex(index, stack.shape).join(', ')}] (flat index ${index})`,
        action: 'Clip the amplitudes to zero, or if the values are background-subtracted intensities, read them as counts',
      });
    }
  }
}

/** Converts a flat index into a C-ordered array of `shape` to one index per axis. */
function unravelIndex(flatIndex: number, shape: readonly number[]): number[] {
  const indices = new Array<number>(shape.length);
  let rest = flatIndex;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    indices[axis] = rest % shape[axis];
    rest = Math.floor(rest / shape[axis]);
  }
  return indices;
}

/**
 * Detects the zero frequency of a stack in the file's pixel grid as the circular centroid of the
 * mean pattern, because the direct beam dominates the mean. A circular mean also handles a beam
 * at the array corner that wraps around, where a plain centroid would land in the middle.
 */
export function detectZeroFrequency(
  stack: RealArray,
  geometry: StackGeometry,
  domain: MeasurementDomain,
): { row_px: number; column_px: number } {
  const size = geometry.patternSize;
  const mean = meanPattern(stack, geometry, domain);
  const rowWeights = new Float64Array(size);
  const columnWeights = new Float64Array(size);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const weight = mean[row * size + column];
      if (Number.isFinite(weight) && weight > 0) {
        rowWeights[row] += weight;
        columnWeights[column] += weight;
      }
    }
  }
  return { row_px: circularMean(rowWeights), column_px: circularMean(columnWeights) };
}

function meanPattern(stack: RealArray, geometry: StackGeometry, domain: MeasurementDomain): Float64Array {
  const { patternCount, patternSize } = geometry;
  const pixels = patternSize * patternSize;
  const sum = new Float64Array(pixels);
  const values = stack.values;
  const square = domain === 'amplitude';
  for (let pattern = 0; pattern < patternCount; pattern++) {
    for (let pixel = 0; pixel < pixels; pixel++) {
      const value = values[sourceIndex(geometry, pattern, pixel)];
      sum[pixel] += square ? value * value : value;
    }
  }
  return sum;
}

/** Returns the circular mean position of weights on a ring of weights.length pixels, in [0, length). */
function circularMean(weights: Float64Array): number {
  const size = weights.length;
  let cosine = 0;
  let sine = 0;
  for (let index = 0; index < size; index++) {
    const angle = (2 * Math.PI * index) / size;
    cosine += weights[index] * Math.cos(angle);
    sine += weights[index] * Math.sin(angle);
  }
  if (cosine === 0 && sine === 0) {
    return 0;
  }
  const position = (Math.atan2(sine, cosine) * size) / (2 * Math.PI);
  return position < 0 ? position + size : position;
}

/** Distance between two positions on a ring of `size` pixels. */
function ringDistance(a: number, b: number, size: number): number {
  const difference = Math.abs(a - b) % size;
  return Math.min(difference, size - difference);
}

/**
 * Decides whether to apply an inverse fftshift and describes the zero-frequency location for
 * the UI. 'centre' always shifts, 'corner' never does, and 'detect' shifts when the detected
 * location is nearer the centre than the corner. A warning is added when the detected location
 * is far from the one the mode assumes.
 */
export function resolveZeroFrequency(
  detected: { row_px: number; column_px: number },
  patternSize: number,
  mode: ZeroFrequencyMode,
  formatName: string,
): { location: ZeroFrequencyLocation; notice: ReadNotice } {
  const half = Math.floor(patternSize / 2);
  const distanceToCentre = Math.max(
    ringDistance(detected.row_px, half, patternSize),
    ringDistance(detected.column_px, half, patternSize),
  );
  const distanceToCorner = Math.max(ringDistance(detected.row_px, 0, patternSize), ringDistance(detected.column_px, 0, patternSize));
  const shifted = mode === 'centre' || (mode === 'detect' && distanceToCentre <= distanceToCorner);
  const wrap = (value: number) => ((value % patternSize) + patternSize) % patternSize;
  const location: ZeroFrequencyLocation = {
    detectedRow_px: detected.row_px,
    detectedColumn_px: detected.column_px,
    shifted,
    datasetRow_px: shifted ? wrap(detected.row_px - half) : detected.row_px,
    datasetColumn_px: shifted ? wrap(detected.column_px - half) : detected.column_px,
  };

  const where = `row ${detected.row_px.toFixed(1)}, column ${detected.column_px.toFixed(1)}`;
  const tolerance = patternSize / 8;
  const expectedDistance = shifted ? distanceToCentre : distanceToCorner;
  const action = shifted
    ? `The patterns were shifted by ${half} pixels on both axes (an inverse fftshift) to put the zero frequency at [0, 0]`
    : 'The patterns were kept as stored, with the zero frequency at [0, 0]';
  let why = 'the caller chose the corner';
  if (mode === 'detect') {
    why = 'detected';
  } else if (mode === 'centre') {
    why = `${formatName} stores centred patterns`;
  }
  if (expectedDistance > tolerance) {
    return {
      location,
      notice: {
        topic: 'zero-frequency',
        severity: 'warning',
        message:
          `The mean pattern peaks at ${where}, ${expectedDistance.toFixed(1)} pixels from where ${why} puts the zero frequency. ` +
          `${action}. If the beam is off-centre, the reconstruction will carry a phase ramp.`,
      },
    };
  }
  return {
    location,
    notice: { topic: 'zero-frequency', severity: 'info', message: `The mean pattern peaks at ${where}; ${why}. ${action}.` },
  };
}

/**
 * Builds the dataset's intensity array: patterns first, squared when the file contains amplitudes,
 * and with an inverse fftshift when `shift` is true, all in one pass over the stored values.
 *
 * With `reuseStack`, a float32 stack stored patterns first is converted in place, one pattern at a
 * time, and returned: a large file then needs no second copy of its patterns. The stack's values
 * must not be used afterwards. Other stacks get a new array either way.
 */
export function buildIntensities(
  stack: RealArray,
  geometry: StackGeometry,
  domain: MeasurementDomain,
  shift: boolean,
  reuseStack = false,
): Float32Array {
  const { patternCount, patternSize } = geometry;
  const pixels = patternSize * patternSize;
  const values = stack.values;
  if (reuseStack && values instanceof Float32Array && geometry.layout === 'patterns-first' && values.length === patternCount * pixels) {
    convertInPlace(values, geometry, domain, shift);
    return values;
  }
  const half = shift ? Math.floor(patternSize / 2) : 0;
  const square = domain === 'amplitude';
  const result = new Float32Array(patternCount * pixels);
  for (let pattern = 0; pattern < patternCount; pattern++) {
    for (let row = 0; row < patternSize; row++) {
      // Inverse fftshift: output[r][c] = input[(r + ⌊N/2⌋) mod N][(c + ⌊N/2⌋) mod N].
      const sourceRow = (row + half) % patternSize;
      for (let column = 0; column < patternSize; column++) {
        const sourceColumn = (column + half) % patternSize;
        const value = values[sourceIndex(geometry, pattern, sourceRow * patternSize + sourceColumn)];
        result[pattern * pixels + row * patternSize + column] = square ? value * value : value;
      }
    }
  }
  return result;
}

/** Converts a float32, patterns-first stack as buildIntensities does, through a one-pattern scratch copy. */
function convertInPlace(values: Float32Array, geometry: StackGeometry, domain: MeasurementDomain, shift: boolean): void {
  const { patternCount, patternSize } = geometry;
  const pixels = patternSize * patternSize;
  const half = shift ? Math.floor(patternSize / 2) : 0;
  const square = domain === 'amplitude';
  const scratch = new Float32Array(pixels);
  for (let pattern = 0; pattern < patternCount; pattern++) {
    const start = pattern * pixels;
    scratch.set(values.subarray(start, start + pixels));
    for (let row = 0; row < patternSize; row++) {
      const sourceRow = ((row + half) % patternSize) * patternSize;
      const targetRow = start + row * patternSize;
      for (let column = 0; column < patternSize; column++) {
        const value = scratch[sourceRow + ((column + half) % patternSize)];
        values[targetRow + column] = square ? value * value : value;
      }
    }
  }
}

/** Applies an inverse fftshift to one N×N image, returning a new array. */
export function inverseFftShift<T extends Float32Array | Uint8Array>(image: T, size: number): T {
  const result = new (image.constructor as new (length: number) => T)(image.length);
  const half = Math.floor(size / 2);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      result[row * size + column] = image[((row + half) % size) * size + ((column + half) % size)];
    }
  }
  return result;
}

function sourceIndex(geometry: StackGeometry, pattern: number, pixel: number): number {
  return geometry.layout === 'patterns-first' ? pattern * geometry.patternSize * geometry.patternSize + pixel : pixel * geometry.patternCount + pattern;
}

/**
 * Checks that a coordinate array has one finite value per pattern and returns it as float64.
 * Accepts shape (M,) and (M, 1).
 */
export function requirePositionVector(array: RealArray, patternCount: number, location: DataLocation, meaning: string): Float64Array {
  const shape = array.shape;
  const isVector = shape.length === 1 || (shape.length === 2 && shape[1] === 1);
  if (!isVector || shape[0] !== patternCount) {
    throw new DataFormatError({
      ...location,
      problem: isVector ? 'the number of positions does not match the number of patterns' : 'the position array has the wrong shape',
      rule: `${meaning} needs one value per diffraction pattern, shape (${patternCount},)`,
      received: `shape ${formatShape(shape)} of ${array.dtype}`,
      action: 'Check that the positions and the patterns come from the same scan, in the same order',
    });
  }
  const result = Float64Array.from(array.values);
  requireFinite(result, location, meaning);
  return result;
}

/** Throws DataFormatError naming the first NaN or infinite value. */
export function requireFinite(values: ArrayLike<number>, location: DataLocation, meaning: string): void {
  let count = 0;
  let first = -1;
  for (let index = 0; index < values.length; index++) {
    if (!Number.isFinite(values[index])) {
      if (count === 0) first = index;
      count++;
    }
  }
  if (count > 0) {
    throw new DataFormatError({
      ...location,
      problem: `${meaning} contains NaN or infinite values`,
      rule: 'Every scan position must be a finite number',
      received: `${count} non-finite ${count === 1 ? 'value' : 'values'}, the first ${values[first]} at index ${first}`,
      action: 'Remove the patterns with unknown positions, or fill in their positions, and save the file again',
    });
  }
}

/** Formats a number for messages with up to 6 significant digits. */
export function formatNumber(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
}
