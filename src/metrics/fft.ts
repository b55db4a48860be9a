/**
 * Float64 FFT of any length, and 2-D transforms built from it, for the metrics. The repository's
 * engine FFT (src/engine/cpu/fft.ts) takes only square power-of-two fields and rounds to float32,
 * while reconstructions and their scanned regions have arbitrary shapes.
 *
 * Powers of two use an iterative radix-2 transform. Other lengths use Bluestein's algorithm, which
 * writes the DFT as a convolution with the chirp e^{−iπk²/n} and evaluates it with a power-of-two
 * FFT of length at least 2n − 1. Conventions follow NumPy's default: the forward transform uses
 * e^{−2πi·jk/n} and no scaling, and the inverse uses e^{+2πi·jk/n} and scales by 1/n.
 */

interface Radix2Plan {
  n: number;
  bitReversal: Int32Array;
  /** cos and sin of −2πk/n for k < n/2. */
  cos: Float64Array;
  sin: Float64Array;
}

interface BluesteinPlan {
  n: number;
  inner: Radix2Plan;
  /** cos and sin of −πk²/n, the chirp w_k, for k < n. */
  chirpCos: Float64Array;
  chirpSin: Float64Array;
  /** Forward FFT of the filter conj(w_k) placed at k and m − k, length m = inner.n. */
  filterRe: Float64Array;
  filterIm: Float64Array;
  scratchRe: Float64Array;
  scratchIm: Float64Array;
}

const radix2Plans = new Map<number, Radix2Plan>();
const bluesteinPlans = new Map<number, BluesteinPlan>();

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && (n & (n - 1)) === 0;
}

function getRadix2Plan(n: number): Radix2Plan {
  const cached = radix2Plans.get(n);
  if (cached !== undefined) return cached;
  const log2n = Math.round(Math.log2(n));
  const bitReversal = new Int32Array(n);
  for (let i = 0; i < n; i += 1) {
    let reversed = 0;
    for (let bit = 0; bit < log2n; bit += 1) reversed |= ((i >> bit) & 1) << (log2n - 1 - bit);
    bitReversal[i] = reversed;
  }
  const half = Math.max(1, n / 2);
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k += 1) {
    cos[k] = Math.cos((-2 * Math.PI * k) / n);
    sin[k] = Math.sin((-2 * Math.PI * k) / n);
  }
  const plan = { n, bitReversal, cos, sin };
  radix2Plans.set(n, plan);
  return plan;
}

/** Forward radix-2 FFT in place of re[0..n), im[0..n). */
function radix2Forward(plan: Radix2Plan, re: Float64Array, im: Float64Array): void {
  const n = plan.n;
  const bitReversal = plan.bitReversal;
  for (let i = 0; i < n; i += 1) {
    const j = bitReversal[i];
    if (j > i) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (let size = 2; size <= n; size *= 2) {
    const half = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k += 1) {
        const wr = plan.cos[k * step];
        const wi = plan.sin[k * step];
        const a = start + k;
        const b = a + half;
        const br = re[b] * wr - im[b] * wi;
        const bi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - br;
        im[b] = im[a] - bi;
        re[a] += br;
        im[a] += bi;
      }
    }
  }
}

function getBluesteinPlan(n: number): BluesteinPlan {
  const cached = bluesteinPlans.get(n);
  if (cached !== undefined) return cached;
  let m = 1;
  while (m < 2 * n - 1) m *= 2;
  const inner = getRadix2Plan(m);

  const chirpCos = new Float64Array(n);
  const chirpSin = new Float64Array(n);
  for (let k = 0; k < n; k += 1) {
    // k² mod 2n keeps the angle small, so large k lose no precision.
    const angle = (-Math.PI * ((k * k) % (2 * n))) / n;
    chirpCos[k] = Math.cos(angle);
    chirpSin[k] = Math.sin(angle);
  }

  const filterRe = new Float64Array(m);
  const filterIm = new Float64Array(m);
  filterRe[0] = 1;
  for (let k = 1; k < n; k += 1) {
    filterRe[k] = chirpCos[k];
    filterIm[k] = -chirpSin[k];
    filterRe[m - k] = chirpCos[k];
    filterIm[m - k] = -chirpSin[k];
  }
  radix2Forward(inner, filterRe, filterIm);

  const plan = {
    n,
    inner,
    chirpCos,
    chirpSin,
    filterRe,
    filterIm,
    scratchRe: new Float64Array(m),
    scratchIm: new Float64Array(m),
  };
  bluesteinPlans.set(n, plan);
  return plan;
}

