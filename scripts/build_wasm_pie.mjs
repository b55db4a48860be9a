#!/usr/bin/env node
// Generates the WebAssembly SIMD text of the fused single-mode PIE batch update
// (src/engine/cpu/wasm/pieBatch.wat), assembles it with wabt and writes the binary as a base64
// string into src/engine/cpu/wasm/pieBatchBinary.generated.ts.
//
// Usage: node scripts/build_wasm_pie.mjs        (rewrites both files; commit them)
//        node scripts/build_wasm_pie.mjs --check (exits 1 when the committed files are stale)
//
// Every function works on two pixels at a time. A v128 of interleaved complex float32 values
// [re0, im0, re1, im1] is split into the float64 pairs [re0, re1] and [im0, im1], so one f64x2
// operation serves both pixels. Products and sums run in float64 and round once to float32, the
// arithmetic of the element-wise kernels in elementwise.wat, so the results have the same bits as
// the composed tfjs kernels on the 'cpu' backend (except the residual sum, see farFieldUpdate).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';

const outputDir = join(import.meta.dirname, '..', 'src', 'engine', 'cpu', 'wasm');
const watPath = join(outputDir, 'pieBatch.wat');
const binaryPath = join(outputDir, 'pieBatchBinary.generated.ts');

/** i8x16.shuffle byte indices that pick the given f32 lanes of the 8-lane concatenation a ‖ b. */
function lanes(...floatLanes) {
  return floatLanes.flatMap((lane) => [0, 1, 2, 3].map((byte) => 4 * lane + byte)).join(' ');
}

const get = (name) => `(local.get $${name})`;
const set = (name, value) => `(local.set $${name} ${value})`;
const mul = (a, b) => `(f64x2.mul ${a} ${b})`;
const add = (a, b) => `(f64x2.add ${a} ${b})`;
const sub = (a, b) => `(f64x2.sub ${a} ${b})`;
const div = (a, b) => `(f64x2.div ${a} ${b})`;
const promote = (v) => `(f64x2.promote_low_f32x4 ${v})`;
const demote = (v) => `(f32x4.demote_f64x2_zero ${v})`;
const shuffle = (pattern, a, b) => `(i8x16.shuffle ${pattern} ${a} ${b})`;

/** Float64 real parts [re0, re1] of the two interleaved complex float32 pixels in v128 `v`. */
const realPair = (v) => promote(shuffle(lanes(0, 2, 0, 2), v, v));
/** Float64 imaginary parts [im0, im1] of the two pixels in `v`. */
const imaginaryPair = (v) => promote(shuffle(lanes(1, 3, 1, 3), v, v));
/** Rounds the float64 pairs [re0, re1] and [im0, im1] to float32 and interleaves them. */
const interleave = (re, im) => shuffle(lanes(0, 4, 1, 5), demote(re), demote(im));

/** Loads the pixel pair at `address` into the float64 locals `${prefix}r` and `${prefix}i`. */
function loadPair(prefix, address) {
  return [set('pair', `(v128.load ${address})`), set(`${prefix}r`, realPair(get('pair'))), set(`${prefix}i`, imaginaryPair(get('pair')))].join(
    '\n',
  );
}

const v128Locals = (...names) => names.map((name) => `(local $${name} v128)`).join(' ');

/**
 * ψ = P·O for one window: `probe` and `out` are n×n interleaved complex float32 fields, and row r
 * of the object window starts at window + r·rowBytes.
 */
