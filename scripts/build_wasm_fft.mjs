#!/usr/bin/env node
// Generates the WebAssembly SIMD text of the batched 2-D FFT (src/engine/cpu/wasm/fft2.wat),
// assembles it with wabt into two binaries, one on private and one on shared memory, and writes
// them as base64 strings into src/engine/cpu/wasm/fft2Binary.generated.ts. Vite and Vitest then
// load the module as an ordinary import, without fetch or URLs.
//
// Usage: node scripts/build_wasm_fft.mjs        (rewrites both files; commit them)
//        node scripts/build_wasm_fft.mjs --check (exits 1 when the committed files are stale)
//
// The kernel runs 4 transforms side by side, one per f32x4 lane. The row pass takes 4 rows of a
// field at a time. The column pass takes 8 adjacent columns as two lane groups, so that each block
// reads whole 64-byte cache lines. Each lane group is gathered, in bit-reversed order, into a
// scratch array of n elements of 32 bytes (a v128 of 4 real parts, then a v128 of 4 imaginary
// parts), 16 KiB at n = 512. The first stage (radix 8 when log2(n) is odd, radix 4 otherwise) runs
// during the gather, the middle radix-4 stages run in place in the scratch, and the last one writes
// straight out. The row pass transposes its results back into rows of a transit buffer, in
// bit-reversed row order, and the column pass reads those rows in order and writes the scaled,
// interleaved columns into the field. Every butterfly is vertical SIMD, so only the gather and the
// store shuffle lanes. Twiddles are read as splats from a float32 table that the host computes in
// float64.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';

const outputDir = join(import.meta.dirname, '..', 'src', 'engine', 'cpu', 'wasm');
const watPath = join(outputDir, 'fft2.wat');
const binaryPath = join(outputDir, 'fft2Binary.generated.ts');

/** i8x16.shuffle byte indices that pick the given f32 lanes of the 8-lane concatenation a ‖ b. */
function lanes(...floatLanes) {
  return floatLanes.flatMap((lane) => [0, 1, 2, 3].map((byte) => 4 * lane + byte)).join(' ');
}
const EVEN_LANES = lanes(0, 2, 4, 6);
const ODD_LANES = lanes(1, 3, 5, 7);
const LOW_PAIRS = lanes(0, 4, 1, 5);
const HIGH_PAIRS = lanes(2, 6, 3, 7);

const get = (name) => `(local.get $${name})`;
const set = (name, value) => `(local.set $${name} ${value})`;
const add = (a, b) => `(f32x4.add ${a} ${b})`;
const sub = (a, b) => `(f32x4.sub ${a} ${b})`;
const mul = (a, b) => `(f32x4.mul ${a} ${b})`;
const i32add = (a, b) => `(i32.add ${a} ${b})`;

/** Statements that set xr, xi to (yr + i·yi)·(wr + i·wi), with w splatted over the lanes. */
function complexMultiply(xr, xi, yr, yi, wr, wi) {
  return [
    set(xr, sub(mul(get(yr), get(wr)), mul(get(yi), get(wi)))),
    set(xi, add(mul(get(yr), get(wi)), mul(get(yi), get(wr)))),
  ];
}

/**
 * Statements of the radix-4 butterfly on inputs (a0..a3) already multiplied by their twiddles, in
 * the order of the bit-reversed decimation in time. a0 and a2 are the sub-transforms of the inputs
 * ≡ 0 and 2 (mod 4), and a1 and a3 those of the inputs ≡ 1 and 3. Sets the outputs X[k], X[k+m],
 * X[k+2m], X[k+3m] into (y0..y3). With t0 = a0 + a2, t1 = a0 - a2, t2 = a1 + a3, t3 = a1 - a3:
 *   X[k] = t0 + t2,  X[k+m] = t1 - i·t3,  X[k+2m] = t0 - t2,  X[k+3m] = t1 + i·t3.
 */
