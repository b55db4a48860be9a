/**
 * Checks a ScanDataset against the contract in dataset.ts before reconstruction, and returns
 * the problems as structured lists that a UI can show. Errors make the dataset unusable.
 * Warnings describe data that will reconstruct, but probably not as the user intends.
 */
import type { ScanDataset } from './dataset';

export type ValidationSeverity = 'error' | 'warning';

export type ValidationCode =
  | 'invalid-dimension'
  | 'size-not-power-of-two'
  | 'length-mismatch'
  | 'non-finite'
  | 'negative-count'
  | 'non-integer-count'
  | 'empty-pattern';

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
}

export interface ValidationReport {
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Checks sizes, lengths and values of a dataset. Returns empty lists for a valid dataset. */
export function validateScanDataset(dataset: ScanDataset): ValidationReport {
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
    checkIntensities(report, dataset.intensities, patternSize);
  }
  if (xFit) {
    checkFinite(report, 'positionX_px', dataset.positionX_px, (index) => `position ${index}`);
  }
  if (yFit) {
    checkFinite(report, 'positionY_px', dataset.positionY_px, (index) => `position ${index}`);
  }
  if (dataset.probe !== null && probeFits) {
    checkFinite(report, 'probe', dataset.probe, (index) => describeProbeIndex(index, patternSize));
  }
  return report;
}

function addIssue(
  report: ValidationReport,
  severity: ValidationSeverity,
  code: ValidationCode,
  field: ValidatedField,
  message: string,
  extra: Pick<ValidationIssue, 'count' | 'firstIndex'> = {},
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

function checkIntensities(report: ValidationReport, intensities: Float32Array, patternSize: number): void {
  const pixelsPerPattern = patternSize * patternSize;
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
      if (value !== Math.round(value)) nonInteger.add(index, value);
      if (value !== 0) anyNonZero = true;
    }
    if (!anyNonZero) empty.add(start / pixelsPerPattern, 0);
  }

  const where = (index: number) => describePixelIndex(index, patternSize);
  if (nonFinite.count > 0) {
    addIssue(
      report,
      'error',
      'non-finite',
      'intensities',
      `The intensities contain ${nonFinite.count} NaN or infinite ${plural(nonFinite.count, 'value')}. ` +
        `The first is ${nonFinite.firstValue} at ${where(nonFinite.firstIndex)}. Mask or replace them before loading.`,
      { count: nonFinite.count, firstIndex: nonFinite.firstIndex },
    );
  }
  if (negative.count > 0) {
    addIssue(
      report,
      'error',
      'negative-count',
      'intensities',
      `The intensities contain ${negative.count} negative ${plural(negative.count, 'value')}, but photon counts cannot be negative. ` +
        `The first is ${negative.firstValue} at ${where(negative.firstIndex)}. ` +
        'Clip them to zero, or check the background subtraction.',
      { count: negative.count, firstIndex: negative.firstIndex },
    );
  }
  if (nonInteger.count > 0) {
    addIssue(
      report,
      'warning',
      'non-integer-count',
      'intensities',
      `The intensities contain ${nonInteger.count} non-integer ${plural(nonInteger.count, 'value')}, so they may not be photon counts. ` +
        `The first is ${nonInteger.firstValue} at ${where(nonInteger.firstIndex)}. ` +
        'The Poisson noise model assumes counts, so scaled or normalised data weight the noise wrongly.',
      { count: nonInteger.count, firstIndex: nonInteger.firstIndex },
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

function checkFinite(
  report: ValidationReport,
  field: ValidatedField,
  values: Float32Array,
  describeIndex: (index: number) => string,
): void {
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
}

function describePixelIndex(index: number, patternSize: number): string {
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
