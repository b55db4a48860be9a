#!/usr/bin/env node
// Generates the WebAssembly SIMD text of the stride-1 2-D convolution on NHWC float32 data and
// of its filter gradient (src/engine/cpu/wasm/conv2d.wat). Assembles it with wabt into two
// binaries, one on private and one on shared memory (for helper threads), and writes them as
// base64 strings into src/engine/cpu/wasm/conv2dBinary.generated.ts, which Vite and Vitest load
// as an ordinary import.
//
// Usage: node scripts/build_wasm_conv.mjs        (rewrites both files; commit them)
//        node scripts/build_wasm_conv.mjs --check (exits 1 when the committed files are stale)
//
// The host (src/engine/cpu/wasm/wasmConv2d.ts) prepares three arrays in the module's memory:
// - the input with its zero padding already added, [batch][paddedHeight][paddedWidth][inChannels];
// - the filter repacked to [ky][kx][inChannel][paddedOutChannels], where paddedOutChannels is the
//   output channel count rounded up to a multiple of 4, with zeros in the extra channels;
// - the bias, paddedOutChannels values.
// The module writes [batch][outHeight][outWidth][paddedOutChannels].
//
// For every output row and every block of 8 output channels (4 for the last block when the
// padded count is not a multiple of 8), a tile of TILE_WIDTH adjacent output pixels keeps its
// sums in f32x4 locals, which start at the bias. For each filter row ky, the inputs that the tile
// reads are kw·inChannels consecutive floats per pixel, and so are the filter values, so one loop
// over them splats one input float per pixel and loads one weight vector per 4 channels. The
// store applies max(sum, floor) per lane: floor is 0 for relu and −∞ for a linear output.
//
// The filter gradient (export filterGradient) takes the padded input and dy with its channels
// padded to a multiple of 4. For each filter row ky, block of 4 consecutive (kx, inChannel) pairs
// and block of 8 (or 4) output channels, one pass over every output pixel of the chunk splats the
// 4 input floats and loads the dy vectors, so the 8 (or 4) sums stay in f32x4 locals throughout.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';

const outputDir = join(import.meta.dirname, '..', 'src', 'engine', 'cpu', 'wasm');
const watPath = join(outputDir, 'conv2d.wat');
const binaryPath = join(outputDir, 'conv2dBinary.generated.ts');

/**
 * Output pixels per tile for each block width in vectors of 4 channels. In conv2d.bench.ts (Node
 * 20, 2-core AMD EPYC), tiles of 6 pixels × 8 channels ran at about 22 GFLOP/s against about 35
 * for 4 × 8. A likely cause, not checked: 12 accumulators leave too few of x86-64's 16 vector
 * registers for the weights and splats. Tiles of 8 × 4 ran the 8 → 1 layer at 4 GFLOP/s against 6 for 4 × 4.
 */
const TILE_WIDTH = { 1: 4, 2: 4 };

const get = (name) => `(local.get $${name})`;
const set = (name, value) => `(local.set $${name} ${value})`;
const indent = (lines, depth) => lines.map((line) => `${'  '.repeat(depth)}${line}`).join('\n');

/**
 * Statements of one tile of `pixels` output pixels × `vectors` vectors of 4 channels, starting
 * at input byte address $tileIn and output byte address $tileOut. The filter block starts at $w.
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
  // A tile wider than 1 pixel steps over stride<pixels> bytes, which the locals above lack.
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

/** Filter-gradient rows per block: weight rows (ky, kx, inChannel) that share one pass over the data. */
const GRADIENT_ROWS = 4;

/**
 * $gradient<rows>_<vectors> sums, over every output pixel of `images` images, the products of
 * `rows` consecutive padded-input floats at $in (plus the pixel's offset) with `vectors` vectors
 * of dy at $dy, and stores the sums as `rows` rows of the filter gradient at $out, $dyPixelBytes
 * apart. $in points at the first float that output pixel (0, 0) of image 0 reads for filter row
 * ky and the block's first (kx, inChannel) pair.
 */
