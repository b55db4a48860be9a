import type { RequestedBackend } from '../../device/policy';

/** Results and models on the page that a backend switch discards, because the switch starts a new worker. */
export interface BackendSwitchLosses {
  pieResult: boolean;
  pinnResult: boolean;
  pinnModel: boolean;
  halves: boolean;
}

interface Props {
  value: RequestedBackend;
  disabled: boolean;
  onChange(value: RequestedBackend): void;
  /** Results and models that switching would discard. When any is set, a switch needs confirmation first. */
  losses?: BackendSwitchLosses;
  /** Shows `message` and returns whether the user confirmed it. Default: window.confirm. */
  confirm?(message: string): boolean;
}

const choices: { value: RequestedBackend; label: string }[] = [
  { value: 'auto', label: 'auto (WebGPU, else WebGL, else CPU)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'cpu', label: 'CPU' },
];

/**
 * Builds the confirmation question for switching to `next`, naming what would be discarded and
 * pointing to the save buttons, or returns null when nothing would be lost.
 */
export function backendSwitchQuestion(next: RequestedBackend, losses: BackendSwitchLosses | undefined): string | null {
  if (!losses) return null;
  const lost: string[] = [];
  if (losses.pieResult) lost.push('the rPIE result');
  if (losses.pinnResult) lost.push('the PtychoPINN result');
  if (losses.pinnModel) lost.push('the PtychoPINN model');
  if (losses.halves) lost.push('the half-scan comparison');
  if (lost.length === 0) return null;

  const label = choices.find((choice) => choice.value === next)?.label ?? next;
  const saveHints: string[] = [];
  if (losses.pieResult) saveHints.push('the Save buttons under the result');
  if (losses.pinnModel) saveHints.push('Save model');
  const list = new Intl.ListFormat('en', { type: 'conjunction' }).format(lost);
  const save = saveHints.length > 0 ? ` To keep them, cancel and save first with ${saveHints.join(' and ')}.` : '';
  return `Switching the compute backend to ${label} restarts the computation and discards ${list}.${save} Switch anyway?`;
}

/**
 * Compute backend list. A switch that would discard results or a model needs confirmation, and
 * cancelling keeps the current backend.
 */
export function BackendSelect({ value, disabled, onChange, losses, confirm = (message) => window.confirm(message) }: Props) {
  const change = (next: RequestedBackend) => {
    if (next === value) return;
    const question = backendSwitchQuestion(next, losses);
    // The select is controlled by `value`, so returning without onChange leaves the old backend selected.
    if (question !== null && !confirm(question)) return;
    onChange(next);
  };

  return (
    <label className="field">
      Compute backend
      <select value={value} disabled={disabled} onChange={(event) => change(event.target.value as RequestedBackend)}>
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </label>
  );
}
