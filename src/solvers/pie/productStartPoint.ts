/**
 * Builds a PIE start point from a Ptychodus product of the loaded scan. The product's window
 * corners and the scan's differ by one offset (productPositionOffset), which places the product's
 * object and positions on the dataset's coordinates.
 */
import type { ScanDataset } from '../../data/dataset';
import type { PtychodusProductReadResult } from '../../data/readers/ptychodusProduct';
import { checkProductObject, checkProductProbe, productCornerShift, productPositionOffset } from '../../metrics/productReference';
import { FAR_FIELD_UPSAMPLING_FACTORS } from './farField';
import type { PieStartPoint } from './startPoint';

/**
 * Converts a product read by readPtychodusProduct into a start point for `dataset`. With
 * `usePositions` false the run keeps the scan's positions. Throws an Error naming the file when the
 * pattern count or the probe size differs from the scan's, or when the object or probe contains a
 * non-finite value. It also throws when the product models no photons on this scan, because the
 * probe is zero or the object is zero under every probe window. A run would fail on each of these.
 */
export function startPointFromProduct(
  result: PtychodusProductReadResult,
  dataset: ScanDataset,
  fileName: string,
  usePositions: boolean,
): PieStartPoint {
  const { object, probe } = result.product;
  const size = dataset.patternSize;
  const probeSizeAccepted = FAR_FIELD_UPSAMPLING_FACTORS.some((factor) => probe.width === factor * size);
  if (probe.height !== probe.width || !probeSizeAccepted) {
    throw new Error(
      `The probe in ${fileName} is ${probe.width}×${probe.height} pixels but the loaded scan's patterns are ` +
        `${size}×${size}, so it cannot start a run on this scan. A start probe must be ${size}×${size}, or ` +
        `${2 * size}×${2 * size} from a run with far-field upsampling 2. ` +
        'Load a product made from this scan, or load the scan the product was made from.',
    );
  }
  const { offsetY_px, offsetX_px } = productPositionOffset(result, dataset, fileName);
  const shift = productCornerShift(result, dataset);

  checkProductObject(result, fileName, 'a start point');
  checkProductProbe(result, fileName);
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
      positionY_px: Float32Array.from(result.positionY_px, (value) => value + shift.offsetY_px - offsetY_px),
      positionX_px: Float32Array.from(result.positionX_px, (value) => value + shift.offsetX_px - offsetX_px),
    };
  }
  if (!(modelledStartCounts(start, dataset) > 0)) {
    throw new Error(
      `The product in ${fileName} models a total photon count of 0 on the loaded scan: its object is zero under every ` +
        'probe window of this scan, so a run from it cannot match the data. Choose a product with a nonzero object over the scanned region.',
    );
  }
  return start;
}

/**
 * Computes the total count Σ_j Σ_r |O(p_j + r)|² · Σ_m |P_m(r)|² that the start point models over the
 * scan's windows p_j (the start point's positions when it has them), with object pixels outside the
 * start object taken as 1, as placeStartObject fills them. A probe larger than the patterns is
 * centred on the pattern's window. Window corners are rounded to whole object pixels, so this
 * equals the solver's modelledTotalCounts to within that rounding.
 */
export function modelledStartCounts(start: PieStartPoint, dataset: ScanDataset): number {
  const size = start.probeSize_px;
  const cornerShift_px = (size - dataset.patternSize) / 2;
  const pixels = size * size;
  const probePower = new Float64Array(pixels);
  for (let mode = 0; mode < start.probeModeCount; mode += 1) {
    for (let i = 0; i < pixels; i += 1) {
      const index = 2 * (mode * pixels + i);
      probePower[i] += start.probeModes[index] ** 2 + start.probeModes[index + 1] ** 2;
    }
  }
  const positionY_px = start.positions?.positionY_px ?? dataset.positionY_px;
  const positionX_px = start.positions?.positionX_px ?? dataset.positionX_px;
  const { objectHeight_px: height, objectWidth_px: width, object } = start;
  let total = 0;
  for (let j = 0; j < positionY_px.length; j += 1) {
    const top = Math.round(positionY_px[j] - cornerShift_px - start.originY_px);
    const left = Math.round(positionX_px[j] - cornerShift_px - start.originX_px);
    for (let row = 0; row < size; row += 1) {
      const objectRow = top + row;
      for (let column = 0; column < size; column += 1) {
        const objectColumn = left + column;
        let power = 1;
        if (objectRow >= 0 && objectRow < height && objectColumn >= 0 && objectColumn < width) {
          const index = 2 * (objectRow * width + objectColumn);
          power = object[index] ** 2 + object[index + 1] ** 2;
        }
        total += power * probePower[row * size + column];
      }
    }
  }
  return total;
}