/** Forward Bluestein FFT in place of re[0..n), im[0..n). */
function bluesteinForward(plan: BluesteinPlan, re: Float64Array, im: Float64Array): void {
  const { n, inner, chirpCos, chirpSin, filterRe, filterIm, scratchRe, scratchIm } = plan;
  const m = inner.n;
  scratchRe.fill(0);
  scratchIm.fill(0);
  for (let k = 0; k < n; k += 1) {
    scratchRe[k] = re[k] * chirpCos[k] - im[k] * chirpSin[k];
    scratchIm[k] = re[k] * chirpSin[k] + im[k] * chirpCos[k];
  }
  radix2Forward(inner, scratchRe, scratchIm);
  // Multiply by the filter's spectrum, then invert as conj(FFT(conj(·)))/m.
  for (let k = 0; k < m; k += 1) {
    const xr = scratchRe[k];
    const xi = scratchIm[k];
    scratchRe[k] = xr * filterRe[k] - xi * filterIm[k];
    scratchIm[k] = -(xr * filterIm[k] + xi * filterRe[k]);
  }
  radix2Forward(inner, scratchRe, scratchIm);
  for (let k = 0; k < n; k += 1) {
    const cr = scratchRe[k] / m;
    const ci = -scratchIm[k] / m;
    re[k] = cr * chirpCos[k] - ci * chirpSin[k];
    im[k] = cr * chirpSin[k] + ci * chirpCos[k];
  }
}

/**
 * Transforms re[0..n), im[0..n) in place: forward with e^{−2πi·jk/n} and no scaling, or inverse
 * with e^{+2πi·jk/n} and scaled by 1/n. Any length n ≥ 1 works.
 */
export function fft1d(re: Float64Array, im: Float64Array, n: number, inverse: boolean): void {
  if (!Number.isInteger(n) || n < 1 || re.length < n || im.length < n) {
    throw new Error(`fft1d: length must be a positive integer within the arrays, received ${n} for ${re.length} values.`);
  }
  if (n === 1) return;
  if (inverse) {
    for (let k = 0; k < n; k += 1) im[k] = -im[k];
  }
  if (isPowerOfTwo(n)) radix2Forward(getRadix2Plan(n), re, im);
  else bluesteinForward(getBluesteinPlan(n), re, im);
  if (inverse) {
    for (let k = 0; k < n; k += 1) {
      re[k] /= n;
      im[k] = -im[k] / n;
    }
  }
}

/**
 * Transforms a row-major height × width complex field, stored as split real and imaginary arrays,
 * in place along both axes. The inverse is scaled by 1/(height·width), as numpy.fft.ifft2.
 */
export function fft2d(re: Float64Array, im: Float64Array, height: number, width: number, inverse: boolean): void {
  if (re.length !== height * width || im.length !== height * width) {
    throw new Error(
      `fft2d: a ${height}×${width} field needs ${height * width} values per part, received ${re.length} and ${im.length}.`,
    );
  }
  const lineRe = new Float64Array(Math.max(height, width));
  const lineIm = new Float64Array(Math.max(height, width));
  for (let row = 0; row < height; row += 1) {
    const start = row * width;
    for (let column = 0; column < width; column += 1) {
      lineRe[column] = re[start + column];
      lineIm[column] = im[start + column];
    }
    fft1d(lineRe, lineIm, width, inverse);
    for (let column = 0; column < width; column += 1) {
      re[start + column] = lineRe[column];
      im[start + column] = lineIm[column];
    }
  }
  for (let column = 0; column < width; column += 1) {
    for (let row = 0; row < height; row += 1) {
      lineRe[row] = re[row * width + column];
      lineIm[row] = im[row * width + column];
    }
    fft1d(lineRe, lineIm, height, inverse);
    for (let row = 0; row < height; row += 1) {
      re[row * width + column] = lineRe[row];
      im[row * width + column] = lineIm[row];
    }
  }
}

/**
 * Returns the signed integer frequency of FFT index k for length n, as n·numpy.fft.fftfreq(n):
 * 0, 1, …, then negative from index ⌈n/2⌉, so the Nyquist index n/2 of an even n is −n/2.
 */
export function signedFrequencyIndex(k: number, n: number): number {
  return 2 * k < n ? k : k - n;
}
