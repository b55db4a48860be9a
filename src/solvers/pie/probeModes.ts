/**
 * Mixed-state probe modes: several mutually incoherent probes whose intensities add on the
 * detector (Thibault and Menzel, "Reconstructing state mixtures from diffraction measurements",
 * Nature 494, 68 (2013)). They absorb partial coherence, detector blur and vibration that a single
 * coherent probe cannot model.
 *
 * Modes are stored as one interleaved complex array [K, N, N, 2]. After each probe update they are
 * made orthogonal and sorted by power through an eigendecomposition of their K×K Gram matrix. That
 * gives the same modes as a singular value decomposition of the K×N² matrix of modes.
 */

/** Maximum number of modes the solver accepts. More rarely help, and each costs two FFTs per pattern. */
export const MAX_PROBE_MODES = 8;

/**
 * Fraction of the total power given to each extra mode at the start. Small, so the first
 * iterations behave as with one mode, but not zero, so the extra modes receive updates.
 */
export const INITIAL_EXTRA_MODE_POWER = 0.02;

/** Low-order polynomials in x and y, each multiplied onto the main probe to seed one extra mode. */
export const SEED_POLYNOMIALS: ReadonlyArray<(x: number, y: number) => number> = [
  (x) => x,
  (_x, y) => y,
  (x, y) => x * y,
  (x, y) => x * x - y * y,
  (x, y) => x * x + y * y - 1 / 6,
  (x, y) => x * (x * x + y * y) - 0.3 * x,
  (x, y) => y * (x * x + y * y) - 0.3 * y,
];

/** Σ|P|² of mode `mode` in a stack [K, N, N, 2] with `pixels` = N². */
export function modePower(modes: Float32Array, mode: number, pixels: number): number {
  let power = 0;
  const start = mode * pixels * 2;
  for (let i = start; i < start + pixels * 2; i += 1) power += modes[i] * modes[i];
  return power;
}

/**
 * Builds `count` starting modes [count, N, N, 2] from one probe [N, N, 2]. Mode 0 is the probe;
 * mode k is the probe times a polynomial in the window coordinates, scaled to
 * INITIAL_EXTRA_MODE_POWER of the total. The total power Σ_k Σ|P_k|² equals the input's Σ|P|².
 */
export function initialProbeModes(probe: Float32Array, size: number, count: number): Float32Array {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PROBE_MODES) {
    throw new Error(`Probe modes must be a whole number from 1 to ${MAX_PROBE_MODES}, received ${count}.`);
  }
  const pixels = size * size;
  const modes = new Float32Array(count * pixels * 2);
  const probePower = modePower(probe, 0, pixels);
  const mainShare = 1 - INITIAL_EXTRA_MODE_POWER * (count - 1);
  const mainScale = Math.sqrt(mainShare);
  for (let i = 0; i < pixels * 2; i += 1) modes[i] = probe[i] * mainScale;

  for (let mode = 1; mode < count; mode += 1) {
    const polynomial = SEED_POLYNOMIALS[(mode - 1) % SEED_POLYNOMIALS.length];
    const offset = mode * pixels * 2;
    for (let row = 0; row < size; row += 1) {
      const y = row / size - 0.5;
      for (let col = 0; col < size; col += 1) {
        const x = col / size - 0.5;
        const weight = polynomial(x, y);
        const index = (row * size + col) * 2;
        modes[offset + index] = probe[index] * weight;
        modes[offset + index + 1] = probe[index + 1] * weight;
      }
    }
    const power = modePower(modes, mode, pixels);
    const scale = power > 0 ? Math.sqrt((INITIAL_EXTRA_MODE_POWER * probePower) / power) : 0;
    for (let i = offset; i < offset + pixels * 2; i += 1) modes[i] *= scale;
  }
  return modes;
}

/**
 * Eigendecomposition of a real symmetric matrix (row-major, n×n) by cyclic Jacobi rotations.
 * Returns the eigenvalues and the eigenvectors as the columns of a row-major matrix.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) v[i * n + i] = 1;

  for (let sweep = 0; sweep < 100; sweep += 1) {
    let offDiagonal = 0;
    let diagonal = 0;
    for (let p = 0; p < n; p += 1) {
      diagonal += a[p * n + p] * a[p * n + p];
      for (let q = p + 1; q < n; q += 1) offDiagonal += a[p * n + q] * a[p * n + q];
    }
    if (offDiagonal <= 1e-30 * diagonal || offDiagonal === 0) break;

    for (let p = 0; p < n - 1; p += 1) {
      for (let q = p + 1; q < n; q += 1) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // The rotation angle θ with tan 2θ = 2a_pq / (a_qq − a_pp) zeroes a_pq.
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k += 1) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k += 1) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k += 1) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i += 1) values[i] = a[i * n + i];
  return { values, vectors: v };
}

/**
 * Eigenvectors of a K×K Hermitian matrix G (re, im interleaved, row-major), sorted by decreasing
 * eigenvalue. It diagonalises the real 2K×2K form [[Re G, −Im G], [Im G, Re G]]. That form has
 * every eigenvalue of G twice, because [x; y] and [−y; x] both represent the complex vector x + iy.
 * The second of each pair is dropped by orthogonalising against the vectors already taken.
 */
