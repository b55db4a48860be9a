/**
 * WebGPU kernel for FFT2: a batched unitary 2-D FFT as two dispatches, one 1-D FFT per row and
 * then one per column, each line transformed in workgroup memory (see fft2.wgsl).
 */
import * as tf from '@tensorflow/tfjs';

import { FFT2, type Fft2Attrs } from '../kernelNames';
import { isSoftwareAdapter, runProgram, type KernelArgs, type KernelProgram, type WebGPUBackend } from './program';
import fft2Source from './fft2.wgsl?raw';

/** Invocations per workgroup that a workgroup of short lines is filled up to. */
const MIN_WORKGROUP_INVOCATIONS = 64;
const BYTES_PER_COMPLEX = 8;

/** Workgroup shape and stage layout for one line length on one device. */
export interface Fft2Plan {
  size: number;
  /** Invocations per line (workgroup size x). */
  threads: number;
  /** Lines per workgroup (workgroup size y). */
  lines: number;
  /** True when log2(size) is odd, so a radix-2 stage precedes the radix-4 stages. */
  hasRadix2Stage: boolean;
}

/**
 * Invocations per line on a software adapter such as SwiftShader, Chrome's CPU implementation of
 * WebGPU. On SwiftShader on a 2-core machine (e2e/kernels-webgpu.test.mjs), FFT2 of
 * [64, 128, 128, 2] took about 310 ms with 4 invocations per workgroup and about 1.8 s with
 * 32 invocations × 2 lines. The likely cause is that a barrier on a CPU costs more the more
 * invocations it has to synchronize.
 */
const SOFTWARE_ADAPTER_THREADS = 4;

/**
 * Chooses the workgroup shape for lines of `size` points from the device limits. GPUs get up to
 * one invocation per radix-4 butterfly and at least 64 invocations per workgroup. A software
 * adapter gets small workgroups (see {@link SOFTWARE_ADAPTER_THREADS}). Throws when one line does
 * not fit the workgroup storage.
 */
export function planFft2(size: number, limits: GPUSupportedLimits, softwareAdapter = false): Fft2Plan {
  // NOTE: the GPU plan is checked for correctness on SwiftShader only (the 'gpu' plan tests).
  // Its speed on hardware GPUs has not been measured.
  const maxInvocations = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const threadCap = softwareAdapter ? Math.min(SOFTWARE_ADAPTER_THREADS, maxInvocations) : maxInvocations;
  const threads = Math.max(1, Math.min(size / 4, threadCap));
  const minInvocations = softwareAdapter ? 1 : MIN_WORKGROUP_INVOCATIONS;
  const bytesPerLine = 2 * size * BYTES_PER_COMPLEX;
  if (bytesPerLine > limits.maxComputeWorkgroupStorageSize) {
    throw new Error(
      `fft2: a ${size}-point line needs ${bytesPerLine} bytes of workgroup storage, but this WebGPU device ` +
        `allows ${limits.maxComputeWorkgroupStorageSize} (maxComputeWorkgroupStorageSize). ` +
        `Use fields of at most ${Math.floor(limits.maxComputeWorkgroupStorageSize / (2 * BYTES_PER_COMPLEX))} points a side.`,
    );
  }
  let lines = 1;
  while (
    threads * lines < minInvocations &&
    threads * lines * 2 <= limits.maxComputeInvocationsPerWorkgroup &&
    lines * 2 <= limits.maxComputeWorkgroupSizeY &&
    bytesPerLine * lines * 2 <= limits.maxComputeWorkgroupStorageSize
  ) {
    lines *= 2;
  }
  return { size, threads, lines, hasRadix2Stage: Math.log2(size) % 2 === 1 };
}

/**
 * tfjs flag that picks the FFT2 workgroup plan: 'auto' (software plan on software adapters),
 * 'gpu' or 'software'. Tests set it to run the GPU plan on SwiftShader.
 */
export const FFT2_PLAN_FLAG = 'PTYCHO_WEBGPU_FFT2_PLAN';

let planFlagRegistered = false;

/** Registers {@link FFT2_PLAN_FLAG} with its default, 'auto', once per JavaScript realm. */
export function registerFft2PlanFlag(): void {
  if (planFlagRegistered) return;
  tf.env().registerFlag(FFT2_PLAN_FLAG, () => 'auto');
  planFlagRegistered = true;
}

