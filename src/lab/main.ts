/**
 * Kernel lab: a page without UI that end-to-end tests and the benchmark drive through
 * `window.ptychoLab`, to run single kernels on a chosen backend with data passed in from Node.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

import { createBrowserEnvironment } from '../device/browserEnvironment';
import { resolveBackend, type BackendResolution, type RequestedBackend } from '../device/policy';
import { complexMultiply, extractPatches, fft2, overlapSum } from '../engine/ops';
import { registerPhysicsKernels } from '../engine/register';
import { runProgram, setShaderDebug, takeShaderErrors, type WebGPUBackend } from '../engine/webgpu/program';

interface ArrayPayload {
  shape: number[];
  dtype?: 'float32' | 'int32';
  data: number[];
}

type LabKernel = 'fft2' | 'ifft2' | 'extractPatches' | 'overlapSum' | 'complexMultiply';

function toTensor(payload: ArrayPayload): tf.Tensor {
  return tf.tensor(payload.data, payload.shape, payload.dtype ?? 'float32');
}

async function runKernel(
  kernel: LabKernel,
  inputs: Record<string, ArrayPayload>,
  attrs: Record<string, number | boolean> = {},
): Promise<{ shape: number[]; data: number[] }> {
  const tensors = Object.fromEntries(Object.entries(inputs).map(([name, payload]) => [name, toTensor(payload)]));
  let output: tf.Tensor;
  switch (kernel) {
    case 'fft2':
      output = fft2(tensors.x as tf.Tensor4D, 'forward');
      break;
    case 'ifft2':
      output = fft2(tensors.x as tf.Tensor4D, 'inverse');
      break;
    case 'extractPatches':
      output = extractPatches(tensors.object as tf.Tensor3D, tensors.positions as tf.Tensor2D, Number(attrs.size));
      break;
    case 'overlapSum':
      output = overlapSum(
        tensors.patches as tf.Tensor4D,
        tensors.positions as tf.Tensor2D,
        Number(attrs.height),
        Number(attrs.width),
      );
      break;
    case 'complexMultiply':
      output = complexMultiply(tensors.a, tensors.b, Boolean(attrs.conjugateA));
      break;
    default:
      throw new Error(`Unknown lab kernel "${String(kernel)}".`);
  }
  try {
    const data = Array.from(await output.data());
    await takeShaderErrors();
    return { shape: output.shape, data };
  } finally {
    output.dispose();
    Object.values(tensors).forEach((t) => t.dispose());
  }
}

/**
 * Runs `wgsl` as a WebGPU program that writes `length` floats to `result` from
 * `fn main(index: i32)`, and returns them. Rejects with the compiler's message when shader debug
 * mode is on and the code does not compile. Exists to test that error path.
 */
async function runWgsl(wgsl: string, length: number): Promise<number[]> {
  const backend = tf.backend() as WebGPUBackend;
  const output = runProgram(backend, {
    wgslFile: 'lab.wgsl',
    wgslSource: wgsl,
    variableNames: [],
    outputShape: [length],
    shaderKey: `labWgsl_${wgsl.length}_${Array.from(wgsl).reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) | 0, 0)}`,
    size: true,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(length / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    getUserCode: () => wgsl,
  }, []);
  const tensor = tf.engine().makeTensorFromTensorInfo(output);
  try {
    const data = Array.from(await tensor.data());
    await takeShaderErrors();
    return data;
  } finally {
    tensor.dispose();
  }
}

async function useBackend(name: 'cpu' | 'webgl' | 'webgpu'): Promise<{ ok: boolean; backend: string }> {
  registerPhysicsKernels();
  const ok = await tf.setBackend(name);
  await tf.ready();
  return { ok, backend: ok ? tf.getBackend() : 'none' };
}

/** Runs the device policy with the real browser environment. Rejects as resolveBackend() does. */
async function resolve(requested: RequestedBackend): Promise<BackendResolution> {
  return resolveBackend(requested, createBrowserEnvironment());
}

declare global {
  interface Window {
    ptychoLab: {
      tf: typeof tf;
      useBackend: typeof useBackend;
      runKernel: typeof runKernel;
      resolve: typeof resolve;
      setShaderDebug: typeof setShaderDebug;
      runWgsl: typeof runWgsl;
    };
  }
}

window.ptychoLab = { tf, useBackend, runKernel, resolve, setShaderDebug, runWgsl };
document.body.dataset.ready = 'true';
