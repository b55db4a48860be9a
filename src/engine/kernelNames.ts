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
 * is bit-for-bit reproducible.
 */
export const OVERLAP_SUM = 'PtychoOverlapSum';

/**
 * Elementwise complex product a·b, or conj(a)·b. Inputs `a` and `b` are each [B, n, n, 2] or
 * [n, n, 2]; a rank-3 operand is broadcast over the batch. Output [B, n, n, 2] when either
 * operand has a batch axis, else [n, n, 2].
 */
export const COMPLEX_MULTIPLY = 'PtychoComplexMultiply';

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
