/**
 * Composes the amplitude image that is saved as PNG: the object amplitude at one image pixel per
 * object pixel, in the grey map of the on-screen amplitude view, above a labelled colour bar.
 * It takes its layout from composePhaseFigure, so the amplitude and phase PNGs of one object
 * have the same size, image position and colour-bar place.
 */
import { getColormap } from './colormaps';
import { toFieldImages, toRgba, valueRange } from './fieldImages';
import { composePhaseFigure, coverageMask, type PhaseFigure, type PhaseFigureInput } from './phaseFigure';

/** The same layout as the phase figure, with `range` holding the amplitude at the bar's two ends. */
export type AmplitudeFigure = PhaseFigure;

/** Formats an amplitude (a unitless transmission factor) with three significant digits. */
function formatAmplitude(value: number): string {
  return value.toPrecision(3);
}

/**
 * Renders the object amplitude, with its grey range taken over the well-covered pixels as the
 * amplitude view does, into a figure with a colour bar below.
 */
export function composeAmplitudeFigure(input: PhaseFigureInput): AmplitudeFigure {
  // The phase figure checks the input and fixes the layout. Its pixels are then overwritten.
  const layout = composePhaseFigure(input);
  const { objectWidth, objectHeight } = input;
  const { amplitude } = toFieldImages(input.object, objectWidth, objectHeight);
  const range = valueRange(amplitude, coverageMask(input.coverage));
  const imagePixels = toRgba(amplitude, 'gray', range[0], range[1]);

  const { rgba, width, imageLeft, bar } = layout;
  for (let row = 0; row < objectHeight; row += 1) {
    rgba.set(imagePixels.subarray(row * objectWidth * 4, (row + 1) * objectWidth * 4), (row * width + imageLeft) * 4);
  }

  // Each bar column shows the colour that toRgba gives the value at the column's centre.
  const table = getColormap('gray');
  const barSpan = bar.right - bar.left;
  for (let x = bar.left; x < bar.right; x += 1) {
    const index = Math.min(255, Math.floor(((x - bar.left + 0.5) / barSpan) * 256));
    for (let row = bar.top; row < bar.top + bar.height; row += 1) {
      const offset = (row * width + x) * 4;
      rgba[offset] = table[index * 3];
      rgba[offset + 1] = table[index * 3 + 1];
      rgba[offset + 2] = table[index * 3 + 2];
    }
  }

  const labels = layout.labels.map((label, index) => ({ ...label, text: formatAmplitude(range[index]) }));
  return { ...layout, rgba, labels, range };
}
