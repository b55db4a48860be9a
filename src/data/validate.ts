/**
 * Checks a ScanDataset against the contract in dataset.ts before reconstruction, and returns
 * the problems as structured lists that a UI can show. Errors make the dataset unusable.
 * Warnings describe data that will reconstruct, but probably not as the user intends.
 */
import type { ScanDataset } from './dataset';
import type { MeasurementDomain, StackSource } from './readers/readResult';

export type ValidationSeverity = 'error' | 'warning';

export type ValidationCode =
  | 'invalid-dimension'
  | 'size-not-power-of-two'
  | 'length-mismatch'
  | 'non-finite'
  | 'negative-count'
  | 'non-integer-count'
  | 'empty-pattern'
  | 'no-counts'
  | 'zero-probe'
  | 'object-too-large';

export type ValidatedField = 'patternCount' | 'patternSize' | 'intensities' | 'positionX_px' | 'positionY_px' | 'probe';

/** One problem, located well enough for a UI to highlight it. */
export interface ValidationIssue {
  severity: ValidationSeverity;
  code: ValidationCode;
  field: ValidatedField;
  /** A complete sentence for the user, including the counts and first index below. */
  message: string;
  /** How many values or patterns have this problem, where counting applies. */
  count?: number;
  /** Flat index into `field` of the first value with this problem, or the pattern index for 'empty-pattern'. */
  firstIndex?: number;
  /** Index of that first value in the file's stored array, in the file's axis order, when the reader recorded the stack's source. */
  fileIndex?: number[];
}

/** Facts about the file behind a dataset, from its reader, that let messages point into the file. */
export interface ValidationContext {
  /** Origin of the intensities in the file. Without it, locations are given in the dataset's layout. */
  stackSource?: StackSource;
  /**
   * Quantity the file stored. Squared float32 amplitudes of whole counts are whole only to
   * within float32 rounding, so with 'amplitude' the count check allows that rounding.
   */
  measurement?: MeasurementDomain;
}

/**
 * Relative tolerance for taking a squared float32 amplitude as a whole count. Rounding the
 * amplitude to float32 changes it by at most 2⁻²⁴ relative, its square by 2⁻²³, and the float32
 * product adds 2⁻²⁴, about 1.8e-7 in all, so 1e-6 leaves a margin.
 */
export const SQUARED_AMPLITUDE_TOLERANCE = 1e-6;

/** Checks whether `value` is a whole number to within `relativeTolerance` of its magnitude (at least of 1). */
export function isNearlyWhole(value: number, relativeTolerance: number): boolean {
  return Math.abs(value - Math.round(value)) <= relativeTolerance * Math.max(1, Math.abs(value));
}

/**
 * Largest object side, in pixels, that a dataset may need. An 8192×8192 complex float32 object
 * takes 512 MiB, and the solver creates several arrays of that size. A larger scan more likely
 * has positions in the wrong unit than fits in a browser tab.
 */
export const MAX_OBJECT_SIDE_PX = 8192;

/** Padding that computeScanGeometry (src/solvers/pie/geometry.ts) adds on each side of the scan. */
const OBJECT_PADDING_PX = 4;