function radix4Butterfly() {
  return [
    set('t0r', add(get('a0r'), get('a2r'))),
    set('t0i', add(get('a0i'), get('a2i'))),
    set('t1r', sub(get('a0r'), get('a2r'))),
    set('t1i', sub(get('a0i'), get('a2i'))),
    set('t2r', add(get('a1r'), get('a3r'))),
    set('t2i', add(get('a1i'), get('a3i'))),
    set('t3r', sub(get('a1r'), get('a3r'))),
    set('t3i', sub(get('a1i'), get('a3i'))),
    set('y0r', add(get('t0r'), get('t2r'))),
    set('y0i', add(get('t0i'), get('t2i'))),
    set('y1r', add(get('t1r'), get('t3i'))),
    set('y1i', sub(get('t1i'), get('t3r'))),
    set('y2r', sub(get('t0r'), get('t2r'))),
    set('y2i', sub(get('t0i'), get('t2i'))),
    set('y3r', sub(get('t1r'), get('t3i'))),
    set('y3i', add(get('t1i'), get('t3r'))),
  ];
}

const radix8Locals = [0, 1, 2, 3, 4, 5, 6, 7]
  .flatMap((index) => [`(local $b${index}r v128)`, `(local $b${index}i v128)`])
  .join(' ');

const butterflyLocals = ['a0', 'a1', 'a2', 'a3', 't0', 't1', 't2', 't3', 'y0', 'y1', 'y2', 'y3', 'w1', 'w2', 'w3']
  .flatMap((name) => [`$${name}r`, `$${name}i`])
  .map((name) => `(local ${name} v128)`)
  .join(' ');

/** Statements that load scratch element at byte address `address` into (re, im). */
function loadScratch(re, im, address) {
  return [set(re, `(v128.load ${address})`), set(im, `(v128.load offset=16 ${address})`)];
}

/** Statements that store (re, im) into the scratch element at byte address `address`. */
function storeScratch(address, re, im) {
  return [`(v128.store ${address} ${get(re)})`, `(v128.store offset=16 ${address} ${get(im)})`];
}

/** Statements that load the three twiddles of index k of a stage from the table at `address`. */
function loadTwiddles(address) {
  return [
    set('w1r', `(v128.load32_splat ${address})`),
    set('w1i', `(v128.load32_splat offset=4 ${address})`),
    set('w2r', `(v128.load32_splat offset=8 ${address})`),
    set('w2i', `(v128.load32_splat offset=12 ${address})`),
    set('w3r', `(v128.load32_splat offset=16 ${address})`),
    set('w3i', `(v128.load32_splat offset=20 ${address})`),
  ];
}

/** Statements that multiply a1..a3 in place by w1..w3, through y1..y3 as temporaries. */
function applyTwiddles() {
  return [
    ...complexMultiply('y1r', 'y1i', 'a1r', 'a1i', 'w1r', 'w1i'),
    ...complexMultiply('y2r', 'y2i', 'a2r', 'a2i', 'w2r', 'w2i'),
    ...complexMultiply('y3r', 'y3i', 'a3r', 'a3i', 'w3r', 'w3i'),
    set('a1r', get('y1r')),
    set('a1i', get('y1i')),
    set('a2r', get('y2r')),
    set('a2i', get('y2i')),
    set('a3r', get('y3r')),
    set('a3i', get('y3i')),
  ];
}

const indent = (lines, depth) => lines.map((line) => `${'  '.repeat(depth)}${line}`).join('\n');

/**
 * $stages runs the radix-4 stages with sub-transform lengths m = $m0, 4·$m0, … below $mEnd in
 * place on the scratch of $n elements. The twiddles of stage m start at byte $tw + 8·(m − $first),
 * where $first is the host table's firstRadix4Length (2 when log2(n) is odd, else 1). They
 * contain 6 float32 per k: cos and sin of −2πk·j/(4m) for j = 1, 2, 3.
 */
