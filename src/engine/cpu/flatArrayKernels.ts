/**
 * Registers flat-array replacements for the TensorFlow.js 'cpu' backend kernels that PtychoPINN
 * training and inference spend their non-convolution time in. The kernels live in
 * layoutKernels.ts, poolingKernels.ts, sumKernel.ts, binaryKernels.ts and activationKernels.ts.
 * Each computes the same values as the stock @tensorflow/tfjs-backend-cpu 4.22 kernel and passes
 * the cases that it does not take to that kernel, captured before it is unregistered.
 */
import * as tf from '@tensorflow/tfjs';

import type { TensorInfo } from '@tensorflow/tfjs';

import { registerFastCpuActivationKernels } from './activationKernels';
import { registerFastCpuBinaryKernels } from './binaryKernels';
import { registerFastCpuLayoutKernels } from './layoutKernels';
import { registerFastCpuPoolingKernels } from './poolingKernels';
import { registerFastCpuSumKernel } from './sumKernel';

type KernelArgs = Parameters<tf.KernelFunc>[0];

let registered = false;

/**
 * Replaces the 'cpu' backend's Slice, SplitV, Unpack, PadV2, GatherV2, Concat, MaxPool,
 * MaxPoolGrad, Sum, Add, Multiply, Relu and Step with flat-array versions, once per JavaScript realm. A kernel
 * that 'cpu' does not register is left alone.
 */
export function registerFlatArrayCpuKernels(): void {
  if (registered) return;
  registered = true;
  registerFastCpuLayoutKernels(replaceCpuKernel);
  registerFastCpuPoolingKernels(replaceCpuKernel);
  registerFastCpuSumKernel(replaceCpuKernel);
  registerFastCpuBinaryKernels(replaceCpuKernel);
  registerFastCpuActivationKernels(replaceCpuKernel);
}

/** Registers `kernelFunc` for `name` on 'cpu' in place of the stock kernel, which it receives. */
export function replaceCpuKernel(
  name: string,
  kernelFunc: (args: KernelArgs, stock: tf.KernelFunc) => TensorInfo | TensorInfo[],
): void {
  const stock = tf.getKernel(name, 'cpu');
  if (stock === undefined) return;
  const stockKernel = stock.kernelFunc;
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: (args) => kernelFunc(args, stockKernel) });
}