export interface ValidationReport {
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/**
 * Checks sizes, lengths and values of a dataset. Returns empty lists for a valid dataset.
 * `context` describes the file it was read from, so that pixel locations use the file's indices.
 */
export function validateScanDataset(dataset: ScanDataset, context: ValidationContext = {}): ValidationReport {
  const report: ValidationReport = { errors: [], warnings: [] };
  const { patternCount, patternSize } = dataset;

  const countValid = Number.isSafeInteger(patternCount) && patternCount > 0;
  const sizeValid = Number.isSafeInteger(patternSize) && patternSize > 0;
  if (!countValid) {
    addIssue(report, 'error', 'invalid-dimension', 'patternCount', `The pattern count must be a positive integer, but it is ${patternCount}.`);
  }
  if (!sizeValid) {
    addIssue(report, 'error', 'invalid-dimension', 'patternSize', `The pattern size must be a positive integer, but it is ${patternSize}.`);
  } else if (patternSize < 2 || (patternSize & (patternSize - 1)) !== 0) {
    addIssue(
      report,
      'error',
      'size-not-power-of-two',
      'patternSize',
      `The patterns are ${patternSize}×${patternSize} pixels, but the FFT needs a power-of-two side such as 64, 128 or 256. ` +
        'Crop or pad the patterns before loading.',
    );
  }
  if (!countValid || !sizeValid) {
    return report;
  }

  const pixelsPerPattern = patternSize * patternSize;
  const intensitiesFit = checkLength(report, 'intensities', dataset.intensities.length, patternCount * pixelsPerPattern,
    `${patternCount} patterns of ${patternSize}×${patternSize}`);
  const xFit = checkLength(report, 'positionX_px', dataset.positionX_px.length, patternCount, `one x position per pattern (${patternCount})`);
  const yFit = checkLength(report, 'positionY_px', dataset.positionY_px.length, patternCount, `one y position per pattern (${patternCount})`);
  const probeFits =
    dataset.probe === null ||
    checkLength(report, 'probe', dataset.probe.length, 2 * pixelsPerPattern, `a ${patternSize}×${patternSize} interleaved complex probe`);

  if (intensitiesFit) {
    checkIntensities(report, dataset.intensities, patternSize, context);
  }
  if (xFit && checkFinite(report, 'positionX_px', dataset.positionX_px, (index) => `position ${index}`)) {
    checkObjectSide(report, 'positionX_px', dataset.positionX_px, patternSize);
  }
  if (yFit && checkFinite(report, 'positionY_px', dataset.positionY_px, (index) => `position ${index}`)) {
    checkObjectSide(report, 'positionY_px', dataset.positionY_px, patternSize);
  }
  if (dataset.probe !== null && probeFits) {
    if (checkFinite(report, 'probe', dataset.probe, (index) => describeProbeIndex(index, patternSize))) {
      checkProbePower(report, dataset.probe);
    }
  }
  return report;
}

function addIssue(
  report: ValidationReport,
  severity: ValidationSeverity,
  code: ValidationCode,
  field: ValidatedField,
  message: string,
  extra: Pick<ValidationIssue, 'count' | 'firstIndex' | 'fileIndex'> = {},
): void {
  const issue: ValidationIssue = { severity, code, field, message, ...extra };
  (severity === 'error' ? report.errors : report.warnings).push(issue);
}

function checkLength(report: ValidationReport, field: ValidatedField, actual: number, expected: number, meaning: string): boolean {
  if (actual === expected) {
    return true;
  }
  addIssue(report, 'error', 'length-mismatch', field, `${field} has ${actual} values, but ${meaning} need ${expected}.`);
  return false;
}

/** Tracks how many values fail one test and where the first one is. */
class Tally {
  count = 0;
  firstIndex = -1;
  firstValue = 0;