const stagesFunction = `
  (func $stages (param $scratch i32) (param $n i32) (param $tw i32) (param $first i32) (param $m0 i32) (param $mEnd i32)
    (local $m i32) (local $stride i32) (local $groupStride i32) (local $end i32) (local $k i32) (local $w i32)
    (local $i0 i32) (local $i1 i32) (local $i2 i32) (local $i3 i32)
    ${butterflyLocals}
    (local.set $end (i32.add (local.get $scratch) (i32.shl (local.get $n) (i32.const 5))))
    (local.set $m (local.get $m0))
    (block $stagesDone
      (loop $stage
        (br_if $stagesDone (i32.ge_u (local.get $m) (local.get $mEnd)))
        (local.set $stride (i32.shl (local.get $m) (i32.const 5)))
        (local.set $groupStride (i32.shl (local.get $stride) (i32.const 2)))
        (local.set $w (i32.add (local.get $tw) (i32.shl (i32.sub (local.get $m) (local.get $first)) (i32.const 3))))
        (local.set $k (i32.const 0))
        (loop $twiddle
${indent(loadTwiddles(get('w')), 5)}
          (local.set $i0 (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 5))))
          (loop $group
            (local.set $i2 (i32.add (local.get $i0) (local.get $stride)))
            (local.set $i1 (i32.add (local.get $i2) (local.get $stride)))
            (local.set $i3 (i32.add (local.get $i1) (local.get $stride)))
${indent(
  [
    ...loadScratch('a0r', 'a0i', get('i0')),
    ...loadScratch('a1r', 'a1i', get('i1')),
    ...loadScratch('a2r', 'a2i', get('i2')),
    ...loadScratch('a3r', 'a3i', get('i3')),
    ...applyTwiddles(),
    ...radix4Butterfly(),
    ...storeScratch(get('i0'), 'y0r', 'y0i'),
    ...storeScratch(get('i2'), 'y1r', 'y1i'),
    ...storeScratch(get('i1'), 'y2r', 'y2i'),
    ...storeScratch(get('i3'), 'y3r', 'y3i'),
  ],
  6,
)}
            (local.set $i0 (i32.add (local.get $i0) (local.get $groupStride)))
            (br_if $group (i32.lt_u (local.get $i0) (local.get $end))))
          (local.set $w (i32.add (local.get $w) (i32.const 24)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $twiddle (i32.lt_u (local.get $k) (local.get $m))))
        (local.set $m (i32.shl (local.get $m) (i32.const 2)))
        (br $stage))))`;

/**
 * Statements that load the element at byte offset `offset` of the 4 rows at $row0..$row3 into
 * (re, im), lane r holding row r, and conjugate it by multiplying the imaginary parts by $sign.
 */
function loadFromRows(re, im, offset) {
  const at = (row) => i32add(get(row), offset);
  return [
    set('pairLow', `(v128.load64_lane 1 ${at('row1')} (v128.load64_zero ${at('row0')}))`),
    set('pairHigh', `(v128.load64_lane 1 ${at('row3')} (v128.load64_zero ${at('row2')}))`),
    set(re, `(i8x16.shuffle ${EVEN_LANES} ${get('pairLow')} ${get('pairHigh')})`),
    set(im, mul(`(i8x16.shuffle ${ODD_LANES} ${get('pairLow')} ${get('pairHigh')})`, get('sign'))),
  ];
}

/** Statements that store (re, im), lane r to the row at $outRow<r>, at byte offset `offset`. */
function storeToRows(offset, re, im) {
  const at = (row) => i32add(get(`out${row[0].toUpperCase()}${row.slice(1)}`), offset);
  return [
    set('pairLow', `(i8x16.shuffle ${LOW_PAIRS} ${get(re)} ${get(im)})`),
    set('pairHigh', `(i8x16.shuffle ${HIGH_PAIRS} ${get(re)} ${get(im)})`),
    `(v128.store64_lane 0 ${at('row0')} ${get('pairLow')})`,
    `(v128.store64_lane 1 ${at('row1')} ${get('pairLow')})`,
    `(v128.store64_lane 0 ${at('row2')} ${get('pairHigh')})`,
    `(v128.store64_lane 1 ${at('row3')} ${get('pairHigh')})`,
  ];
}

/**
 * Statements that load the 4 interleaved complex values at byte address `address` + `offset`
 * into (re, im).
 */
function loadFromColumns(re, im, address, offset) {
  return [
    set('pairLow', `(v128.load offset=${offset} ${address})`),
    set('pairHigh', `(v128.load offset=${offset + 16} ${address})`),
    set(re, `(i8x16.shuffle ${EVEN_LANES} ${get('pairLow')} ${get('pairHigh')})`),
    set(im, `(i8x16.shuffle ${ODD_LANES} ${get('pairLow')} ${get('pairHigh')})`),
  ];
}

