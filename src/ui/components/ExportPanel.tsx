import { useState } from 'react';

import type { ScanDataset } from '../../data/dataset';
import type { CxiGeometry } from '../../data/readers/readResult';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import {
  amplitudePng,
  objectNpy,
  phasePng,
  ptychodusProductH5,
  ptychodusProductNpz,
  reconstructionNpz,
  saveBytes,
} from '../exportFiles';

interface Props {
  snapshot: ReconstructionSnapshot;
  dataset: ScanDataset;
  fourierErrors: number[];
  /** The CXI reader's geometry, which gives the Ptychodus product lengths in metres. Null or absent gives object pixels. */
  geometry?: CxiGeometry | null;
}

function baseName(dataset: ScanDataset): string {
  return dataset.name.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '-') || 'reconstruction';
}

/**
 * Saves the current estimate. The PNGs are drawn at the object's full resolution with the views'
 * colours and a colour bar, not copied from the on-screen thumbnails.
 */
export function ExportPanel({ snapshot, dataset, fourierErrors, geometry = null }: Props) {
  const name = baseName(dataset);
  const [saveError, setSaveError] = useState<string | null>(null);

  // Runs one export and shows its failure in the alert below the buttons.
  const save = (what: string, write: () => Promise<Uint8Array | Blob> | Uint8Array, fileName: string) => {
    setSaveError(null);
    Promise.resolve()
      .then(write)
      .then((bytes) => saveBytes(bytes, fileName))
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        setSaveError(`Saving the ${what} failed: ${reason}`);
      });
  };

  return (
    <section className="export-panel" aria-label="Save the result">
      <strong>Save</strong>
      <button type="button" onClick={() => save('reconstruction .npz', () => reconstructionNpz(snapshot, dataset, fourierErrors), `${name}-reconstruction.npz`)}>
        Object, probe and positions (.npz)
      </button>
      <button type="button" onClick={() => save('object .npy', () => objectNpy(snapshot), `${name}-object.npy`)}>
        Object (.npy)
      </button>
      <button type="button" onClick={() => save('phase PNG', () => phasePng(snapshot), `${name}-phase.png`)}>
        Phase image (.png)
      </button>
      <button type="button" onClick={() => save('amplitude PNG', () => amplitudePng(snapshot), `${name}-amplitude.png`)}>
        Amplitude image (.png)
      </button>
      <button
        type="button"
        onClick={() => save('Ptychodus product', () => ptychodusProductH5(snapshot, dataset, fourierErrors, geometry), `${name}-product.h5`)}
      >
        Ptychodus product (.h5)
      </button>
      <button
        type="button"
        onClick={() => save('Ptychodus product', () => ptychodusProductNpz(snapshot, dataset, fourierErrors, geometry), `${name}-product.npz`)}
      >
        Ptychodus product (.npz)
      </button>
      {geometry === null && (
        <p className="hint">
          This scan has no physical geometry, so the Ptychodus product gives lengths in object pixels (pixel size 1).
        </p>
      )}
      {saveError && (
        <p className="banner banner-error" role="alert">
          {saveError}
        </p>
      )}
    </section>
  );
}
