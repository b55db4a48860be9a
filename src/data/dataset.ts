/**
 * The in-memory form of a ptychography scan that every later stage (engine, solvers, view) reads.
 *
 * Conventions, fixed here so readers convert once at load time:
 * - `intensities` contains measured photon counts, pattern after pattern, each size×size row-major,
 *   with the zero spatial frequency at index [0, 0] (the unshifted FFT layout). Readers of files that
 *   store centred patterns apply an inverse fftshift.
 * - Positions give the top-left corner of each size×size probe window on the object, in object
 *   pixels; x is the column, y the row. They may be fractional and have an arbitrary origin.
 * - `probe` is an initial probe guess, size×size interleaved complex (re, im), or null.
 */
export interface ScanDataset {
  /** Short human-readable name, such as a file name. */
  name: string;
  /** Number of diffraction patterns, M. */
  patternCount: number;
  /** Side length N of each square pattern, in detector pixels. */
  patternSize: number;
  /** Measured intensities in photon counts, [M, N, N] float32, zero frequency at [0, 0]. */
  intensities: Float32Array;
  /** Column of each probe window's top-left corner, [M], in object pixels. */
  positionX_px: Float32Array;
  /** Row of each probe window's top-left corner, [M], in object pixels. */
  positionY_px: Float32Array;
  /** Initial probe guess, [N, N, 2] interleaved complex, or null when the file has none. */
  probe: Float32Array | null;
  /** Source and licence of the data, shown to the user. */
  provenance: string;
}
