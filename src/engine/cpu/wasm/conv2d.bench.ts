// Times the 'cpu' backend's FusedConv2D (bias, relu, 3×3 'same') on the layer shapes of the
// 1/8-width PtychoPINN network at N = 64, batch 16, with the stock tfjs kernel and with the
// WebAssembly SIMD one, the input gradient (Conv2DBackpropInput) likewise, and the filter
// gradient (Conv2DBackpropFilter) with the flat-array JavaScript kernel of convolutionGradient.ts
// and the SIMD one, in Node:
//   npx vitest bench --run src/engine/cpu/wasm/conv2d.bench.ts
// Prints a table of milliseconds per call and GFLOP/s, counting 2 flops per multiply-add and none
// for the padding. The bench table's own timing is of the whole run.
import * as tf from '@tensorflow/tfjs';
import { bench } from 'vitest';

import type { MathBackendCPU, TensorInfo } from '@tensorflow/tfjs';

import { registerFastCpuConvolutionGradient } from '../convolutionGradient';
import { registerFastCpuConvolutionKernels } from '../convolutionKernels';

const BATCH = 16;
/** [side, inChannels, outChannels] of each convolution of the network, decoder layers once. */
const LAYERS: [number, number, number][] = [
  [64, 1, 8],
  [64, 8, 8],
  [32, 8, 16],
  [32, 16, 16],
  [16, 16, 32],
  [16, 32, 32],
  [8, 32, 16],
  [8, 16, 16],
  [16, 16, 8],
  [16, 8, 8],
  [32, 8, 1],
];
const MIN_SECONDS = 0.3;

/** Returns the median milliseconds per call of `run`, repeated for at least MIN_SECONDS. */
function time(run: () => void): number {
  run();
  const samples: number[] = [];
  const started = performance.now();
  while (samples.length < 3 || performance.now() - started < 1000 * MIN_SECONDS) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

async function runAll(): Promise<void> {
  await tf.setBackend('cpu');
  const backend = tf.backend() as MathBackendCPU;
  const kernel = (name: string) => {
    const config = tf.getKernel(name, 'cpu');
    if (config === undefined) throw new Error(`No ${name} kernel on the cpu backend.`);
    return config.kernelFunc;
  };
  const stockForward = kernel('FusedConv2D');
  const stockInput = kernel('Conv2DBackpropInput');
  registerFastCpuConvolutionGradient();
  const flatFilter = kernel('Conv2DBackpropFilter');
  registerFastCpuConvolutionKernels();
  const wasmForward = kernel('FusedConv2D');
  const wasmInput = kernel('Conv2DBackpropInput');
  const wasmFilter = kernel('Conv2DBackpropFilter');

  const lines = [
    '| layer | stock forward ms | SIMD forward ms | stock GFLOP/s | SIMD GFLOP/s | stock dx ms | SIMD dx ms | SIMD dx GFLOP/s | JS dW ms | SIMD dW ms | SIMD dW GFLOP/s |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [side, inChannels, outChannels] of LAYERS) {
    const x = tf.randomNormal([BATCH, side, side, inChannels]);
    const filter = tf.randomNormal([3, 3, inChannels, outChannels]);
    const bias = tf.randomNormal([outChannels]);
    const dy = tf.randomNormal([BATCH, side, side, outChannels]);
    const forwardArgs = {
      inputs: { x, filter, bias },
      backend,
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'relu' },
    } as unknown as Parameters<tf.KernelFunc>[0];
    const inputArgs = {
      inputs: { dy, filter },
      backend,
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [BATCH, side, side, inChannels] },
    } as unknown as Parameters<tf.KernelFunc>[0];
    const filterArgs = {
      inputs: { x, dy },
      backend,
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, inChannels, outChannels] },
    } as unknown as Parameters<tf.KernelFunc>[0];
    const call = (kernelFunc: tf.KernelFunc, args: Parameters<tf.KernelFunc>[0]) => () =>
      backend.disposeData((kernelFunc(args) as TensorInfo).dataId);

    const gflop = (2 * BATCH * side * side * 9 * inChannels * outChannels) / 1e9;
    const stockMs = time(call(stockForward, forwardArgs));
    const wasmMs = time(call(wasmForward, forwardArgs));
    const stockInputMs = time(call(stockInput, inputArgs));
    const wasmInputMs = time(call(wasmInput, inputArgs));
    const flatFilterMs = time(call(flatFilter, filterArgs));
    const wasmFilterMs = time(call(wasmFilter, filterArgs));
    lines.push(
      `| ${side}²: ${inChannels}→${outChannels} | ${stockMs.toFixed(2)} | ${wasmMs.toFixed(2)} | ${(gflop / stockMs * 1e3).toFixed(2)} | ` +
        `${(gflop / wasmMs * 1e3).toFixed(2)} | ${stockInputMs.toFixed(2)} | ${wasmInputMs.toFixed(2)} | ${(gflop / wasmInputMs * 1e3).toFixed(2)} | ` +
        `${flatFilterMs.toFixed(2)} | ${wasmFilterMs.toFixed(2)} | ${(gflop / wasmFilterMs * 1e3).toFixed(2)} |`,
    );
    tf.dispose([x, filter, bias, dy]);
  }
  console.log(`FusedConv2D, Conv2DBackpropInput and Conv2DBackpropFilter at batch ${BATCH}, Node ${process.version}\n${lines.join('\n')}`);
}

bench('conv2d layers of PtychoPINN, stock and SIMD', runAll, { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 });
