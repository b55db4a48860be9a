// The forward convolution split across helper threads against the same module on the calling
// thread alone. Node provides worker_threads and shared memory, so the helpers run here.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';

import { randomValues } from '../testValues';
import { WasmConv2d, type Conv2dRequest } from './wasmConv2d';

const wasm = WasmConv2d.create();
const helperCount = wasm === null ? 0 : await wasm.helpersReady;

interface Shape {
  name: string;
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  kh: number;
  kw: number;
  outChannels: number;
  padding: number;
  relu: boolean;
  bias: 'none' | 'scalar' | 'channels';
  flipFilter: boolean;
}

const shapes: Shape[] = [
  { name: 'batch 2, 3×3 same, relu', batch: 2, height: 9, width: 11, inChannels: 3, kh: 3, kw: 3, outChannels: 8, padding: 1, relu: true, bias: 'channels', flipFilter: false },
  { name: 'batch 7, 3 output channels', batch: 7, height: 16, width: 16, inChannels: 5, kh: 3, kw: 3, outChannels: 3, padding: 1, relu: false, bias: 'scalar', flipFilter: false },
  { name: 'batch 5, 1×1 valid, no bias', batch: 5, height: 12, width: 7, inChannels: 16, kh: 1, kw: 1, outChannels: 12, padding: 0, relu: false, bias: 'none', flipFilter: false },
  { name: 'batch 3, flipped 5×5 filter', batch: 3, height: 10, width: 10, inChannels: 4, kh: 5, kw: 5, outChannels: 6, padding: 2, relu: false, bias: 'none', flipFilter: true },
  // About 0.54 MB of padded input and output per image, so 20 images take two rounds of 4 MiB per thread.
  { name: 'batch 20, several rounds', batch: 20, height: 64, width: 64, inChannels: 16, kh: 3, kw: 3, outChannels: 16, padding: 1, relu: true, bias: 'channels', flipFilter: false },
];

function request(shape: Shape, seed: number): Conv2dRequest {
  const biasValues = { none: null, scalar: randomValues(1, seed + 2), channels: randomValues(shape.outChannels, seed + 2) };
  return {
    input: randomValues(shape.batch * shape.height * shape.width * shape.inChannels, seed),
    batch: shape.batch,
    height: shape.height,
    width: shape.width,
    inChannels: shape.inChannels,
    filter: randomValues(shape.kh * shape.kw * shape.inChannels * shape.outChannels, seed + 1),
    kh: shape.kh,
    kw: shape.kw,
    outChannels: shape.outChannels,
    flipFilter: shape.flipFilter,
    bias: biasValues[shape.bias],
    padding: { top: shape.padding, bottom: shape.padding, left: shape.padding, right: shape.padding },
    relu: shape.relu,
  };
}

/** Returns the index of the first element whose bits differ, or -1 when every bit matches. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const aBits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bBits = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let index = 0; index < aBits.length; index += 1) if (aBits[index] !== bBits[index]) return index;
  return -1;
}

describe.skipIf(wasm === null)('conv2d on helper threads', () => {
  it('starts one helper thread per extra core', () => {
    expect(helperCount).toBe(Math.min(3, availableParallelism() - 1));
  });

  it.skipIf(helperCount === 0).each(shapes)('matches one thread bit for bit: $name', (shape) => {
    const conv = wasm as WasmConv2d;
    const oneThread = conv.conv2d(request(shape, 17), 'never');
    const threaded = conv.conv2d(request(shape, 17), 'always');
    expect(threaded.length).toBe(oneThread.length);
    expect(firstBitDifference(threaded, oneThread)).toBe(-1);
  });

  it.skipIf(helperCount === 0)("'auto' matches one thread bit for bit", () => {
    const conv = wasm as WasmConv2d;
    const shape = shapes[4];
    const oneThread = conv.conv2d(request(shape, 5), 'never');
    // The first calls of a shape time each path in turn, so twelve calls run both.
    for (let call = 0; call < 12; call += 1) {
      expect(firstBitDifference(conv.conv2d(request(shape, 5)), oneThread)).toBe(-1);
    }
  });

  it.skipIf(helperCount > 0)("threads 'always' rejects a call without helpers", () => {
    expect(() => (wasm as WasmConv2d).conv2d(request(shapes[0], 1), 'always')).toThrow(
      "wasmConv2d: threads 'always' needs helper threads, but none are running.",
    );
  });
});
