/**
 * Shared plumbing for the WebGPU physics kernels: running a tfjs `WebGPUProgram`, flat dispatch
 * sizes, and a debug mode that turns WGSL compile and validation errors into thrown errors.
 *
 * How tfjs-backend-webgpu 4.22 wraps a program (see its dist/webgpu_program.js):
 * - Output buffer `result` is binding 0. Input i is binding i + 1 and is declared as
 *   `var<storage, read> <variableNames[i]>: array<T>`, where T is f32 or i32 widened to
 *   vec2/vec4 by `variableComponents[i]` (or by `outputComponent` when that list is absent).
 * - A `uniforms` struct follows the inputs. It contains NAN, INFINITY, `<name>Shape` and
 *   `<name>ShapeStrides` for every input and the output (`outShape`), `size` when
 *   `program.size` is set (output element count divided by `outputComponent`), then the fields
 *   declared in `program.uniforms`, filled in order from the `uniforms` argument of
 *   `runWebGPUProgram`.
 * - User code must define `fn main(index: i32)` when `dispatchLayout` has only `x`; the wrapper
 *   calls it with a flat invocation index. The private variables `localId`, `localIndex`,
 *   `workgroupId` and `numWorkgroups` carry the builtins. Module-scope declarations in user code,
 *   `var<workgroup>` included, are allowed.
 * - Pipelines are cached by `shaderKey` plus input ranks and dtypes, not sizes, so any constant
 *   baked into the source has to be part of `shaderKey`.
 * - When `dispatch[0]` exceeds `maxComputeWorkgroupsPerDimension`, tfjs reshapes the dispatch to
 *   2-D or 3-D, so shaders derive their flat workgroup index from all three components.
 */
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export type { WebGPUBackend, WebGPUProgram };

/** Arguments that tfjs passes to a kernel function. */
export type KernelArgs = Parameters<KernelFunc>[0];

/** A tfjs program built from one of this folder's .wgsl files. */
export interface KernelProgram extends WebGPUProgram {
  /** File name of the WGSL source, for error messages. */
  wgslFile: string;
  /** Text of that file, used to map compiler line numbers back to it. */
  wgslSource: string;
}

/** Extra uniform fields, in the order that `WebGPUProgram.uniforms` declares them. */
export type ProgramUniforms = Array<{ type: 'int32' | 'uint32' | 'float32'; data: number[] }>;

/** Invocations per workgroup of the elementwise kernels. */
export const ELEMENTWISE_WORKGROUP_SIZE = 64;

/** Returns the 1-D dispatch that gives one invocation to each of `count` work items. */
export function flatDispatch(count: number, workgroupSize = ELEMENTWISE_WORKGROUP_SIZE): [number, number, number] {
  return [Math.max(1, Math.ceil(count / workgroupSize)), 1, 1];
}

/**
 * Throws when a float32 tensor of `shape` is larger than one storage buffer binding of this
 * device, or has more vec2 elements than an i32 index reaches.
 *
 * tfjs 4.22 requests the adapter's own maxStorageBufferBindingSize and maxBufferSize for its
 * device (1 GiB each on SwiftShader in Chromium 156). It does not check tensor sizes against
 * them. A buffer or binding beyond those limits raises only a WebGPU validation error, which tfjs
 * does not check for, so the physics kernels call this for their large operands first.
 */
export function assertFitsStorageBinding(backend: WebGPUBackend, kernel: string, tensorName: string, shape: number[]): void {
  const { maxStorageBufferBindingSize, maxBufferSize } = backend.device.limits;
  const maxBytes = Math.min(maxStorageBufferBindingSize, maxBufferSize, MAX_I32_VEC2_ELEMENTS * 8);
  const bytes = util.sizeFromShape(shape) * 4;
  if (bytes > maxBytes) {
    throw new Error(
      `${kernel}: ${tensorName} [${shape.join(', ')}] takes ${bytes} bytes, more than the ${maxBytes} bytes that ` +
        `one WebGPU storage binding holds on this device (maxStorageBufferBindingSize ${maxStorageBufferBindingSize}, ` +
        `maxBufferSize ${maxBufferSize}). Use a smaller object or the cpu backend.`,
    );
  }
}