function gradientFunction(rows, vectors) {
  const accumulator = (row, vector) => `acc${row}_${vector}`;
  const body = [];
  for (let row = 0; row < rows; row += 1) {
    for (let vector = 0; vector < vectors; vector += 1) body.push(set(accumulator(row, vector), '(v128.const i32x4 0 0 0 0)'));
  }
  const pixel = [];
  for (let vector = 0; vector < vectors; vector += 1) pixel.push(set(`dv${vector}`, `(v128.load offset=${16 * vector} ${get('d')})`));
  for (let row = 0; row < rows; row += 1) {
    pixel.push(set('splat', `(v128.load32_splat offset=${4 * row} ${get('q')})`));
    for (let vector = 0; vector < vectors; vector += 1) {
      const name = accumulator(row, vector);
      pixel.push(set(name, `(f32x4.add ${get(name)} (f32x4.mul ${get('splat')} ${get(`dv${vector}`)}))`));
    }
  }
  pixel.push(set('q', `(i32.add ${get('q')} ${get('pixelBytes')})`), set('d', `(i32.add ${get('d')} ${get('dyPixelBytes')})`));
  body.push(
    set('d', get('dy')),
    set('image', get('in')),
    set('b', '(i32.const 0)'),
    '(loop $images',
    `  ${set('rowIn', get('image'))}`,
    `  ${set('y', '(i32.const 0)')}`,
    '  (loop $rows',
    `    ${set('q', get('rowIn'))}`,
    `    ${set('qEnd', `(i32.add ${get('rowIn')} ${get('rowPixelBytes')})`)}`,
    '    (loop $pixels',
    indent(pixel, 3),
    `      (br_if $pixels (i32.lt_u ${get('q')} ${get('qEnd')})))`,
    `    ${set('rowIn', `(i32.add ${get('rowIn')} ${get('rowBytes')})`)}`,
    `    ${set('y', `(i32.add ${get('y')} (i32.const 1))`)}`,
    `    (br_if $rows (i32.lt_u ${get('y')} ${get('outHeight')})))`,
    `  ${set('image', `(i32.add ${get('image')} ${get('imageBytes')})`)}`,
    `  ${set('b', `(i32.add ${get('b')} (i32.const 1))`)}`,
    `  (br_if $images (i32.lt_u ${get('b')} ${get('images')})))`,
  );
  for (let row = 0; row < rows; row += 1) {
    const address = row === 0 ? get('out') : `(i32.add ${get('out')} (i32.mul ${get('dyPixelBytes')} (i32.const ${row})))`;
    for (let vector = 0; vector < vectors; vector += 1) {
      body.push(`(v128.store offset=${16 * vector} ${address} ${get(accumulator(row, vector))})`);
    }
  }
  const locals = [
    '(local $d i32) (local $q i32) (local $qEnd i32) (local $rowIn i32) (local $image i32) (local $b i32) (local $y i32)',
    '(local $splat v128)',
    Array.from({ length: vectors }, (_, vector) => `(local $dv${vector} v128)`).join(' '),
    ...Array.from({ length: rows }, (_, row) =>
      Array.from({ length: vectors }, (__, vector) => `(local $${accumulator(row, vector)} v128)`).join(' '),
    ),
  ];
  return `
  (func $gradient${rows}_${vectors} (param $in i32) (param $dy i32) (param $out i32) (param $images i32) (param $imageBytes i32)
    (param $rowBytes i32) (param $pixelBytes i32) (param $rowPixelBytes i32) (param $outHeight i32) (param $dyPixelBytes i32)
    ${locals.join('\n    ')}
${indent(body, 2)})`;
}

/** Statements of the driver that cover output channels from 0 for the weight rows at $j with blocks of `rows`. */
function gradientChannelBlocks(rows) {
  const call = (vectors) =>
    `(call $gradient${rows}_${vectors} (i32.add ${get('rowStart')} (i32.shl ${get('j')} (i32.const 2))) ` +
    `(i32.add ${get('dy')} (i32.shl ${get('co')} (i32.const 2))) ` +
    `(i32.add (i32.add ${get('output')} (i32.mul (i32.add ${get('gradientRow')} ${get('j')}) ${get('dyPixelBytes')})) (i32.shl ${get('co')} (i32.const 2))) ` +
    `${get('images')} ${get('imageBytes')} ${get('rowBytes')} ${get('pixelBytes')} ${get('rowPixelBytes')} ${get('outHeight')} ${get('dyPixelBytes')})`;
  return [
    set('co', '(i32.const 0)'),
    '(block $wideDone',
    '  (loop $wide',
    `    (br_if $wideDone (i32.gt_u (i32.add ${get('co')} (i32.const 8)) ${get('paddedOut')}))`,
    `    ${call(2)}`,
    `    ${set('co', `(i32.add ${get('co')} (i32.const 8))`)}`,
    '    (br $wide)))',
    `(if (i32.lt_u ${get('co')} ${get('paddedOut')}) (then ${call(1)}))`,
  ];
}

/**
 * filterGradient(input, dy, output, images, paddedHeight, paddedWidth, inChannels, outHeight,
 * outWidth, paddedOut, kh, kw) writes Σ over the images and output pixels of padded input times
 * dy into output [kh][kw][inChannels][paddedOut]; dy is [images][outHeight][outWidth][paddedOut].
 */