function hermitianEigenvectors(gram: Float64Array, count: number): { values: number[]; vectors: Float64Array[] } {
  const n = 2 * count;
  const real = new Float64Array(n * n);
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      const re = gram[(row * count + col) * 2];
      const im = gram[(row * count + col) * 2 + 1];
      real[row * n + col] = re;
      real[(row + count) * n + col + count] = re;
      real[row * n + col + count] = -im;
      real[(row + count) * n + col] = im;
    }
  }
  const { values, vectors } = symmetricEigen(real, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[j] - values[i]);

  const chosen: Float64Array[] = [];
  const chosenValues: number[] = [];
  for (const column of order) {
    if (chosen.length === count) break;
    const candidate = new Float64Array(2 * count);
    for (let k = 0; k < count; k += 1) {
      candidate[2 * k] = vectors[k * n + column];
      candidate[2 * k + 1] = vectors[(k + count) * n + column];
    }
    for (const previous of chosen) {
      // Remove the component along `previous`: c −= <previous, c> previous, complex inner product.
      let dotRe = 0;
      let dotIm = 0;
      for (let k = 0; k < count; k += 1) {
        const pr = previous[2 * k];
        const pi = previous[2 * k + 1];
        dotRe += pr * candidate[2 * k] + pi * candidate[2 * k + 1];
        dotIm += pr * candidate[2 * k + 1] - pi * candidate[2 * k];
      }
      for (let k = 0; k < count; k += 1) {
        const pr = previous[2 * k];
        const pi = previous[2 * k + 1];
        candidate[2 * k] -= dotRe * pr - dotIm * pi;
        candidate[2 * k + 1] -= dotRe * pi + dotIm * pr;
      }
    }
    let norm = 0;
    for (const value of candidate) norm += value * value;
    norm = Math.sqrt(norm);
    if (norm < 0.5) continue;
    for (let i = 0; i < candidate.length; i += 1) candidate[i] /= norm;
    chosen.push(candidate);
    chosenValues.push(values[column]);
  }
  return { values: chosenValues, vectors: chosen };
}

/**
 * Makes the modes [K, N, N, 2] mutually orthogonal, sorted by decreasing power, without changing
 * the total intensity Σ_k |P_k|² at any pixel. Mode i becomes Σ_k conj(u_ik) P_k, where u_i is the
 * i-th eigenvector of the Gram matrix G_kl = Σ P_k · conj(P_l); its power is the eigenvalue.
 */
export function orthogonalizeProbeModes(modes: Float32Array, size: number, count: number): Float32Array {
  if (count === 1) return Float32Array.from(modes);
  const pixels = size * size;
  const gram = new Float64Array(count * count * 2);
  for (let k = 0; k < count; k += 1) {
    for (let l = k; l < count; l += 1) {
      let re = 0;
      let im = 0;
      const ok = k * pixels * 2;
      const ol = l * pixels * 2;
      for (let p = 0; p < pixels * 2; p += 2) {
        const ar = modes[ok + p];
        const ai = modes[ok + p + 1];
        const br = modes[ol + p];
        const bi = modes[ol + p + 1];
        re += ar * br + ai * bi;
        im += ai * br - ar * bi;
      }
      gram[(k * count + l) * 2] = re;
      gram[(k * count + l) * 2 + 1] = im;
      gram[(l * count + k) * 2] = re;
      gram[(l * count + k) * 2 + 1] = -im;
    }
  }

  const { vectors } = hermitianEigenvectors(gram, count);
  const result = new Float32Array(modes.length);
  vectors.forEach((u, target) => {
    const out = target * pixels * 2;
    for (let k = 0; k < count; k += 1) {
      // Coefficient conj(u_k).
      const cr = u[2 * k];
      const ci = -u[2 * k + 1];
      const source = k * pixels * 2;
      for (let p = 0; p < pixels * 2; p += 2) {
        const pr = modes[source + p];
        const pi = modes[source + p + 1];
        result[out + p] += cr * pr - ci * pi;
        result[out + p + 1] += cr * pi + ci * pr;
      }
    }
  });
  return result;
}

/** Share of the total power in each mode, in mode order. */
export function probeModePowerShares(modes: Float32Array, size: number, count: number): number[] {
  const pixels = size * size;
  const powers = Array.from({ length: count }, (_, mode) => modePower(modes, mode, pixels));
  const total = powers.reduce((sum, power) => sum + power, 0);
  return powers.map((power) => (total > 0 ? power / total : 0));
}
