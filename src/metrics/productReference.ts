/**
 * Uses the object of a Ptychodus product as the reference for the metrics, and holds the checks that
 * the reference and start-point pickers run on a product when it is picked. When the product and
 * the loaded scan describe the same scan, their window corners (in product object pixels and in
 * dataset pixels) differ by one offset. The mean difference places the product's object on the
 * dataset's coordinates.
 *
 * What "a product of this scan" means is checked only as far as the positions allow: the same
 * pattern count, and positions that agree within MAX_POSITION_SPREAD_PX after one common offset.
 * A product of another scan with the same raster and small jitter passes. A tighter check would
 * also reject a product of this scan whose positions were refined, so none is made.
 */
import type { ScanDataset } from '../data/dataset';
import type { PtychodusProductReadResult } from '../data/readers/ptychodusProduct';
import type { ReferenceObject } from './truthComparison';

/**
 * Largest difference, in pixels, between a product position and the scan's after the common offset
 * is removed, for the product to be accepted as one of this scan.
 */
export const MAX_POSITION_SPREAD_PX = 2;

/** Offset (y, x) in pixels from the loaded scan's window corners to the product's. */
export interface ProductPositionOffset {
  offsetY_px: number;
  offsetX_px: number;
}

/**
 * Returns the (y, x) shift from the corners of the product's probe windows to the corners of
 * pattern-sized windows with the same centres. It is nonzero when the probe is larger than the
 * patterns, as after a run with far-field upsampling.
 */
export function productCornerShift(result: PtychodusProductReadResult, dataset: ScanDataset): ProductPositionOffset {
  const { probe } = result.product;
  return { offsetY_px: (probe.height - dataset.patternSize) / 2, offsetX_px: (probe.width - dataset.patternSize) / 2 };
}

/**
 * Returns the mean difference between the product's window corners and the dataset's, both taken
 * for pattern-sized windows (see productCornerShift). Throws when the pattern counts differ or the
 * differences spread by more than MAX_POSITION_SPREAD_PX, because the product is then not a
 * reconstruction of this scan in the same order.
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
        'reconstruction of this scan. A product is accepted when its pattern count equals the scan\'s and its positions ' +
        `agree with the scan's within ${MAX_POSITION_SPREAD_PX} px after one common offset. ` +
        'Load the scan it was made from, or a product of this scan.',
    );
  }
  const shift = productCornerShift(result, dataset);
  let offsetY = 0;
  let offsetX = 0;
  for (let i = 0; i < count; i += 1) {
    offsetY += result.positionY_px[i] - dataset.positionY_px[i];
    offsetX += result.positionX_px[i] - dataset.positionX_px[i];
  }
  offsetY = offsetY / count + shift.offsetY_px;
  offsetX = offsetX / count + shift.offsetX_px;

  let spread = 0;
  for (let i = 0; i < count; i += 1) {
    spread = Math.max(
      spread,
      Math.abs(result.positionY_px[i] + shift.offsetY_px - dataset.positionY_px[i] - offsetY),
      Math.abs(result.positionX_px[i] + shift.offsetX_px - dataset.positionX_px[i] - offsetX),
    );
  }
  if (spread > MAX_POSITION_SPREAD_PX) {
    throw new Error(
      `The positions in ${fileName} differ from the loaded scan's by up to ${spread.toFixed(1)} px beyond a common offset ` +
        `(at most ${MAX_POSITION_SPREAD_PX} px expected), so it is not a reconstruction of this scan in the same order. ` +
        'Load the scan it was made from, or a product of this scan.',
    );
  }
  return { offsetY_px: offsetY, offsetX_px: offsetX };
}

/** Returns the array name a product file gives `role` under: the HDF5 dataset or the NPZ member. */
function productArrayName(result: PtychodusProductReadResult, role: 'object' | 'probe'): string {
  return result.format === 'ptychodus-h5' ? `dataset /${role}` : `array ${role}.npy`;
}

/**
 * Returns the first non-finite value of an interleaved complex stack [layers, height, width, 2] as
 * its layer, row and column, or null when every value is finite.
 */
export function findNonFinitePixel(
  values: Float32Array,
  height: number,
  width: number,
): { layer: number; row: number; column: number; value: number } | null {
  const index = values.findIndex((value) => !Number.isFinite(value));
  if (index < 0) return null;
  const pixel = Math.floor(index / 2);
  const layerPixels = height * width;
  const inLayer = pixel % layerPixels;
  return {
    layer: Math.floor(pixel / layerPixels),
    row: Math.floor(inLayer / width),
    column: inLayer % width,
    value: values[index],
  };
}

/**
 * Throws an Error naming the file, the array and the pixel (row, column) when the product's object
 * contains NaN or an infinity. `use` names what the product was picked for, such as "a start point".
 */
