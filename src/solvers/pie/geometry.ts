/**
 * Placement of the probe windows on the object array.
 *
 * Positions in a ScanDataset are top-left corners in object pixels with an arbitrary origin.
 * Here they are shifted so the smallest lands at `padding_px`, then rounded to whole pixels:
 * the object array spans the scanned area plus the padding on every side.
 * NOTE: rounding drops sub-pixel position information (at most half a pixel); a sub-pixel
 * shift of the probe would keep it.
 */
export interface ScanGeometry {
  objectHeight_px: number;
  objectWidth_px: number;
  /** Rounded top-left row of each window in the object array. */
  row_px: Int32Array;
  /** Rounded top-left column of each window in the object array. */
  col_px: Int32Array;
  /** Dataset coordinate of object row 0 and column 0, to map results back to scan coordinates. */
  originY_px: number;
  originX_px: number;
}

export function computeScanGeometry(
  positionY_px: Float32Array,
  positionX_px: Float32Array,
  patternSize: number,
  padding_px = 4,
): ScanGeometry {
  const count = positionY_px.length;

  if (count === 0 || positionX_px.length !== count) {
    throw new Error(
      `Scan geometry needs one (y, x) pair per pattern, received ${positionY_px.length} rows and ${positionX_px.length} columns.`,
    );
  }
  let minY = Infinity;
  let minX = Infinity;
  for (let i = 0; i < count; i += 1) {
    minY = Math.min(minY, positionY_px[i]);
    minX = Math.min(minX, positionX_px[i]);
  }

  const originY_px = minY - padding_px;
  const originX_px = minX - padding_px;
  const row_px = new Int32Array(count);
  const col_px = new Int32Array(count);
  let maxRow = 0;
  let maxCol = 0;
  for (let i = 0; i < count; i += 1) {
    row_px[i] = Math.round(positionY_px[i] - originY_px);
    col_px[i] = Math.round(positionX_px[i] - originX_px);
    maxRow = Math.max(maxRow, row_px[i]);
    maxCol = Math.max(maxCol, col_px[i]);
  }

  return {
    objectHeight_px: maxRow + patternSize + padding_px,
    objectWidth_px: maxCol + patternSize + padding_px,
    row_px,
    col_px,
    originY_px,
    originX_px,
  };
}

/**
 * Places windows of `windowSize` pixels centred where the patterns' windows of `patternSize` are:
 * each corner moves up and left by (windowSize − patternSize) / 2 before computeScanGeometry. The
 * origin then still maps object pixels to dataset coordinates, and window centres stay at the
 * dataset position plus patternSize / 2.
 */
export function computeWindowGeometry(
  positionY_px: Float32Array,
  positionX_px: Float32Array,
  patternSize: number,
  windowSize: number,
): ScanGeometry {
  if (windowSize === patternSize) return computeScanGeometry(positionY_px, positionX_px, patternSize);
  const shift_px = (windowSize - patternSize) / 2;
  return computeScanGeometry(
    positionY_px.map((y) => y - shift_px),
    positionX_px.map((x) => x - shift_px),
    windowSize,
  );
}
