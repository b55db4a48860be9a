import { useEffect, useRef } from 'react';

import type { ScanDataset } from '../../data/dataset';

interface Props {
  dataset: Pick<ScanDataset, 'patternCount' | 'patternSize' | 'positionX_px' | 'positionY_px'>;
  size_px?: number;
}

/** Scatter plot of the probe window centres, x to the right and y downwards as in the object array. */
export function ScanMap({ dataset, size_px = 220 }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    const half = dataset.patternSize / 2;
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < dataset.patternCount; i += 1) {
      minX = Math.min(minX, dataset.positionX_px[i] + half);
      maxX = Math.max(maxX, dataset.positionX_px[i] + half);
      minY = Math.min(minY, dataset.positionY_px[i] + half);
      maxY = Math.max(maxY, dataset.positionY_px[i] + half);
    }
    const span = Math.max(maxX - minX, maxY - minY, 1);
    const margin = 10;
    const scale = (size_px - 2 * margin) / span;
    context.fillStyle = '#fff';
    context.fillRect(0, 0, size_px, size_px);
    context.fillStyle = '#1f5fa8';
    for (let i = 0; i < dataset.patternCount; i += 1) {
      const x = margin + (dataset.positionX_px[i] + half - minX) * scale;
      const y = margin + (dataset.positionY_px[i] + half - minY) * scale;
      context.fillRect(x - 1, y - 1, 2.5, 2.5);
    }
    context.strokeStyle = '#999';
    context.strokeRect(0.5, 0.5, size_px - 1, size_px - 1);
  }, [dataset, size_px]);

  return (
    <canvas
      ref={canvasRef}
      width={size_px}
      height={size_px}
      role="img"
      aria-label={`Scan positions: ${dataset.patternCount} probe window centres`}
    />
  );
}
