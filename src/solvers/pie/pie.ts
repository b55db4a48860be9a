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
 * With K probe modes P_m (mixed states, see probeModes.ts) each mode gives its own exit wave
 * ψ_jm = P_m · O_j and the modelled intensity is Σ_m |Ψ_jm|². The projection scales every mode by
 * the same factor √I_j / √(Σ_m |Ψ_jm|²); the object numerator sums conj(P_m) Δ_jm over the modes,
 * D uses Σ_m |P_m|², and each mode gets its own probe update. The modes are made orthogonal after
 * every iteration that updates them.
 *
 * The Fourier error reported per iteration is √(Σ_j Σ_k (|Ψ_jk| − √I_jk)² / Σ_j Σ_k I_jk), summed
 * over all patterns of the iteration before their updates, where |Ψ_jk| is √(Σ_m |Ψ_jmk|²) with
 * modes.
 *
 * With far-field upsampling U > 1 (farField.ts) the window is M = U·N pixels. The modelled intensity
 * of measured pixel k is then the sum of Σ_m |Ψ_jm|² over its U×U block of fine samples, |Ψ_jk| in
 * the Fourier error is its square root, and the projection scales every fine sample of the block by
 * the same factor √I_jk / |Ψ_jk|.
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
import { FusedPieUpdate, isFusedPieAvailable, type FusedPieBatch } from '../../engine/cpu/fusedPie';
import { seededRandom, shuffle } from '../../util/random';
import { binIntensities, padProbeModes, spreadToFineGrid } from './farField';
import { computeWindowGeometry, type ScanGeometry } from './geometry';
import { validatePieOptions, type PieOptions } from './options';
import { initialProbeModes, orthogonalizeProbeModes } from './probeModes';
import { defaultProbe, scaleProbeToPhotons } from './probeScale';
import {
  adjustProbeModeCount,
  modelledTotalCounts,
  placeStartObject,
  startProbeScale,
  validateStartPoint,
  type PieStartPoint,
} from './startPoint';

interface PositionBatch {
  /** √I of the batch's patterns, [b, N, N], on the detector's grid. */
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

/** Smallest modulus divided by in the mixed-state projection, as in the fused single-mode kernels. */
const MODULUS_FLOOR = 1e-30;

interface UpdateWeights {
  objectWeight: number;
  objectStep: number;
  probeWeight: number;
  probeStep: number;
}

interface ExitWaveChange {
  /** Δ_m = F⁻¹Ψ′_m − ψ_m of each probe mode, [b, M, M, 2]. */
  differences: tf.Tensor4D[];
  /** Σ(|Ψ| − √I)² over the batch. */
  residual: tf.Scalar;
}

/** Choices of how a PieSolver computes, as opposed to what (see PieOptions). */
export interface PieEngineChoices {
  /**
   * Whether the 'cpu' backend may run the fused update (engine/cpu/fusedPie.ts). It is on by
   * default. False keeps the composed kernels there, to compare the two.
   */
  fusedCpu?: boolean;
}

/** Lets the event loop run, so that a stop request can arrive between two batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A running PIE reconstruction. It owns its tensors: call {@link dispose} when done.
 * The tensors live on whatever TensorFlow.js backend is active when it is created. The 'cpu'
 * backend is the exception. There the object, probe modes and batches live in the WebAssembly
 * memory of a fused update (engine/cpu/fusedPie.ts), provided the engine has WebAssembly SIMD and
 * the pattern size is a multiple of 4.
 */
export class PieSolver {
  readonly geometry: ScanGeometry;
  /** Side N of the measured patterns, in detector pixels. */
  readonly patternSize: number;
  /** Side M = U·N of the probe, object patches and exit waves, in object pixels; N without upsampling. */
  readonly windowSize: number;
  /** The object [H, W, 2] on the backend; null on the fused path, which keeps it in `fused`, and once disposed. */
  private objectField: tf.Tensor3D | null = null;
  /**
   * The probe modes, each [M, M, 2], in decreasing order of power once orthogonalised. Empty on the
   * fused path.
   */
  private probeFields: tf.Tensor3D[] = [];
  /** The batches on the backend; empty on the fused path. */
  private readonly batches: PositionBatch[] = [];
  /** Positions (row, col) of each batch's windows, [b, 2], on the host. */
  private readonly batchPositions: Int32Array[];
  /** The fused cpu update, or null where the composed kernels run and once disposed. */
  private fused: FusedPieUpdate | null = null;
  private readonly totalCounts: number;
  private readonly random: () => number;
  private completedIterations = 0;

