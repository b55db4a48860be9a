#!/usr/bin/env node
// Generates the WebAssembly SIMD text of the stride-1 2-D convolution on NHWC float32 data
// (src/engine/cpu/wasm/conv2d.wat), assembles it with wabt and writes the binary as a base64
// string into src/engine/cpu/wasm/conv2dBinary.generated.ts, which Vite and Vitest load as an
// ordinary import.
//
// Usage: node scripts/build_wasm_conv.mjs        (rewrites both files; commit them)
//        node scripts/build_wasm_conv.mjs --check (exits 1 when the committed files are stale)
//
// The host (src/engine/cpu/wasm/wasmConv2d.ts) prepares three arrays in the module's memory: the
// input with its zero padding already added, [batch][paddedHeight][paddedWidth][inChannels]; the
// filter repacked to [ky][kx][inChannel][paddedOutChannels], where paddedOutChannels is the
// output channel count rounded up to a multiple of 4 and the extra channels are zero; and the
// bias, paddedOutChannels values. The module writes [batch][outHeight][outWidth][paddedOutChannels].
//
// For every output row and every block of 8 output channels (4 for the last block when the
// padded count is not a multiple of 8), a tile of TILE_WIDTH adjacent output pixels keeps its
// sums in f32x4 locals, which start at the bias. For each filter row ky, the inputs that the tile
// reads are kw·inChannels consecutive floats per pixel, and so are the filter values, so one loop
// over them splats one input float per pixel and loads one weight vector per 4 channels. The
// store applies max(sum, floor) per lane: floor is 0 for relu and −∞ for a linear output.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';

const outputDir = join(import.meta.dirname, '..', 'src', 'engine', 'cpu', 'wasm');
const watPath = join(outputDir, 'conv2d.wat');
const binaryPath = join(outputDir, 'conv2dBinary.generated.ts');

/** Output pixels per tile for each block width in vectors of 4 channels. */
const TILE_WIDTH = { 1: 4, 2: 4 };

const get = (name) => `(local.get $${name})`;
const set = (name, value) => `(local.set $${name} ${value})`;
const indent = (lines, depth) => lines.map((line) => `${'  '.repeat(depth)}${line}`).join('\n');

/**
 * Statements of one tile of `pixels` output pixels × `vectors` vectors of 4 channels, starting
 * at input byte address $tileIn and output byte address $tileOut; the filter block starts at $w.
 */
function tile(pixels, vectors) {
  const accumulator = (pixel, vector) => `acc${pixel}_${vector}`;
  const statements = [];
  for (let pixel = 0; pixel < pixels; pixel += 1) {
    for (let vector = 0; vector < vectors; vector += 1) statements.push(set(accumulator(pixel, vector), get(`bias${vector}`)));
  }
  statements.push(set('rowIn', get('tileIn')), set('p', get('w')), set('ky', '(i32.const 0)'));

  const inner = [];
  for (let vector = 0; vector < vectors; vector += 1) {
    inner.push(set(`wv${vector}`, `(v128.load offset=${16 * vector} ${get('p')})`));
  }
  for (let pixel = 0; pixel < pixels; pixel += 1) {
    const address = pixel === 0 ? get('q') : `(i32.add ${get('q')} ${get(`stride${pixel}`)})`;
    inner.push(set('splat', `(v128.load32_splat ${address})`));
    for (let vector = 0; vector < vectors; vector += 1) {
      const name = accumulator(pixel, vector);
      inner.push(set(name, `(f32x4.add ${get(name)} (f32x4.mul ${get('splat')} ${get(`wv${vector}`)}))`));
    }
  }
  inner.push(set('q', `(i32.add ${get('q')} (i32.const 4))`), set('p', `(i32.add ${get('p')} ${get('weightStep')})`));

  statements.push(
    '(loop $filterRow',
    `  ${set('q', get('rowIn'))}`,
    `  ${set('qEnd', `(i32.add ${get('rowIn')} ${get('spanBytes')})`)}`,
    '  (loop $span',
    indent(inner, 2),
    `    (br_if $span (i32.lt_u ${get('q')} ${get('qEnd')})))`,
    `  ${set('rowIn', `(i32.add ${get('rowIn')} ${get('rowBytes')})`)}`,
    `  ${set('ky', `(i32.add ${get('ky')} (i32.const 1))`)}`,
    `  (br_if $filterRow (i32.lt_u ${get('ky')} ${get('kh')})))`,
  );
  for (let pixel = 0; pixel < pixels; pixel += 1) {
    const address = pixel === 0 ? get('tileOut') : `(i32.add ${get('tileOut')} ${get(`outStride${pixel}`)})`;
    for (let vector = 0; vector < vectors; vector += 1) {
      statements.push(`(v128.store offset=${16 * vector} ${address} (f32x4.max ${get(accumulator(pixel, vector))} ${get('floor')}))`);
    }
  }
  return statements;
}

