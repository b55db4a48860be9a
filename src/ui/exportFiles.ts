/**
 * Files the user can save from a reconstruction: the object and probe as .npy/.npz, a Ptychodus
 * product (.h5 or .npz), and the phase and amplitude images as PNG. The .npz key names follow
 * PtychoPINN's convention (`objectGuess`, `probeGuess`, `xcoords`, `ycoords`) so the result opens
 * in tools that read that format.
 */
import type { ScanDataset } from '../data/dataset';
import { createNpyArray, writeNpy } from '../data/npy';
import { writeNpz } from '../data/npz';
import type { CxiGeometry } from '../data/readers/readResult';
import { toPtychodusProduct, writePtychodusProductH5, writePtychodusProductNpz } from '../data/writers/ptychodusProduct';
import { cropProbeToPatternSize } from '../solvers/pie/farField';
import { composeAmplitudeFigure } from '../view/amplitudeFigure';
import { composePhaseFigure, type PhaseFigure } from '../view/phaseFigure';
import type { ReconstructionSnapshot } from '../worker/protocol';

/** Encodes the object as a complex64 .npy of shape (height, width). */
export function objectNpy(snapshot: ReconstructionSnapshot): Uint8Array {
  return writeNpy(createNpyArray('complex64', [snapshot.objectHeight, snapshot.objectWidth], snapshot.object));
}

/**
 * Returns √counts of every pattern with the zero frequency moved to the centre, [M, N, N]: the
 * `diffraction` array of PtychoPINN's NPZ layout.
 */
function centredAmplitudes(dataset: ScanDataset): Float32Array {
  const n = dataset.patternSize;
  const half = n / 2;
  const pixels = n * n;
  const amplitudes = new Float32Array(dataset.patternCount * pixels);
  for (let pattern = 0; pattern < dataset.patternCount; pattern += 1) {
    const offset = pattern * pixels;
    for (let row = 0; row < n; row += 1) {
      const targetRow = (row + half) % n;
      for (let col = 0; col < n; col += 1) {
        const count = dataset.intensities[offset + row * n + col];
        amplitudes[offset + targetRow * n + ((col + half) % n)] = Math.sqrt(Math.max(count, 0));
      }
    }
  }
  return amplitudes;
}

/**
 * The scan and its reconstruction as one compressed .npz in PtychoPINN's layout, so the file opens
 * again here or in PtychoPINN as a dataset with its object: `diffraction` (√counts, centred, as
 * PtychoPINN stores it), the object, the main probe mode as `probeGuess` (N, N) and all modes as
 * `probeModes` (K, M, M) in decreasing order of power, window centres on the object array
 * (`xcoords` = column) and the Fourier error history. M is N, or 2N after a run with far-field
 * upsampling 2, whose `probeGuess` is then the centre of the main mode without its phase ramp.
 *
 * NOTE: a reader that guesses counts or amplitudes from the values, as ours does, reads a scan
 * whose counts are all perfect squares as counts. Our reader's notice states which it assumed.
 */
export function reconstructionNpz(snapshot: ReconstructionSnapshot, dataset: ScanDataset, fourierErrors: number[]): Uint8Array {
  const n = dataset.patternSize;
  const half = n / 2;
  const xcoords = new Float64Array(dataset.patternCount);
  const ycoords = new Float64Array(dataset.patternCount);
  for (let i = 0; i < dataset.patternCount; i += 1) {
    xcoords[i] = dataset.positionX_px[i] - snapshot.originX_px + half;
    ycoords[i] = dataset.positionY_px[i] - snapshot.originY_px + half;
  }
  return writeNpz({
    diffraction: createNpyArray('float32', [dataset.patternCount, n, n], centredAmplitudes(dataset)),
    objectGuess: createNpyArray('complex64', [snapshot.objectHeight, snapshot.objectWidth], snapshot.object),
    probeGuess: createNpyArray('complex64', [n, n], patternSizedProbe(snapshot, n)),
    probeModes: createNpyArray(
      'complex64',
      [snapshot.probeModeCount, snapshot.probeSize, snapshot.probeSize],
      snapshot.probeModes,
    ),
    xcoords: createNpyArray('float64', [dataset.patternCount], xcoords),
    ycoords: createNpyArray('float64', [dataset.patternCount], ycoords),
    fourier_error: createNpyArray('float64', [fourierErrors.length], Float64Array.from(fourierErrors)),
  });
}

/**
 * Returns the main probe mode at the pattern size N, as the `probeGuess` of a dataset must be. After
 * a run with far-field upsampling the probe is cropped to its centre and its phase ramp removed.
 */
function patternSizedProbe(snapshot: ReconstructionSnapshot, n: number): Float32Array {
  return snapshot.probeSize === n ? snapshot.probe : cropProbeToPatternSize(snapshot.probe, snapshot.probeSize, n);
}

/**
 * Encodes the object phase as PNG at one image pixel per object pixel, with the phase view's colour
 * map and range and a colour bar labelled in rad below it.
 */
export async function phasePng(snapshot: ReconstructionSnapshot): Promise<Blob> {
  return figurePng(composePhaseFigure(snapshot), 'phase');
}

/**
 * Encodes the object amplitude as PNG at one image pixel per object pixel, with the amplitude
 * view's grey map and range and a labelled colour bar below it, laid out like the phase PNG.
 */
export async function amplitudePng(snapshot: ReconstructionSnapshot): Promise<Blob> {
  return figurePng(composeAmplitudeFigure(snapshot), 'amplitude');
}

/**
 * Writes the reconstruction as a Ptychodus HDF5 product. Lengths are in metres when `geometry`
 * is given and in object pixels, with pixel sizes 1, when it is null.
 */
export async function ptychodusProductH5(
  snapshot: ReconstructionSnapshot,
  dataset: ScanDataset,
  fourierErrors: number[],
  geometry: CxiGeometry | null,
): Promise<Uint8Array> {
  return writePtychodusProductH5(toPtychodusProduct({ snapshot, dataset, fourierErrors, geometry }));
}

/** Writes the reconstruction as a Ptychodus NPZ product, with the lengths of ptychodusProductH5. */
export function ptychodusProductNpz(
  snapshot: ReconstructionSnapshot,
  dataset: ScanDataset,
  fourierErrors: number[],
  geometry: CxiGeometry | null,
): Uint8Array {
  return writePtychodusProductNpz(toPtychodusProduct({ snapshot, dataset, fourierErrors, geometry }));
}

async function figurePng(figure: PhaseFigure, role: string): Promise<Blob> {
  const canvas = new OffscreenCanvas(figure.width, figure.height);
  const context = canvas.getContext('2d');
  if (!context) {
    throw new Error(
      `Failed to get a 2D context for a ${figure.width}×${figure.height} OffscreenCanvas to draw the ${role} PNG. ` +
        'The image may exceed the canvas size limit of this browser.',
    );
  }
  context.putImageData(new ImageData(figure.rgba, figure.width, figure.height), 0, 0);
  context.fillStyle = '#000';
  for (const label of figure.labels) {
    context.font = `${label.fontSize_px}px system-ui, sans-serif`;
    context.textAlign = label.align;
    context.fillText(label.text, label.x, label.y);
  }
  return canvas.convertToBlob({ type: 'image/png' });
}

/** Starts a download of `bytes` under `fileName`, entirely in the page. */
export function saveBytes(bytes: Uint8Array | Blob, fileName: string, type = 'application/octet-stream'): void {
  const blob = bytes instanceof Blob ? bytes : new Blob([bytes as Uint8Array<ArrayBuffer>], { type });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
