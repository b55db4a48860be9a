import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DATA_FIXTURE_DIR } from '../../test/fixtures/dataFixtures';
import { DataFormatError } from './errors';
import { createNpyArray, type NpyArray } from './npy';
import { readNpz } from './npz';
import {
  bundledSiemensStarUrl,
  loadBundledSiemensStar,
  localFileProvenance,
  readSiemensStarNpz,
  SIEMENS_STAR_PROVENANCE,
  siemensStarToScanDataset,
} from './siemensStar';
import { validateScanDataset } from './validate';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const BUNDLED_PATH = resolve(REPO_ROOT, 'public/data/siemens-star.npz');
const ORIGINAL_PATH = resolve(REPO_ROOT, '../shared/data/siemens-star/siemens-star-tike.npz');
const REFERENCE_PATH = resolve(DATA_FIXTURE_DIR, 'siemens-star-reference.json');

interface NumpyReference {
  patternCount: number;
  patternSize: number;
  maxCount: number;
  totalCount: number;
  firstPositionsRowColumn: number[][];
  lastPositionRowColumn: number[];
  firstPattern00: number;
  probe00: number[];
}

/** Counts positions where the float32 bit patterns differ, or returns -1 when the lengths differ. */
function countBitDifferences(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -1;
  const aBits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bBits = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let differences = 0;
  for (let i = 0; i < aBits.length; i++) {
    if (aBits[i] !== bBits[i]) differences++;
  }
  return differences;
}

describe('bundled Siemens-star scan', () => {
  const dataset = readSiemensStarNpz(new Uint8Array(readFileSync(BUNDLED_PATH)), 'siemens-star.npz', SIEMENS_STAR_PROVENANCE);

  it('has 516 patterns of 128×128', () => {
    expect(dataset.patternCount).toBe(516);
    expect(dataset.patternSize).toBe(128);
    expect(dataset.intensities.length).toBe(516 * 128 * 128);
    expect(dataset.positionX_px.length).toBe(516);
    expect(dataset.positionY_px.length).toBe(516);
    expect(dataset.probe?.length).toBe(128 * 128 * 2);
  });

  it('has a maximum count of 963', () => {
    let max = 0;
    for (const value of dataset.intensities) max = Math.max(max, value);
    expect(max).toBe(963);
  });

  it('passes validation without issues', () => {
    expect(validateScanDataset(dataset)).toEqual({ errors: [], warnings: [] });
  });

  it('names its source and licence', () => {
    expect(dataset.name).toBe('siemens-star.npz');
    expect(dataset.provenance).toBe(SIEMENS_STAR_PROVENANCE);
    expect(dataset.provenance).toContain('LICENSE-tike.txt');
  });

  it.skipIf(!existsSync(REFERENCE_PATH))('matches what NumPy read from the original file', () => {
    const reference: NumpyReference = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8'));
    expect(dataset.patternCount).toBe(reference.patternCount);
    expect(dataset.patternSize).toBe(reference.patternSize);

    // tike stores (row, column): the first column is y and the second x.
    reference.firstPositionsRowColumn.forEach(([row, column], index) => {
      expect(dataset.positionY_px[index]).toBe(row);
      expect(dataset.positionX_px[index]).toBe(column);
    });
    expect(dataset.positionY_px[515]).toBe(reference.lastPositionRowColumn[0]);
    expect(dataset.positionX_px[515]).toBe(reference.lastPositionRowColumn[1]);

    let total = 0;
    for (const value of dataset.intensities) total += value;
    expect(total).toBe(reference.totalCount);
    expect(dataset.intensities[0]).toBe(reference.firstPattern00);
    expect(dataset.probe![0]).toBe(Math.fround(reference.probe00[0]));
    expect(dataset.probe![1]).toBe(Math.fround(reference.probe00[1]));
  });

  it.skipIf(!existsSync(ORIGINAL_PATH))('equals the original float32 file value for value', () => {
    const original = readSiemensStarNpz(new Uint8Array(readFileSync(ORIGINAL_PATH)), 'siemens-star-tike.npz');
    expect(readNpz(readFileSync(ORIGINAL_PATH), 'siemens-star-tike.npz').get('data')?.dtype).toBe('float32');
    expect(readNpz(readFileSync(BUNDLED_PATH), 'siemens-star.npz').get('data')?.dtype).toBe('uint16');
    expect(countBitDifferences(dataset.intensities, original.intensities)).toBe(0);
    expect(countBitDifferences(dataset.positionX_px, original.positionX_px)).toBe(0);
    expect(countBitDifferences(dataset.positionY_px, original.positionY_px)).toBe(0);
    expect(countBitDifferences(dataset.probe!, original.probe!)).toBe(0);
  });
});

