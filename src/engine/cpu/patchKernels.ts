/** The EXTRACT_PATCHES and OVERLAP_SUM kernels for the 'cpu' backend. */
import type { KernelConfig, MathBackendCPU } from '@tensorflow/tfjs';

import { EXTRACT_PATCHES, OVERLAP_SUM } from '../kernelNames';
import { readFloat32, readInt32, requireInput } from './backendData';
import { getWasmElementwise } from './wasm/wasmElementwise';

function requirePositiveInteger(kernelName: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${kernelName}: attribute '${name}' must be a positive integer, received ${String(value)}.`);
  }
  return value;
}

/**
 * Throws unless every size×size window with its top-left corner at `positions` (row, col pairs)
 * lies inside a height×width object. The message names the first offending patch.
 */
export function validateWindows(
  kernelName: string,
  positions: Int32Array,
  size: number,
  height: number,
  width: number,
): void {
  const count = positions.length / 2;
  for (let patch = 0; patch < count; patch += 1) {
    const row = positions[2 * patch];
    const col = positions[2 * patch + 1];
    if (row < 0 || col < 0 || row + size > height || col + size > width) {
      throw new Error(
        `${kernelName}: patch ${patch} at (row ${row}, col ${col}) with a ${size}×${size} window ` +
          `does not lie inside the ${height}×${width} object. ` +
          `Each position must satisfy 0 ≤ row ≤ ${height - size} and 0 ≤ col ≤ ${width - size}.`,
      );
    }
  }
}

function requirePositions(kernelName: string, shape: number[], count: number): void {
  if (shape.length !== 2 || shape[0] !== count || shape[1] !== 2) {
    throw new Error(
      `${kernelName}: expected positions of shape [${count}, 2] as (row, col), received [${shape.join(', ')}].`,
    );
  }
}

export const extractPatchesCpuKernel: KernelConfig = {
  kernelName: EXTRACT_PATCHES,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const object = requireInput(EXTRACT_PATCHES, inputs, 'object');
    const positionsInfo = requireInput(EXTRACT_PATCHES, inputs, 'positions');
    const size = requirePositiveInteger(EXTRACT_PATCHES, 'size', attrs?.size);
    if (object.shape.length !== 3 || object.shape[2] !== 2) {
      throw new Error(`${EXTRACT_PATCHES}: expected object of shape [H, W, 2], received [${object.shape.join(', ')}].`);
    }
    const count = positionsInfo.shape[0];
    requirePositions(EXTRACT_PATCHES, positionsInfo.shape, count);

    const [height, width] = object.shape;
    const positions = readInt32(cpu, positionsInfo);
    validateWindows(EXTRACT_PATCHES, positions, size, height, width);

    const source = readFloat32(cpu, object);
    const rowLength = 2 * size;
    const output = new Float32Array(count * size * rowLength);
    let target = 0;
    for (let patch = 0; patch < count; patch += 1) {
      const top = positions[2 * patch];
      const left = positions[2 * patch + 1];
      for (let row = 0; row < size; row += 1) {
        const start = 2 * ((top + row) * width + left);
        output.set(source.subarray(start, start + rowLength), target);
        target += rowLength;
      }
    }
    return cpu.makeTensorInfo([count, size, size, 2], 'float32', output);
  },
};

/**
 * Adds `count` interleaved complex size×size patches into the zeroed object `output` of row length
 * `width`, patch p at `positions` p with its values from p·patchStride in `patches`. Patches are added
 * one after another in ascending index order, so every object pixel receives its contributions in
 * the same order on every run and the float32 result is reproducible. Runs on the WebAssembly SIMD
 * module where the engine supports it and `size` is even, with the same bits as the scalar loop.
 */
export function addPatches(
  patches: Float32Array,
  positions: Int32Array,
  output: Float32Array,
  count: number,
  size: number,
  width: number,
  patchStride: number,
): void {
  const simd = size % 2 === 0 ? getWasmElementwise() : null;
  if (simd !== null) {
    simd.addPatches(patches, positions, output, count, size, width, patchStride);
  } else {
    addPatchesScalar(patches, positions, output, count, size, width, patchStride);
  }
}

/** Same contract as `addPatches`, always on the scalar JavaScript loop. */
export function addPatchesScalar(
  patches: Float32Array,
  positions: Int32Array,
  output: Float32Array,
  count: number,
  size: number,
  width: number,
  patchStride: number,
): void {
  const rowLength = 2 * size;
  for (let patch = 0; patch < count; patch += 1) {
    const top = positions[2 * patch];
    const left = positions[2 * patch + 1];
    let source = patch * patchStride;
    for (let row = 0; row < size; row += 1) {
      let target = 2 * ((top + row) * width + left);
      const sourceEnd = source + rowLength;
      for (; source < sourceEnd; source += 1) {
        output[target] += patches[source];
        target += 1;
      }
    }
  }
}

export const overlapSumCpuKernel: KernelConfig = {
  kernelName: OVERLAP_SUM,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const patchesInfo = requireInput(OVERLAP_SUM, inputs, 'patches');
    const positionsInfo = requireInput(OVERLAP_SUM, inputs, 'positions');
    const height = requirePositiveInteger(OVERLAP_SUM, 'height', attrs?.height);
    const width = requirePositiveInteger(OVERLAP_SUM, 'width', attrs?.width);
    // A rank-3 `patches` is one patch placed at every position, so its source offset restarts at 0
    // for each position instead of advancing by one patch.
    const singlePatch = patchesInfo.shape.length === 3;
    const patchShape = singlePatch ? patchesInfo.shape : patchesInfo.shape.slice(1);
    const [size, sizeAgain, parts] = patchShape;
    if (
      (patchesInfo.shape.length !== 3 && patchesInfo.shape.length !== 4) ||
      sizeAgain !== size ||
      parts !== 2
    ) {
      throw new Error(
        `${OVERLAP_SUM}: expected patches of shape [B, n, n, 2] or [n, n, 2], ` +
          `received [${patchesInfo.shape.join(', ')}].`,
      );
    }
    const count = singlePatch ? positionsInfo.shape[0] : patchesInfo.shape[0];
    requirePositions(OVERLAP_SUM, positionsInfo.shape, count);

    const positions = readInt32(cpu, positionsInfo);
    validateWindows(OVERLAP_SUM, positions, size, height, width);

    const output = new Float32Array(height * width * 2);
    const patchStride = singlePatch ? 0 : size * size * 2;
    addPatches(readFloat32(cpu, patchesInfo), positions, output, count, size, width, patchStride);
    return cpu.makeTensorInfo([height, width, 2], 'float32', output);
  },
};
