/**
 * Builds a PIE start point from a Ptychodus product of the loaded scan. The product's window
 * corners and the scan's differ by one offset (productPositionOffset), which places the product's
 * object and positions on the dataset's coordinates.
 */
import type { ScanDataset } from '../../data/dataset';
import type { PtychodusProductReadResult } from '../../data/readers/ptychodusProduct';
import { productPositionOffset } from '../../metrics/productReference';
import type { PieStartPoint } from './startPoint';

/**
 * Converts a product read by readPtychodusProduct into a start point for `dataset`. With
 * `usePositions` false the run keeps the scan's positions. Throws an Error naming the file when the
 * pattern count or the probe size differs from the scan's.
 */
export function startPointFromProduct(
  result: PtychodusProductReadResult,
  dataset: ScanDataset,
  fileName: string,
  usePositions: boolean,
): PieStartPoint {
  const { object, probe } = result.product;
  if (probe.height !== dataset.patternSize || probe.width !== dataset.patternSize) {
    throw new Error(
      `The probe in ${fileName} is ${probe.width}×${probe.height} pixels but the loaded scan's patterns are ` +
        `${dataset.patternSize}×${dataset.patternSize}, so it cannot start a run on this scan. ` +
        'Load a product made from this scan, or load the scan the product was made from.',
    );
  }
  const { offsetY_px, offsetX_px } = productPositionOffset(result, dataset, fileName);

  const start: PieStartPoint = {
    object: object.values.slice(0, object.height * object.width * 2),
    objectHeight_px: object.height,
    objectWidth_px: object.width,
    originY_px: -offsetY_px,
    originX_px: -offsetX_px,
    probeModes: probe.values.slice(0, probe.count * probe.height * probe.width * 2),
    probeModeCount: probe.count,
    probeSize_px: probe.width,
  };
  if (usePositions) {
    start.positions = {
      positionY_px: Float32Array.from(result.positionY_px, (value) => value - offsetY_px),
      positionX_px: Float32Array.from(result.positionX_px, (value) => value - offsetX_px),
    };
  }
  return start;
}
