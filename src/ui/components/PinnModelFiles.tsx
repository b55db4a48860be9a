import { useEffect, useMemo, useState, type ChangeEvent } from 'react';

import { checkModelForScan, type ModelScanCheck, type ScanForModelCheck } from '../../solvers/pinn/modelCompatibility';
import {
  packModelArchive,
  parseSidecar,
  unpackModelArchive,
  type PinnSidecar,
  type SavedPinnModel,
} from '../../solvers/pinn/modelFiles';
import { saveBytes } from '../exportFiles';

interface Props {
  modelLabel: string | null;
  disabled: boolean;
  onSave(): Promise<SavedPinnModel>;
  onLoad(files: SavedPinnModel): Promise<void>;
  onInfer(): void;
  /** The loaded scan, which the model is checked against. Null or absent skips the check. */
  scan?: ScanForModelCheck | null;
  /**
   * Sidecar of the current model, trained or loaded. Where the parent does not pass it, the
   * sidecar of the archive last loaded here is used until the model label changes.
   */
  modelSidecar?: PinnSidecar | null;
}

/** File name of a saved model: a .zip of model.json, the weights and the sidecar. */
export const MODEL_ARCHIVE_NAME = 'ptychopinn-model.zip';

/** Sidecar of the archive loaded here, with the model label it belongs to once the parent shows it. */
interface LoadedSidecar {
  sidecar: PinnSidecar;
  /** undefined until the first render after the load, which already shows the new label. */
  label: string | null | undefined;
}

/** Outcome of {@link loadModelArchive}: the loaded model's sidecar, or the message for the user. */
export type ModelLoadOutcome = { sidecar: PinnSidecar; problem?: undefined } | { sidecar?: undefined; problem: string };

/**
 * Unpacks and checks the chosen archive and passes it to `onLoad`. A rejection, here or in
 * `onLoad`, is logged once with console.warn and returned as a message that names the file.
 */
export async function loadModelArchive(
  file: Pick<File, 'name' | 'arrayBuffer'>,
  onLoad: (files: SavedPinnModel) => Promise<void>,
): Promise<ModelLoadOutcome> {
  try {
    const files = unpackModelArchive(await file.arrayBuffer(), file.name);
    const sidecar = parseSidecar(files.sidecarJson, file.name);
    await onLoad(files);
    return { sidecar };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const named = message.includes(file.name) ? message : `${file.name}: ${message}`;
    const problem = `The model was not loaded: ${named} The previous model, if any, is kept.`;
    // One line per rejected file and no stack trace: the message contains what the user needs.
    console.warn(`[ptychoscope] ${problem}`);
    return { problem };
  }
}

/** Save the trained network, load a saved one, and reconstruct the loaded scan with it. */
export function PinnModelFiles({ modelLabel, disabled, onSave, onLoad, onInfer, scan, modelSidecar }: Props) {
  const [problem, setProblem] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<LoadedSidecar | null>(null);

  // The parent sets the new label before onLoad resolves, so the label seen here after a load is
  // the loaded model's. A later change means another model (trained or loaded) replaced it.
  useEffect(() => {
    if (!loaded) return;
    if (loaded.label === undefined) setLoaded({ ...loaded, label: modelLabel });
    else if (loaded.label !== modelLabel) setLoaded(null);
  }, [loaded, modelLabel]);

  const sidecar = modelSidecar !== undefined ? modelSidecar : (loaded?.sidecar ?? null);
  const check: ModelScanCheck | null = useMemo(
    () => (sidecar && scan && modelLabel !== null ? checkModelForScan(sidecar, scan) : null),
    [sidecar, scan, modelLabel],
  );

  const save = async () => {
    setProblem(null);
    try {
      saveBytes(packModelArchive(await onSave()), MODEL_ARCHIVE_NAME, 'application/zip');
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  const load = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    setProblem(null);
    if (!file) return;
    const outcome = await loadModelArchive(file, onLoad);
    if (outcome.sidecar) {
      setLoaded({ sidecar: outcome.sidecar, label: undefined });
    } else {
      setProblem(outcome.problem);
      // The input would otherwise keep showing the rejected file while the previous model stays.
      input.value = '';
    }
  };

  const blocker = check?.blocker ?? null;
  return (
    <div className="pinn-model" data-testid="pinn-model">
      <p>Model: {modelLabel ?? 'none yet; train one or load a saved one.'}</p>
      <div className="buttons">
        <button type="button" onClick={() => void save()} disabled={disabled || modelLabel === null}>
          Save model
        </button>
        <button
          type="button"
          onClick={onInfer}
          disabled={disabled || modelLabel === null || blocker !== null}
          title={blocker ?? undefined}
        >
          Reconstruct with this model
        </button>
        <label className="field">
          Load a saved model (.zip with model.json, weights and sidecar)
          <input type="file" accept=".zip" disabled={disabled} onChange={(event) => void load(event)} />
        </label>
      </div>
      {blocker && (
        <p className="banner banner-warning" role="status" data-testid="pinn-model-blocker">
          {blocker}
        </p>
      )}
      {check && check.warnings.length > 0 && (
        <p className="banner banner-warning" role="status" data-testid="pinn-model-warning">
          This model may reconstruct this scan poorly. {check.warnings.join(' ')}
        </p>
      )}
      {problem && (
        <p className="banner banner-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
