/**
 * Test helpers for the scan readers: the files in test/fixtures/readers/ and the values that
 * make_reader_fixtures.py computed for them with NumPy.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { expect } from 'vitest';

import { DataFormatError } from '../errors';

export const READER_FIXTURE_DIR = resolve(import.meta.dirname, '../../../test/fixtures/readers');

/** The values a reader must return for one fixture, as make_reader_fixtures.py recorded them. */
export interface ExpectedDataset {
  patternCount: number;
  patternSize: number;
  intensities: number[];
  positionX_px: number[];
  positionY_px: number[];
  probe: number[] | null;
  assumed?: 'counts' | 'amplitude';
  objectGuess?: { height: number; width: number; values: number[] };
  zeroFrequencyRow_px?: number;
  zeroFrequencyColumn_px?: number;
  startX_px?: number[];
  startY_px?: number[];
  objectPixelSize_m?: number;
  geometry?: Record<string, number>;
  validPixels?: number[];
  /** Stored values, C order, where a test feeds them to a helper directly. */
  input?: number[];
}

export const expectedReaders: Record<string, ExpectedDataset> = JSON.parse(
  readFileSync(join(READER_FIXTURE_DIR, 'expected.json'), 'utf8'),
);

export function readReaderFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(READER_FIXTURE_DIR, name)));
}

/** Returns the largest |actual − expected| / max(|expected|, floor), or Infinity on a length mismatch. */
export function maxRelativeError(actual: ArrayLike<number>, expected: readonly number[], floor = 1): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let index = 0; index < expected.length; index++) {
    const error = Math.abs(actual[index] - expected[index]) / Math.max(Math.abs(expected[index]), floor);
    worst = Math.max(worst, Number.isNaN(error) ? Infinity : error);
  }
  return worst;
}

/** Runs `action`, expects a DataFormatError, and returns it for further checks. */
export async function captureDataFormatError(action: () => unknown): Promise<DataFormatError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(DataFormatError);
    return error as DataFormatError;
  }
  throw new Error('Expected a DataFormatError, but the call succeeded.');
}
