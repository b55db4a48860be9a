import { pinnParameterCount } from '../../solvers/pinn/model';
import { FILTER_SCALES, validatePinnRunOptions, type PinnRunOptions } from '../../solvers/pinn/runOptions';
import { defaultPinnTrainingOptions, type PinnTrainingOptions } from '../../solvers/pinn/train';

interface Props {
  options: PinnRunOptions;
  /** Side N of the loaded scan's patterns. */
  datasetPatternSize: number;
  patternCount: number;
  /** One line on a change the page made to these settings, or null. */
  notice?: string | null;
  disabled: boolean;
  onChange(options: PinnRunOptions): void;
}

type NumberKey = 'epochs' | 'batchSize' | 'learningRate' | 'maxPatterns';

function powersOfTwoUpTo(limit: number): number[] {
  const sizes: number[] = [];
  for (let size = 16; size <= limit; size *= 2) sizes.push(size);
  return sizes;
}

/** Names the fraction 1/ratio in words: "half", "a quarter", "an eighth", else "1/16". */
function fractionInWords(ratio: number): string {
  const words: Record<number, string> = { 2: 'half', 4: 'a quarter', 8: 'an eighth' };
  return words[ratio] ?? `1/${ratio}`;
}

/** Describes which part of the patterns the network reads and what that does to the resolution. */
export function describeNetworkInput(networkInput: number, datasetPatternSize: number): string {
  if (networkInput >= datasetPatternSize) {
    return `The network reads the full ${datasetPatternSize} × ${datasetPatternSize} patterns, at rPIE's resolution.`;
  }
  const ratio = datasetPatternSize / networkInput;
  return (
    `The network reads the central ${networkInput} × ${networkInput} of each ${datasetPatternSize} × ${datasetPatternSize} pattern, ` +
    `so its object pixels are ${ratio}× larger than rPIE's: ${fractionInWords(ratio)} of the resolution ` +
    `(${datasetPatternSize} → ${networkInput}).`
  );
}

/** Describes the patterns training uses when Patterns used exceeds the scan's count; null otherwise. */
export function describePatternsUsed(maxPatterns: number, patternCount: number): string | null {
  if (!Number.isInteger(maxPatterns) || patternCount === 0 || maxPatterns <= patternCount) return null;
  return `The scan has ${patternCount} patterns, fewer than ${maxPatterns}, so training uses all ${patternCount}.`;
}

/** Says which patterns "Patterns used" keeps: the first ones in the file, not a spread over the scan. */
export const PATTERNS_USED_HINT =
  'Patterns used keeps the first patterns in the file\'s order, which on a raster scan cover one band of the ' +
  'object; the other patterns are not seen. 0 uses them all.';

/** Explains the validation split, the learning-rate halving and early stopping that training applies. */
export function describeTrainingSchedule(settings: PinnTrainingOptions = defaultPinnTrainingOptions): string {
  const percent = Math.round(settings.validationFraction * 100);
  return (
    `Training holds out ${percent} % of the patterns, drawn with a fixed seed, and reports their loss as the ` +
    `validation loss. The learning rate halves after ${settings.plateauPatience} epochs without a lower ` +
    `validation loss (down to ${settings.minLearningRate}), training stops after ${settings.earlyStoppingPatience} ` +
    'such epochs, and the network keeps the weights of its best epoch.'
  );
}

/** Settings of a PtychoPINN run: epochs, batch, learning rate, network input and width, probe. */
export function PinnPanel({ options, datasetPatternSize, patternCount, notice = null, disabled, onChange }: Props) {
  const problems = validatePinnRunOptions(options, datasetPatternSize);
  const number = (key: NumberKey, text: string) =>
    onChange({ ...options, [key]: text.trim() === '' ? NaN : Number(text) });
  const field = (label: string, key: NumberKey, step: number) => (
    <label className="field">
      {label}
      <input
        type="number"
        min={0}
        step={step}
        value={Number.isNaN(options[key]) ? '' : options[key]}
        onChange={(event) => number(key, event.target.value)}
      />
    </label>
  );
  const patternsNote = describePatternsUsed(options.maxPatterns, patternCount);

  return (
    <fieldset className="solver-panel" disabled={disabled}>
      <legend>PtychoPINN training</legend>
      {field('Epochs', 'epochs', 1)}
      {field('Batch size', 'batchSize', 1)}
      {field('Learning rate', 'learningRate', 0.0001)}
      {field(`Patterns used (0: all ${patternCount})`, 'maxPatterns', 1)}
      <p className="hint" data-testid="pinn-patterns-hint">
        {PATTERNS_USED_HINT}
      </p>
      <label className="field">
        Network input
        <select
          value={options.patternSize}
          onChange={(event) => onChange({ ...options, patternSize: Number(event.target.value) })}
        >
          {powersOfTwoUpTo(datasetPatternSize).map((size) => (
            <option key={size} value={size}>
              {size} × {size}
              {size < datasetPatternSize ? ` (central crop, ${datasetPatternSize / size}× coarser pixels)` : ' (full patterns)'}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        Network width
        <select
          value={options.filterScale}
          onChange={(event) => onChange({ ...options, filterScale: Number(event.target.value) })}
        >
          {FILTER_SCALES.map((scale) => (
            <option key={scale} value={scale}>
              {scale === 1 ? 'published' : `× ${scale}`} ({(pinnParameterCount({ patternSize: Math.max(16, options.patternSize), filterScale: scale }) / 1e6).toFixed(2)} M parameters)
            </option>
          ))}
        </select>
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={options.trainableProbe}
          aria-describedby="pinn-trainable-probe-hint"
          onChange={(event) => onChange({ ...options, trainableProbe: event.target.checked })}
        />
        Train the probe too
      </label>
      <p className="hint" id="pinn-trainable-probe-hint">
        The probe from the scan file is refined along with the network, which helps when that probe is imprecise.
      </p>
      <p className="hint" data-testid="pinn-schedule-hint">
        {describeTrainingSchedule()}
      </p>
      {notice && (
        <p className="notice" role="status" data-testid="pinn-settings-notice">
          {notice}
        </p>
      )}
      {patternsNote && (
        <p className="notice" data-testid="pinn-patterns-note">
          {patternsNote}
        </p>
      )}
      <p className="notice" data-testid="pinn-resolution-note">
        {describeNetworkInput(options.patternSize, datasetPatternSize)}
      </p>
      {problems.length > 0 && (
        <ul className="problems" role="alert">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