const exitWave = `
  ;; out = P·O_window, computed in float64 and rounded once, like complexMultiply(P, O).
  (func (export "exitWave")
    (param $probe i32) (param $window i32) (param $rowBytes i32) (param $out i32) (param $n i32)
    (local $row i32) (local $source i32) (local $rowEnd i32)
    ${v128Locals('pair', 'pr', 'pi', 'or', 'oi')}
    (loop $rows
      ${set('source', `(i32.add ${get('window')} (i32.mul ${get('row')} ${get('rowBytes')}))`)}
      ${set('rowEnd', `(i32.add ${get('source')} (i32.shl ${get('n')} (i32.const 3)))`)}
      (loop $pixels
        ${loadPair('p', get('probe'))}
        ${loadPair('o', get('source'))}
        (v128.store ${get('out')}
          ${interleave(sub(mul(get('pr'), get('or')), mul(get('pi'), get('oi'))), add(mul(get('pr'), get('oi')), mul(get('pi'), get('or'))))})
        ${set('probe', `(i32.add ${get('probe')} (i32.const 16))`)}
        ${set('out', `(i32.add ${get('out')} (i32.const 16))`)}
        ${set('source', `(i32.add ${get('source')} (i32.const 16))`)}
        (br_if $pixels (i32.lt_u ${get('source')} ${get('rowEnd')})))
      ${set('row', `(i32.add ${get('row')} (i32.const 1))`)}
      (br_if $rows (i32.lt_u ${get('row')} ${get('n')}))))`;

/**
 * Ψ′ − Ψ with Ψ′ = a·Ψ/|Ψ| in place, and Σ(|Ψ| − a)². The residual is summed in two float64 lanes
 * (even and odd pixels) without rounding each term to float32, so it can differ from tf.sum of the
 * float32 residuals in the last bits of the float32 result.
 */
const farFieldUpdate = `
  ;; For the far field Ψ at $field (interleaved complex float32, $pixels pixels, an even count) and
  ;; the amplitudes a at $amplitudes, replaces Ψ by a·Ψ/|Ψ| − Ψ, or by (a, 0) where |Ψ| = 0, and
  ;; returns Σ(|Ψ| − a)² in float64.
  (func (export "farFieldUpdate") (param $field i32) (param $amplitudes i32) (param $pixels i32) (result f64)
    (local $end i32)
    ${v128Locals('pair', 'fr', 'fi', 'modulus', 'amplitude', 'difference', 'scale', 'isZero', 'sum')}
    ${set('end', `(i32.add ${get('amplitudes')} (i32.shl ${get('pixels')} (i32.const 2)))`)}
    (loop $pixels
      ${loadPair('f', get('field'))}
      ${set('modulus', `(f64x2.sqrt ${add(mul(get('fr'), get('fr')), mul(get('fi'), get('fi')))})`)}
      ${set('amplitude', promote(`(v128.load64_zero ${get('amplitudes')})`))}
      ${set('difference', sub(get('modulus'), get('amplitude')))}
      ${set('sum', add(get('sum'), mul(get('difference'), get('difference'))))}
      ${set('scale', sub(div(get('amplitude'), get('modulus')), '(v128.const f64x2 1 1)'))}
      ${set('isZero', `(f64x2.eq ${get('modulus')} (v128.const f64x2 0 0))`)}
      (v128.store ${get('field')}
        ${interleave(
          `(v128.bitselect ${get('amplitude')} ${mul(get('fr'), get('scale'))} ${get('isZero')})`,
          `(v128.bitselect (v128.const f64x2 0 0) ${mul(get('fi'), get('scale'))} ${get('isZero')})`,
        )})
      ${set('field', `(i32.add ${get('field')} (i32.const 16))`)}
      ${set('amplitudes', `(i32.add ${get('amplitudes')} (i32.const 8))`)}
      (br_if $pixels (i32.lt_u ${get('amplitudes')} ${get('end')})))
    (f64.add (f64x2.extract_lane 0 ${get('sum')}) (f64x2.extract_lane 1 ${get('sum')})))`;

/**
 * Adds one pattern's share of the object and probe updates. The object accumulator holds per
 * pixel the float32 values [Re Σ conj(P)Δ, Im Σ conj(P)Δ, Σ|P|², 0]; the probe accumulator holds
 * per pixel pair the float64 pairs [Re Σ conj(O)Δ], [Im Σ conj(O)Δ], [Σ|O|²].
 */
