/**
 * Uses the object of a Ptychodus product as the reference for the metrics. When the product and the
 * loaded scan describe the same scan, their window corners (in product object pixels and in dataset
 * pixels) differ by one offset. The mean difference places the product's object on the dataset's
 * coordinates.
 */
import type { ScanDataset } from '../data/dataset';
import type { PtychodusProductReadResult } from '../data/readers/ptychodusProduct';
import type { ReferenceObject } from './truthComparison';

/** Largest spread, in pixels, of the corner differences for the two scans to count as one. */
export const MAX_POSITION_SPREAD_PX = 2;

/** Offset (y, x) in pixels from the loaded scan's window corners to the product's. */
export interface ProductPositionOffset {
  offsetY_px: number;
  offsetX_px: number;
}

/**
 * Returns the mean difference between the product's window corners and the dataset's. Throws when
 * the pattern counts differ or the differences spread by more than MAX_POSITION_SPREAD_PX, because
 * the product is then not a reconstruction of this scan in the same order.
 */
export function productPositionOffset(
  result: PtychodusProductReadResult,
  dataset: ScanDataset,
  fileName: string,
): ProductPositionOffset {
  const count = dataset.patternCount;
  if (result.positionX_px.length !== count) {
    throw new Error(
      `${fileName} has ${result.positionX_px.length} probe positions and the loaded scan ${count}, so it is not a ` +
        'reconstruction of this scan. Load the scan it was made from, or a product of this scan.',
    );
  }
  let offsetY = 0;
  let offsetX = 0;
  for (let i = 0; i < count; i += 1) {
    offsetY += result.positionY_px[i] - dataset.positionY_px[i];
    offsetX += result.positionX_px[i] - dataset.positionX_px[i];
  }
  offsetY /= count;
  offsetX /= count;

  let spread = 0;
  for (let i = 0; i < count; i += 1) {
    spread = Math.max(
      spread,
      Math.abs(result.positionY_px[i] - dataset.positionY_px[i] - offsetY),
      Math.abs(result.positionX_px[i] - dataset.positionX_px[i] - offsetX),
    );
  }
  if (spread > MAX_POSITION_SPREAD_PX) {
    throw new Error(
      `The positions in ${fileName} differ from the loaded scan's by up to ${spread.toFixed(1)} px beyond a common offset ` +
        `(at most ${MAX_POSITION_SPREAD_PX} px expected), so it is not a reconstruction of this scan in the same order.`,
    );
  }
  return { offsetY_px: offsetY, offsetX_px: offsetX };
}

/** Places the product's object on the dataset's coordinates; throws when the scans do not match. */
export function referenceFromProduct(result: PtychodusProductReadResult, dataset: ScanDataset, fileName: string): ReferenceObject {
  const { offsetY_px, offsetX_px } = productPositionOffset(result, dataset, fileName);
  const { object } = result.product;
  return {
    object: object.values.slice(0, object.height * object.width * 2),
    height: object.height,
    width: object.width,
    originY_px: -offsetY_px,
    originX_px: -offsetX_px,
  };
}