/**
 * Returns true when the backend's device comes from a software adapter such as SwiftShader,
 * Chrome's CPU implementation of WebGPU. GPUDevice.adapterInfo is missing before Chrome 132, which
 * then counts as a hardware GPU.
 */
export function isSoftwareAdapter(backend: WebGPUBackend): boolean {
  const adapterInfo = backend.device.adapterInfo as GPUAdapterInfo | undefined;
  return adapterInfo?.isFallbackAdapter === true || adapterInfo?.architecture === 'swiftshader';
}

/** Element count that the kernels' i32 indices into vec2<f32> arrays reach. */
const MAX_I32_VEC2_ELEMENTS = 2 ** 31 - 1;

let shaderDebug = false;
let pendingChecks: Array<Promise<string | null>> = [];

/**
 * Turns the shader debug mode on or off. While it is on, every kernel dispatch runs inside a
 * WebGPU validation error scope, and {@link takeShaderErrors} reports what the scopes caught.
 */
export function setShaderDebug(enabled: boolean): void {
  shaderDebug = enabled;
}

/**
 * Runs `program` on the WebGPU backend and returns its float32 output.
 *
 * tfjs itself never checks the shader module, so a WGSL error only logs a browser warning and
 * the output comes back as zeros. In debug mode this function wraps the call in
 * `pushErrorScope('validation')`. Errors caught there are logged with console.error at once and
 * collected for {@link takeShaderErrors}.
 */
export function runProgram(
  backend: WebGPUBackend,
  program: KernelProgram,
  inputs: TensorInfo[],
  uniforms?: ProgramUniforms,
): TensorInfo {
  if (!shaderDebug) return backend.runWebGPUProgram(program, inputs, 'float32', uniforms);

  const device = backend.device;
  const { shaderKey, wgslFile, wgslSource } = program;
  // tfjs caches pipelines by key, so a shader that failed to compile before debug mode was
  // turned on would only show up here as "invalid pipeline". A separate key forces a compile
  // inside the error scope.
  const debugProgram = { ...program, shaderKey: `debug_${shaderKey}` };
  device.pushErrorScope('validation');
  try {
    return backend.runWebGPUProgram(debugProgram, inputs, 'float32', uniforms);
  } finally {
    const check = device.popErrorScope().then((error) => {
      if (error === null) return null;
      const report = describeShaderError(shaderKey, error.message, wgslFile, wgslSource);
      console.error(report);
      return report;
    });
    pendingChecks.push(check);
  }
}

/**
 * Waits for the error scopes opened since the last call and throws one Error listing every
 * validation error they caught, with the WGSL line and column from the compiler message.
 * Resolves quietly when there were none or debug mode is off.
 */
export async function takeShaderErrors(): Promise<void> {
  const checks = pendingChecks;
  pendingChecks = [];
  const reports = (await Promise.all(checks)).filter((report): report is string => report !== null);
  if (reports.length > 0) {
    throw new Error(`WebGPU kernel validation failed:\n${reports.join('\n\n')}`);
  }
}

/**
 * Formats a validation error for a kernel. Dawn reports WGSL errors as `:line:column error: ...`
 * followed by the text of that line. That line number counts from the top of the source that tfjs
 * assembles around the kernel's code. So this also looks the quoted text up in the kernel's .wgsl
 * file, and names the file line when the text occurs there exactly once.
 */
function describeShaderError(shaderKey: string, message: string, wgslFile: string, wgslSource: string): string {
  const report = [`${shaderKey}: ${message.trim()}`];
  const position = /:(\d+):(\d+)\s+error:[^\n]*\n([^\n]*)/.exec(message);
  const quoted = position?.[3].trim() ?? '';
  if (position && quoted !== '') {
    const fileLines = wgslSource.split('\n').flatMap((text, i) => (text.trim() === quoted ? [i + 1] : []));
    if (fileLines.length === 1) report.push(`at ${wgslFile}:${fileLines[0]}:${position[2]}`);
  }
  return report.join('\n');
}