const filterGradientFunction = `
  (func (export "filterGradient") (param $input i32) (param $dy i32) (param $output i32) (param $images i32)
    (param $paddedHeight i32) (param $paddedWidth i32) (param $inChannels i32) (param $outHeight i32) (param $outWidth i32)
    (param $paddedOut i32) (param $kh i32) (param $kw i32)
    (local $pixelBytes i32) (local $rowBytes i32) (local $imageBytes i32) (local $rowPixelBytes i32) (local $dyPixelBytes i32)
    (local $span i32) (local $ky i32) (local $j i32) (local $co i32) (local $rowStart i32) (local $gradientRow i32)
${indent(
  [
    set('pixelBytes', `(i32.shl ${get('inChannels')} (i32.const 2))`),
    set('rowBytes', `(i32.mul ${get('paddedWidth')} ${get('pixelBytes')})`),
    set('imageBytes', `(i32.mul ${get('rowBytes')} ${get('paddedHeight')})`),
    set('rowPixelBytes', `(i32.mul ${get('outWidth')} ${get('pixelBytes')})`),
    set('dyPixelBytes', `(i32.shl ${get('paddedOut')} (i32.const 2))`),
    set('span', `(i32.mul ${get('kw')} ${get('inChannels')})`),
    set('ky', '(i32.const 0)'),
    '(block $filterRowsDone',
    '  (loop $filterRow',
    `    (br_if $filterRowsDone (i32.ge_u ${get('ky')} ${get('kh')}))`,
    `    ${set('rowStart', `(i32.add ${get('input')} (i32.mul ${get('ky')} ${get('rowBytes')}))`)}`,
    `    ${set('gradientRow', `(i32.mul ${get('ky')} ${get('span')})`)}`,
    `    ${set('j', '(i32.const 0)')}`,
    '    (block $blocksDone',
    '      (loop $block',
    `        (br_if $blocksDone (i32.gt_u (i32.add ${get('j')} (i32.const ${GRADIENT_ROWS})) ${get('span')}))`,
    indent(gradientChannelBlocks(GRADIENT_ROWS), 4),
    `        ${set('j', `(i32.add ${get('j')} (i32.const ${GRADIENT_ROWS}))`)}`,
    '        (br $block)))',
    '    (block $singlesDone',
    '      (loop $single',
    `        (br_if $singlesDone (i32.ge_u ${get('j')} ${get('span')}))`,
    indent(gradientChannelBlocks(1), 4),
    `        ${set('j', `(i32.add ${get('j')} (i32.const 1))`)}`,
    '        (br $single)))',
    `    ${set('ky', `(i32.add ${get('ky')} (i32.const 1))`)}`,
    '    (br $filterRow)))',
  ],
  2,
)})`;

function moduleText(shared) {
  const memory = shared ? '(memory 1 65536 shared)' : '(memory 1)';
  return `;; Generated by scripts/build_wasm_conv.mjs; edit that script, not this file.
;; Stride-1 2-D convolution of zero-padded NHWC float32 input, with bias and optional relu, and its filter gradient.
(module
  (import "env" "memory" ${memory})
${rowFunction(1)}
${rowFunction(2)}
${conv2dFunction}
${gradientFunction(GRADIENT_ROWS, 1)}
${gradientFunction(GRADIENT_ROWS, 2)}
${gradientFunction(1, 1)}
${gradientFunction(1, 2)}
${filterGradientFunction})
`;
}

async function main() {
  const wabt = await wabtInit();
  const assemble = (moduleSource) => {
    const parsed = wabt.parseWat('conv2d.wat', moduleSource, { simd: true, threads: true });
    // wabt 1.0.39's validate rejects shared memories even with the threads feature on, so the
    // binary is validated by this Node's WebAssembly engine instead.
    const { buffer } = parsed.toBinary({});
    parsed.destroy();
    if (!WebAssembly.validate(buffer)) {
      throw new Error('The generated conv2d module is invalid. Assemble conv2d.wat with wat2wasm --enable-threads to see why.');
    }
    return Buffer.from(buffer).toString('base64');
  };
  const text = moduleText(false);
  const binaries = `// Generated by scripts/build_wasm_conv.mjs from the text in conv2d.wat; do not edit.
/** The 2-D convolution module on an imported memory, base64-encoded. */
export const CONV2D_WASM_BASE64 =
  '${assemble(text)}';

/** The same module on a shared imported memory (maximum 65536 pages), for helper threads. */
export const CONV2D_SHARED_WASM_BASE64 =
  '${assemble(moduleText(true))}';
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