  /**
   * Factor applied to the start point's probe modes to match the data's photon count. It is 1 when
   * they were used as they are, and without a start point.
   */
  readonly startProbeScale: number = 1;

  /**
   * Prepares a run on `dataset`. Without `start`, the object is flat (1 + 0i) and the probe is the
   * dataset's guess (or a default disk) scaled to the photon count. With `start`, its object, probe
   * modes and positions replace those (see startPoint.ts). Throws when `start` does not fit the
   * dataset.
   */
  constructor(
    dataset: ScanDataset,
    readonly options: PieOptions,
    start?: PieStartPoint,
    engine: PieEngineChoices = {},
  ) {
    const problems = validatePieOptions(options, dataset.patternSize);
    if (problems.length > 0) throw new Error(`Invalid PIE settings: ${problems.join(' ')}`);
    const upsampling = options.farFieldUpsampling;
    if (start) validateStartPoint(start, dataset.patternCount, dataset.patternSize, upsampling);

    this.patternSize = dataset.patternSize;
    const size = upsampling * dataset.patternSize;
    this.windowSize = size;
    const positions = start?.positions ?? dataset;
    this.geometry = computeWindowGeometry(positions.positionY_px, positions.positionX_px, dataset.patternSize, size);
    this.random = seededRandom(options.seed);

    let totalCounts = 0;
    for (let i = 0; i < dataset.intensities.length; i += 1) totalCounts += dataset.intensities[i];
    this.totalCounts = totalCounts;

    const { objectHeight_px: height, objectWidth_px: width } = this.geometry;
    let object: Float32Array;
    let modes: Float32Array;
    if (start) {
      object = placeStartObject(start, this.geometry);
      // validateStartPoint accepts a probe of the window size or of the pattern size. A probe of the
      // pattern size gets the padding and ramp of a fresh start.
      const startModes =
        start.probeSize_px === size
          ? start.probeModes
          : padProbeModes(start.probeModes, start.probeSize_px, start.probeModeCount, upsampling);
      modes = adjustProbeModeCount(startModes, size, start.probeModeCount, options.probeModes);
      const modelled = modelledTotalCounts(object, this.geometry, modes, size, options.probeModes);
      this.startProbeScale = startProbeScale(modelled, totalCounts);
      if (this.startProbeScale !== 1) {
        for (let i = 0; i < modes.length; i += 1) modes[i] *= this.startProbeScale;
      }
    } else {
      object = new Float32Array(height * width * 2);
      for (let i = 0; i < object.length; i += 2) object[i] = 1;
      const probeGuess = dataset.probe ?? defaultProbe(dataset.patternSize);
      const probe = scaleProbeToPhotons(probeGuess, dataset.intensities, dataset.patternCount);
      const patternModes = initialProbeModes(probe, dataset.patternSize, options.probeModes);
      modes = padProbeModes(patternModes, dataset.patternSize, options.probeModes, upsampling);
    }
    const hostBatches = this.makeBatches(dataset, options.batchSize);
    this.batchPositions = hostBatches.map((batch) => batch.positions);
    if (
      engine.fusedCpu !== false &&
      tf.getBackend() === 'cpu' &&
      dataset.patternSize % 4 === 0 &&
      isFusedPieAvailable()
    ) {
      this.fused = this.createFused(object, modes, hostBatches);
    }
    if (this.fused === null) {
      this.probeFields = this.splitModes(modes);
      this.objectField = tf.tensor3d(object, [height, width, 2]);
      this.batches = hostBatches.map((batch) => ({
        amplitudes: tf.tensor3d(batch.amplitudes, [batch.positions.length / 2, dataset.patternSize, dataset.patternSize]),
        positions: tf.tensor2d(batch.positions, [batch.positions.length / 2, 2], 'int32'),
      }));
    }
  }

  /**
   * Returns the fused update for this start point, or null when its WebAssembly memory cannot grow
   * large enough, so that the composed kernels run instead.
   */
  private createFused(object: Float32Array, probe: Float32Array, batches: FusedPieBatch[]): FusedPieUpdate | null {
    const { objectHeight_px: height, objectWidth_px: width } = this.geometry;
    try {
      return new FusedPieUpdate(object, height, width, probe, this.windowSize, batches, {
        probeModes: this.options.probeModes,
        farFieldUpsampling: this.options.farFieldUpsampling,
      });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      console.warn('PIE: the fused cpu update could not reserve its memory, so the composed kernels run.', error);
      return null;
    }
  }

