import { useId, useState } from 'react';

import type { ScanMapping } from '../../data/readers/detect';
import type { ArraySummary, MeasurementDomain } from '../../data/readers/readResult';
import type { StackLayout, ZeroFrequencyMode } from '../../data/readers/stack';
import type { MappingRequest } from '../../worker/parseService';

interface Props {
  request: MappingRequest;
  /** Message of the last failed mapping, shown in the dialog. */
  error: string | null;
  busy: boolean;
  onApply(mapping: ScanMapping): void;
  onCancel(): void;
}

/** The form's values, as strings where they come from inputs. */
interface MappingForm {
  stackKey: string;
  stackLayout: StackLayout | 'detect';
  measurement: MeasurementDomain | 'detect';
  zeroFrequency: ZeroFrequencyMode;
  positionKind: 'pairs' | 'separate';
  pairsKey: string;
  xComponent: '0' | '1';
  xKey: string;
  yKey: string;
  positionUnit: 'pixels' | 'metres';
  objectPixelSize_m: string;
  positionReference: 'corner' | 'centre';
  probeKey: string;
}

/** Drops leading axes of length 1, as in tike's (1, M, 2). */
function squeezeLeading(shape: readonly number[]): number[] {
  const first = shape.findIndex((size) => size !== 1);
  return first < 0 ? [] : shape.slice(first);
}