const accumulate = `
  ;; For the exit-wave change Δ at $difference (n×n), the probe P at $probe and the object window
  ;; at $window (rows $rowBytes apart), adds [conj(P)·Δ rounded to float32, |P|² rounded to float32, 0]
  ;; to the accumulator window at $accumulator (rows $accumulatorRowBytes apart) in float32, as
  ;; overlapSum does. When $updateProbe is 1, also adds conj(O)·Δ and |O|² to the float64 probe
  ;; sums at $probeSums, as conjugateProductSum does. Returns the maximum of $maxCoverage and every
  ;; Σ|P|² value written; because those sums only grow, that is the maximum of the final coverage.
  (func (export "accumulate")
    (param $probe i32) (param $window i32) (param $rowBytes i32) (param $difference i32)
    (param $accumulator i32) (param $accumulatorRowBytes i32) (param $n i32) (param $probeSums i32)
    (param $updateProbe i32) (param $maxCoverage f32) (result f32)
    (local $row i32) (local $source i32) (local $target i32) (local $rowEnd i32)
    ${v128Locals('pair', 'pr', 'pi', 'dr', 'di', 'or', 'oi', 'products', 'power', 'first', 'second', 'max')}
    ${set('max', `(f32x4.splat ${get('maxCoverage')})`)}
    (loop $rows
      ${set('source', `(i32.add ${get('window')} (i32.mul ${get('row')} ${get('rowBytes')}))`)}
      ${set('target', `(i32.add ${get('accumulator')} (i32.mul ${get('row')} ${get('accumulatorRowBytes')}))`)}
      ${set('rowEnd', `(i32.add ${get('source')} (i32.shl ${get('n')} (i32.const 3)))`)}
      (loop $pixels
        ${loadPair('p', get('probe'))}
        ${loadPair('d', get('difference'))}
        ;; [wr0, wi0, wr1, wi1] with w = conj(P)·Δ, and [|P0|², |P1|², 0, 0].
        ${set('products', interleave(add(mul(get('pr'), get('dr')), mul(get('pi'), get('di'))), sub(mul(get('pr'), get('di')), mul(get('pi'), get('dr')))))}
        ${set('power', demote(add(mul(get('pr'), get('pr')), mul(get('pi'), get('pi')))))}
        ${set('first', `(f32x4.add (v128.load ${get('target')}) ${shuffle(lanes(0, 1, 4, 6), get('products'), get('power'))})`)}
        ${set('second', `(f32x4.add (v128.load offset=16 ${get('target')}) ${shuffle(lanes(2, 3, 5, 6), get('products'), get('power'))})`)}
        (v128.store ${get('target')} ${get('first')})
        (v128.store offset=16 ${get('target')} ${get('second')})
        ${set('max', `(f32x4.pmax ${get('max')} (f32x4.pmax ${get('first')} ${get('second')}))`)}
        (if ${get('updateProbe')}
          (then
            ${loadPair('o', get('source'))}
            (v128.store ${get('probeSums')}
              ${add(`(v128.load ${get('probeSums')})`, add(mul(get('or'), get('dr')), mul(get('oi'), get('di'))))})
            (v128.store offset=16 ${get('probeSums')}
              ${add(`(v128.load offset=16 ${get('probeSums')})`, sub(mul(get('or'), get('di')), mul(get('oi'), get('dr'))))})
            (v128.store offset=32 ${get('probeSums')}
              ${add(`(v128.load offset=32 ${get('probeSums')})`, add(mul(get('or'), get('or')), mul(get('oi'), get('oi'))))})
            ${set('probeSums', `(i32.add ${get('probeSums')} (i32.const 48))`)}))
        ${set('probe', `(i32.add ${get('probe')} (i32.const 16))`)}
        ${set('difference', `(i32.add ${get('difference')} (i32.const 16))`)}
        ${set('target', `(i32.add ${get('target')} (i32.const 32))`)}
        ${set('source', `(i32.add ${get('source')} (i32.const 16))`)}
        (br_if $pixels (i32.lt_u ${get('source')} ${get('rowEnd')})))
      ${set('row', `(i32.add ${get('row')} (i32.const 1))`)}
      (br_if $rows (i32.lt_u ${get('row')} ${get('n')})))
    (f32x4.extract_lane 2 ${get('max')}))`;

