import { useState } from 'react';

import { packModelArchive, unpackModelArchive, type SavedPinnModel } from '../../solvers/pinn/modelFiles';
import { saveBytes } from '../exportFiles';

interface Props {
  modelLabel: string | null;
  disabled: boolean;
  onSave(): Promise<SavedPinnModel>;
  onLoad(files: SavedPinnModel): Promise<void>;
  onInfer(): void;
}

/** File name of a saved model: a .zip of model.json, the weights and the sidecar. */
export const MODEL_ARCHIVE_NAME = 'ptychopinn-model.zip';

/** Save the trained network, load a saved one, and reconstruct the loaded scan with it. */
export function PinnModelFiles({ modelLabel, disabled, onSave, onLoad, onInfer }: Props) {
  const [problem, setProblem] = useState<string | null>(null);

  const save = async () => {
    setProblem(null);
    try {
      saveBytes(packModelArchive(await onSave()), MODEL_ARCHIVE_NAME, 'application/zip');
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  const load = async (file: File | undefined) => {
    setProblem(null);
    if (!file) return;
    try {
      await onLoad(unpackModelArchive(await file.arrayBuffer(), file.name));
    } catch (error) {
      setProblem(`The model was not loaded: ${(error as Error).message} The previous model, if any, is kept.`);
    }
  };

  return (
    <div className="pinn-model" data-testid="pinn-model">
      <p>Model: {modelLabel ?? 'none yet; train one or load a saved one.'}</p>
      <div className="buttons">
        <button type="button" onClick={() => void save()} disabled={disabled || modelLabel === null}>
          Save model
        </button>
        <button type="button" onClick={onInfer} disabled={disabled || modelLabel === null}>
          Reconstruct with this model
        </button>
        <label className="field">
          Load a saved model (.zip with model.json, weights and sidecar)
          <input
            type="file"
            accept=".zip"
            disabled={disabled}
            onChange={(event) => void load(event.target.files?.[0])}
          />
        </label>
      </div>
      {problem && (
        <p className="banner banner-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