/**
 * Statements that store (re·scale, im·imagScale) as 4 interleaved complex values at byte address
 * `address` + `offset`.
 */
function storeToColumns(address, offset, re, im) {
  return [
    set(re, mul(get(re), get('scale'))),
    set(im, mul(get(im), get('imagScale'))),
    `(v128.store offset=${offset} ${address} (i8x16.shuffle ${LOW_PAIRS} ${get(re)} ${get(im)}))`,
    `(v128.store offset=${offset + 16} ${address} (i8x16.shuffle ${HIGH_PAIRS} ${get(re)} ${get(im)}))`,
  ];
}

/**
 * Statements of the radix-8 first stage on 8 consecutive bit-reversed inputs, stored at `target`
 * and the 7 scratch elements after it. `loadInput(re, im, index)` loads input `index` (0..7). It is
 * a radix-2 stage on the pairs (0, 1), (2, 3), … and then the radix-4 stage with m = 2, whose
 * twiddles for k = 1 are W8^1, W8^2 and W8^3, read from the host's table at $tw + 24.
 */
function radix8FirstStage(loadInput, target) {
  const statements = [];
  for (let pair = 0; pair < 4; pair += 1) {
    const even = `b${2 * pair}`;
    const odd = `b${2 * pair + 1}`;
    statements.push(
      ...loadInput('a0r', 'a0i', 2 * pair),
      ...loadInput('a1r', 'a1i', 2 * pair + 1),
      set(`${even}r`, add(get('a0r'), get('a1r'))),
      set(`${even}i`, add(get('a0i'), get('a1i'))),
      set(`${odd}r`, sub(get('a0r'), get('a1r'))),
      set(`${odd}i`, sub(get('a0i'), get('a1i'))),
    );
  }
  // For k = 0 the inputs at offsets 0, 2, 4, 6 take no twiddles, and for k = 1 those at 1, 3, 5, 7
  // take W8^0..W8^3. Offsets 2 and 4 play the roles of a2 and a1, as in the generic stage.
  for (const k of [0, 1]) {
    statements.push(
      set('a0r', get(`b${k}r`)),
      set('a0i', get(`b${k}i`)),
      set('a1r', get(`b${k + 4}r`)),
      set('a1i', get(`b${k + 4}i`)),
      set('a2r', get(`b${k + 2}r`)),
      set('a2i', get(`b${k + 2}i`)),
      set('a3r', get(`b${k + 6}r`)),
      set('a3i', get(`b${k + 6}i`)),
    );
    if (k === 1) statements.push(...loadTwiddles(`(i32.add (local.get $tw) (i32.const 24))`), ...applyTwiddles());
    statements.push(...radix4Butterfly());
    ['y0', 'y1', 'y2', 'y3'].forEach((name, index) => {
      const offset = 32 * (k + 2 * index);
      statements.push(
        `(v128.store offset=${offset} ${get(target)} ${get(`${name}r`)})`,
        `(v128.store offset=${offset + 16} ${get(target)} ${get(`${name}i`)})`,
      );
    });
  }
  return statements;
}

/** Scratch-address locals of lane groups 0 and 1. The scratch of group g starts 32·n·g bytes in. */
const TARGETS = ['target', 'targetB'];
const SOURCES = ['source', 'sourceB'];

/**
 * Returns the gather loops with the first stage (radix 8 when log2(n) is odd, radix 4 otherwise),
 * then the radix-4 stages up to but not including the last one (m = n/4), for `groups` lane groups
 * of 4 transforms. `loadElement(re, im, index, group)` loads element j + index of the 4 transforms of
 * `group` in bit-reversed order, where j is the iteration's first element. `advanceSource(count)`
 * returns the statements that move the caller's own pointers on by `count` elements.
 */