export function checkProductObject(result: PtychodusProductReadResult, fileName: string, use: string): void {
  const { object } = result.product;
  const bad = findNonFinitePixel(object.values, object.height, object.width);
  if (bad === null) return;
  throw new Error(
    `The object in ${fileName} (${productArrayName(result, 'object')}) contains a non-finite value, ${bad.value}, ` +
      `at pixel (${bad.row}, ${bad.column}) as (row, column), so it cannot be used as ${use}. ` +
      'Choose a product whose object is finite everywhere, or export the product again from a run that did not diverge.',
  );
}

/**
 * Throws an Error naming the file, the array and the pixel when the product's probe modes contain a
 * non-finite value, or when every probe value is zero, which would model no photons at all.
 */
export function checkProductProbe(result: PtychodusProductReadResult, fileName: string): void {
  const { probe } = result.product;
  const name = productArrayName(result, 'probe');
  const bad = findNonFinitePixel(probe.values, probe.height, probe.width);
  if (bad !== null) {
    throw new Error(
      `The probe in ${fileName} (${name}) contains a non-finite value, ${bad.value}, in mode ${bad.layer} at pixel ` +
        `(${bad.row}, ${bad.column}) as (row, column), so it cannot start a run. ` +
        'Choose a product whose probe is finite everywhere, or export the product again from a run that did not diverge.',
    );
  }
  if (probe.values.every((value) => value === 0)) {
    throw new Error(
      `The probe in ${fileName} (${name}) is zero everywhere, so it models no photons and cannot start a run. ` +
        'Choose a product with a nonzero probe.',
    );
  }
}

/** Warnings below this fraction of the scanned pixels covered by a product's object. */
export const MIN_COVERED_FRACTION = 0.999;

/**
 * Returns the fraction of the loaded scan's scanned pixels that lie on an object of `height` ×
 * `width` pixels whose pixel (0, 0) is at dataset coordinates (originY_px, originX_px). The scanned
 * pixels are the union of the probe windows, with corners rounded to whole pixels. Pixels are
 * placed with the rounded origin difference, as placeStartObject and cropTruthToSnapshot place them.
 */
export function scannedFractionCovered(
  dataset: ScanDataset,
  height: number,
  width: number,
  originY_px: number,
  originX_px: number,
): number {
  if (dataset.patternCount === 0) return 1;
  const size = dataset.patternSize;
  let minY = Infinity;
  let minX = Infinity;
  let maxY = -Infinity;
  let maxX = -Infinity;
  for (let i = 0; i < dataset.patternCount; i += 1) {
    minY = Math.min(minY, Math.floor(dataset.positionY_px[i]));
    minX = Math.min(minX, Math.floor(dataset.positionX_px[i]));
    maxY = Math.max(maxY, Math.ceil(dataset.positionY_px[i]));
    maxX = Math.max(maxX, Math.ceil(dataset.positionX_px[i]));
  }
  const gridHeight = maxY - minY + size;
  const gridWidth = maxX - minX + size;
  const scanned = new Uint8Array(gridHeight * gridWidth);
  for (let i = 0; i < dataset.patternCount; i += 1) {
    const top = Math.round(dataset.positionY_px[i] - minY);
    const left = Math.round(dataset.positionX_px[i] - minX);
    for (let row = top; row < top + size; row += 1) scanned.fill(1, row * gridWidth + left, row * gridWidth + left + size);
  }

  const rowShift = Math.round(minY - originY_px);
  const columnShift = Math.round(minX - originX_px);
  let total = 0;
  let covered = 0;
  for (let row = 0; row < gridHeight; row += 1) {
    const objectRow = row + rowShift;
    const rowInside = objectRow >= 0 && objectRow < height;
    for (let column = 0; column < gridWidth; column += 1) {
      if (!scanned[row * gridWidth + column]) continue;
      total += 1;
      const objectColumn = column + columnShift;
      if (rowInside && objectColumn >= 0 && objectColumn < width) covered += 1;
    }
  }
  return total === 0 ? 1 : covered / total;
}

/**
 * Returns a warning when the product's object, placed on the scan by the position offset, leaves
 * part of the scanned region uncovered, or null when it covers it. `consequence` describes what the
 * uncovered pixels become for this use.
 */
export function productCoverageWarning(
  result: PtychodusProductReadResult,
  dataset: ScanDataset,
  fileName: string,
  consequence: string,
): string | null {
  const { offsetY_px, offsetX_px } = productPositionOffset(result, dataset, fileName);
  const { object } = result.product;
  const fraction = scannedFractionCovered(dataset, object.height, object.width, -offsetY_px, -offsetX_px);
  if (fraction >= MIN_COVERED_FRACTION) return null;
  const percent = Math.floor(fraction * 1000) / 10;
  return (
    `The object in ${fileName} (${object.width}×${object.height} px) covers only ${percent} % of the region this scan ` +
    `illuminates, so ${consequence}. A product cropped to a smaller object gives this; export the full object to avoid it.`
  );
}

/** Places the product's object on the dataset's coordinates; throws when the scans do not match. */
export function referenceFromProduct(result: PtychodusProductReadResult, dataset: ScanDataset, fileName: string): ReferenceObject {
  checkProductObject(result, fileName, 'a reference');
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
