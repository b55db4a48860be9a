/**
 * Image types shared by the reconstruction-quality metrics, and the shape checks applied where
 * images enter the module.
 */

/** A complex image, [height, width, 2] interleaved (re, im) float32, row-major. */
export interface ComplexImage {
  data: Float32Array;
  height: number;
  width: number;
}

/** A real image, [height, width] row-major. */
export interface RealImage {
  data: Float32Array | Float64Array;
  height: number;
  width: number;
}

/** An axis-aligned rectangle of pixels: rows row … row + height − 1, columns column … column + width − 1. */
export interface PixelRectangle {
  row: number;
  column: number;
  height: number;
  width: number;
}

/**
 * The pixels to compare: a mask of height × width values, nonzero or true inside, or a rectangle.
 * A reconstruction is only meaningful where the scan illuminated the object, so callers normally
 * pass the scanned region.
 */
export type Region = Uint8Array | readonly boolean[] | PixelRectangle;

/** Throws unless `image` has positive integer sides and height·width·2 finite values. */
export function checkComplexImage(image: ComplexImage, name: string): void {
  checkSides(image.height, image.width, name);
  const expected = image.height * image.width * 2;
  if (image.data.length !== expected) {
    throw new Error(
      `${name}: a ${image.height}×${image.width} complex image needs ${expected} interleaved float32 values ` +
        `(re, im per pixel), received ${image.data.length}. Pass the [H, W, 2] array with its own height and width.`,
    );
  }
  for (let i = 0; i < expected; i += 1) {
    if (!Number.isFinite(image.data[i])) {
      const pixel = Math.floor(i / 2);
      throw new Error(
        `${name}: pixel (${Math.floor(pixel / image.width)}, ${pixel % image.width}) is ${image.data[i]}, ` +
          'but every value must be finite. Replace NaN and infinite values first, for instance by 0 outside the scanned region.',
      );
    }
  }
}

/** Throws unless `image` has positive integer sides and height·width values. */
export function checkRealImage(image: RealImage, name: string): void {
  checkSides(image.height, image.width, name);
  const expected = image.height * image.width;
  if (image.data.length !== expected) {
    throw new Error(
      `${name}: a ${image.height}×${image.width} real image needs ${expected} values, received ${image.data.length}.`,
    );
  }
}

/** Throws unless two images have the same height and width. */
export function checkSameShape(
  first: { height: number; width: number },
  second: { height: number; width: number },
  names: string,
): void {
  if (first.height !== second.height || first.width !== second.width) {
    throw new Error(
      `${names}: the images must have the same shape, received ${first.height}×${first.width} ` +
        `and ${second.height}×${second.width}. Crop or pad one of them to the other's shape first.`,
    );
  }
}

/** Throws unless `mask` is absent or has one value per pixel. */
export function checkMask(mask: Uint8Array | undefined, height: number, width: number, name: string): void {
  if (mask !== undefined && mask.length !== height * width) {
    throw new Error(
      `${name}: the mask needs one value per pixel of the ${height}×${width} image (${height * width}), ` +
        `received ${mask.length}.`,
    );
  }
}

function checkSides(height: number, width: number, name: string): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`${name}: height and width must be positive integers, received ${height}×${width}.`);
  }
}