/**
 * $row<vectors> computes one output row of `vectors`·4 channels: full tiles of TILE_WIDTH pixels,
 * then single pixels. $in is the first padded input row that the output row reads, $w and $bias
 * point at the channel block's first filter and bias value, $out at the row's first output.
 */
function rowFunction(vectors) {
  const pixels = TILE_WIDTH[vectors];
  const maxPixels = Math.max(pixels, 1);
  const locals = [
    ...['p', 'q', 'qEnd', 'rowIn', 'ky', 'x', 'tileIn', 'tileOut', 'pixelBytes', 'outPixelBytes', 'spanBytes', 'weightStep', 'fullEnd']
      .map((name) => `(local $${name} i32)`),
    ...Array.from({ length: maxPixels - 1 }, (_, index) => `(local $stride${index + 1} i32) (local $outStride${index + 1} i32)`),
    '(local $splat v128)',
    ...Array.from({ length: vectors }, (_, vector) => `(local $wv${vector} v128) (local $bias${vector} v128)`),
    ...Array.from({ length: maxPixels }, (_, pixel) =>
      Array.from({ length: vectors }, (__, vector) => `(local $acc${pixel}_${vector} v128)`).join(' '),
    ),
  ];
  const setup = [
    set('pixelBytes', `(i32.shl ${get('inChannels')} (i32.const 2))`),
    set('outPixelBytes', `(i32.shl ${get('paddedOut')} (i32.const 2))`),
    set('weightStep', get('outPixelBytes')),
    set('spanBytes', `(i32.mul ${get('pixelBytes')} ${get('kw')})`),
    ...Array.from({ length: maxPixels - 1 }, (_, index) => [
      set(`stride${index + 1}`, `(i32.mul ${get('pixelBytes')} (i32.const ${index + 1}))`),
      set(`outStride${index + 1}`, `(i32.mul ${get('outPixelBytes')} (i32.const ${index + 1}))`),
    ]).flat(),
    ...Array.from({ length: vectors }, (_, vector) => set(`bias${vector}`, `(v128.load offset=${16 * vector} ${get('bias')})`)),
    set('tileIn', get('in')),
    set('tileOut', get('out')),
    set('x', '(i32.const 0)'),
    set('fullEnd', `(i32.sub ${get('outWidth')} (i32.const ${pixels - 1}))`),
  ];
  const loopOver = (label, width, end) => [
    `(block $${label}Done`,
    '  (loop $' + label,
    `    (br_if $${label}Done (i32.ge_s ${get('x')} ${end}))`,
    indent(tile(width, vectors), 2),
    `    ${set('tileIn', `(i32.add ${get('tileIn')} ${width === 1 ? get('pixelBytes') : get(`stride${width}`)})`)}`,
    `    ${set('tileOut', `(i32.add ${get('tileOut')} ${width === 1 ? get('outPixelBytes') : get(`outStride${width}`)})`)}`,
    `    ${set('x', `(i32.add ${get('x')} (i32.const ${width}))`)}`,
    `    (br $${label})))`,
  ];
  // stride<pixels> is needed to step over a full tile; declare it when the tile is wider than 1.
  const extraLocals =
    pixels > 1 ? [`(local $stride${pixels} i32) (local $outStride${pixels} i32)`] : [];
  const extraSetup =
    pixels > 1
      ? [
          set(`stride${pixels}`, `(i32.mul ${get('pixelBytes')} (i32.const ${pixels}))`),
          set(`outStride${pixels}`, `(i32.mul ${get('outPixelBytes')} (i32.const ${pixels}))`),
        ]
      : [];
  return `
  (func $row${vectors} (param $in i32) (param $w i32) (param $bias i32) (param $out i32) (param $outWidth i32)
    (param $inChannels i32) (param $paddedOut i32) (param $kh i32) (param $kw i32) (param $rowBytes i32) (param $floor v128)
    ${[...locals, ...extraLocals].join('\n    ')}
${indent([...setup, ...extraSetup], 2)}
${indent(pixels > 1 ? loopOver('tiles', pixels, get('fullEnd')) : [], 2)}
${indent(loopOver('pixels', 1, get('outWidth')), 2)})`;
}

/**
 * conv2d(input, weights, bias, output, batch, paddedHeight, paddedWidth, inChannels, outHeight,
 * outWidth, paddedOut, kh, kw, relu): all addresses in bytes, all sizes in elements.
 */
