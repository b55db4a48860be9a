import { useState } from 'react';

import type { ScanDataset } from '../../data/dataset';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { objectNpy, phasePng, reconstructionNpz, saveBytes } from '../exportFiles';

interface Props {
  snapshot: ReconstructionSnapshot;
  dataset: ScanDataset;
  fourierErrors: number[];
}

function baseName(dataset: ScanDataset): string {
  return dataset.name.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '-') || 'reconstruction';
}

/**
 * Saves the current estimate. The phase PNG is drawn at the object's full resolution with the
 * phase view's colours and a colour bar, not copied from the on-screen thumbnail.
 */
export function ExportPanel({ snapshot, dataset, fourierErrors }: Props) {
  const name = baseName(dataset);
  const [pngError, setPngError] = useState<string | null>(null);
  const savePhasePng = () => {
    setPngError(null);
    phasePng(snapshot)
      .then((blob) => saveBytes(blob, `${name}-phase.png`))
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        setPngError(`Saving the phase PNG failed: ${reason}`);
      });
  };
  return (
    <section className="export-panel" aria-label="Save the result">
      <strong>Save</strong>
      <button type="button" onClick={() => saveBytes(reconstructionNpz(snapshot, dataset, fourierErrors), `${name}-reconstruction.npz`)}>
        Object, probe and positions (.npz)
      </button>
      <button type="button" onClick={() => saveBytes(objectNpy(snapshot), `${name}-object.npy`)}>
        Object (.npy)
      </button>
      <button type="button" onClick={savePhasePng}>
        Phase image (.png)
      </button>
      {pngError && (
        <p className="banner banner-error" role="alert">
          {pngError}
        </p>
      )}
    </section>
  );
}
