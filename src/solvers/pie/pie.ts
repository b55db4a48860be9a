/**
 * rPIE and ePIE with probe refinement, batched so that a GPU gets enough work per dispatch.
 *
 * Method: rPIE as in Maiden, Johnson and Li, "Further improvements to the ptychographical
 * iterative engine", Optica 4, 736 (2017); ePIE as in Maiden and Rodenburg, Ultramicroscopy 109,
 * 1256 (2009). For each batch of positions j with object patches O_j and probe P:
 *
 *   ψ_j   = P · O_j                    exit waves
 *   Ψ_j   = F ψ_j                      far field (unitary FFT, zero frequency at [0, 0])
 *   Ψ'_j  = √I_j · Ψ_j / |Ψ_j|         modulus projection onto the measured amplitudes
 *   Δ_j   = F⁻¹ Ψ'_j − ψ_j
 *   O    += s_O · Σ_j S_j[conj(P) Δ_j] / ((1 − w_O) D + w_O · max D),   D = Σ_j S_j[|P|²]
 *   P    += s_P · Σ_j conj(O_j) Δ_j   / ((1 − w_P) E + w_P · max E),   E = Σ_j |O_j|²
 *
 * where S_j places a patch into the object at position j (the overlap sum). rPIE uses unit steps
 * (s = 1) and weights w_O = α, w_P = β. ePIE uses the denominator max D (w = 1) and steps s_O = α,
 * s_P = β. With a batch size of 1 these reduce to the sequential published algorithms.
 *
 * The Fourier error reported per iteration is √(Σ_j Σ_k (|Ψ_jk| − √I_jk)² / Σ_j Σ_k I_jk), summed
 * over all patterns of the iteration before their updates.
 */
import * as tf from '@tensorflow/tfjs';

import type { ScanDataset } from '../../data/dataset';
import {
  amplitudeResidual,
  complexMultiply,
  conjugateProductSum,
  extractPatches,
  fft2,
  modulusCorrection,
  overlapSum,
  regularizedUpdate,
} from '../../engine/ops';
import { seededRandom, shuffle } from '../../util/random';
import { computeScanGeometry, type ScanGeometry } from './geometry';
import { validatePieOptions, type PieOptions } from './options';
import { defaultProbe, scaleProbeToPhotons } from './probeScale';

interface PositionBatch {
  /** √I of the batch's patterns, [b, N, N]. */
  amplitudes: tf.Tensor3D;
  /** (row, col) of each window in the object array, int32 [b, 2]. */
  positions: tf.Tensor2D;
}

export interface PieIterationResult {
  /** 0-based index of the iteration just run. */
  iteration: number;
  /** Fourier error of the iteration, as defined in this module's header; NaN when cancelled. */
  fourierError: number;
  /** False when the iteration was cancelled part way; the batches already run stay applied. */
  completed: boolean;
}

/** Lets the event loop run, so that a stop request can arrive between two batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A running PIE reconstruction. It owns its tensors: call {@link dispose} when done.
 * The tensors live on whatever TensorFlow.js backend is active when it is created.
 */
export class PieSolver {
  readonly geometry: ScanGeometry;
  readonly patternSize: number;
  private objectField: tf.Tensor3D;
  private probeField: tf.Tensor3D;
  private readonly batches: PositionBatch[];
  private readonly totalCounts: number;
  private readonly random: () => number;
  private completedIterations = 0;

  constructor(
    dataset: ScanDataset,
    readonly options: PieOptions,
  ) {
    const problems = validatePieOptions(options);
    if (problems.length > 0) throw new Error(`Invalid PIE settings: ${problems.join(' ')}`);

    const size = dataset.patternSize;
    this.patternSize = size;
    this.geometry = computeScanGeometry(dataset.positionY_px, dataset.positionX_px, size);
    this.random = seededRandom(options.seed);

    let totalCounts = 0;
    for (let i = 0; i < dataset.intensities.length; i += 1) totalCounts += dataset.intensities[i];
    this.totalCounts = totalCounts;

    const probeGuess = dataset.probe ?? defaultProbe(size);
    const probe = scaleProbeToPhotons(probeGuess, dataset.intensities, dataset.patternCount);
    this.probeField = tf.tensor3d(probe, [size, size, 2]);

    const { objectHeight_px: height, objectWidth_px: width } = this.geometry;
    const object = new Float32Array(height * width * 2);
    for (let i = 0; i < object.length; i += 2) object[i] = 1;
    this.objectField = tf.tensor3d(object, [height, width, 2]);

    this.batches = this.makeBatches(dataset, options.batchSize);
  }

  /** Splits the positions, in shuffled order, into batches whose data stay on the device. */
  private makeBatches(dataset: ScanDataset, batchSize: number): PositionBatch[] {
    const size = dataset.patternSize;
    const pixels = size * size;
    const order = shuffle(
      Array.from({ length: dataset.patternCount }, (_, i) => i),
      this.random,
    );
    const batches: PositionBatch[] = [];
    for (let start = 0; start < order.length; start += batchSize) {
      const members = order.slice(start, start + batchSize);
      const amplitudes = new Float32Array(members.length * pixels);
      const positions = new Int32Array(members.length * 2);
      members.forEach((pattern, k) => {
        const source = dataset.intensities.subarray(pattern * pixels, (pattern + 1) * pixels);
        const target = amplitudes.subarray(k * pixels, (k + 1) * pixels);
        for (let i = 0; i < pixels; i += 1) target[i] = Math.sqrt(Math.max(source[i], 0));
        positions[2 * k] = this.geometry.row_px[pattern];
        positions[2 * k + 1] = this.geometry.col_px[pattern];
      });
      batches.push({
        amplitudes: tf.tensor3d(amplitudes, [members.length, size, size]),
        positions: tf.tensor2d(positions, [members.length, 2], 'int32'),
      });
    }
    return batches;
  }