function gatherAndStages(loadElement, advanceSource, groups) {
  const store = (target, outputs) =>
    outputs.flatMap((name, index) => [
      `(v128.store offset=${32 * index} ${get(target)} ${get(`${name}r`)})`,
      `(v128.store offset=${32 * index + 16} ${get(target)} ${get(`${name}i`)})`,
    ]);
  const radix8 = [];
  const radix4 = [];
  for (let group = 0; group < groups; group += 1) {
    radix8.push(...radix8FirstStage((re, im, index) => loadElement(re, im, index, group), TARGETS[group]));
    radix4.push(
      ...loadElement('a0r', 'a0i', 0, group),
      ...loadElement('a2r', 'a2i', 1, group),
      ...loadElement('a1r', 'a1i', 2, group),
      ...loadElement('a3r', 'a3i', 3, group),
      ...radix4Butterfly(),
      ...store(TARGETS[group], ['y0', 'y1', 'y2', 'y3']),
    );
  }
  const advance = (count) =>
    [
      ...advanceSource(count),
      ...TARGETS.slice(0, groups).map((target) => set(target, `(i32.add ${get(target)} (i32.const ${32 * count}))`)),
    ].join('\n          ');
  const stages = (first, m0) =>
    TARGETS.slice(0, groups)
      .map(
        (_, group) =>
          `(call $stages (i32.add (local.get $scratch) (i32.mul (local.get $scratchBytes) (i32.const ${group}))) ` +
          `(local.get $n) (local.get $tw) (i32.const ${first}) (i32.const ${m0}) (local.get $quarter))`,
      )
      .join('\n        ');
  return `
    (local.set $target (local.get $scratch))
    (local.set $targetB (i32.add (local.get $scratch) (local.get $scratchBytes)))
    (if (i32.and (local.get $log2n) (i32.const 1))
      (then
        (loop $radix8
${indent(radix8, 5)}
          ${advance(8)}
          (br_if $radix8 (i32.lt_u (local.get $target) (local.get $scratchEnd))))
        ${stages(2, 8)})
      (else
        (loop $radix4
${indent(radix4, 5)}
          ${advance(4)}
          (br_if $radix4 (i32.lt_u (local.get $target) (local.get $scratchEnd))))
        ${stages(1, 4)}))`;
}

/**
 * Returns the last radix-4 stage (m = n/4) of `groups` lane groups, fused with the store of its
 * outputs.
 * `storeElement(offsetName, re, im, group)` stores element e of the 4 transforms of `group`, where
 * the local `offsetName` contains 8·e. Needs n greater than the length of the first stage.
 */
function lastStageAndStore(storeElement, groups) {
  const body = [];
  for (let group = 0; group < groups; group += 1) {
    const source = SOURCES[group];
    body.push(
      set(source, i32add(get(group === 0 ? 'scratch' : 'scratchB'), '(i32.shl (local.get $k) (i32.const 5))')),
      ...loadScratch('a0r', 'a0i', get(source)),
      ...loadScratch('a2r', 'a2i', i32add(get(source), get('rowBytes'))),
      ...loadScratch('a1r', 'a1i', i32add(get(source), '(i32.shl (local.get $rowBytes) (i32.const 1))')),
      ...loadScratch('a3r', 'a3i', i32add(get(source), get('threeQuarters'))),
      ...applyTwiddles(),
      ...radix4Butterfly(),
      ...storeElement('offset0', 'y0r', 'y0i', group),
      ...storeElement('offset1', 'y1r', 'y1i', group),
      ...storeElement('offset2', 'y2r', 'y2i', group),
      ...storeElement('offset3', 'y3r', 'y3i', group),
    );
  }
  return `
    (local.set $w (i32.add (local.get $tw) (i32.shl (i32.sub (local.get $quarter) (local.get $first)) (i32.const 3))))
    (local.set $k (i32.const 0))
    (loop $last
      (local.set $offset0 (i32.shl (local.get $k) (i32.const 3)))
      (local.set $offset1 (i32.add (local.get $offset0) (local.get $quarterBytes)))
      (local.set $offset2 (i32.add (local.get $offset1) (local.get $quarterBytes)))
      (local.set $offset3 (i32.add (local.get $offset2) (local.get $quarterBytes)))
${indent(loadTwiddles(get('w')), 3)}
${indent(body, 3)}
      (local.set $w (i32.add (local.get $w) (i32.const 24)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $last (i32.lt_u (local.get $k) (local.get $quarter))))`;
}

