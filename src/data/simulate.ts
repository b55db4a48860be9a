/**
 * Simulated ptychography scans with a known object, for tests and demonstrations.
 *
 * The object is a Siemens star in phase and amplitude, the probe a soft disk with a quadratic
 * (defocus-like) phase, the scan a raster with seeded jitter. Intensities follow the same forward
 * model as the solvers, |FFT2(P·O_j)|² with a unitary FFT and zero frequency at [0, 0], optionally
 * with Poisson noise. It runs on the active TensorFlow.js backend.
 */
import * as tf from '@tensorflow/tfjs';

import { complexMultiply, extractPatches, fft2 } from '../engine/ops';
import { gaussianSample, poissonSample, seededRandom } from '../util/random';
import type { ScanDataset } from './dataset';

export interface SimulationOptions {
  /** Side N of the square patterns; a power of two. */
  patternSize: number;
  /** Scan points per row and per column of the raster. */
  gridSize: number;
  /** Distance between neighbouring raster points, in object pixels. */
  step_px: number;
  /** Standard deviation of the random offset added to each raster point, in object pixels. */
  jitter_px: number;
  /** Peak phase shift of the star's spokes, in radians. */
  phaseContrast_rad: number;
  /** Mean photon count per pattern; 0 gives noise-free intensities on the probe's own scale. */
  photonsPerPattern: number;
  seed: number;
}

export const defaultSimulationOptions: SimulationOptions = {
  patternSize: 32,
  gridSize: 8,
  step_px: 8,
  jitter_px: 0.4,
  phaseContrast_rad: 1,
  photonsPerPattern: 1e6,
  seed: 7,
};

export interface SimulatedScan {
  dataset: ScanDataset;
  /** True object [objectHeight, objectWidth, 2], with positions rounded as the solver does. */
  object: Float32Array;
  objectHeight: number;
  objectWidth: number;
  /** True probe [N, N, 2] on the photon scale of the data. */
  probe: Float32Array;
}

/** Builds a Siemens star of 16 spokes with phase `contrast_rad` and amplitude 0.8 on the spokes, 1 between. */
export function siemensStarObject(height: number, width: number, contrast_rad: number): Float32Array {
  const field = new Float32Array(height * width * 2);
  const centreY = (height - 1) / 2;
  const centreX = (width - 1) / 2;
  const radius = 0.45 * Math.min(height, width);
  for (let row = 0; row < height; row += 1) {
    for (let col = 0; col < width; col += 1) {
      const dy = row - centreY;
      const dx = col - centreX;
      const inside = Math.hypot(dy, dx) < radius;
      const spoke = inside && Math.sin(8 * Math.atan2(dy, dx)) > 0;
      const phase = spoke ? contrast_rad : 0;
      const amplitude = spoke ? 0.8 : 1;
      field[2 * (row * width + col)] = amplitude * Math.cos(phase);
      field[2 * (row * width + col) + 1] = amplitude * Math.sin(phase);
    }
  }
  return field;
}

function makeProbe(size: number): Float32Array {
  const probe = new Float32Array(size * size * 2);
  const centre = (size - 1) / 2;
  const radius = size / 4;
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      const r = Math.hypot(row - centre, col - centre);
      const amplitude = 1 / (1 + Math.exp((r - radius) / 1.2));
      const phase = 0.5 * (r / radius) ** 2;
      probe[2 * (row * size + col)] = amplitude * Math.cos(phase);
      probe[2 * (row * size + col) + 1] = amplitude * Math.sin(phase);
    }
  }
  return probe;
}

export async function simulateScan(options: SimulationOptions = defaultSimulationOptions): Promise<SimulatedScan> {
  const { patternSize: size, gridSize, step_px, jitter_px, seed } = options;
  const random = seededRandom(seed);
  const count = gridSize * gridSize;
  const positionX_px = new Float32Array(count);
  const positionY_px = new Float32Array(count);
  const margin = Math.ceil(3 * jitter_px) + 4;
  for (let i = 0; i < gridSize; i += 1) {
    for (let j = 0; j < gridSize; j += 1) {
      positionY_px[i * gridSize + j] = margin + i * step_px + jitter_px * gaussianSample(random);
      positionX_px[i * gridSize + j] = margin + j * step_px + jitter_px * gaussianSample(random);
    }
  }
  // The solver shifts positions so the smallest sits at its padding; simulate on the same grid.
  let minY = Infinity;
  let minX = Infinity;
  for (let i = 0; i < count; i += 1) {
    minY = Math.min(minY, positionY_px[i]);
    minX = Math.min(minX, positionX_px[i]);
  }
  const padding_px = 4;
  const rows = new Int32Array(count);
  const cols = new Int32Array(count);
  let maxRow = 0;
  let maxCol = 0;
  for (let i = 0; i < count; i += 1) {
    rows[i] = Math.round(positionY_px[i] - minY + padding_px);
    cols[i] = Math.round(positionX_px[i] - minX + padding_px);
    maxRow = Math.max(maxRow, rows[i]);
    maxCol = Math.max(maxCol, cols[i]);
  }
  const objectHeight = maxRow + size + padding_px;
  const objectWidth = maxCol + size + padding_px;
  const object = siemensStarObject(objectHeight, objectWidth, options.phaseContrast_rad);
  let probe = makeProbe(size);

  if (options.photonsPerPattern > 0) {
    let power = 0;
    for (const value of probe) power += value * value;
    const factor = Math.sqrt(options.photonsPerPattern / power);
    probe = probe.map((value) => value * factor);
  }

  const positions = new Int32Array(count * 2);
  for (let i = 0; i < count; i += 1) {
    positions[2 * i] = rows[i];
    positions[2 * i + 1] = cols[i];
  }
  const intensityTensor = tf.tidy(() => {
    const patches = extractPatches(
      tf.tensor3d(object, [objectHeight, objectWidth, 2]),
      tf.tensor2d(positions, [count, 2], 'int32'),
      size,
    );
    const farField = fft2(complexMultiply<tf.Tensor4D>(tf.tensor3d(probe, [size, size, 2]), patches), 'forward');
    return tf.sum(tf.square(farField), -1);
  });
  const intensities = (await intensityTensor.data()) as Float32Array;
  intensityTensor.dispose();
  if (options.photonsPerPattern > 0) {
    for (let i = 0; i < intensities.length; i += 1) intensities[i] = poissonSample(intensities[i], random);
  }

  return {
    dataset: {
      name: `Simulated Siemens star (${count} patterns of ${size}×${size})`,
      patternCount: count,
      patternSize: size,
      intensities,
      positionX_px,
      positionY_px,
      probe: null,
      provenance: 'Simulated in the browser by Ptychoscope.',
    },
    object,
    objectHeight,
    objectWidth,
    probe,
  };
}