  /** Splits the positions, in shuffled order, into batches of √I and window positions on the host. */
  private makeBatches(dataset: ScanDataset, batchSize: number): FusedPieBatch[] {
    const size = dataset.patternSize;
    const pixels = size * size;
    const order = shuffle(
      Array.from({ length: dataset.patternCount }, (_, i) => i),
      this.random,
    );
    const batches: FusedPieBatch[] = [];
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
      batches.push({ amplitudes, positions });
    }
    return batches;
  }

  /** Uploads modes [K, M, M, 2] as K tensors [M, M, 2]. */
  private splitModes(modes: Float32Array): tf.Tensor3D[] {
    const size = this.windowSize;
    const modeLength = size * size * 2;
    return Array.from({ length: modes.length / modeLength }, (_, mode) =>
      tf.tensor3d(modes.subarray(mode * modeLength, (mode + 1) * modeLength), [size, size, 2]),
    );
  }

  /**
   * Bytes of the fused cpu update's WebAssembly memory, which tf.memory() does not count; 0 where
   * the composed kernels run.
   */
  get wasmMemoryBytes(): number {
    return this.fused?.memoryBytes ?? 0;
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
      this.batchPositions.map((_, i) => i),
      this.random,
    );
    const weights = this.updateWeights();
    // The fused path returns float32 batch sums, added here with float32 rounding like tf.add.
    let hostResidual = 0;
    let residual = tf.scalar(0);
    for (const index of order) {
      if (isCancelled) {
        await yieldToEventLoop();
        if (isCancelled()) {
          residual.dispose();
          return { iteration, fourierError: Number.NaN, completed: false };
        }
      }
      if (this.fused !== null) {
        hostResidual = Math.fround(hostResidual + this.fused.updateBatch(index, updateProbe, weights));
        continue;
      }
      const batchResidual = this.updateBatch(this.batches[index], updateProbe, weights);
      const total = tf.add(residual, batchResidual) as tf.Scalar;
      residual.dispose();
      batchResidual.dispose();
      residual = total;
    }
    const [tensorResidual] = await residual.data();
    residual.dispose();
    const sumOfSquares = this.fused === null ? tensorResidual : hostResidual;
    if (updateProbe && this.probeModeCount > 1) await this.orthogonalizeModes();
    this.completedIterations += 1;
    return { iteration, fourierError: Math.sqrt(sumOfSquares / this.totalCounts), completed: true };
  }

  /** Replaces the modes by orthogonal ones of decreasing power; the total intensity is unchanged. */
  private async orthogonalizeModes(): Promise<void> {
    const modes = await this.readProbeModes();
    const orthogonal = orthogonalizeProbeModes(modes, this.windowSize, this.probeModeCount);
    if (this.fused !== null) {
      this.fused.writeProbeModes(orthogonal);
      return;
    }
    for (const field of this.probeFields) field.dispose();
    this.probeFields = this.splitModes(orthogonal);
  }

  /** Weights and steps of the object and probe updates: rPIE has unit steps, ePIE unit weights. */
  private updateWeights(): UpdateWeights {
    const { method, alpha, beta } = this.options;
    return {
      objectWeight: method === 'rpie' ? alpha : 1,
      objectStep: method === 'rpie' ? 1 : alpha,
      probeWeight: method === 'rpie' ? beta : 1,
      probeStep: method === 'rpie' ? 1 : beta,
    };
  }

  /** Updates object (and probe) from one batch with the composed kernels. Returns Σ(|Ψ| − √I)² of the batch. */
  private updateBatch(batch: PositionBatch, updateProbe: boolean, weights: UpdateWeights): tf.Scalar {
    const object = this.objectField;
    if (object === null) throw new Error('PieSolver: the solver has been disposed, so it cannot iterate.');

    const [nextObject, nextProbes, residual] = tf.tidy(() => {
      const patches = extractPatches(object, batch.positions, this.windowSize);
      const { differences, residual } =
        this.options.farFieldUpsampling > 1
          ? this.exitWaveChangeUpsampled(patches, batch.amplitudes)
          : this.probeFields.length === 1
            ? this.exitWaveChangeOneMode(patches, batch.amplitudes)
            : this.exitWaveChangeModes(patches, batch.amplitudes);
      const nextObject = this.updatedObject(object, differences, batch.positions, weights);
      const nextProbes = updateProbe ? this.updatedProbes(patches, differences, weights) : this.probeFields;
      return [nextObject, nextProbes, residual] as const;
    });

    object.dispose();
    this.objectField = nextObject;
    if (nextProbes !== this.probeFields) {
      for (const field of this.probeFields) field.dispose();
      this.probeFields = nextProbes;
    }
    return residual;
  }

  /**
   * Exit-wave changes Δ = F⁻¹Ψ′ − ψ for one coherent probe, through the fused modulus kernels.
   * F⁻¹Ψ′ − ψ equals F⁻¹(Ψ′ − Ψ) because the FFT is linear and ψ = F⁻¹Ψ; that form skips a tfjs
   * subtraction that took a large share of a CPU-backend iteration.
   */
  private exitWaveChangeOneMode(patches: tf.Tensor4D, amplitudes: tf.Tensor3D): ExitWaveChange {
    const exitWaves = complexMultiply<tf.Tensor4D>(this.probeFields[0], patches);
    const farField = fft2(exitWaves, 'forward');
    const residual = tf.sum(amplitudeResidual(farField, amplitudes)) as tf.Scalar;
    const difference = fft2(modulusCorrection(farField, amplitudes), 'inverse');
    return { differences: [difference], residual };
  }

  /**
   * Exit-wave changes for several probe modes. Each mode's far field is scaled by the common factor
   * √I / √(Σ_m |Ψ_m|²): the fused correction kernel receives the target modulus factor·|Ψ_m| of
   * each mode. |Ψ_m|² comes from the residual kernel with zero amplitudes, (|Ψ_m| − 0)².
   */
  private exitWaveChangeModes(patches: tf.Tensor4D, amplitudes: tf.Tensor3D): ExitWaveChange {
    const farFields = this.probeFields.map((probe) => fft2(complexMultiply<tf.Tensor4D>(probe, patches), 'forward'));
    const zeros = tf.zerosLike(amplitudes);
    const modeIntensities = farFields.map((farField) => amplitudeResidual(farField, zeros));
    const modulus = tf.sqrt(tf.addN(modeIntensities));
    const residual = tf.sum(tf.squaredDifference(modulus, amplitudes)) as tf.Scalar;
    const factor = tf.div(amplitudes, tf.maximum(modulus, MODULUS_FLOOR));
    const differences = farFields.map((farField, mode) => {
      const target = tf.mul(factor, tf.sqrt(modeIntensities[mode])) as tf.Tensor3D;
      return fft2(modulusCorrection(farField, target), 'inverse');
    });
    return { differences, residual };
  }

  /**
   * Exit-wave changes with far-field upsampling, for any number of modes. The fine intensity
   * Σ_m |Ψ_m|² is binned per detector pixel, and the factor f = √I / √(binned intensity) is spread
   * back over the fine samples. The correction Ψ′_m − Ψ_m is then (f − 1)·Ψ_m, one complex product
   * per mode. That form keeps the elementwise tfjs ops on the coarse grid, where the target-modulus
   * form of exitWaveChangeModes needed a square root and a product per mode on the fine one.
   */
  private exitWaveChangeUpsampled(patches: tf.Tensor4D, amplitudes: tf.Tensor3D): ExitWaveChange {
    const upsampling = this.options.farFieldUpsampling;
    const farFields = this.probeFields.map((probe) => fft2(complexMultiply<tf.Tensor4D>(probe, patches), 'forward'));
    const [batch, windowSize] = farFields[0].shape;
    const zeros = tf.zeros([batch, windowSize, windowSize]) as tf.Tensor3D;
    const modeIntensities = farFields.map((farField) => amplitudeResidual(farField, zeros));
    const fineIntensity = modeIntensities.length === 1 ? modeIntensities[0] : tf.addN(modeIntensities);
    const modulus = tf.sqrt(binIntensities(fineIntensity, upsampling));
    const residual = tf.sum(tf.squaredDifference(modulus, amplitudes)) as tf.Scalar;
    const factor = tf.div(amplitudes, tf.maximum(modulus, MODULUS_FLOOR));
    const scale = tf.stack([tf.sub(factor, 1), tf.zerosLike(factor)], 3) as tf.Tensor4D;
    const fineScale = spreadToFineGrid(scale, upsampling);
    const differences = farFields.map((farField) => fft2(complexMultiply<tf.Tensor4D>(fineScale, farField), 'inverse'));
    return { differences, residual };
  }

  /** O + Σ_m S[conj(P_m) Δ_m] / ((1 − w) D + w max D), with D = S[Σ_m |P_m|²] summed over the batch. */
  private updatedObject(
    object: tf.Tensor3D,
    differences: tf.Tensor4D[],
    positions: tf.Tensor2D,
    weights: UpdateWeights,
  ): tf.Tensor3D {
    const height = this.geometry.objectHeight_px;
    const width = this.geometry.objectWidth_px;
    const weighted = this.probeFields.map((probe, mode) =>
      complexMultiply<tf.Tensor4D>(probe, differences[mode], true),
    );
    const objectNumerator = overlapSum(weighted.length === 1 ? weighted[0] : tf.addN(weighted), positions, height, width);
    const coverage = overlapSum(this.totalProbePower(), positions, height, width);
    return regularizedUpdate(
      object,
      objectNumerator,
      coverage,
      tf.max(coverage) as tf.Scalar,
      weights.objectStep,
      weights.objectWeight,
    );
  }

  /** P_m + Σ_j conj(O_j) Δ_jm / ((1 − w) E + w max E) for every mode, with E = Σ_j |O_j|². */
  private updatedProbes(patches: tf.Tensor4D, differences: tf.Tensor4D[], weights: UpdateWeights): tf.Tensor3D[] {
    const patchPower = conjugateProductSum(patches, patches);
    const maxPatchPower = tf.max(patchPower) as tf.Scalar;
    return this.probeFields.map((probe, mode) =>
      regularizedUpdate(
        probe,
        conjugateProductSum(patches, differences[mode]),
        patchPower,
        maxPatchPower,
        weights.probeStep,
        weights.probeWeight,
      ),
    );
  }

  /** Σ_m |P_m|² as a complex field [M, M, 2] with a zero imaginary part. */
  private totalProbePower(): tf.Tensor3D {
    const powers = this.probeFields.map((probe) => complexMultiply<tf.Tensor3D>(probe, probe, true));
    return powers.length === 1 ? powers[0] : tf.addN(powers);
  }

  /** Copies the current object [H, W, 2] to the host. */
  async readObject(): Promise<Float32Array> {
    if (this.fused !== null) return this.fused.readObject();
    if (this.objectField === null) throw new Error('PieSolver: the solver has been disposed, so it has no object.');
    return (await this.objectField.data()) as Float32Array;
  }

  /** Copies the main (most powerful once orthogonalised) probe mode [M, M, 2] to the host. */
  async readProbe(): Promise<Float32Array> {
    if (this.fused !== null) return this.fused.readProbe();
    return (await this.probeFields[0].data()) as Float32Array;
  }

  /** Number of probe modes. */
  get probeModeCount(): number {
    return this.fused !== null ? this.fused.probeModes : this.probeFields.length;
  }

  /** Copies every probe mode to the host as one array [K, M, M, 2]. */
  async readProbeModes(): Promise<Float32Array> {
    if (this.fused !== null) return this.fused.readProbeModes();
    const modeLength = this.windowSize * this.windowSize * 2;
    const modes = new Float32Array(this.probeFields.length * modeLength);
    const parts = await Promise.all(this.probeFields.map((field) => field.data()));
    parts.forEach((part, mode) => modes.set(part as Float32Array, mode * modeLength));
    return modes;
  }

  /** Computes Σ_j Σ_m |P_m|² placed at every position, [H, W]: how strongly the scan saw each object pixel. */
  async readCoverage(): Promise<Float32Array> {
    const height = this.geometry.objectHeight_px;
    const width = this.geometry.objectWidth_px;
    const size = this.windowSize;
    const fusedModes = this.fused?.readProbeModes();
    const coverage = tf.tidy(() => {
      let probePower: tf.Tensor3D;
      if (fusedModes === undefined) {
        probePower = this.totalProbePower();
      } else {
        const count = fusedModes.length / (size * size * 2);
        const modes = tf.tensor4d(fusedModes, [count, size, size, 2]);
        probePower = tf.sum(complexMultiply<tf.Tensor4D>(modes, modes, true), 0);
      }
      // One overlap sum over every position: summing one per batch cost a pass over the whole
      // object per batch, seconds at a batch size of 1.
      const positionCount = this.batchPositions.reduce((count, positions) => count + positions.length / 2, 0);
      const allPositions = new Int32Array(2 * positionCount);
      let offset = 0;
      for (const positions of this.batchPositions) {
        allPositions.set(positions, offset);
        offset += positions.length;
      }
      return overlapSum(probePower, tf.tensor2d(allPositions, [positionCount, 2], 'int32'), height, width);
    });
    const interleaved = await coverage.data();
    coverage.dispose();
    const values = new Float32Array(height * width);
    for (let i = 0; i < values.length; i += 1) values[i] = interleaved[2 * i];
    return values;
  }

  dispose(): void {
    // Dropping the fused update lets its WebAssembly memory be collected even while something
    // still refers to this solver.
    this.fused = null;
    this.objectField?.dispose();
    this.objectField = null;
    for (const field of this.probeFields) field.dispose();
    for (const batch of this.batches) {
      batch.amplitudes.dispose();
      batch.positions.dispose();
    }
  }
}
