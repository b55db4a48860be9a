/** The COMPLEX_MULTIPLY kernel for the 'cpu' backend. */
import type { KernelConfig, MathBackendCPU } from '@tensorflow/tfjs';

import { COMPLEX_MULTIPLY } from '../kernelNames';
import { readFloat32, requireInput } from './backendData';
import { getWasmElementwise } from './wasm/wasmElementwise';

/**
 * Writes a·b, or conj(a)·b when `conjugateA`, for interleaved complex arrays into `output`.
 * `output` has room for `batch` fields of `fieldLength` float32 values. An operand whose length is one
 * field is reused for every field of the batch. Runs on the WebAssembly SIMD module where the engine
 * supports it, with the same bits as the scalar loop.
 */
export function multiplyComplexFields(
  a: Float32Array,
  b: Float32Array,
  output: Float32Array,
  batch: number,
  fieldLength: number,
  conjugateA: boolean,
): void {
  const simd = getWasmElementwise();
  if (simd !== null) {
    simd.multiplyComplexFields(a, b, output, batch, fieldLength, conjugateA);
  } else {
    multiplyComplexFieldsScalar(a, b, output, batch, fieldLength, conjugateA);
  }
}

/** Same contract as `multiplyComplexFields`, always on the scalar JavaScript loop. */
export function multiplyComplexFieldsScalar(
  a: Float32Array,
  b: Float32Array,
  output: Float32Array,
  batch: number,
  fieldLength: number,
  conjugateA: boolean,
): void {
  const aStride = a.length === fieldLength ? 0 : fieldLength;
  const bStride = b.length === fieldLength ? 0 : fieldLength;
  const sign = conjugateA ? -1 : 1;
  for (let field = 0; field < batch; field += 1) {
    let ia = field * aStride;
    let ib = field * bStride;
    const start = field * fieldLength;
    const end = start + fieldLength;
    for (let i = start; i < end; i += 2) {
      const ar = a[ia];
      const ai = sign * a[ia + 1];
      const br = b[ib];
      const bi = b[ib + 1];
      output[i] = ar * br - ai * bi;
      output[i + 1] = ar * bi + ai * br;
      ia += 2;
      ib += 2;
    }
  }
}

export const complexMultiplyCpuKernel: KernelConfig = {
  kernelName: COMPLEX_MULTIPLY,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const a = requireInput(COMPLEX_MULTIPLY, inputs, 'a');
    const b = requireInput(COMPLEX_MULTIPLY, inputs, 'b');
    const fieldA = a.shape.slice(-3);
    const fieldB = b.shape.slice(-3);
    const batchA = a.shape.length === 4 ? a.shape[0] : undefined;
    const batchB = b.shape.length === 4 ? b.shape[0] : undefined;
    const valid =
      (a.shape.length === 3 || a.shape.length === 4) &&
      (b.shape.length === 3 || b.shape.length === 4) &&
      fieldA.length === 3 &&
      fieldA[2] === 2 &&
      fieldA.join(',') === fieldB.join(',') &&
      (batchA === undefined || batchB === undefined || batchA === batchB);
    if (!valid) {
      throw new Error(
        `${COMPLEX_MULTIPLY}: operand shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not match. ` +
          'Expected [B, n, n, 2] or [n, n, 2] each, with equal field shapes and equal batch sizes.',
      );
    }

    const batch = batchA ?? batchB;
    const outputShape = batch === undefined ? fieldA : [batch, ...fieldA];
    const fieldLength = fieldA[0] * fieldA[1] * 2;
    const output = new Float32Array((batch ?? 1) * fieldLength);
    multiplyComplexFields(
      readFloat32(cpu, a),
      readFloat32(cpu, b),
      output,
      batch ?? 1,
      fieldLength,
      attrs?.conjugateA === true,
    );
    return cpu.makeTensorInfo(outputShape, 'float32', output);
  },
};