const blockLocals = `
    (local $revEntry i32) (local $target i32) (local $targetB i32) (local $source i32) (local $sourceB i32)
    (local $scratchB i32) (local $scratchBytes i32) (local $scratchEnd i32) (local $rowBytes i32)
    (local $first i32) (local $quarter i32) (local $quarterBytes i32) (local $threeQuarters i32) (local $k i32) (local $w i32)
    (local $firstLength i32) (local $offset0 i32) (local $offset1 i32) (local $offset2 i32) (local $offset3 i32)
    (local $pairLow v128) (local $pairHigh v128)
    ${butterflyLocals}
    ${radix8Locals}
    (local.set $scratchBytes (i32.shl (local.get $n) (i32.const 5)))
    (local.set $scratchB (i32.add (local.get $scratch) (local.get $scratchBytes)))
    (local.set $scratchEnd (local.get $scratchB))
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $first (i32.add (i32.const 1) (i32.and (local.get $log2n) (i32.const 1))))
    (local.set $quarter (i32.shr_u (local.get $n) (i32.const 2)))
    (local.set $quarterBytes (i32.shl (local.get $quarter) (i32.const 3)))
    (local.set $threeQuarters (i32.mul (local.get $rowBytes) (i32.const 3)))
    (local.set $firstLength (i32.shl (i32.const 4) (i32.and (local.get $log2n) (i32.const 1))))`;

/**
 * $rows transforms the n rows of the field at $field, 4 rows at a time, and stores row r of the
 * result as row bitReverse(r) of the field at $out, the order in which $columnsW gathers them.
 */
const rowsFunction = `
  (func $rows (param $field i32) (param $out i32) (param $n i32) (param $log2n i32) (param $tw i32) (param $rev i32) (param $scratch i32) (param $sign v128)
    (local $blockEnd i32) (local $offset i32) (local $rowEntry i32)
    (local $row0 i32) (local $row1 i32) (local $row2 i32) (local $row3 i32)
    (local $outRow0 i32) (local $outRow1 i32) (local $outRow2 i32) (local $outRow3 i32)
    ${blockLocals}
    (local.set $blockEnd (i32.add (local.get $field) (i32.mul (local.get $rowBytes) (local.get $n))))
    (local.set $row0 (local.get $field))
    (local.set $rowEntry (local.get $rev))
    (loop $block
      (local.set $row1 (i32.add (local.get $row0) (local.get $rowBytes)))
      (local.set $row2 (i32.add (local.get $row1) (local.get $rowBytes)))
      (local.set $row3 (i32.add (local.get $row2) (local.get $rowBytes)))
      ;; The table entry of row r is 8·bitReverse(r), so times n it is the byte offset of that row.
      (local.set $outRow0 (i32.add (local.get $out) (i32.mul (i32.load (local.get $rowEntry)) (local.get $n))))
      (local.set $outRow1 (i32.add (local.get $out) (i32.mul (i32.load offset=4 (local.get $rowEntry)) (local.get $n))))
      (local.set $outRow2 (i32.add (local.get $out) (i32.mul (i32.load offset=8 (local.get $rowEntry)) (local.get $n))))
      (local.set $outRow3 (i32.add (local.get $out) (i32.mul (i32.load offset=12 (local.get $rowEntry)) (local.get $n))))
      (local.set $revEntry (local.get $rev))
${indent(
  [
    gatherAndStages(
      (re, im, index) => loadFromRows(re, im, `(i32.load offset=${4 * index} ${get('revEntry')})`),
      (count) => [`(local.set $revEntry (i32.add (local.get $revEntry) (i32.const ${4 * count})))`],
      1,
    ),
  ],
  1,
)}
      (if (i32.gt_u (local.get $n) (local.get $firstLength))
        (then
${indent([lastStageAndStore((offset, re, im) => storeToRows(get(offset), re, im), 1)], 3)})
        (else
          ;; n = 4 or 8: the first stage was the whole transform.
          (local.set $offset (i32.const 0))
          (local.set $source (local.get $scratch))
          (loop $scatter
${indent([...loadScratch('a0r', 'a0i', get('source')), ...storeToRows(get('offset'), 'a0r', 'a0i')], 6)}
            (local.set $offset (i32.add (local.get $offset) (i32.const 8)))
            (local.set $source (i32.add (local.get $source) (i32.const 32)))
            (br_if $scatter (i32.lt_u (local.get $source) (local.get $scratchEnd))))))
      (local.set $row0 (i32.add (local.get $row3) (local.get $rowBytes)))
      (local.set $rowEntry (i32.add (local.get $rowEntry) (i32.const 16)))
      (br_if $block (i32.lt_u (local.get $row0) (local.get $blockEnd)))))`;

