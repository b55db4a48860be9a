/**
 * Resolution without ground truth: reconstruct two halves of the scan independently and compare
 * them. The Fourier ring correlation of the two objects against the ½-bit threshold estimates the
 * resolution the data support (van Heel and Schatz, J. Struct. Biol. 151, 250 (2005)).
 */
import type { ReconstructionSnapshot } from '../worker/protocol';
import { compareReconstructions, type ReconstructionComparison } from './index';

/** Pixels where both halves' probe coverage reaches this fraction of its maximum are compared. */
const HALF_COVERAGE_FRACTION = 0.3;

type HalfSnapshot = Pick<ReconstructionSnapshot, 'object' | 'objectHeight' | 'objectWidth' | 'coverage' | 'originY_px' | 'originX_px'>;

/** Splits pattern indices 0 … count − 1 into even and odd positions in acquisition order. */
export function splitHalves(count: number): [number[], number[]] {
  const even: number[] = [];
  const odd: number[] = [];
  for (let i = 0; i < count; i += 1) (i % 2 === 0 ? even : odd).push(i);
  return [even, odd];
}

/**
 * Copies a half's object and coverage into a frame whose pixel (0, 0) sits at dataset coordinates
 * (originY_px, originX_px). Pixels the half does not cover stay 0.
 */
function placeInFrame(half: HalfSnapshot, originY_px: number, originX_px: number, height: number, width: number) {
  const object = new Float32Array(height * width * 2);
  const coverage = new Float32Array(height * width);
  const rowOffset = Math.round(half.originY_px - originY_px);
  const colOffset = Math.round(half.originX_px - originX_px);
  for (let row = 0; row < half.objectHeight; row += 1) {
    const targetRow = row + rowOffset;
    if (targetRow < 0 || targetRow >= height) continue;
    for (let col = 0; col < half.objectWidth; col += 1) {
      const targetCol = col + colOffset;
      if (targetCol < 0 || targetCol >= width) continue;
      const source = row * half.objectWidth + col;
      const target = targetRow * width + targetCol;
      object[2 * target] = half.object[2 * source];
      object[2 * target + 1] = half.object[2 * source + 1];
      coverage[target] = half.coverage[source];
    }
  }
  return { object, coverage };
}

/** Puts both halves on one frame and compares them where both saw the object well. */
export function compareHalves(first: HalfSnapshot, second: HalfSnapshot): ReconstructionComparison {
  const originY_px = Math.min(first.originY_px, second.originY_px);
  const originX_px = Math.min(first.originX_px, second.originX_px);
  const height = Math.ceil(Math.max(first.originY_px + first.objectHeight, second.originY_px + second.objectHeight) - originY_px);
  const width = Math.ceil(Math.max(first.originX_px + first.objectWidth, second.originX_px + second.objectWidth) - originX_px);
  const a = placeInFrame(first, originY_px, originX_px, height, width);
  const b = placeInFrame(second, originY_px, originX_px, height, width);

  let maxA = 0;
  let maxB = 0;
  for (let i = 0; i < height * width; i += 1) {
    maxA = Math.max(maxA, a.coverage[i]);
    maxB = Math.max(maxB, b.coverage[i]);
  }
  const region = new Uint8Array(height * width);
  for (let i = 0; i < region.length; i += 1) {
    region[i] = a.coverage[i] >= HALF_COVERAGE_FRACTION * maxA && b.coverage[i] >= HALF_COVERAGE_FRACTION * maxB ? 1 : 0;
  }
  return compareReconstructions({ data: a.object, height, width }, { data: b.object, height, width }, { region });
}