/** x + step·numerator / max(localShare·D + regularizedMax, 1e-30) on float64 pairs, as regularizedUpdate. */
const updated = (x, numerator, denominator) => add(x, div(mul('(f64x2.splat (local.get $step))', numerator), denominator));
const denominatorOf = (weights) =>
  `(f64x2.max ${add(mul('(f64x2.splat (local.get $localShare))', weights), '(f64x2.splat (local.get $regularizedMax))')} (v128.const f64x2 1e-30 1e-30))`;

const applyObjectUpdate = `
  ;; Applies the accumulated object update to one window, as regularizedUpdate does, and zeroes the
  ;; accumulator there. A window that overlaps one already applied finds zeros there and leaves
  ;; those pixels as they are (x + 0).
  (func (export "applyObjectUpdate")
    (param $window i32) (param $rowBytes i32) (param $accumulator i32) (param $accumulatorRowBytes i32) (param $n i32)
    (param $step f64) (param $localShare f64) (param $regularizedMax f64)
    (local $row i32) (local $target i32) (local $sums i32) (local $rowEnd i32)
    ${v128Locals('pair', 'or', 'oi', 'first', 'second', 'denominator')}
    (loop $rows
      ${set('target', `(i32.add ${get('window')} (i32.mul ${get('row')} ${get('rowBytes')}))`)}
      ${set('sums', `(i32.add ${get('accumulator')} (i32.mul ${get('row')} ${get('accumulatorRowBytes')}))`)}
      ${set('rowEnd', `(i32.add ${get('target')} (i32.shl ${get('n')} (i32.const 3)))`)}
      (loop $pixels
        ${set('first', `(v128.load ${get('sums')})`)}
        ${set('second', `(v128.load offset=16 ${get('sums')})`)}
        ;; A pair whose sums are all zero, such as one already applied, would get x + 0: skip it.
        (if (v128.any_true (v128.or ${get('first')} ${get('second')})) (then
        ${set('denominator', denominatorOf(promote(shuffle(lanes(2, 6, 2, 6), get('first'), get('second')))))}
        ${loadPair('o', get('target'))}
        (v128.store ${get('target')}
          ${interleave(
            updated(get('or'), promote(shuffle(lanes(0, 4, 0, 4), get('first'), get('second'))), get('denominator')),
            updated(get('oi'), promote(shuffle(lanes(1, 5, 1, 5), get('first'), get('second'))), get('denominator')),
          )})
        (v128.store ${get('sums')} (v128.const i64x2 0 0))
        (v128.store offset=16 ${get('sums')} (v128.const i64x2 0 0))))
        ${set('sums', `(i32.add ${get('sums')} (i32.const 32))`)}
        ${set('target', `(i32.add ${get('target')} (i32.const 16))`)}
        (br_if $pixels (i32.lt_u ${get('target')} ${get('rowEnd')})))
      ${set('row', `(i32.add ${get('row')} (i32.const 1))`)}
      (br_if $rows (i32.lt_u ${get('row')} ${get('n')}))))`;

/** Rounds a float64 pair to float32 and back, as storing conjugateProductSum's output does. */
const roundToFloat32 = (v) => promote(demote(v));