  add(index: number, value: number): void {
    if (this.count === 0) {
      this.firstIndex = index;
      this.firstValue = value;
    }
    this.count++;
  }
}

function checkIntensities(report: ValidationReport, intensities: Float32Array, patternSize: number, context: ValidationContext): void {
  const pixelsPerPattern = patternSize * patternSize;
  const wholeTolerance = context.measurement === 'amplitude' ? SQUARED_AMPLITUDE_TOLERANCE : 0;
  const nonFinite = new Tally();
  const negative = new Tally();
  const nonInteger = new Tally();
  const empty = new Tally();

  for (let start = 0; start < intensities.length; start += pixelsPerPattern) {
    let anyNonZero = false;
    for (let index = start; index < start + pixelsPerPattern; index++) {
      const value = intensities[index];
      if (!Number.isFinite(value)) {
        nonFinite.add(index, value);
        anyNonZero = true;
        continue;
      }
      if (value < 0) negative.add(index, value);
      if (!isNearlyWhole(value, wholeTolerance)) nonInteger.add(index, value);
      if (value !== 0) anyNonZero = true;
    }
    if (!anyNonZero) empty.add(start / pixelsPerPattern, 0);
  }

  const source = context.stackSource;
  const where = (index: number) => describePixelIndex(index, patternSize, source);
  // Values are checked in the dataset's order, which the shift and reordering make differ from
  // the file's, so the first one found need not be the first in the file.
  const exampleLead = source === undefined ? 'The first' : 'One';
  const locate = (index: number) => (source === undefined ? {} : { fileIndex: fileIndexOf(index, patternSize, source) });
  if (nonFinite.count > 0) {
    addIssue(
      report,
      'error',
      'non-finite',
      'intensities',
      `The intensities contain ${nonFinite.count} NaN or infinite ${plural(nonFinite.count, 'value')}. ` +
        `${exampleLead} is ${nonFinite.firstValue} at ${where(nonFinite.firstIndex)}. Mask or replace them before loading.`,
      { count: nonFinite.count, firstIndex: nonFinite.firstIndex, ...locate(nonFinite.firstIndex) },
    );
  }
  if (negative.count > 0) {
    addIssue(
      report,
      'error',
      'negative-count',
      'intensities',
      `The intensities contain ${negative.count} negative ${plural(negative.count, 'value')}, but photon counts cannot be negative. ` +
        `${exampleLead} is ${negative.firstValue} at ${where(negative.firstIndex)}. ` +
        'Clip them to zero, or check the background subtraction.',
      { count: negative.count, firstIndex: negative.firstIndex, ...locate(negative.firstIndex) },
    );
  }
  if (nonInteger.count > 0) {
    addIssue(
      report,
      'warning',
      'non-integer-count',
      'intensities',
      `The intensities contain ${nonInteger.count} non-integer ${plural(nonInteger.count, 'value')}, so they may not be photon counts. ` +
        `${exampleLead} is ${nonInteger.firstValue}${context.measurement === 'amplitude' ? ', the square of the stored amplitude,' : ''} ` +
        `at ${where(nonInteger.firstIndex)}. ` +
        'The Poisson noise model assumes counts, so scaled or normalised data weight the noise wrongly.',
      { count: nonInteger.count, firstIndex: nonInteger.firstIndex, ...locate(nonInteger.firstIndex) },
    );
  }
  const patternCount = intensities.length / pixelsPerPattern;
  if (empty.count === patternCount) {
    addIssue(
      report,
      'error',
      'no-counts',
      'intensities',
      `All ${patternCount} ${plural(patternCount, 'pattern is', 'patterns are')} zero everywhere, so the total count is 0 ` +
        'and there is no signal to reconstruct from. ' +
        'Check that the file contains the measured counts and not an empty or fully masked array.',
      { count: empty.count },
    );
  }
  if (empty.count > 0) {
    addIssue(
      report,
      'warning',
      'empty-pattern',
      'intensities',
      `${empty.count} ${plural(empty.count, 'pattern is', 'patterns are')} all zero, the first being pattern ${empty.firstIndex}. ` +
        'An all-zero pattern makes the solver drive the exit wave at that position to zero, and it usually marks a missed exposure.',
      { count: empty.count, firstIndex: empty.firstIndex },
    );
  }
}

/** Adds an error for NaN or infinite values. Returns true when every value is finite. */
function checkFinite(
  report: ValidationReport,
  field: ValidatedField,
  values: Float32Array,
  describeIndex: (index: number) => string,
): boolean {
  const nonFinite = new Tally();
  for (let index = 0; index < values.length; index++) {
    if (!Number.isFinite(values[index])) nonFinite.add(index, values[index]);
  }
  if (nonFinite.count > 0) {
    addIssue(
      report,
      'error',
      'non-finite',
      field,
      `${field} contains ${nonFinite.count} NaN or infinite ${plural(nonFinite.count, 'value')}. ` +
        `The first is ${nonFinite.firstValue} at ${describeIndex(nonFinite.firstIndex)}.`,
      { count: nonFinite.count, firstIndex: nonFinite.firstIndex },
    );
  }
  return nonFinite.count === 0;
}

/**
 * Rejects a probe guess whose power Σ|P|² is zero, because the solver scales the probe by
 * sqrt(mean count / Σ|P|²). Call it only after checkFinite passes. Squares of finite float32
 * values summed in float64 cannot overflow, so a NaN or infinite power needs a non-finite value.
 */
function checkProbePower(report: ValidationReport, probe: Float32Array): void {
  let power = 0;
  for (let index = 0; index < probe.length; index++) {
    power += probe[index] * probe[index];
  }
  if (power > 0) {
    return;
  }
  addIssue(
    report,
    'error',
    'zero-probe',
    'probe',
    `The probe guess is zero everywhere (its power Σ|P|² is ${power}), so the solver cannot scale it to the photon counts. ` +
      'Save the file with a nonzero probe estimate, such as a disk or Gaussian about the size of the beam.',
  );
}

/**
 * Rejects positions whose extent would make the solver's object array wider or higher than
 * MAX_OBJECT_SIDE_PX. As in computeScanGeometry, the side is the rounded extent plus one
 * pattern plus the padding on both sides.
 */
function checkObjectSide(
  report: ValidationReport,
  field: 'positionX_px' | 'positionY_px',
  positions: Float32Array,
  patternSize: number,
): void {
  let min = Infinity;
  let max = -Infinity;
  for (const position of positions) {
    min = Math.min(min, position);
    max = Math.max(max, position);
  }
  const extent = max - min;
  const side = Math.round(extent) + patternSize + 2 * OBJECT_PADDING_PX;
  if (side <= MAX_OBJECT_SIDE_PX) {
    return;
  }

  const axis = field === 'positionX_px' ? 'x' : 'y';
  const dimension = field === 'positionX_px' ? 'wide' : 'high';
  addIssue(
    report,
    'error',
    'object-too-large',
    field,
    `The scan positions span ${formatNumber(extent)} pixels in ${axis} (from ${formatNumber(min)} to ${formatNumber(max)}), ` +
      `so the object array would be ${side} pixels ${dimension}, more than the limit of ${MAX_OBJECT_SIDE_PX}. ` +
      'Positions must be in object pixels. Check whether they are in metres or another length unit, ' +
      'and if so divide them by the object pixel size before loading.',
  );
}

/** Formats a float32 value with at most 6 significant digits, without trailing zeros. */
function formatNumber(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/**
 * Returns the index in the stored array of the dataset's intensity `index`: it undoes the
 * inverse fftshift, then orders the axes as the file does, with a trailing 0 for a channel axis.
 */
export function fileIndexOf(index: number, patternSize: number, source: StackSource): number[] {
  const pixelsPerPattern = patternSize * patternSize;
  const pattern = Math.floor(index / pixelsPerPattern);
  const pixel = index % pixelsPerPattern;
  // The reader set dataset[r][c] = stored[(r + ⌊N/2⌋) mod N][(c + ⌊N/2⌋) mod N].
  const half = source.shifted ? Math.floor(patternSize / 2) : 0;
  const row = (Math.floor(pixel / patternSize) + half) % patternSize;
  const column = ((pixel % patternSize) + half) % patternSize;
  const indices = source.layout === 'patterns-first' ? [pattern, row, column] : [row, column, pattern];
  return source.shape.length === 4 ? [...indices, 0] : indices;
}

function describePixelIndex(index: number, patternSize: number, source: StackSource | undefined): string {
  if (source !== undefined) {
    const fileIndex = fileIndexOf(index, patternSize, source);
    return `${source.name}[${fileIndex.join(', ')}] in the file (pattern ${Math.floor(index / (patternSize * patternSize))})`;
  }
  const pixelsPerPattern = patternSize * patternSize;
  const pattern = Math.floor(index / pixelsPerPattern);
  const pixel = index % pixelsPerPattern;
  return `pattern ${pattern}, row ${Math.floor(pixel / patternSize)}, column ${pixel % patternSize} (flat index ${index})`;
}

function describeProbeIndex(index: number, patternSize: number): string {
  const pixel = Math.floor(index / 2);
  const part = index % 2 === 0 ? 'real' : 'imaginary';
  return `row ${Math.floor(pixel / patternSize)}, column ${pixel % patternSize}, ${part} part (flat index ${index})`;
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}