/**
 * Returns $columnsW, which transforms the n columns of the field at $field, whose rows $rows stored
 * in bit-reversed order, W = 4·groups columns at a time. It stores the results times $scale (real
 * parts) and $imagScale (imaginary parts) into the field at $out in natural order. With 8
 * columns, each block uses whole 64-byte cache lines of every row. Needs n ≥ W and 32·n·groups
 * bytes of scratch.
 */
function columnsFunction(groups) {
  const width = 4 * groups;
  const plainScatter = [];
  for (let group = 0; group < groups; group += 1) {
    plainScatter.push(
      ...loadScratch('a0r', 'a0i', get(SOURCES[group])),
      ...storeToColumns(get('address'), 32 * group, 'a0r', 'a0i'),
    );
  }
  // Element e of the output columns is at $outColumn + e·rowBytes = $outColumn + (8e)·n.
  const storeElement = (offset, re, im, group) =>
    storeToColumns(i32add(get('outColumn'), `(i32.mul ${get(offset)} (local.get $n))`), 32 * group, re, im);
  return `
  (func $columns${width} (param $field i32) (param $out i32) (param $n i32) (param $log2n i32) (param $tw i32) (param $rev i32) (param $scratch i32) (param $scale v128) (param $imagScale v128)
    (local $columnEnd i32) (local $column i32) (local $address i32) (local $outColumn i32) (local $gatherRow i32)
    ${blockLocals}
    (local.set $columnEnd (i32.add (local.get $field) (local.get $rowBytes)))
    (local.set $column (local.get $field))
    (local.set $outColumn (local.get $out))
    (loop $block
      (local.set $gatherRow (local.get $column))
${indent(
  [
    gatherAndStages(
      (re, im, index, group) =>
        loadFromColumns(re, im, i32add(get('gatherRow'), `(i32.mul (local.get $rowBytes) (i32.const ${index}))`), 32 * group),
      (count) => [set('gatherRow', i32add(get('gatherRow'), `(i32.mul (local.get $rowBytes) (i32.const ${count}))`))],
      groups,
    ),
  ],
  1,
)}
      (if (i32.gt_u (local.get $n) (local.get $firstLength))
        (then
${indent([lastStageAndStore(storeElement, groups)], 3)})
        (else
          ;; n = 4 or 8: the first stage was the whole transform.
          (local.set $address (local.get $outColumn))
          (local.set $source (local.get $scratch))
          (local.set $sourceB (local.get $scratchB))
          (loop $scatter
${indent(plainScatter, 6)}
            (local.set $address (i32.add (local.get $address) (local.get $rowBytes)))
            (local.set $source (i32.add (local.get $source) (i32.const 32)))
            (local.set $sourceB (i32.add (local.get $sourceB) (i32.const 32)))
            (br_if $scatter (i32.lt_u (local.get $source) (local.get $scratchEnd))))))
      (local.set $column (i32.add (local.get $column) (i32.const ${8 * width})))
      (local.set $outColumn (i32.add (local.get $outColumn) (i32.const ${8 * width})))
      (br_if $block (i32.lt_u (local.get $column) (local.get $columnEnd)))))`;
}

/**
 * fft2(data, fields, n, log2n, inverse, tw, rev, scratch) transforms `fields` interleaved complex
 * n×n fields at byte address `data` in place, unitary (scaled by 1/n), forward when `inverse` is 0.
 * The inverse is conj(F(conj(x))): the row pass conjugates on load and the column pass on store.
 * Requires n ≥ 4 and `tw` and `rev` built by the host for n. The scratch takes 64·n bytes for the
 * lane groups, then 8·n² bytes for the row pass's output, so that the column pass reads its rows in
 * order.
 */