describe('loadBundledSiemensStar', () => {
  it('fetches the file from the base URL', async () => {
    const requested: string[] = [];
    const fakeFetch = (async (url: string) => {
      requested.push(url);
      return new Response(readFileSync(BUNDLED_PATH));
    }) as unknown as typeof fetch;
    const dataset = await loadBundledSiemensStar(fakeFetch);
    expect(requested).toEqual([bundledSiemensStarUrl()]);
    expect(dataset.patternCount).toBe(516);
  });

  it('labels the scan with the tike source', async () => {
    const fakeFetch = (async () => new Response(readFileSync(BUNDLED_PATH))) as unknown as typeof fetch;
    const dataset = await loadBundledSiemensStar(fakeFetch);
    expect(dataset.provenance).toBe(SIEMENS_STAR_PROVENANCE);
  });

  it('reports a failed download with the URL and status', async () => {
    const fakeFetch = (async () => new Response('missing', { status: 404, statusText: 'Not Found' })) as unknown as typeof fetch;
    await expect(loadBundledSiemensStar(fakeFetch)).rejects.toThrow(/data\/siemens-star\.npz returned HTTP 404 Not Found/);
  });

  it('builds the URL under a base path', () => {
    expect(bundledSiemensStarUrl('/app')).toBe('/app/data/siemens-star.npz');
    expect(bundledSiemensStarUrl('/')).toBe('/data/siemens-star.npz');
  });
});

describe('readSiemensStarNpz provenance', () => {
  const bundledBytes = new Uint8Array(readFileSync(BUNDLED_PATH));
  const userDataset = readSiemensStarNpz(bundledBytes, 'my-scan.npz');

  it('labels a user file as local', () => {
    expect(userDataset.name).toBe('my-scan.npz');
    expect(userDataset.provenance).toBe('Opened from my-scan.npz on this machine. The file was not uploaded.');
  });

  it('does not claim the tike source for a user file', () => {
    expect(userDataset.provenance).not.toContain('tike');
    expect(userDataset.provenance).not.toContain('UChicago Argonne');
  });

  it('uses an explicit provenance', () => {
    const dataset = readSiemensStarNpz(bundledBytes, 'scan.npz', 'Beamtime 42, sample B');
    expect(dataset.provenance).toBe('Beamtime 42, sample B');
  });
});

