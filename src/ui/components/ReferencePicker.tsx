import { useState } from 'react';

import type { ScanDataset } from '../../data/dataset';
import { readPtychodusProduct } from '../../data/readers/ptychodusProduct';
import { referenceFromProduct } from '../../metrics/productReference';
import type { ReferenceObject } from '../../metrics/truthComparison';

interface Props {
  dataset: ScanDataset;
  disabled: boolean;
  onReference(reference: ReferenceObject, label: string): void;
}

/**
 * Loads the object of a Ptychodus product (.h5 or .npz) of the loaded scan, for example one made by
 * another program, as the reference of the metrics panel. The file is read in the page, never uploaded.
 */
export function ReferencePicker({ dataset, disabled, onReference }: Props) {
  const [problem, setProblem] = useState<string | null>(null);
  const [notices, setNotices] = useState<string[]>([]);

  const open = async (file: File | undefined) => {
    setProblem(null);
    setNotices([]);
    if (!file) return;
    try {
      const result = await readPtychodusProduct(new Uint8Array(await file.arrayBuffer()), file.name);
      onReference(referenceFromProduct(result, dataset, file.name), `the object in ${file.name}`);
      setNotices(result.notices);
    } catch (error) {
      setProblem(`${(error as Error).message} The previous reference, if any, is kept.`);
    }
  };

  return (
    <div className="reference-picker">
      <label className="field">
        Compare with a Ptychodus product of this scan (.h5 or .npz)
        <input type="file" accept=".h5,.hdf5,.npz" disabled={disabled} onChange={(event) => void open(event.target.files?.[0])} />
      </label>
      {notices.map((notice) => (
        <p className="notice" key={notice}>
          {notice}
        </p>
      ))}
      {problem && (
        <p className="banner banner-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
