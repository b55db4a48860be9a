/**
 * Nearest-neighbour ×2 upsampling and its gradient for the TensorFlow.js 'cpu' backend, NHWC
 * float32, as in PtychoPINN's decoders. Built from concats and reshapes, each upsampling costs two
 * Concat calls and an intermediate tensor, whereas these kernels write their output once.
 */
import * as tf from '@tensorflow/tfjs';

import type { KernelConfig, MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import { UPSAMPLE_NEAREST_2X, UPSAMPLE_NEAREST_2X_GRAD } from '../kernelNames';
import { readFloat32, requireInput } from './backendData';

function requireFloat32Rank4(kernelName: string, name: string, tensor: TensorInfo): [number, number, number, number] {
  if (tensor.shape.length !== 4 || tensor.dtype !== 'float32') {
    throw new Error(
      `${kernelName}: expected '${name}' to be float32 of rank 4 [B, H, W, C], received ${tensor.dtype} [${tensor.shape.join(', ')}].`,
    );
  }
  return tensor.shape as [number, number, number, number];
}

export const upsampleNearest2xCpuKernel: KernelConfig = {
  kernelName: UPSAMPLE_NEAREST_2X,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const cpu = backend as MathBackendCPU;
    const x = requireInput(UPSAMPLE_NEAREST_2X, inputs, 'x');
    const [batch, height, width, channels] = requireFloat32Rank4(UPSAMPLE_NEAREST_2X, 'x', x);
    const input = readFloat32(cpu, x);
    const outRowLength = 2 * width * channels;
    const output = new Float32Array(batch * 2 * height * outRowLength);

    let source = 0;
    let target = 0;
    for (let row = 0; row < batch * height; row += 1) {
      // Fill output row 2·row from input row `row`, then copy it to output row 2·row + 1.
      const rowStart = target;
      for (let col = 0; col < width; col += 1) {
        for (let c = 0; c < channels; c += 1) {
          const value = input[source + c];
          output[target + c] = value;
          output[target + channels + c] = value;
        }
        source += channels;
        target += 2 * channels;
      }
      output.copyWithin(target, rowStart, target);
      target += outRowLength;
    }
    return cpu.makeTensorInfo([batch, 2 * height, 2 * width, channels], 'float32', output);
  },
};

export const upsampleNearest2xGradCpuKernel: KernelConfig = {
  kernelName: UPSAMPLE_NEAREST_2X_GRAD,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const cpu = backend as MathBackendCPU;
    const dy = requireInput(UPSAMPLE_NEAREST_2X_GRAD, inputs, 'dy');
    const [batch, outHeight, outWidth, channels] = requireFloat32Rank4(UPSAMPLE_NEAREST_2X_GRAD, 'dy', dy);
    if (outHeight % 2 !== 0 || outWidth % 2 !== 0) {
      throw new Error(`${UPSAMPLE_NEAREST_2X_GRAD}: expected an even height and width of 'dy', received [${dy.shape.join(', ')}].`);
    }
    const upstream = readFloat32(cpu, dy);
    const height = outHeight / 2;
    const width = outWidth / 2;
    const outRowLength = outWidth * channels;
    const dx = new Float32Array(batch * height * width * channels);

    let target = 0;
    for (let row = 0; row < batch * height; row += 1) {
      const top = 2 * row * outRowLength;
      const bottom = top + outRowLength;
      for (let col = 0; col < width; col += 1) {
        const offset = 2 * col * channels;
        for (let c = 0; c < channels; c += 1) {
          const left = offset + c;
          const right = left + channels;
          // Columns first, then rows, each sum rounded to float32: the order in which the gradient
          // of the concat-and-reshape upsampling adds the four values.
          const topSum = Math.fround(upstream[top + left] + upstream[top + right]);
          const bottomSum = Math.fround(upstream[bottom + left] + upstream[bottom + right]);
          dx[target + c] = topSum + bottomSum;
        }
        target += channels;
      }
    }
    return cpu.makeTensorInfo([batch, height, width, channels], 'float32', dx);
  },
};

const upsampleNearest2xGradient: tf.GradConfig = {
  kernelName: UPSAMPLE_NEAREST_2X,
  gradFunc: (dy) => {
    const upstream = dy as tf.Tensor4D;
    return { x: () => tf.engine().runKernel(UPSAMPLE_NEAREST_2X_GRAD, { dy: upstream }) as tf.Tensor4D };
  },
};

/** Registers both kernels on 'cpu' and the gradient of UPSAMPLE_NEAREST_2X, once per JavaScript realm. */
export function registerUpsampleNearest2xCpuKernels(): void {
  if (tf.getKernel(UPSAMPLE_NEAREST_2X, 'cpu') !== undefined) return;
  tf.registerKernel(upsampleNearest2xCpuKernel);
  tf.registerKernel(upsampleNearest2xGradCpuKernel);
  tf.registerGradient(upsampleNearest2xGradient);
}

/**
 * Upsamples x [B, H, W, C] by 2 in height and width, repeating every pixel into a 2 × 2 block.
 * Runs only on the 'cpu' backend, which must be the active one.
 */
export function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  registerUpsampleNearest2xCpuKernels();
  return tf.engine().runKernel(UPSAMPLE_NEAREST_2X, { x }) as tf.Tensor4D;
}
