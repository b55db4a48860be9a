import type { ScanDataset } from '../../data/dataset';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { objectNpy, reconstructionNpz, saveBytes } from '../exportFiles';

interface Props {
  snapshot: ReconstructionSnapshot;
  dataset: ScanDataset;
  fourierErrors: number[];
}

function baseName(dataset: ScanDataset): string {
  return dataset.name.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '-') || 'reconstruction';
}

/** Saves the current estimate; the phase PNG is the rendered phase view with its scale bar. */
export function ExportPanel({ snapshot, dataset, fourierErrors }: Props) {
  const name = baseName(dataset);
  const savePhasePng = () => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="object-phase"] canvas[role="img"]');
    canvas?.toBlob((blob) => blob && saveBytes(blob, `${name}-phase.png`), 'image/png');
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
    </section>
  );
}
