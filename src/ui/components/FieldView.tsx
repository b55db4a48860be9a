import { useEffect, useRef } from 'react';

import type { ColormapName } from '../../view/colormaps';
import { getColormap, resolveColormap } from '../../view/colormaps';
import { toRgba, valueRange, type RealImage } from '../../view/fieldImages';

interface Props {
  title: string;
  image: RealImage;
  /** 'phase' draws with the cyclic map only when the range spans about 2π; see resolveColormap. */
  colormap: ColormapName;
  /** Unit shown on the colour bar, e.g. "rad". */
  unit: string;
  /** Fixed colour range; when absent, the range of the pixels where `mask` > 0. */
  range?: [number, number];
  mask?: Float32Array;
  /** On-screen width of the image in CSS pixels. */
  displayWidth_px?: number;
  /** Length of the scale bar in image pixels (0 hides it). */
  scaleBar_px?: number;
  testId?: string;
}

/** Formats a colour-bar end; a value below 1e-6 of the bar's larger end is rounding noise and shows as 0. */
function formatTick(value: number, barScale: number): string {
  if (value === 0 || Math.abs(value) < 1e-6 * barScale) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1000 || magnitude < 0.01 ? value.toExponential(1) : value.toFixed(2);
}

/** Side of the squares of the checkerboard drawn under invalid (non-finite) pixels, in CSS pixels. */
const CHECKER_PX = 6;

/**
 * Draws a real image through a colour map, with its colour bar (in `unit`) and a scale bar in pixels.
 * Non-finite pixels are invalid and show a grey checkerboard.
 */
export function FieldView({
  title,
  image,
  colormap,
  unit,
  range,
  mask,
  displayWidth_px = 340,
  scaleBar_px = 0,
  testId,
}: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const barRef = useRef<HTMLCanvasElement>(null);
  const [low, high] = range ?? valueRange(image, mask);
  const drawnColormap = resolveColormap(colormap, low, high);
  const displayHeight_px = Math.round((displayWidth_px * image.height) / image.width);

  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    const pixels = toRgba(image, drawnColormap, low, high);
    const source = new OffscreenCanvas(image.width, image.height);
    source.getContext('2d')!.putImageData(new ImageData(pixels, image.width, image.height), 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    for (let y = 0; y < canvas.height; y += CHECKER_PX) {
      for (let x = 0; x < canvas.width; x += CHECKER_PX) {
        context.fillStyle = (x / CHECKER_PX + y / CHECKER_PX) % 2 === 0 ? '#b8b8b8' : '#d8d8d8';
        context.fillRect(x, y, CHECKER_PX, CHECKER_PX);
      }
    }
    context.imageSmoothingEnabled = image.width < displayWidth_px;
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    if (scaleBar_px > 0) {
      const length = (scaleBar_px / image.width) * canvas.width;
      const y = canvas.height - 14;
      context.fillStyle = 'rgba(0, 0, 0, 0.55)';
      context.fillRect(8, y - 16, length + 8, 26);
      context.fillStyle = '#fff';
      context.fillRect(12, y, length, 4);
      context.font = '11px system-ui, sans-serif';
      context.fillText(`${scaleBar_px} px`, 12, y - 4);
    }
  }, [image, drawnColormap, low, high, displayWidth_px, scaleBar_px]);

  useEffect(() => {
    const bar = barRef.current;
    const context = bar?.getContext('2d');
    if (!bar || !context) return;
    const table = getColormap(drawnColormap);
    for (let x = 0; x < bar.width; x += 1) {
      const index = Math.min(255, Math.floor((x / bar.width) * 256));
      context.fillStyle = `rgb(${table[index * 3]}, ${table[index * 3 + 1]}, ${table[index * 3 + 2]})`;
      context.fillRect(x, 0, 1, bar.height);
    }
  }, [drawnColormap]);

  return (
    <figure className="field-view" data-testid={testId} data-colormap={drawnColormap}>
      <figcaption>{title}</figcaption>
      <canvas
        ref={canvasRef}
        width={displayWidth_px}
        height={displayHeight_px}
        role="img"
        aria-label={`${title}, ${image.width}×${image.height} pixels`}
      />
      <div className="colour-bar">
        <span>{formatTick(low, Math.max(Math.abs(low), Math.abs(high)))}</span>
        <canvas ref={barRef} width={200} height={10} aria-hidden="true" />
        <span>
          {formatTick(high, Math.max(Math.abs(low), Math.abs(high)))} {unit}
        </span>
      </div>
    </figure>
  );
}
