/**
 * Names of the custom TensorFlow.js kernels that carry the ptychography physics.
 *
 * Every kernel works on complex fields stored as interleaved float32 pairs, shape [..., 2],
 * with the real part at index 0 of the last axis. Each kernel is registered once per backend
 * (cpu, webgl, webgpu) under the same name and attributes, so solver code is backend-neutral.
 */

/** Batched unitary 2-D FFT. Input `x` [B, N, N, 2]; attrs {@link Fft2Attrs}; output [B, N, N, 2]. */
export const FFT2 = 'PtychoFft2';

/**
 * Patch extraction. Inputs `object` [H, W, 2] and `positions` int32 [B, 2] holding the (row, col)
 * of each patch's top-left corner; attrs {@link ExtractPatchesAttrs}; output [B, size, size, 2].
 */
export const EXTRACT_PATCHES = 'PtychoExtractPatches';

/**
 * Overlap sum, the adjoint of patch extraction. Inputs `patches` [B, n, n, 2] and `positions`
 * int32 [B, 2]; attrs {@link OverlapSumAttrs}; output [height, width, 2] where each object pixel
 * is the sum of the patch pixels that land on it, summed in ascending patch order so the result
 * is bit-for-bit reproducible. `patches` may also be a single patch [n, n, 2], which is then
 * placed at every one of the B positions (for example |P|² when summing probe coverage).
 */
export const OVERLAP_SUM = 'PtychoOverlapSum';

/**
 * Elementwise complex product a·b, or conj(a)·b. Inputs `a` and `b` are each [B, n, n, 2] or
 * [n, n, 2]; a rank-3 operand is broadcast over the batch. Output [B, n, n, 2] when either
 * operand has a batch axis, else [n, n, 2].
 */
export const COMPLEX_MULTIPLY = 'PtychoComplexMultiply';

/**
 * Modulus projection onto measured amplitudes. Inputs `farField` [B, N, N, 2] and `amplitudes`
 * [B, N, N] (√I, non-negative); output [B, N, N, 2] equal to the projection Ψ′ = Ψ·a/|Ψ|. Where
 * |Ψ| is zero, Ψ′ is (a, 0): the measured amplitude with zero phase. Attrs
 * {@link ModulusProjectionAttrs}: with `returnDifference` the output is the correction Ψ′ − Ψ,
 * which is (a, 0) where |Ψ| is zero. A missing attr means false.
 */
export const MODULUS_PROJECTION = 'PtychoModulusProjection';

/**
 * Squared amplitude residual. Inputs `farField` [B, N, N, 2] and `amplitudes` [B, N, N];
 * output [B, N, N] equal to (|Ψ| − a)².
 */
export const AMPLITUDE_RESIDUAL = 'PtychoAmplitudeResidual';

/**
 * Batch sum of conjugate products. Inputs `a` and `b`, each [B, n, n, 2]; output [n, n, 2] equal
 * to Σ_b conj(a_b)·b_b, summed in ascending b so the result is reproducible. With a = b it gives
 * Σ|a_b|² in the real channel and zero in the imaginary one.
 */
export const CONJUGATE_PRODUCT_SUM = 'PtychoConjugateProductSum';

/**
 * The regularised PIE update x + step·num / max((1 − w)·D + w·Dmax, ε) with ε = 1e-30.
 * Inputs `x`, `numerator` and `weights`, all of one shape [..., 2], and `maxWeight`, a scalar
 * (shape [] or [1]). Only the real channel of `weights` is read, as D; it is non-negative. The
 * same real denominator divides both channels of `numerator`. Attrs {@link RegularizedUpdateAttrs};
 * output the shape of `x`.
 */
export const REGULARIZED_UPDATE = 'PtychoRegularizedUpdate';

export interface Fft2Attrs {
  /** false: forward transform with e^{-2πi kn/N}; true: inverse with e^{+2πi kn/N}. Both scale by 1/N. */
  inverse: boolean;
  [key: string]: boolean;
}

export interface ExtractPatchesAttrs {
  /** Patch side length in pixels. */
  size: number;
  [key: string]: number;
}

export interface OverlapSumAttrs {
  /** Output object height in pixels. */
  height: number;
  /** Output object width in pixels. */
  width: number;
  [key: string]: number;
}

export interface ComplexMultiplyAttrs {
  /** When true the first operand is conjugated: conj(a)·b. */
  conjugateA: boolean;
  [key: string]: boolean;
}

export interface ModulusProjectionAttrs {
  /**
   * When true the output is Ψ′ − Ψ in place of Ψ′. The FFT is linear, so the inverse FFT of this
   * correction is the real-space exit-wave change F⁻¹Ψ′ − ψ without a separate subtraction.
   */
  returnDifference: boolean;
  [key: string]: boolean;
}

export interface RegularizedUpdateAttrs {
  /** Step size s multiplying the update. */
  step: number;
  /** Regularisation weight w in [0, 1] between the local weight D and its maximum. */
  regularization: number;
  [key: string]: number;
}

/**
 * Nearest-neighbour ×2 upsampling of a real float32 tensor, registered on 'cpu' only. Input `x`
 * [B, H, W, C]; output [B, 2H, 2W, C] where output[b, y, x, c] = x[b, ⌊y/2⌋, ⌊x/2⌋, c].
 */
export const UPSAMPLE_NEAREST_2X = 'PtychoUpsampleNearest2x';

/**
 * Gradient of {@link UPSAMPLE_NEAREST_2X}, registered on 'cpu' only. Input `dy` [B, 2H, 2W, C];
 * output [B, H, W, C], the sum of each 2 × 2 block of dy, rounded to float32 as
 * (dy[2h, 2w] + dy[2h, 2w+1]) + (dy[2h+1, 2w] + dy[2h+1, 2w+1]).
 */
export const UPSAMPLE_NEAREST_2X_GRAD = 'PtychoUpsampleNearest2xGrad';

/**
 * PtychoPINN's phase activation π·tanh(x) on a real float32 tensor, registered on 'cpu' only.
 * Input `x`; output of the same shape, equal value for value to tf.mul(tf.tanh(x), Math.PI):
 * tanh rounded to float32, then multiplied by π rounded to float32.
 */
export const PHASE_ACTIVATION = 'PtychoPhaseActivation';
