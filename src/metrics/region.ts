/** Conversion of a {@link Region} to a pixel mask, and cropping to a mask's bounding box. */
import type { ComplexImage, PixelRectangle, Region } from './types';

/** Returns a height × width mask, 1 inside the region and 0 outside. The whole image when `region` is undefined. */
export function regionToMask(region: Region | undefined, height: number, width: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  if (region === undefined) {
    mask.fill(1);
    return mask;
  }

  if (region instanceof Uint8Array || Array.isArray(region)) {
    const values = region as ArrayLike<number | boolean>;
    if (values.length !== height * width) {
      throw new Error(
        `region: a mask needs one value per pixel of the ${height}×${width} image (${height * width}), ` +
          `received ${values.length}. Pass a mask of the image's shape, or a rectangle.`,
      );
    }
    for (let i = 0; i < mask.length; i += 1) mask[i] = values[i] ? 1 : 0;
  } else {
    const { row, column, height: rows, width: columns } = region as PixelRectangle;
    const inside =
      Number.isInteger(row) &&
      Number.isInteger(column) &&
      Number.isInteger(rows) &&
      Number.isInteger(columns) &&
      row >= 0 &&
      column >= 0 &&
      rows >= 1 &&
      columns >= 1 &&
      row + rows <= height &&
      column + columns <= width;
    if (!inside) {
      throw new Error(
        `region: the rectangle must hold whole pixels inside the ${height}×${width} image, received ` +
          `row ${row}, column ${column}, height ${rows}, width ${columns}.`,
      );
    }
    for (let r = row; r < row + rows; r += 1) mask.fill(1, r * width + column, r * width + column + columns);
  }

  if (!mask.includes(1)) {
    throw new Error('region: the mask selects no pixel. Pass a mask with at least one nonzero value.');
  }
  return mask;
}

/** Returns the smallest rectangle that contains every nonzero pixel of `mask`. Throws when there is none. */
export function boundingBox(mask: Uint8Array, height: number, width: number): PixelRectangle {
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let row = 0; row < height; row += 1) {
    for (let column = 0; column < width; column += 1) {
      if (mask[row * width + column]) {
        if (row < top) top = row;
        if (row > bottom) bottom = row;
        if (column < left) left = column;
        if (column > right) right = column;
      }
    }
  }
  if (bottom < 0) {
    throw new Error('boundingBox: the mask selects no pixel.');
  }
  return { row: top, column: left, height: bottom - top + 1, width: right - left + 1 };
}

/** Copies the rectangle `box` out of a complex image. */
export function cropComplex(image: ComplexImage, box: PixelRectangle): ComplexImage {
  const data = new Float32Array(box.height * box.width * 2);
  for (let r = 0; r < box.height; r += 1) {
    const source = 2 * ((box.row + r) * image.width + box.column);
    data.set(image.data.subarray(source, source + 2 * box.width), 2 * r * box.width);
  }
  return { data, height: box.height, width: box.width };
}

/** Copies the rectangle `box` out of a mask of the given width. */
export function cropMask(mask: Uint8Array, width: number, box: PixelRectangle): Uint8Array {
  const cropped = new Uint8Array(box.height * box.width);
  for (let r = 0; r < box.height; r += 1) {
    const source = (box.row + r) * width + box.column;
    cropped.set(mask.subarray(source, source + box.width), r * box.width);
  }
  return cropped;
}

/** Returns `box` grown by `margin` pixels on every side, clipped to the height × width image. */
export function growRectangle(box: PixelRectangle, margin: number, height: number, width: number): PixelRectangle {
  const row = Math.max(0, box.row - margin);
  const column = Math.max(0, box.column - margin);
  const endRow = Math.min(height, box.row + box.height + margin);
  const endColumn = Math.min(width, box.column + box.width + margin);
  return { row, column, height: endRow - row, width: endColumn - column };
}
