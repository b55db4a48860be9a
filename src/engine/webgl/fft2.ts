/**
 * FFT2 on the 'webgl' backend: a batched unitary 2-D FFT of interleaved complex fields
 * [B, N, N, 2], as a sequence of Stockham autosort passes along the columns axis and then
 * along the rows axis. Each pass is one GPGPU program in which every fragment gathers the
 * radix-R butterfly inputs for its output element, so no pass scatters and none needs a
 * bit-reversal step.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs';

import { FFT2 } from '../kernelNames';

/** Axis of [B, N, N, 2] that a pass transforms: 1 for rows (index r), 2 for columns (index c). */
type FftAxis = 1 | 2;

/**
 * Largest radix used per pass. Of radices 2, 4, 8 and 16, radix 4 took the least time for
 * [64, 128, 128, 2] in headless Chromium on SwiftShader WebGL with two CPU cores. It needs half
 * the passes of radix 2 but reads 14 instead of 6 texels per fragment.
 */
const MAX_RADIX = 4;

/**
 * Returns the [N, 2] table of (cos, sin)(2πt/N) for t in [0, N), computed in float64 and rounded
 * once to float32, because the sin and cos built into GLSL lose several digits in float32.
 */
export function makeTwiddleTable(n: number): Float32Array {
  const table = new Float32Array(2 * n);
  for (let t = 0; t < n; t += 1) {
    const angle = (2 * Math.PI * t) / n;
    table[2 * t] = Math.cos(angle);
    table[2 * t + 1] = Math.sin(angle);
  }
  return table;
}

/** Twiddle tables already uploaded, per backend instance and per N. They are never disposed. */
const twiddleCache = new WeakMap<MathBackendWebGL, Map<number, tf.TensorInfo>>();

function getTwiddles(backend: MathBackendWebGL, n: number): tf.TensorInfo {
  let perSize = twiddleCache.get(backend);
  if (perSize === undefined) {
    perSize = new Map();
    twiddleCache.set(backend, perSize);
  }
  let twiddles = perSize.get(n);
  if (twiddles === undefined) {
    twiddles = backend.makeTensorInfo([n, 2], 'float32', makeTwiddleTable(n));
    perSize.set(n, twiddles);
  }
  return twiddles;
}

/**
 * Builds one Stockham pass of the given radix along `axis`. The output element j of a line is
 * sum over p of x[i + p·N/R] · W^(p·(k·N/(R·m) + q·N/R)), where m is the product of the radices
 * of earlier passes (uniform `span`), k = j mod m, q = (j / m) mod R, i = (j / (R·m))·m + k and
 * W = e^(∓2πi/N). The twiddle exponent is reduced mod N and looked up in the host table.
 * The uniform `scale` multiplies the result, so the last pass can apply the 1/N normalisation.
 */
function makeStockhamProgram(shape: number[], axis: FftAxis, radix: number, inverse: boolean): GPGPUProgram {
  const n = shape[axis];
  const quarter = n / radix;
  const sineSign = inverse ? '1.0' : '-1.0';
  const lineCoords = axis === 1 ? 'coords.x, index, coords.z' : 'coords.x, coords.y, index';
  return {
    variableNames: ['x', 'twiddles'],
    outputShape: shape,
    packedInputs: false,
    packedOutput: false,
    customUniforms: [
      { name: 'span', type: 'int' },
      { name: 'twiddleStep', type: 'int' },
      { name: 'scale', type: 'float' },
    ],
    userCode: `
      void main() {
        ivec4 coords = getOutputCoords();
        int j = coords[${axis}];
        int k = imod(j, span);
        int q = imod(j / span, ${radix});
        int first = (j / (span * ${radix})) * span + k;
        int exponentStep = k * twiddleStep + q * ${quarter};
        float sumRe = 0.0;
        float sumIm = 0.0;
        for (int p = 0; p < ${radix}; p++) {
          int index = first + p * ${quarter};
          float xRe = getX(${lineCoords}, 0);
          float xIm = getX(${lineCoords}, 1);
          int t = imod(p * exponentStep, ${n});
          float wRe = getTwiddles(t, 0);
          float wIm = ${sineSign} * getTwiddles(t, 1);
          sumRe += xRe * wRe - xIm * wIm;
          sumIm += xRe * wIm + xIm * wRe;
        }
        setOutput(scale * (coords.w == 0 ? sumRe : sumIm));
      }
    `,
  };
}

/**
 * Returns the radix of each pass along a side of n = 2^s: one smaller power-of-two radix first
 * when s is not a multiple of log2(MAX_RADIX), then MAX_RADIX for every remaining pass.
 */
export function planRadices(n: number): number[] {
  const bits = Math.round(Math.log2(n));
  const bitsPerPass = Math.round(Math.log2(MAX_RADIX));
  const radices: number[] = [];
  const leadingBits = bits % bitsPerPass;
  if (leadingBits > 0) radices.push(2 ** leadingBits);
  for (let pass = 0; pass < Math.floor(bits / bitsPerPass); pass += 1) radices.push(MAX_RADIX);
  return radices;
}

function fft2WebGl({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const webgl = backend as MathBackendWebGL;
  const x = inputs.x as tf.TensorInfo;
  const inverse = Boolean((attrs as { inverse?: boolean } | undefined)?.inverse);
  const n = x.shape[1];
  const twiddles = getTwiddles(webgl, n);
  const radices = planRadices(n);
  const passCount = 2 * radices.length;

  let current = x;
  let pass = 0;
  for (const axis of [2, 1] as const) {
    let span = 1;
    for (const radix of radices) {
      pass += 1;
      const program = makeStockhamProgram(x.shape, axis, radix, inverse);
      const scale = pass === passCount ? 1 / n : 1;
      const uniforms = [[span], [n / (radix * span)], [scale]];
      const next = webgl.runWebGLProgram(program, [current, twiddles], 'float32', uniforms);
      if (current !== x) webgl.disposeIntermediateTensorInfo(current);
      current = next;
      span *= radix;
    }
  }
  return current;
}

export const fft2WebGlConfig: tf.KernelConfig = {
  kernelName: FFT2,
  backendName: 'webgl',
  kernelFunc: fft2WebGl as tf.KernelFunc,
};
