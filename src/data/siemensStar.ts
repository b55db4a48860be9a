/**
 * The bundled sample scan: an experimental X-ray ptychography scan of a Siemens star from the
 * tike project, shipped as public/data/siemens-star.npz in tike's array layout.
 *
 * tike's layout, which this module converts to the ScanDataset conventions:
 * - `data` (1, M, N, N): photon counts, zero frequency already at [0, 0], so no shift is needed.
 * - `scan` (1, M, 2): top-left corner of each probe window in object pixels, as (row, column).
 * - `probe` (1, 1, 1, 1, N, N) complex: tike's probe estimate, not on the data's photon scale.
 */
import type { ScanDataset } from './dataset';
import { DataFormatError } from './errors';
import { formatShape, isComplexDtype, toFloat32Array, type NpyArray } from './npy';
import { readNpz } from './npz';

export const SIEMENS_STAR_FILE_NAME = 'siemens-star.npz';

export const SIEMENS_STAR_PROVENANCE =
  'Experimental X-ray ptychography scan of a Siemens star from the tike project ' +
  '(github.com/AdvancedPhotonSource/tike, tests/data/siemens-star-small.npz.bz2), ' +
  'with the counts stored as uint16 instead of float32. Copyright 2018 UChicago Argonne, LLC, ' +
  'BSD-style licence: see data/LICENSE-tike.txt.';

/** Returns the provenance of a scan the user opened from a local file, which stays in the browser. */
export function localFileProvenance(fileName: string): string {
  return `Opened from ${fileName} on this machine. The file was not uploaded.`;
}

/** Returns the URL of the bundled scan under the app's base path, such as /data/siemens-star.npz. */
export function bundledSiemensStarUrl(baseUrl: string = import.meta.env.BASE_URL): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return `${base}data/${SIEMENS_STAR_FILE_NAME}`;
}

/** Downloads and converts the bundled scan. Rejects with an Error when the download fails. */
export async function loadBundledSiemensStar(fetchFile: typeof fetch = fetch): Promise<ScanDataset> {
  const url = bundledSiemensStarUrl();
  const response = await fetchFile(url);
  if (!response.ok) {
    throw new Error(
      `Loading the bundled scan failed: GET ${url} returned HTTP ${response.status} ${response.statusText}. ` +
        'Check that public/data/siemens-star.npz is deployed with the app.',
    );
  }
  return readSiemensStarNpz(await response.arrayBuffer(), SIEMENS_STAR_FILE_NAME, SIEMENS_STAR_PROVENANCE);
}

/**
 * Reads an .npz in tike's layout and converts it to a ScanDataset. The provenance defaults to
 * that of a local file, so only the bundled loader labels a dataset with the tike source.
 */
export function readSiemensStarNpz(
  source: ArrayBuffer | Uint8Array,
  fileName: string,
  provenance: string = localFileProvenance(fileName),
): ScanDataset {
  return siemensStarToScanDataset(readNpz(source, fileName), fileName, provenance);
}

/**
 * Converts the `data`, `scan` and `probe` arrays of a scan in tike's layout to a ScanDataset.
 * Throws DataFormatError, with the expected and received shapes, when an array is missing or
 * does not fit that layout. The provenance defaults to that of a local file.
 */
export function siemensStarToScanDataset(
  arrays: Map<string, NpyArray>,
  fileName: string,
  provenance: string = localFileProvenance(fileName),
): ScanDataset {
  const data = requireArray(arrays, 'data', fileName);
  const scan = requireArray(arrays, 'scan', fileName);
  const probe = requireArray(arrays, 'probe', fileName);

  const dataShape = data.shape;
  const dataFits =
    dataShape.length === 4 && dataShape[0] === 1 && dataShape[1] > 0 && dataShape[2] > 0 && dataShape[2] === dataShape[3];
  if (!dataFits) {
    throw shapeError(fileName, 'data', data, '(1, M, N, N): one batch of M square N×N diffraction patterns');
  }
  requireReal(data, 'data', fileName);
  const patternCount = dataShape[1];
  const patternSize = dataShape[2];

  const scanShape = scan.shape;
  if (scanShape.length !== 3 || scanShape[0] !== 1 || scanShape[1] !== patternCount || scanShape[2] !== 2) {
    throw shapeError(fileName, 'scan', scan, `(1, ${patternCount}, 2): one (row, column) position per pattern`);
  }
  requireReal(scan, 'scan', fileName);

  const probeShape = probe.shape;
  const probeExpected = [1, 1, 1, 1, patternSize, patternSize];
  const probeFits = probeShape.length === 6 && probeShape.every((size, axis) => size === probeExpected[axis]);
  if (!probeFits) {
    throw shapeError(fileName, 'probe', probe, `${formatShape(probeExpected)}: one ${patternSize}×${patternSize} probe mode`);
  }
  if (!isComplexDtype(probe.dtype)) {
    throw new DataFormatError({
      file: fileName,
      entry: 'probe.npy',
      problem: 'the probe array is not complex',
      rule: 'The probe must be complex64 or complex128',
      received: `dtype ${probe.dtype}`,
      action: 'Save the probe as a complex array, for example with probe.astype(np.complex64)',
    });
  }

  const positions = toFloat32Array(scan);
  const positionY_px = new Float32Array(patternCount);
  const positionX_px = new Float32Array(patternCount);
  for (let index = 0; index < patternCount; index++) {
    positionY_px[index] = positions[2 * index];
    positionX_px[index] = positions[2 * index + 1];
  }

  return {
    name: fileName,
    patternCount,
    patternSize,
    intensities: toFloat32Array(data),
    positionX_px,
    positionY_px,
    probe: toFloat32Array(probe),
    provenance,
  };
}

function requireArray(arrays: Map<string, NpyArray>, key: string, fileName: string): NpyArray {
  const array = arrays.get(key);
  if (array === undefined) {
    const present = [...arrays.keys()].map((name) => JSON.stringify(name)).join(', ') || 'none';
    throw new DataFormatError({
      file: fileName,
      entry: `${key}.npy`,
      problem: `the array ${JSON.stringify(key)} is missing`,
      rule: "A scan in tike's layout has the arrays \"data\", \"scan\" and \"probe\"",
      received: `the arrays ${present}`,
      action: 'Choose an .npz file with those arrays',
    });
  }
  return array;
}

function requireReal(array: NpyArray, key: string, fileName: string): void {
  if (isComplexDtype(array.dtype) || array.dtype === 'bool') {
    throw new DataFormatError({
      file: fileName,
      entry: `${key}.npy`,
      problem: `the ${key} array has the wrong dtype`,
      rule: 'It must be a real integer or float array',
      received: `dtype ${array.dtype}`,
      action: 'Convert it in NumPy, for example with arr.astype(np.float32), and save it again',
    });
  }
}

function shapeError(fileName: string, key: string, array: NpyArray, expected: string): DataFormatError {
  return new DataFormatError({
    file: fileName,
    entry: `${key}.npy`,
    problem: `the ${key} array has the wrong shape`,
    rule: `Expected shape ${expected}`,
    received: `shape ${formatShape(array.shape)} of ${array.dtype}`,
    action: "Check that the file is a scan in tike's layout, with arrays data, scan and probe",
  });
}