function usesSoftwarePlan(backend: WebGPUBackend): boolean {
  const choice = tf.env().get(FFT2_PLAN_FLAG);
  if (choice === 'gpu' || choice === 'software') return choice === 'software';
  return isSoftwareAdapter(backend);
}

const twiddleTables = new Map<number, Float32Array>();

/** Returns (cos, sin)(2πt/size) for t in [0, size), computed in float64 and cached per size. */
function twiddleTable(size: number): Float32Array {
  let table = twiddleTables.get(size);
  if (!table) {
    table = new Float32Array(2 * size);
    for (let t = 0; t < size; t += 1) {
      const angle = (2 * Math.PI * t) / size;
      table[2 * t] = Math.cos(angle);
      table[2 * t + 1] = Math.sin(angle);
    }
    twiddleTables.set(size, table);
  }
  return table;
}

function makeLinePassProgram(plan: Fft2Plan, outputShape: number[], lineCount: number): KernelProgram {
  const constants = [
    `const FFT_SIZE: u32 = ${plan.size}u;`,
    `const THREADS: u32 = ${plan.threads}u;`,
    `const LINES: u32 = ${plan.lines}u;`,
    `const HAS_RADIX2_STAGE: bool = ${plan.hasRadix2Stage};`,
  ].join('\n');
  return {
    wgslFile: 'fft2.wgsl',
    wgslSource: fft2Source,
    variableNames: ['x', 'twiddles'],
    variableComponents: [2, 2],
    outputComponent: 2,
    outputShape,
    shaderKey: `ptychoFft2_${plan.size}_${plan.threads}_${plan.lines}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(lineCount / plan.lines), 1, 1],
    workgroupSize: [plan.threads, plan.lines, 1],
    uniforms: 'lineCount : i32, lineStride : i32, elementStride : i32, sign : f32, scale : f32,',
    getUserCode: () => `${constants}\n${fft2Source}`,
  };
}

function fft2KernelFunc({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const webgpu = backend as WebGPUBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  const { inverse } = attrs as unknown as Fft2Attrs;
  const [batch, size, width, channels] = x.shape;
  if (x.shape.length !== 4 || size !== width || channels !== 2 || size < 2 || (size & (size - 1)) !== 0) {
    throw new Error(
      `${FFT2}: expected x of shape [B, N, N, 2] with N a power of two, received [${x.shape.join(', ')}].`,
    );
  }

  const plan = planFft2(size, webgpu.device.limits, usesSoftwarePlan(webgpu));
  const twiddles = webgpu.makeTensorInfo([size, 2], 'float32', twiddleTable(size));
  const lineCount = batch * size;
  const sign = inverse ? 1 : -1;

  // The rows pass leaves the scale at 1 and the columns pass applies 1/N, the whole "ortho"
  // factor. 1/N is a power of two, so scaling once adds no rounding error.
  const rowPass = makeLinePassProgram(plan, x.shape, lineCount);
  const rows = runProgram(webgpu, rowPass, [x, twiddles], [
    { type: 'int32', data: [lineCount] },
    { type: 'int32', data: [size] },
    { type: 'int32', data: [1] },
    { type: 'float32', data: [sign] },
    { type: 'float32', data: [1] },
  ]);
  const columnPass = makeLinePassProgram(plan, x.shape, lineCount);
  const output = runProgram(webgpu, columnPass, [rows, twiddles], [
    { type: 'int32', data: [lineCount] },
    { type: 'int32', data: [1] },
    { type: 'int32', data: [size] },
    { type: 'float32', data: [sign] },
    { type: 'float32', data: [1 / size] },
  ]);

  // The twiddle table is uploaded per call (size · 8 bytes) instead of being kept on the GPU,
  // because a table that outlives the kernel counts as a leaked data id under tfjs's DEBUG and
  // IS_TEST memory checks.
  webgpu.disposeData(rows.dataId);
  webgpu.disposeData(twiddles.dataId);
  return output;
}

export const fft2Kernel: tf.KernelConfig = {
  kernelName: FFT2,
  backendName: 'webgpu',
  kernelFunc: fft2KernelFunc,
};
