import { useEffect, useRef, useState } from 'react';

import type { ScanDataset } from '../../data/dataset';
import { readPtychodusProduct, type PtychodusProductReadResult } from '../../data/readers/ptychodusProduct';
import { MAX_POSITION_SPREAD_PX, productCoverageWarning } from '../../metrics/productReference';
import { startPointFromProduct } from '../../solvers/pie/productStartPoint';
import type { LabelledStartPoint } from '../useReconstruction';
import { PickerMessages } from './PickerMessages';

interface Props {
  dataset: ScanDataset;
  disabled: boolean;
  /** Probe modes the next run requests, to say whether modes will be added or dropped. */
  requestedProbeModes: number;
  startPoint: LabelledStartPoint | null;
  onChange(startPoint: LabelledStartPoint | null): void;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Describes how the run will change the product's mode count to the requested one. */
function modeNote(productModes: number, requested: number): string {
  if (productModes === requested) return '';
  if (productModes < requested) {
    return ` Probe modes is set to ${requested}, so ${plural(requested - productModes, 'mode')} will be added.`;
  }
  return ` Probe modes is set to ${requested}, so the ${plural(productModes - requested, 'weakest mode')} will be dropped.`;
}

/** Consequence of a cropped object for a run, for productCoverageWarning. */
const START_COVERAGE_CONSEQUENCE = 'the run starts from a flat object (1 + 0i) over the rest';

/**
 * Loads a Ptychodus product (.h5 or .npz) of the loaded scan as the start of the next rPIE or ePIE
 * run: its object, probe modes and, unless unticked, its positions. The file is read in the page
 * and checked when it is picked, so a product that would fail the run is rejected at once.
 */
export function StartPointPicker({ dataset, disabled, requestedProbeModes, startPoint, onChange }: Props) {
  const [problem, setProblem] = useState<string | null>(null);
  const [product, setProduct] = useState<{ result: PtychodusProductReadResult; fileName: string } | null>(null);
  const [coverageWarning, setCoverageWarning] = useState<string | null>(null);
  const [resetNotice, setResetNotice] = useState<string | null>(null);
  const [usePositions, setUsePositions] = useState(true);
  const previousDataset = useRef(dataset);
  const productRef = useRef(product);
  productRef.current = product;

  // The page drops the start point when another scan is loaded, so the product read for the old
  // scan goes too, and a notice informs the user.
  useEffect(() => {
    if (previousDataset.current === dataset) return;
    previousDataset.current = dataset;
    const dropped = productRef.current;
    setResetNotice(
      dropped
        ? `Another scan was opened, so the start point ${dropped.fileName} was dropped and Reconstruct starts from a flat object.`
        : null,
    );
    setProduct(null);
    setCoverageWarning(null);
    setProblem(null);
  }, [dataset]);

  const open = async (file: File | undefined) => {
    setProblem(null);
    if (!file) return;
    try {
      const result = await readPtychodusProduct(new Uint8Array(await file.arrayBuffer()), file.name);
      const next = startPointFromProduct(result, dataset, file.name, usePositions);
      setProduct({ result, fileName: file.name });
      setCoverageWarning(productCoverageWarning(result, dataset, file.name, START_COVERAGE_CONSEQUENCE));
      setResetNotice(null);
      onChange({ startPoint: next, fileName: file.name });
    } catch (error) {
      setProblem(`${(error as Error).message} The start point was not changed.`);
    }
  };

  const choosePositions = (checked: boolean) => {
    setUsePositions(checked);
    if (!product) return;
    try {
      const next = startPointFromProduct(product.result, dataset, product.fileName, checked);
      onChange({ startPoint: next, fileName: product.fileName });
    } catch (error) {
      setProblem(`${(error as Error).message} The start point was not changed.`);
    }
  };

  const clear = () => {
    setProduct(null);
    setCoverageWarning(null);
    setProblem(null);
    onChange(null);
  };

  const current = startPoint?.startPoint;
  return (
    <div className="start-point-picker">
      <label className="field">
        Start from a Ptychodus product of this scan (.h5 or .npz)
        <input
          type="file"
          accept=".h5,.hdf5,.npz"
          disabled={disabled}
          onChange={(event) => {
            const input = event.target;
            void open(input.files?.[0]).finally(() => {
              // Lets the same file be chosen again after the start point is cleared.
              input.value = '';
            });
          }}
        />
      </label>
      <p className="hint">
        A product is accepted when its pattern count equals this scan's, its probe is as large as the patterns (or twice
        as large, from a run with far-field upsampling 2) and its positions agree with the scan's within{' '}
        {MAX_POSITION_SPREAD_PX} px after one common offset. A product of another scan with the same
        raster can pass this check. To compare a result with a product instead, run Reconstruct first: the picker
        &ldquo;Compare with a Ptychodus product&rdquo; then appears below the result.
      </p>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={usePositions}
          disabled={disabled}
          onChange={(event) => choosePositions(event.target.checked)}
        />
        Use the product's probe positions
      </label>
      {startPoint && current ? (
        <p data-testid="start-point" role="status">
          Reconstruct starts from {startPoint.fileName}: object {current.objectWidth_px}×{current.objectHeight_px} px,{' '}
          {plural(current.probeModeCount, 'probe mode')}, positions from {current.positions ? 'the product' : 'the scan'}.
          {modeNote(current.probeModeCount, requestedProbeModes)}{' '}
          <button type="button" onClick={clear} disabled={disabled}>
            Start from a flat object
          </button>
        </p>
      ) : (
        <p data-testid="start-point">
          Reconstruct starts from a flat object and {dataset.probe === null ? 'the default probe described below' : "the scan's probe guess"}.
        </p>
      )}
      {resetNotice && (
        <p className="notice" role="status" data-testid="start-point-reset">
          {resetNotice}
        </p>
      )}
      <PickerMessages
        coverageWarning={startPoint ? coverageWarning : null}
        notices={product?.result.notices ?? []}
        problem={problem}
      />
    </div>
  );
}
