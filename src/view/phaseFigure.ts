/**
 * Composes the phase image that is saved as PNG: the object phase at one image pixel per object
 * pixel, coloured like the on-screen phase view, above a colour-bar strip labelled with the range
 * in radians. The result is plain RGBA plus text positions, so it can be checked without a canvas.
 */
import { getColormap, phaseColormapFor } from './colormaps';
import { toFieldImages, toRgba, valueRange } from './fieldImages';

/** Coverage below this fraction of the maximum counts as unscanned and is left out of the colour range. */
export const COVERAGE_MASK_FRACTION = 0.05;

/** The narrowest figure in pixels, so that the two range labels fit beside each other under a small object. */
export const MIN_FIGURE_WIDTH_PX = 240;

const STRIP_GAP_PX = 6;
const BAR_HEIGHT_PX = 12;
const BAR_MARGIN_PX = 8;
const LABEL_ROW_PX = 20;
const LABEL_FONT_PX = 12;

/** The parts of a reconstruction snapshot that the phase figure reads. */
export interface PhaseFigureInput {
  /** Interleaved complex object, row-major, objectHeight × objectWidth. */
  object: Float32Array;
  objectWidth: number;
  objectHeight: number;
  /** Probe coverage per object pixel, the same shape as the object. */
  coverage: Float32Array;
}

/** A text label to draw over the figure pixels. */
export interface FigureLabel {
  text: string;
  /** Anchor in figure pixels: the left end of the text for `left`, the right end for `right`. */
  x: number;
  /** Baseline in figure pixels. */
  y: number;
  align: 'left' | 'right';
  fontSize_px: number;
}

export interface PhaseFigure {
  width: number;
  height: number;
  /** Row-major RGBA pixels of the whole figure, white outside the image and the colour bar. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  labels: FigureLabel[];
  /** Phase in radians at the left and right ends of the colour bar. */
  range: [number, number];
  /** Colour map of the image and the bar, cyclic only when `range` spans about 2π. */
  colormap: 'phase' | 'phaseRamp';
  /** Top-left corner of the phase image within the figure. */
  imageLeft: number;
  /** Top row and left and right ends (exclusive) of the colour bar. */
  bar: { top: number; left: number; right: number; height: number };
}

/**
 * Marks with 1 the pixels whose coverage exceeds `fraction` of the maximum coverage, and with 0 the
 * rest. The Results panel uses the same rule, so the colour range here matches the one on screen.
 */
export function coverageMask(coverage: Float32Array, fraction = COVERAGE_MASK_FRACTION): Float32Array {
  let maxCoverage = 0;
  for (const value of coverage) maxCoverage = Math.max(maxCoverage, value);
  const mask = new Float32Array(coverage.length);
  for (let i = 0; i < mask.length; i += 1) mask[i] = coverage[i] > fraction * maxCoverage ? 1 : 0;
  return mask;
}

function formatRadians(value: number): string {
  return `${value.toFixed(2)} rad`;
}

/**
 * Renders the object phase, with its global offset removed and its colour range taken over the
 * well-covered pixels as the phase view does, into a figure with a colour bar below.
 */
export function composePhaseFigure(input: PhaseFigureInput): PhaseFigure {
  const { objectWidth, objectHeight } = input;
  if (input.coverage.length !== objectWidth * objectHeight) {
    throw new Error(
      `Expected ${objectWidth * objectHeight} coverage values for a ${objectHeight}×${objectWidth} object, ` +
        `received ${input.coverage.length}.`,
    );
  }
  const { phase } = toFieldImages(input.object, objectWidth, objectHeight, input.coverage);
  const range = valueRange(phase, coverageMask(input.coverage));
  // The same choice as the on-screen view: cyclic only when the range covers about a whole cycle.
  const colormap = phaseColormapFor(range[0], range[1]);
  const imagePixels = toRgba(phase, colormap, range[0], range[1]);

  const width = Math.max(objectWidth, MIN_FIGURE_WIDTH_PX);
  const barTop = objectHeight + STRIP_GAP_PX;
  const height = barTop + BAR_HEIGHT_PX + LABEL_ROW_PX;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);

  // A narrow object is centred over the colour bar.
  const imageLeft = Math.floor((width - objectWidth) / 2);
  for (let row = 0; row < objectHeight; row += 1) {
    const source = imagePixels.subarray(row * objectWidth * 4, (row + 1) * objectWidth * 4);
    rgba.set(source, (row * width + imageLeft) * 4);
  }

  // Colour bar: each column shows the colour that toRgba gives the value at the column's centre,
  // so the first column gets the first table entry and the last column the last.
  const table = getColormap(colormap);
  const barLeft = BAR_MARGIN_PX;
  const barRight = width - BAR_MARGIN_PX;
  const barSpan = barRight - barLeft;
  for (let x = barLeft; x < barRight; x += 1) {
    const index = Math.min(255, Math.floor(((x - barLeft + 0.5) / barSpan) * 256));
    for (let row = barTop; row < barTop + BAR_HEIGHT_PX; row += 1) {
      const offset = (row * width + x) * 4;
      rgba[offset] = table[index * 3];
      rgba[offset + 1] = table[index * 3 + 1];
      rgba[offset + 2] = table[index * 3 + 2];
    }
  }

  const baseline = height - Math.round((LABEL_ROW_PX - LABEL_FONT_PX) / 2);
  const labels: FigureLabel[] = [
    { text: formatRadians(range[0]), x: barLeft, y: baseline, align: 'left', fontSize_px: LABEL_FONT_PX },
    { text: formatRadians(range[1]), x: barRight, y: baseline, align: 'right', fontSize_px: LABEL_FONT_PX },
  ];

  return {
    width,
    height,
    rgba,
    labels,
    range,
    colormap,
    imageLeft,
    bar: { top: barTop, left: barLeft, right: barRight, height: BAR_HEIGHT_PX },
  };
}