const maxProbeWeight = `
  ;; Returns the maximum of the float32-rounded Σ|O|² over $pairs pixel pairs of probe sums, at least 0.
  (func (export "maxProbeWeight") (param $probeSums i32) (param $pairs i32) (result f64)
    (local $end i32)
    ${v128Locals('max')}
    ${set('end', `(i32.add ${get('probeSums')} (i32.mul ${get('pairs')} (i32.const 48)))`)}
    (loop $values
      ${set('max', `(f32x4.pmax ${get('max')} ${demote(`(v128.load offset=32 ${get('probeSums')})`)})`)}
      ${set('probeSums', `(i32.add ${get('probeSums')} (i32.const 48))`)}
      (br_if $values (i32.lt_u ${get('probeSums')} ${get('end')})))
    (f64.promote_f32 (f32.max (f32x4.extract_lane 0 ${get('max')}) (f32x4.extract_lane 1 ${get('max')}))))`;

const applyProbeUpdate = `
  ;; Applies the probe update from the probe sums, rounded to float32 first as conjugateProductSum
  ;; stores them, and zeroes the sums.
  (func (export "applyProbeUpdate")
    (param $probe i32) (param $probeSums i32) (param $pairs i32)
    (param $step f64) (param $localShare f64) (param $regularizedMax f64)
    (local $end i32)
    ${v128Locals('pair', 'pr', 'pi', 'denominator')}
    ${set('end', `(i32.add ${get('probe')} (i32.shl ${get('pairs')} (i32.const 4)))`)}
    (loop $pixels
      ${set('denominator', denominatorOf(roundToFloat32(`(v128.load offset=32 ${get('probeSums')})`)))}
      ${loadPair('p', get('probe'))}
      (v128.store ${get('probe')}
        ${interleave(
          updated(get('pr'), roundToFloat32(`(v128.load ${get('probeSums')})`), get('denominator')),
          updated(get('pi'), roundToFloat32(`(v128.load offset=16 ${get('probeSums')})`), get('denominator')),
        )})
      (v128.store ${get('probeSums')} (v128.const i64x2 0 0))
      (v128.store offset=16 ${get('probeSums')} (v128.const i64x2 0 0))
      (v128.store offset=32 ${get('probeSums')} (v128.const i64x2 0 0))
      ${set('probeSums', `(i32.add ${get('probeSums')} (i32.const 48))`)}
      ${set('probe', `(i32.add ${get('probe')} (i32.const 16))`)}
      (br_if $pixels (i32.lt_u ${get('probe')} ${get('end')}))))`;

const wat = `;; Generated by scripts/build_wasm_pie.mjs; edit that script, not this file.
;; Fused single-mode PIE batch update on interleaved complex float32 fields; all addresses in bytes.
;; Every n×n loop takes two pixels per step, so n must be even.
(module
  (import "env" "memory" (memory 1))
${exitWave}
${farFieldUpdate}
${accumulate}
${applyObjectUpdate}
${maxProbeWeight}
${applyProbeUpdate}
)
`;

const wabt = await wabtInit();
const parsed = wabt.parseWat('pieBatch.wat', wat, { simd: true });
parsed.validate();
const { buffer } = parsed.toBinary({});
parsed.destroy();
if (!WebAssembly.validate(buffer)) {
  throw new Error('The assembled PIE batch module is invalid. Check the generated pieBatch.wat with wat2wasm.');
}
const generated =
  '// Generated by scripts/build_wasm_pie.mjs from pieBatch.wat; do not edit.\n' +
  '/** The fused single-mode PIE batch module on an imported memory, base64-encoded. */\n' +
  `export const PIE_BATCH_WASM_BASE64 =\n  '${Buffer.from(buffer).toString('base64')}';\n`;

if (process.argv.includes('--check')) {
  const stale = [
    [watPath, wat],
    [binaryPath, generated],
  ].filter(([path, text]) => {
    try {
      return readFileSync(path, 'utf8') !== text;
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(`Stale: ${stale.map(([path]) => path).join(', ')}. Run node scripts/build_wasm_pie.mjs.`);
    process.exit(1);
  }
} else {
  writeFileSync(watPath, wat);
  writeFileSync(binaryPath, generated);
  console.log(`pieBatch.wat: ${buffer.length} bytes`);
}