function formatShape(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function elementCount(array: ArraySummary): number {
  return array.shape.reduce((product, size) => product * size, 1);
}

/**
 * Returns 'x' or 'y' when the key names one axis: "/positions/x", "probe_position_y_m",
 * "xcoords" or "pos.x", and null otherwise.
 */
export function axisOf(key: string): 'x' | 'y' | null {
  const match = /(?:^|[/_.])([xy])(?:coords?|pos)?(?:$|[/_.])/i.exec(key) ?? /^([xy])(?:coords?|pos)/i.exec(key);
  return match === null ? null : (match[1].toLowerCase() as 'x' | 'y');
}

/** Arrays that could be the diffraction stack: readable, real, with three or more axes. */
export function stackCandidates(arrays: readonly ArraySummary[]): ArraySummary[] {
  return arrays.filter((array) => array.readable && !array.dtype.startsWith('complex') && squeezeLeading(array.shape).length >= 3);
}

/** Arrays that could hold positions: readable, real, (M, 2), (2, M) or one axis. */
export function positionCandidates(arrays: readonly ArraySummary[]): { pairs: ArraySummary[]; vectors: ArraySummary[] } {
  const real = arrays.filter((array) => array.readable && !array.dtype.startsWith('complex'));
  const pairs = real.filter((array) => {
    const shape = squeezeLeading(array.shape);
    return shape.length === 2 && (shape[0] === 2 || shape[1] === 2);
  });
  const vectors = real.filter((array) => squeezeLeading(array.shape).length === 1);
  return { pairs, vectors };
}

/** Arrays that could be the probe guess: readable, complex, with two or more axes. */
export function probeCandidates(arrays: readonly ArraySummary[]): ArraySummary[] {
  return arrays.filter((array) => array.readable && array.dtype.startsWith('complex') && array.shape.length >= 2);
}

/**
 * Guesses a starting mapping: the largest stack and the first pair array, or else the vectors
 * whose names mark x and y (axisOf). Pairs are (y, x) when the key contains "yx", positions are in
 * metres when the key ends in "_m", and the first complex array is the probe. The user checks and
 * corrects every field. Keys are .npz member names or HDF5 dataset paths.
 */
export function guessMappingForm(arrays: readonly ArraySummary[]): MappingForm {
  const stacks = [...stackCandidates(arrays)].sort((a, b) => elementCount(b) - elementCount(a));
  const { pairs, vectors } = positionCandidates(arrays);
  const pairsKey = pairs[0]?.key ?? '';
  const xKey = vectors.find((array) => axisOf(array.key) === 'x')?.key ?? vectors[0]?.key ?? '';
  const yKey = vectors.find((array) => axisOf(array.key) === 'y')?.key ?? vectors.find((array) => array.key !== xKey)?.key ?? '';
  const positionKey = pairsKey || xKey;
  return {
    stackKey: stacks[0]?.key ?? '',
    stackLayout: 'detect',
    measurement: 'detect',
    zeroFrequency: 'detect',
    positionKind: pairs.length > 0 || vectors.length < 2 ? 'pairs' : 'separate',
    pairsKey,
    xComponent: /yx/i.test(pairsKey) ? '1' : '0',
    xKey,
    yKey,
    positionUnit: /_m$/.test(positionKey) ? 'metres' : 'pixels',
    objectPixelSize_m: '',
    positionReference: 'corner',
    probeKey: probeCandidates(arrays)[0]?.key ?? '',
  };
}

/** Converts the form to a ScanMapping, or returns a message for the first missing or invalid field. */
export function formToMapping(form: MappingForm): ScanMapping | string {
  if (form.stackKey === '') return 'Choose the array that contains the diffraction patterns.';
  if (form.positionKind === 'pairs' && form.pairsKey === '') return 'Choose the array that contains the positions.';
  if (form.positionKind === 'separate' && (form.xKey === '' || form.yKey === '')) return 'Choose one array for x and one for y.';
  if (form.positionKind === 'separate' && form.xKey === form.yKey) return 'Choose two different arrays for x and y.';
  const pixelSize_m = Number(form.objectPixelSize_m);
  if (form.positionUnit === 'metres' && !(Number.isFinite(pixelSize_m) && pixelSize_m > 0)) {
    return `Positions in metres need the object pixel size in metres, such as 5e-8, but the field contains ${JSON.stringify(form.objectPixelSize_m)}.`;
  }
  return {
    stackKey: form.stackKey,
    stackLayout: form.stackLayout === 'detect' ? undefined : form.stackLayout,
    measurement: form.measurement === 'detect' ? undefined : form.measurement,
    zeroFrequency: form.zeroFrequency,
    positions:
      form.positionKind === 'pairs'
        ? { kind: 'pairs', key: form.pairsKey, xComponent: form.xComponent === '1' ? 1 : 0 }
        : { kind: 'separate', xKey: form.xKey, yKey: form.yKey },
    positionUnit: form.positionUnit,
    objectPixelSize_m: form.positionUnit === 'metres' ? pixelSize_m : undefined,
    positionReference: form.positionReference,
    probeKey: form.probeKey === '' ? null : form.probeKey,
  };
}

/**
 * Asks which array of an unrecognised .npz, or which dataset of an HDF5 file, is the stack, which
 * contains the positions, and in which unit and convention. Errors from the mapping stay inside the dialog.
 */
export function MappingDialog({ request, error, busy, onApply, onCancel }: Props) {
  const titleId = useId();
  const [form, setForm] = useState<MappingForm>(() => guessMappingForm(request.arrays));
  const [formProblem, setFormProblem] = useState<string | null>(null);
  const update = <K extends keyof MappingForm>(key: K, value: MappingForm[K]) => setForm((current) => ({ ...current, [key]: value }));
  const { pairs, vectors } = positionCandidates(request.arrays);
  const option = (array: ArraySummary) => (
    <option key={array.key} value={array.key}>
      {array.key} {formatShape(array.shape)} {array.dtype}
    </option>
  );
  const submit = () => {
    const mapping = formToMapping(form);
    if (typeof mapping === 'string') {
      setFormProblem(mapping);
      return;
    }
    setFormProblem(null);
    onApply(mapping);
  };
  const problem = formProblem ?? error;

  return (
    <section className="mapping-dialog" role="dialog" aria-labelledby={titleId}>
      <h3 id={titleId}>Map the arrays of {request.fileName}</h3>
      <p>{request.reason} Say which array contains what.</p>
      <table className="mapping-arrays" aria-label="Arrays in the file">
        <thead>
          <tr>
            <th scope="col">Key or path</th>
            <th scope="col">Shape</th>
            <th scope="col">dtype</th>
          </tr>
        </thead>
        <tbody>
          {request.arrays.map((array) => (
            <tr key={array.key} className={array.readable ? undefined : 'unreadable'} title={array.problem}>
              <td>{array.key}</td>
              <td>{array.readable ? formatShape(array.shape) : 'unreadable'}</td>
              <td>{array.dtype}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <div className="mapping-fields">
        <label className="field">
          Diffraction patterns
          <select value={form.stackKey} onChange={(event) => update('stackKey', event.target.value)}>
            <option value="">choose…</option>
            {stackCandidates(request.arrays).map(option)}
          </select>
        </label>
        <label className="field">
          Stack layout
          <select value={form.stackLayout} onChange={(event) => update('stackLayout', event.target.value as MappingForm['stackLayout'])}>
            <option value="detect">detect from the shape</option>
            <option value="patterns-first">(M, N, N), patterns first</option>
            <option value="patterns-last">(N, N, M), patterns last</option>
          </select>
        </label>
        <label className="field">
          Stored values
          <select value={form.measurement} onChange={(event) => update('measurement', event.target.value as MappingForm['measurement'])}>
            <option value="detect">detect (whole numbers are counts)</option>
            <option value="counts">photon counts</option>
            <option value="amplitude">amplitudes (√counts)</option>
          </select>
        </label>
        <label className="field">
          Zero frequency
          <select value={form.zeroFrequency} onChange={(event) => update('zeroFrequency', event.target.value as ZeroFrequencyMode)}>
            <option value="detect">detect from the mean pattern</option>
            <option value="centre">at the centre (fftshifted)</option>
            <option value="corner">at [0, 0]</option>
          </select>
        </label>

        <fieldset>
          <legend>Positions</legend>
          <label className="checkbox">
            <input type="radio" name={`${titleId}-kind`} checked={form.positionKind === 'pairs'} onChange={() => update('positionKind', 'pairs')} />
            one array of pairs
          </label>
          <label className="checkbox">
            <input
              type="radio"
              name={`${titleId}-kind`}
              checked={form.positionKind === 'separate'}
              onChange={() => update('positionKind', 'separate')}
            />
            one array per axis
          </label>
          {form.positionKind === 'pairs' ? (
            <>
              <label className="field">
                Position pairs
                <select value={form.pairsKey} onChange={(event) => update('pairsKey', event.target.value)}>
                  <option value="">choose…</option>
                  {pairs.map(option)}
                </select>
              </label>
              <label className="field">
                Pair order
                <select value={form.xComponent} onChange={(event) => update('xComponent', event.target.value as '0' | '1')}>
                  <option value="0">(x, y): x in the first column</option>
                  <option value="1">(y, x): x in the second column</option>
                </select>
              </label>
            </>
          ) : (
            <>
              <label className="field">
                x positions
                <select value={form.xKey} onChange={(event) => update('xKey', event.target.value)}>
                  <option value="">choose…</option>
                  {vectors.map(option)}
                </select>
              </label>
              <label className="field">
                y positions
                <select value={form.yKey} onChange={(event) => update('yKey', event.target.value)}>
                  <option value="">choose…</option>
                  {vectors.map(option)}
                </select>
              </label>
            </>
          )}
          <label className="field">
            Position unit
            <select value={form.positionUnit} onChange={(event) => update('positionUnit', event.target.value as 'pixels' | 'metres')}>
              <option value="pixels">object pixels</option>
              <option value="metres">metres</option>
            </select>
          </label>
          {form.positionUnit === 'metres' && (
            <label className="field">
              Object pixel size (m)
              <input
                type="text"
                inputMode="decimal"
                placeholder="such as 5e-8"
                value={form.objectPixelSize_m}
                onChange={(event) => update('objectPixelSize_m', event.target.value)}
              />
            </label>
          )}
          <label className="field">
            A position marks the probe window's
            <select
              value={form.positionReference}
              onChange={(event) => update('positionReference', event.target.value as 'corner' | 'centre')}
            >
              <option value="corner">top-left corner</option>
              <option value="centre">centre</option>
            </select>
          </label>
        </fieldset>

        <label className="field">
          Probe guess
          <select value={form.probeKey} onChange={(event) => update('probeKey', event.target.value)}>
            <option value="">none (use the default probe)</option>
            {probeCandidates(request.arrays).map(option)}
          </select>
        </label>
      </div>

      {problem && (
        <p className="banner banner-error" role="alert" data-testid="mapping-error">
          {problem}
        </p>
      )}
      <div className="buttons">
        <button type="button" onClick={submit} disabled={busy}>
          Load mapped scan
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </section>
  );
}