  get iterationsDone(): number {
    return this.completedIterations;
  }

  /**
   * Runs one pass over all positions and returns its Fourier error. When `isCancelled` is given,
   * it is checked before each batch, and a cancelled pass returns early without counting as done.
   */
  async iterate(isCancelled?: () => boolean): Promise<PieIterationResult> {
    const iteration = this.completedIterations;
    const updateProbe = this.options.refineProbe && iteration >= this.options.probeUpdateStart;
    const order = shuffle(
      this.batches.map((_, i) => i),
      this.random,
    );
    let residual = tf.scalar(0);
    for (const index of order) {
      if (isCancelled) {
        await yieldToEventLoop();
        if (isCancelled()) {
          residual.dispose();
          return { iteration, fourierError: Number.NaN, completed: false };
        }
      }
      const batchResidual = this.updateBatch(this.batches[index], updateProbe);
      const total = tf.add(residual, batchResidual) as tf.Scalar;
      residual.dispose();
      batchResidual.dispose();
      residual = total;
    }
    const [sumOfSquares] = await residual.data();
    residual.dispose();
    this.completedIterations += 1;
    return { iteration, fourierError: Math.sqrt(sumOfSquares / this.totalCounts), completed: true };
  }

  /** Updates object (and probe) from one batch; returns Σ(|Ψ| − √I)² of the batch. */
  private updateBatch(batch: PositionBatch, updateProbe: boolean): tf.Scalar {
    const height = this.geometry.objectHeight_px;
    const width = this.geometry.objectWidth_px;
    const { method, alpha, beta } = this.options;
    const objectWeight = method === 'rpie' ? alpha : 1;
    const objectStep = method === 'rpie' ? 1 : alpha;
    const probeWeight = method === 'rpie' ? beta : 1;
    const probeStep = method === 'rpie' ? 1 : beta;

    const [nextObject, nextProbe, residual] = tf.tidy(() => {
      const patches = extractPatches(this.objectField, batch.positions, this.patternSize);
      const exitWaves = complexMultiply<tf.Tensor4D>(this.probeField, patches);
      const farField = fft2(exitWaves, 'forward');
      const residual = tf.sum(amplitudeResidual(farField, batch.amplitudes)) as tf.Scalar;
      // The exit-wave change F⁻¹Ψ′ − ψ equals F⁻¹(Ψ′ − Ψ) because the FFT is linear and ψ = F⁻¹Ψ.
      // This form skips a tfjs subtraction that took a large share of a CPU-backend iteration.
      const difference = fft2(modulusCorrection(farField, batch.amplitudes), 'inverse');

      const objectNumerator = overlapSum(
        complexMultiply<tf.Tensor4D>(this.probeField, difference, true),
        batch.positions,
        height,
        width,
      );
      const probePower = complexMultiply<tf.Tensor3D>(this.probeField, this.probeField, true);
      const coverage = overlapSum(probePower, batch.positions, height, width);
      const nextObject = regularizedUpdate(
        this.objectField,
        objectNumerator,
        coverage,
        tf.max(coverage) as tf.Scalar,
        objectStep,
        objectWeight,
      );

      let nextProbe = this.probeField;
      if (updateProbe) {
        const probeNumerator = conjugateProductSum(patches, difference);
        const patchPower = conjugateProductSum(patches, patches);
        nextProbe = regularizedUpdate(
          this.probeField,
          probeNumerator,
          patchPower,
          tf.max(patchPower) as tf.Scalar,
          probeStep,
          probeWeight,
        );
      }
      return [nextObject, nextProbe, residual] as const;
    });

    this.objectField.dispose();
    this.objectField = nextObject;
    if (nextProbe !== this.probeField) {
      this.probeField.dispose();
      this.probeField = nextProbe;
    }
    return residual;
  }

  /** Copies the current object [H, W, 2] to the host. */
  async readObject(): Promise<Float32Array> {
    return (await this.objectField.data()) as Float32Array;
  }

  /** Copies the current probe [N, N, 2] to the host. */
  async readProbe(): Promise<Float32Array> {
    return (await this.probeField.data()) as Float32Array;
  }

  /** Computes Σ_j |P|² placed at every position, [H, W]: how strongly the scan saw each object pixel. */
  async readCoverage(): Promise<Float32Array> {
    const height = this.geometry.objectHeight_px;
    const width = this.geometry.objectWidth_px;
    const coverage = tf.tidy(() => {
      const probePower = complexMultiply<tf.Tensor3D>(this.probeField, this.probeField, true);
      let total: tf.Tensor3D = tf.zeros([height, width, 2]);
      for (const batch of this.batches) {
        total = tf.add(total, overlapSum(probePower, batch.positions, height, width));
      }
      return total;
    });
    const interleaved = await coverage.data();
    coverage.dispose();
    const values = new Float32Array(height * width);
    for (let i = 0; i < values.length; i += 1) values[i] = interleaved[2 * i];
    return values;
  }

  dispose(): void {
    this.objectField.dispose();
    this.probeField.dispose();
    for (const batch of this.batches) {
      batch.amplitudes.dispose();
      batch.positions.dispose();
    }
  }
}
