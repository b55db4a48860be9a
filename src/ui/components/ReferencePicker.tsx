import { useState } from 'react';

import type { ScanDataset } from '../../data/dataset';
import { readPtychodusProduct } from '../../data/readers/ptychodusProduct';
import { MAX_POSITION_SPREAD_PX, productCoverageWarning, referenceFromProduct } from '../../metrics/productReference';
import type { ReferenceObject } from '../../metrics/truthComparison';
import { PickerMessages } from './PickerMessages';

interface Props {
  dataset: ScanDataset;
  disabled: boolean;
  onReference(reference: ReferenceObject, label: string): void;
}

/** Consequence of a cropped reference object for the metrics, for productCoverageWarning. */
const REFERENCE_COVERAGE_CONSEQUENCE = 'the metrics compare the rest with empty space (1 + 0i) and will score it poorly';

/**
 * Loads the object of a Ptychodus product (.h5 or .npz) of the loaded scan, for example one made by
 * another program, as the reference of the metrics panel. The file is read in the page, never
 * uploaded, and checked when it is picked. A rejected file leaves the previous reference in place.
 */
export function ReferencePicker({ dataset, disabled, onReference }: Props) {
  const [problem, setProblem] = useState<string | null>(null);
  const [notices, setNotices] = useState<string[]>([]);
  const [coverageWarning, setCoverageWarning] = useState<string | null>(null);

  const open = async (file: File | undefined) => {
    setProblem(null);
    if (!file) return;
    try {
      const result = await readPtychodusProduct(new Uint8Array(await file.arrayBuffer()), file.name);
      const reference = referenceFromProduct(result, dataset, file.name);
      setCoverageWarning(productCoverageWarning(result, dataset, file.name, REFERENCE_COVERAGE_CONSEQUENCE));
      setNotices(result.notices);
      onReference(reference, `the object in ${file.name}`);
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
      <p className="hint">
        A product is accepted when its pattern count equals this scan's and its positions agree with the scan's within{' '}
        {MAX_POSITION_SPREAD_PX} px after one common offset. A product of another scan with the same raster can pass
        this check.
      </p>
      <PickerMessages coverageWarning={coverageWarning} notices={notices} problem={problem} />
    </div>
  );
}