describe('siemensStarToScanDataset shape checks', () => {
  const m = 3;
  const n = 4;

  function validArrays(): Map<string, NpyArray> {
    const counts = new Uint16Array(m * n * n).map((_, index) => index % 7);
    const scan = new Float32Array([10, 20, 11, 21, 12, 22]);
    const probe = new Float32Array(2 * n * n).fill(0.5);
    return new Map<string, NpyArray>([
      ['data', createNpyArray('uint16', [1, m, n, n], counts)],
      ['scan', createNpyArray('float32', [1, m, 2], scan)],
      ['probe', createNpyArray('complex64', [1, 1, 1, 1, n, n], probe)],
    ]);
  }

  function conversionError(arrays: Map<string, NpyArray>): DataFormatError {
    try {
      siemensStarToScanDataset(arrays, 'scan.npz');
    } catch (error) {
      expect(error).toBeInstanceOf(DataFormatError);
      return error as DataFormatError;
    }
    throw new Error('conversion did not throw');
  }

  it('splits scan rows into y and x', () => {
    const dataset = siemensStarToScanDataset(validArrays(), 'scan.npz');
    expect(Array.from(dataset.positionY_px)).toEqual([10, 11, 12]);
    expect(Array.from(dataset.positionX_px)).toEqual([20, 21, 22]);
    expect(dataset.intensities[8]).toBe(1);
  });

  it('defaults to local-file provenance', () => {
    const dataset = siemensStarToScanDataset(validArrays(), 'scan.npz');
    expect(dataset.provenance).toBe(localFileProvenance('scan.npz'));
    expect(dataset.provenance).toContain('scan.npz');
    expect(dataset.provenance).not.toBe(SIEMENS_STAR_PROVENANCE);
  });

  it('passes an explicit provenance through', () => {
    const dataset = siemensStarToScanDataset(validArrays(), 'scan.npz', SIEMENS_STAR_PROVENANCE);
    expect(dataset.provenance).toBe(SIEMENS_STAR_PROVENANCE);
  });

  it('rejects non-square patterns', () => {
    const arrays = validArrays();
    arrays.set('data', createNpyArray('float32', [1, m, n, 2 * n], new Float32Array(m * n * 2 * n)));
    const error = conversionError(arrays);
    expect(error.entry).toBe('data.npy');
    expect(error.message).toContain('scan.npz (entry data.npy): the data array has the wrong shape');
    expect(error.message).toContain('Expected shape (1, M, N, N)');
    expect(error.message).toContain('Received shape (1, 3, 4, 8) of float32');
  });

  it('rejects data without the leading batch axis', () => {
    const arrays = validArrays();
    arrays.set('data', createNpyArray('float32', [m, n, n], new Float32Array(m * n * n)));
    expect(conversionError(arrays).message).toContain('Received shape (3, 4, 4)');
  });

  it('rejects a scan with the wrong position count', () => {
    const arrays = validArrays();
    arrays.set('scan', createNpyArray('float32', [1, m + 1, 2], new Float32Array(2 * (m + 1))));
    const error = conversionError(arrays);
    expect(error.message).toContain('scan.npz (entry scan.npy)');
    expect(error.message).toContain('Expected shape (1, 3, 2)');
    expect(error.message).toContain('Received shape (1, 4, 2)');
  });

  it('rejects a probe of another size', () => {
    const arrays = validArrays();
    arrays.set('probe', createNpyArray('complex64', [1, 1, 1, 1, 8, 8], new Float32Array(128)));
    const error = conversionError(arrays);
    expect(error.message).toContain('(entry probe.npy)');
    expect(error.message).toContain('Expected shape (1, 1, 1, 1, 4, 4)');
    expect(error.message).toContain('Received shape (1, 1, 1, 1, 8, 8) of complex64');
  });

  it('rejects a real probe', () => {
    const arrays = validArrays();
    arrays.set('probe', createNpyArray('float32', [1, 1, 1, 1, n, n], new Float32Array(n * n)));
    expect(conversionError(arrays).message).toContain('the probe array is not complex');
  });

  it('rejects complex data', () => {
    const arrays = validArrays();
    arrays.set('data', createNpyArray('complex64', [1, m, n, n], new Float32Array(2 * m * n * n)));
    expect(conversionError(arrays).message).toContain('Received dtype complex64');
  });

  it('names the missing array and the ones present', () => {
    const arrays = validArrays();
    arrays.delete('probe');
    const error = conversionError(arrays);
    expect(error.message).toContain('the array "probe" is missing');
    expect(error.message).toContain('Received the arrays "data", "scan"');
  });
});