const conv2dFunction = `
  (func (export "conv2d") (param $input i32) (param $weights i32) (param $bias i32) (param $output i32)
    (param $batch i32) (param $paddedHeight i32) (param $paddedWidth i32) (param $inChannels i32)
    (param $outHeight i32) (param $outWidth i32) (param $paddedOut i32) (param $kh i32) (param $kw i32) (param $relu i32)
    (local $b i32) (local $y i32) (local $co i32) (local $rowBytes i32) (local $imageBytes i32) (local $outRowBytes i32)
    (local $inRow i32) (local $outRow i32) (local $floor v128)
    (local.set $floor (if (result v128) (local.get $relu)
      (then (v128.const f32x4 0 0 0 0))
      (else (v128.const f32x4 -inf -inf -inf -inf))))
    (local.set $rowBytes (i32.shl (i32.mul (local.get $paddedWidth) (local.get $inChannels)) (i32.const 2)))
    (local.set $imageBytes (i32.mul (local.get $rowBytes) (local.get $paddedHeight)))
    (local.set $outRowBytes (i32.shl (i32.mul (local.get $outWidth) (local.get $paddedOut)) (i32.const 2)))
    (local.set $outRow (local.get $output))
    (local.set $b (i32.const 0))
    (block $imagesDone
      (loop $image
        (br_if $imagesDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $inRow (i32.add (local.get $input) (i32.mul (local.get $b) (local.get $imageBytes))))
        (local.set $y (i32.const 0))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $outHeight)))
            (local.set $co (i32.const 0))
            (block $wideDone
              (loop $wide
                (br_if $wideDone (i32.gt_u (i32.add (local.get $co) (i32.const 8)) (local.get $paddedOut)))
                (call $row2 (local.get $inRow)
                  (i32.add (local.get $weights) (i32.shl (local.get $co) (i32.const 2)))
                  (i32.add (local.get $bias) (i32.shl (local.get $co) (i32.const 2)))
                  (i32.add (local.get $outRow) (i32.shl (local.get $co) (i32.const 2)))
                  (local.get $outWidth) (local.get $inChannels) (local.get $paddedOut) (local.get $kh) (local.get $kw)
                  (local.get $rowBytes) (local.get $floor))
                (local.set $co (i32.add (local.get $co) (i32.const 8)))
                (br $wide)))
            (if (i32.lt_u (local.get $co) (local.get $paddedOut))
              (then
                (call $row1 (local.get $inRow)
                  (i32.add (local.get $weights) (i32.shl (local.get $co) (i32.const 2)))
                  (i32.add (local.get $bias) (i32.shl (local.get $co) (i32.const 2)))
                  (i32.add (local.get $outRow) (i32.shl (local.get $co) (i32.const 2)))
                  (local.get $outWidth) (local.get $inChannels) (local.get $paddedOut) (local.get $kh) (local.get $kw)
                  (local.get $rowBytes) (local.get $floor))))
            (local.set $inRow (i32.add (local.get $inRow) (local.get $rowBytes)))
            (local.set $outRow (i32.add (local.get $outRow) (local.get $outRowBytes)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $row)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $image))))`;

function moduleText() {
  return `;; Generated by scripts/build_wasm_conv.mjs; edit that script, not this file.
;; Stride-1 2-D convolution of zero-padded NHWC float32 input, with bias and optional relu.
(module
  (import "env" "memory" (memory 1))
${rowFunction(1)}
${rowFunction(2)}
${conv2dFunction})
`;
}

async function main() {
  const wabt = await wabtInit();
  const text = moduleText();
  const parsed = wabt.parseWat('conv2d.wat', text, { simd: true });
  parsed.validate();
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  const binaries = `// Generated by scripts/build_wasm_conv.mjs from the text in conv2d.wat; do not edit.
/** The 2-D convolution module on an imported memory, base64-encoded. */
export const CONV2D_WASM_BASE64 =
  '${Buffer.from(buffer).toString('base64')}';
`;

  if (process.argv.includes('--check')) {
    const stale = [
      [watPath, text],
      [binaryPath, binaries],
    ].filter(([path, expected]) => readFileSync(path, 'utf8') !== expected);
    if (stale.length > 0) {
      console.error(
        `Generated conv2d files are out of date: ${stale.map(([path]) => path).join(', ')}. ` +
          'Run node scripts/build_wasm_conv.mjs and commit the result.',
      );
      process.exit(1);
    }
    return;
  }
  writeFileSync(watPath, text);
  writeFileSync(binaryPath, binaries);
  console.log(`Wrote ${watPath} and ${binaryPath}.`);
}

await main();
