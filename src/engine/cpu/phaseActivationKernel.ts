/**
 * PtychoPINN's phase activation π·tanh(x) as one 'cpu' kernel. As tf.tanh followed by tf.mul it
 * costs two kernel calls and two output arrays, and the stock Tanh calls Math.tanh through a
 * generic per-element callback. This kernel gives the same float32 values in one pass.
 */
import * as tf from '@tensorflow/tfjs';

import type { KernelConfig, MathBackendCPU } from '@tensorflow/tfjs';

import { PHASE_ACTIVATION } from '../kernelNames';
import { readFloat32, requireInput } from './backendData';

const PI_FLOAT32 = Math.fround(Math.PI);

export const phaseActivationCpuKernel: KernelConfig = {
  kernelName: PHASE_ACTIVATION,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const cpu = backend as MathBackendCPU;
    const x = requireInput(PHASE_ACTIVATION, inputs, 'x');
    if (x.dtype !== 'float32') {
      throw new Error(`${PHASE_ACTIVATION}: expected 'x' to be float32, received ${x.dtype} [${x.shape.join(', ')}].`);
    }
    const input = readFloat32(cpu, x);
    const output = new Float32Array(input.length);
    for (let i = 0; i < input.length; i += 1) {
      // Round tanh to float32 first, as the Tanh kernel's output array does.
      output[i] = Math.fround(Math.tanh(input[i])) * PI_FLOAT32;
    }
    return cpu.makeTensorInfo(x.shape, 'float32', output);
  },
};

/**
 * The gradient π·(1 − tanh²(x))·dy, built from the same tfjs ops, in the same order, as the
 * gradients of tf.mul and tf.tanh, so that training gets the same values as with those two ops.
 */
const phaseActivationGradient: tf.GradConfig = {
  kernelName: PHASE_ACTIVATION,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const upstream = dy as tf.Tensor;
    return {
      x: () => {
        const tanhGradient = tf.mul(upstream, tf.scalar(Math.PI));
        return tf.mul(tf.sub(tf.scalar(1), tf.square(tf.tanh(x))), tanhGradient);
      },
    };
  },
};

/** Registers the kernel on 'cpu' and its gradient, once per JavaScript realm. */
export function registerPhaseActivationCpuKernel(): void {
  if (tf.getKernel(PHASE_ACTIVATION, 'cpu') !== undefined) return;
  tf.registerKernel(phaseActivationCpuKernel);
  tf.registerGradient(phaseActivationGradient);
}

/** Returns π·tanh(x) for a float32 x. Runs only on the 'cpu' backend, which must be the active one. */
export function phaseActivation(x: tf.Tensor): tf.Tensor {
  registerPhaseActivationCpuKernel();
  return tf.engine().runKernel(PHASE_ACTIVATION, { x });
}
