import type { RequestedBackend } from '../../device/policy';

interface Props {
  value: RequestedBackend;
  disabled: boolean;
  onChange(value: RequestedBackend): void;
}

const choices: { value: RequestedBackend; label: string }[] = [
  { value: 'auto', label: 'auto (WebGPU, else WebGL, else CPU)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'cpu', label: 'CPU' },
];

export function BackendSelect({ value, disabled, onChange }: Props) {
  return (
    <label className="field">
      Compute backend
      <select value={value} disabled={disabled} onChange={(event) => onChange(event.target.value as RequestedBackend)}>
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </label>
  );
}
