/** Settings of a PtychoPINN run as the page offers them, with their defaults and checks. */

export interface PinnRunOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /**
   * Side n of the patterns the network reads. Below the data's N it keeps the central n × n of each
   * pattern, which halves the resolution for 128 → 64.
   */
  patternSize: number;
  /** Width of the network relative to the published one: 1 is about 2.25 M parameters at n = 64. */
  filterScale: number;
  trainableProbe: boolean;
  /** Use only the first this many patterns (0: all), for quick trials. */
  maxPatterns: number;
  seed: number;
}

export const defaultPinnRunOptions: PinnRunOptions = {
  epochs: 20,
  batchSize: 16,
  learningRate: 1e-3,
  patternSize: 64,
  filterScale: 1,
  trainableProbe: false,
  maxPatterns: 0,
  seed: 1,
};

/** Network widths offered in the page, as filter scales. */
export const FILTER_SCALES = [1, 0.5, 0.25, 0.125] as const;

/** Returns the problems with `options` for a dataset of N × N patterns, each naming the setting. */
export function validatePinnRunOptions(options: PinnRunOptions, datasetPatternSize: number): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(options.epochs) || options.epochs < 1 || options.epochs > 10_000) {
    problems.push(`Epochs must be a whole number from 1 to 10000, received ${options.epochs}.`);
  }
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 512) {
    problems.push(`Batch size must be a whole number from 1 to 512, received ${options.batchSize}.`);
  }
  if (!(options.learningRate > 0 && options.learningRate <= 1)) {
    problems.push(`Learning rate must lie in (0, 1], received ${options.learningRate}.`);
  }
  const n = options.patternSize;
  if (!(Number.isInteger(n) && n >= 16 && (n & (n - 1)) === 0 && n <= datasetPatternSize)) {
    problems.push(
      `Network input must be a power of two from 16 to the data's ${datasetPatternSize} px, received ${n}.`,
    );
  }
  if (!FILTER_SCALES.includes(options.filterScale as (typeof FILTER_SCALES)[number])) {
    problems.push(`Network width must be one of ${FILTER_SCALES.join(', ')}, received ${options.filterScale}.`);
  }
  if (!Number.isInteger(options.maxPatterns) || options.maxPatterns < 0) {
    problems.push(`Patterns used must be a whole number, 0 for all, received ${options.maxPatterns}.`);
  } else if (options.maxPatterns === 1) {
    problems.push('Patterns used must be 0 (all) or at least 2, received 1.');
  }
  return problems;
}