const fft2Function = `
  (func (export "fft2") (param $data i32) (param $fields i32) (param $n i32) (param $log2n i32) (param $inverse i32) (param $tw i32) (param $rev i32) (param $scratch i32)
    (local $fieldBytes i32) (local $end i32) (local $scale f32) (local $sign f32) (local $transit i32)
    (local.set $fieldBytes (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 3)))
    (local.set $end (i32.add (local.get $data) (i32.mul (local.get $fieldBytes) (local.get $fields))))
    (local.set $scale (f32.div (f32.const 1) (f32.convert_i32_u (local.get $n))))
    (local.set $sign (select (f32.const -1) (f32.const 1) (local.get $inverse)))
    (local.set $transit (i32.add (local.get $scratch) (i32.shl (local.get $n) (i32.const 6))))
    (block $done
      (loop $field
        (br_if $done (i32.ge_u (local.get $data) (local.get $end)))
        (call $rows (local.get $data) (local.get $transit) (local.get $n) (local.get $log2n) (local.get $tw) (local.get $rev)
          (local.get $scratch) (f32x4.splat (local.get $sign)))
        (if (i32.ge_u (local.get $n) (i32.const 8))
          (then
            (call $columns8 (local.get $transit) (local.get $data) (local.get $n) (local.get $log2n) (local.get $tw) (local.get $rev)
              (local.get $scratch) (f32x4.splat (local.get $scale)) (f32x4.splat (f32.mul (local.get $scale) (local.get $sign)))))
          (else
            (call $columns4 (local.get $transit) (local.get $data) (local.get $n) (local.get $log2n) (local.get $tw) (local.get $rev)
              (local.get $scratch) (f32x4.splat (local.get $scale)) (f32x4.splat (f32.mul (local.get $scale) (local.get $sign))))))
        (local.set $data (i32.add (local.get $data) (local.get $fieldBytes)))
        (br $field))))`;

function moduleText(shared) {
  const memory = shared ? '(memory 1 65536 shared)' : '(memory 1)';
  return `;; Generated by scripts/build_wasm_fft.mjs; edit that script, not this file.
;; Batched unitary 2-D FFT on interleaved complex float32 fields, 4 transforms per f32x4 lane group.
(module
  (import "env" "memory" ${memory})
${stagesFunction}
${rowsFunction}
${columnsFunction(1)}
${columnsFunction(2)}
${fft2Function})
`;
}

async function main() {
  const wabt = await wabtInit();
  const assemble = (text) => {
    const parsed = wabt.parseWat('fft2.wat', text, { simd: true, threads: true });
    // wabt 1.0.39's validate rejects shared memories even with the threads feature on, so the
    // binary is validated by this Node's WebAssembly engine instead, which the app's targets share.
    const { buffer } = parsed.toBinary({});
    parsed.destroy();
    if (!WebAssembly.validate(buffer)) {
      throw new Error('The generated FFT2 module is invalid. Assemble fft2.wat with wat2wasm --enable-threads to see why.');
    }
    return Buffer.from(buffer).toString('base64');
  };
  const privateText = moduleText(false);
  const binaries = `// Generated by scripts/build_wasm_fft.mjs from the text in fft2.wat; do not edit.
/** The FFT2 module on a private imported memory, base64-encoded. */
export const FFT2_WASM_BASE64 =
  '${assemble(privateText)}';

/** The same module on a shared imported memory (maximum 65536 pages), for worker threads. */
export const FFT2_SHARED_WASM_BASE64 =
  '${assemble(moduleText(true))}';
`;

  if (process.argv.includes('--check')) {
    const stale = [
      [watPath, privateText],
      [binaryPath, binaries],
    ].filter(([path, text]) => readFileSync(path, 'utf8') !== text);
    if (stale.length > 0) {
      console.error(
        `Generated FFT2 files are out of date: ${stale.map(([path]) => path).join(', ')}. ` +
          'Run node scripts/build_wasm_fft.mjs and commit the result.',
      );
      process.exit(1);
    }
    return;
  }
  writeFileSync(watPath, privateText);
  writeFileSync(binaryPath, binaries);
  console.log(`Wrote ${watPath} and ${binaryPath}.`);
}

await main();
