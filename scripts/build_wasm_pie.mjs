#!/usr/bin/env node
// Generates the WebAssembly SIMD text of the fused PIE batch update
// (src/engine/cpu/wasm/pieBatch.wat), assembles it with wabt and writes the binary as a base64
// string into src/engine/cpu/wasm/pieBatchBinary.generated.ts.
//
// Usage: node scripts/build_wasm_pie.mjs        (rewrites both files; commit them)
//        node scripts/build_wasm_pie.mjs --check (exits 1 when the committed files are stale)
//
// Every function works on four pixels at a time in float32. Two v128 of interleaved complex values
// [re0, im0, re1, im1] and [re2, im2, re3, im3] are split into [re0..re3] and [im0..im3], so one
// f32x4 operation serves four pixels. The probe and its update sums are stored in that split
// layout, in groups of four pixels. Unlike the composed kernels, which form each complex product in
// float64 and round once, products here round in float32 like NumPy's complex64. The results agree
// with the composed kernels to float32 rounding, not bit for bit.
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
const mul = (a, b) => `(f32x4.mul ${a} ${b})`;
const add = (a, b) => `(f32x4.add ${a} ${b})`;
const sub = (a, b) => `(f32x4.sub ${a} ${b})`;
const div = (a, b) => `(f32x4.div ${a} ${b})`;
const shuffle = (pattern, a, b) => `(i8x16.shuffle ${pattern} ${a} ${b})`;
const load = (address, offset = 0) => `(v128.load offset=${offset} ${address})`;
const store = (address, value, offset = 0) => `(v128.store offset=${offset} ${address} ${value})`;
const advance = (name, bytes) => set(name, `(i32.add ${get(name)} (i32.const ${bytes}))`);
const v128Locals = (...names) => names.map((name) => `(local $${name} v128)`).join(' ');

/** Loads four interleaved complex pixels at `address` into the split locals `${prefix}r`, `${prefix}i`. */
function loadSplit(prefix, address) {
  return [
    set('low', load(address)),
    set('high', load(address, 16)),
    set(`${prefix}r`, shuffle(lanes(0, 2, 4, 6), get('low'), get('high'))),
    set(`${prefix}i`, shuffle(lanes(1, 3, 5, 7), get('low'), get('high'))),
  ].join('\n        ');
}

/** Stores split real parts `re` and imaginary parts `im` of four pixels interleaved at `address`. */
function storeInterleaved(address, re, im) {
  return [
    set('re', re),
    set('im', im),
    store(address, shuffle(lanes(0, 4, 1, 5), get('re'), get('im'))),
    store(address, shuffle(lanes(2, 6, 3, 7), get('re'), get('im')), 16),
  ].join('\n        ');
}

/** Loads the split probe group at `address` (four real parts, then four imaginary parts). */
const loadProbe = (address) => [set('pr', load(address)), set('pi', load(address, 16))].join('\n        ');

/**
 * Returns a loop over the n rows of an object window and, within each, over groups of four pixels.
 * `body` can read the object row pointer `source`, which the loop advances by 32 bytes per group.
 */
function windowLoop(body, rowPointers) {
  return `
    (loop $rows
      ${set('source', `(i32.add ${get('window')} (i32.mul ${get('row')} ${get('rowBytes')}))`)}
      ${rowPointers}
      ${set('rowEnd', `(i32.add ${get('source')} (i32.shl ${get('n')} (i32.const 3)))`)}
      (loop $pixels
        ${body}
        ${advance('source', 32)}
        (br_if $pixels (i32.lt_u ${get('source')} ${get('rowEnd')})))
      ${set('row', `(i32.add ${get('row')} (i32.const 1))`)}
      (br_if $rows (i32.lt_u ${get('row')} ${get('n')})))`;
}

const exitWave = `
  ;; out = P·O for one object window: the probe is split into groups of four pixels, out is an
  ;; n×n interleaved field, and row r of the window starts at window + r·rowBytes.
  (func (export "exitWave")
    (param $probe i32) (param $window i32) (param $rowBytes i32) (param $out i32) (param $n i32)
    (local $row i32) (local $source i32) (local $rowEnd i32)
    ${v128Locals('low', 'high', 'pr', 'pi', 'or', 'oi', 're', 'im')}
    ${windowLoop(
      `${loadProbe(get('probe'))}
        ${loadSplit('o', get('source'))}
        ${storeInterleaved(get('out'), sub(mul(get('pr'), get('or')), mul(get('pi'), get('oi'))), add(mul(get('pr'), get('oi')), mul(get('pi'), get('or'))))}
        ${advance('probe', 32)}
        ${advance('out', 32)}`,
      '',
    )})`;

const farFieldUpdate = `
  ;; For the far field Ψ at $field (interleaved complex, $pixels pixels, a multiple of 4) and the
  ;; amplitudes a at $amplitudes, replaces Ψ by a·Ψ/|Ψ| − Ψ, or by (a, 0) where |Ψ| = 0, and returns
  ;; Σ(|Ψ| − a)², each term rounded to float32 and summed in two float64 lanes.
  (func (export "farFieldUpdate") (param $field i32) (param $amplitudes i32) (param $pixels i32) (result f64)
    (local $end i32)
    ${v128Locals('low', 'high', 'fr', 'fi', 're', 'im', 'modulus', 'amplitude', 'difference', 'scale', 'isZero', 'sum')}
    ${set('end', `(i32.add ${get('amplitudes')} (i32.shl ${get('pixels')} (i32.const 2)))`)}
    (loop $pixels
      ${loadSplit('f', get('field'))}
      ${set('modulus', `(f32x4.sqrt ${add(mul(get('fr'), get('fr')), mul(get('fi'), get('fi')))})`)}
      ${set('amplitude', load(get('amplitudes')))}
      ${set('difference', sub(get('modulus'), get('amplitude')))}
      ${set('difference', mul(get('difference'), get('difference')))}
      ${set('sum', `(f64x2.add ${get('sum')} (f64x2.add (f64x2.promote_low_f32x4 ${get('difference')}) (f64x2.promote_low_f32x4 ${shuffle(lanes(2, 3, 2, 3), get('difference'), get('difference'))})))`)}
      ${set('scale', sub(div(get('amplitude'), get('modulus')), '(v128.const f32x4 1 1 1 1)'))}
      ${set('isZero', `(f32x4.eq ${get('modulus')} (v128.const f32x4 0 0 0 0))`)}
      ${storeInterleaved(
        get('field'),
        `(v128.bitselect ${get('amplitude')} ${mul(get('fr'), get('scale'))} ${get('isZero')})`,
        `(v128.andnot ${mul(get('fi'), get('scale'))} ${get('isZero')})`,
      )}
      ${advance('field', 32)}
      ${advance('amplitudes', 16)}
      (br_if $pixels (i32.lt_u ${get('amplitudes')} ${get('end')})))
    (f64.add (f64x2.extract_lane 0 ${get('sum')}) (f64x2.extract_lane 1 ${get('sum')})))`;

/** Splats f32 lane `lane` of `value` over all four lanes. */
const splatLane = (value, lane) => shuffle(lanes(lane, lane, lane, lane), value, value);
/** Adds (|Ψ| − a)² of four pixels to the two float64 lanes of $sum, as farFieldUpdate does. */
const addSquaredResidual = `
      ${set('difference', sub(get('modulus'), get('amplitude')))}
      ${set('difference', mul(get('difference'), get('difference')))}
      ${set('sum', `(f64x2.add ${get('sum')} (f64x2.add (f64x2.promote_low_f32x4 ${get('difference')}) (f64x2.promote_low_f32x4 ${shuffle(lanes(2, 3, 2, 3), get('difference'), get('difference'))})))`)}`;
/** $scale = a / max(|Ψ|, 1e-30) − 1 for four measured pixels, the factor of PieSolver's mixed-state projection minus 1. */
const modulusScale = set(
  'scale',
  sub(div(get('amplitude'), `(f32x4.max ${get('modulus')} (v128.const f32x4 1e-30 1e-30 1e-30 1e-30))`), '(v128.const f32x4 1 1 1 1)'),
);
/** Loops $mode over the $modes fields $modeBytes apart from $first, with $address at the current one. */
function modeLoop(first, body) {
  return `
      ${set('mode', '(i32.const 0)')}
      ${set('address', first)}
      (loop $modes
        ${body}
        ${set('address', `(i32.add ${get('address')} ${get('modeBytes')})`)}
        ${set('mode', `(i32.add ${get('mode')} (i32.const 1))`)}
        (br_if $modes (i32.lt_u ${get('mode')} ${get('modes')})))`;
}

const farFieldModes = `
  ;; The mixed-state projection without upsampling. For $modes far fields Ψ_m, $modeBytes apart from
  ;; $field, and the amplitudes a, replaces every Ψ_m by (f − 1)·Ψ_m with the common factor
  ;; f = a / max(|Ψ|, 1e-30), |Ψ|² = Σ_m |Ψ_m|². Returns Σ(|Ψ| − a)² as farFieldUpdate does.
  (func (export "farFieldModes")
    (param $field i32) (param $modeBytes i32) (param $modes i32) (param $amplitudes i32) (param $pixels i32) (result f64)
    (local $end i32) (local $mode i32) (local $address i32)
    ${v128Locals('first', 'second', 'modulus', 'amplitude', 'difference', 'scale', 'sum')}
    ${set('end', `(i32.add ${get('amplitudes')} (i32.shl ${get('pixels')} (i32.const 2)))`)}
    (loop $pixels
      ${set('first', '(v128.const i64x2 0 0)')}
      ${set('second', '(v128.const i64x2 0 0)')}
      ${modeLoop(
        get('field'),
        `${set('first', add(get('first'), `(f32x4.mul ${load(get('address'))} ${load(get('address'))})`))}
        ${set('second', add(get('second'), `(f32x4.mul ${load(get('address'), 16)} ${load(get('address'), 16)})`))}`,
      )}
      ${set('modulus', `(f32x4.sqrt ${add(shuffle(lanes(0, 2, 4, 6), get('first'), get('second')), shuffle(lanes(1, 3, 5, 7), get('first'), get('second')))})`)}
      ${set('amplitude', load(get('amplitudes')))}
      ${addSquaredResidual}
      ${modulusScale}
      ${set('first', shuffle(lanes(0, 0, 1, 1), get('scale'), get('scale')))}
      ${set('second', shuffle(lanes(2, 2, 3, 3), get('scale'), get('scale')))}
      ${modeLoop(
        get('field'),
        `${store(get('address'), mul(load(get('address')), get('first')))}
        ${store(get('address'), mul(load(get('address'), 16), get('second')), 16)}`,
      )}
      ${advance('field', 32)}
      ${advance('amplitudes', 16)}
      (br_if $pixels (i32.lt_u ${get('amplitudes')} ${get('end')})))
    (f64.add (f64x2.extract_lane 0 ${get('sum')}) (f64x2.extract_lane 1 ${get('sum')})))`;

/** Adds the squares of the eight fine pixels at $address + `offset` (four v128) to $q0…$q3. */
const addFineSquares = (offset) =>
  [0, 1, 2, 3]
    .map((j) => set(`q${j}`, add(get(`q${j}`), `(f32x4.mul ${load(get('address'), offset + 16 * j)} ${load(get('address'), offset + 16 * j)})`)))
    .join('\n        ');
/** Scales the eight fine pixels at `address` by $s0…$s3, two fine pixels (one v128) per measured pixel. */
const scaleFinePixels = (address) =>
  [0, 1, 2, 3].map((j) => store(address, mul(load(address, 16 * j), get(`s${j}`)), 16 * j)).join('\n        ');

const farFieldUpsampled = `
  ;; The projection with far-field upsampling 2: the fields are 2n×2n and the amplitudes n×n, and
  ;; measured pixel (r, c) models the sum of fine samples (2r…2r+1, 2c…2c+1) over all modes. Every
  ;; fine sample Ψ_m becomes (f − 1)·Ψ_m with the factor f = a / max(|Ψ|, 1e-30) of its measured
  ;; pixel. Returns Σ(|Ψ| − a)² as farFieldUpdate does. n must be a multiple of 4.
  (func (export "farFieldUpsampled")
    (param $field i32) (param $modeBytes i32) (param $modes i32) (param $amplitudes i32) (param $n i32) (result f64)
    (local $row i32) (local $rowEnd i32) (local $fineRowBytes i32) (local $mode i32) (local $address i32)
    ${v128Locals('q0', 'q1', 'q2', 'q3', 's0', 's1', 's2', 's3', 'modulus', 'amplitude', 'difference', 'scale', 'sum')}
    ${set('fineRowBytes', `(i32.shl ${get('n')} (i32.const 4))`)}
    (loop $rows
      ${set('rowEnd', `(i32.add ${get('amplitudes')} (i32.shl ${get('n')} (i32.const 2)))`)}
      (loop $pixels
        ${['q0', 'q1', 'q2', 'q3'].map((name) => set(name, '(v128.const i64x2 0 0)')).join('\n        ')}
        ${modeLoop(
          get('field'),
          `${addFineSquares(0)}
        ${set('address', `(i32.add ${get('address')} ${get('fineRowBytes')})`)}
        ${addFineSquares(0)}
        ${set('address', `(i32.sub ${get('address')} ${get('fineRowBytes')})`)}`,
        )}
        ${set('s0', add(shuffle(lanes(0, 1, 4, 5), get('q0'), get('q1')), shuffle(lanes(2, 3, 6, 7), get('q0'), get('q1'))))}
        ${set('s1', add(shuffle(lanes(0, 1, 4, 5), get('q2'), get('q3')), shuffle(lanes(2, 3, 6, 7), get('q2'), get('q3'))))}
        ${set('modulus', `(f32x4.sqrt ${add(shuffle(lanes(0, 2, 4, 6), get('s0'), get('s1')), shuffle(lanes(1, 3, 5, 7), get('s0'), get('s1')))})`)}
        ${set('amplitude', load(get('amplitudes')))}
        ${addSquaredResidual}
        ${modulusScale}
        ${[0, 1, 2, 3].map((j) => set(`s${j}`, splatLane(get('scale'), j))).join('\n        ')}
        ${modeLoop(
          get('field'),
          `${scaleFinePixels(get('address'))}
        ${set('address', `(i32.add ${get('address')} ${get('fineRowBytes')})`)}
        ${scaleFinePixels(get('address'))}
        ${set('address', `(i32.sub ${get('address')} ${get('fineRowBytes')})`)}`,
        )}
        ${advance('field', 64)}
        ${advance('amplitudes', 16)}
        (br_if $pixels (i32.lt_u ${get('amplitudes')} ${get('rowEnd')})))
      ;; The second fine row of this measured row was handled with the first, so skip it.
      ${set('field', `(i32.add ${get('field')} ${get('fineRowBytes')})`)}
      ${set('row', `(i32.add ${get('row')} (i32.const 1))`)}
      (br_if $rows (i32.lt_u ${get('row')} ${get('n')})))
    (f64.add (f64x2.extract_lane 0 ${get('sum')}) (f64x2.extract_lane 1 ${get('sum')})))`;

const accumulate = `
  ;; For the exit-wave change Δ at $difference (n×n interleaved) and the split probe P, adds
  ;; conj(P)·Δ to the object numerator window at $numerator (rows $rowBytes apart, like the object)
  ;; and |P|² to the coverage window at $coverage (rows $rowBytes/2 apart). When $updateProbe is 1,
  ;; also adds conj(O)·Δ and |O|² of the object window at $window to the split probe sums at
  ;; $probeSums. Returns the maximum of $maxCoverage and every coverage value written; because
  ;; coverage only grows during a batch, that is the maximum of its final values.
  (func (export "accumulate")
    (param $probe i32) (param $window i32) (param $rowBytes i32) (param $difference i32)
    (param $numerator i32) (param $coverage i32) (param $n i32) (param $probeSums i32)
    (param $updateProbe i32) (param $maxCoverage f32) (result f32)
    (local $row i32) (local $source i32) (local $rowEnd i32) (local $target i32) (local $weight i32)
    ${v128Locals('low', 'high', 'pr', 'pi', 'dr', 'di', 'or', 'oi', 're', 'im', 'power', 'max')}
    ${set('max', `(f32x4.splat ${get('maxCoverage')})`)}
    ${windowLoop(
      `${loadProbe(get('probe'))}
        ${loadSplit('d', get('difference'))}
        ${set('re', add(mul(get('pr'), get('dr')), mul(get('pi'), get('di'))))}
        ${set('im', sub(mul(get('pr'), get('di')), mul(get('pi'), get('dr'))))}
        ${store(get('target'), add(load(get('target')), shuffle(lanes(0, 4, 1, 5), get('re'), get('im'))))}
        ${store(get('target'), add(load(get('target'), 16), shuffle(lanes(2, 6, 3, 7), get('re'), get('im'))), 16)}
        ${set('power', add(load(get('weight')), add(mul(get('pr'), get('pr')), mul(get('pi'), get('pi')))))}
        ${store(get('weight'), get('power'))}
        ${set('max', `(f32x4.pmax ${get('max')} ${get('power')})`)}
        (if ${get('updateProbe')}
          (then
            ${loadSplit('o', get('source'))}
            ${store(get('probeSums'), add(load(get('probeSums')), add(mul(get('or'), get('dr')), mul(get('oi'), get('di')))))}
            ${store(get('probeSums'), add(load(get('probeSums'), 16), sub(mul(get('or'), get('di')), mul(get('oi'), get('dr')))), 16)}
            ${store(get('probeSums'), add(load(get('probeSums'), 32), add(mul(get('or'), get('or')), mul(get('oi'), get('oi')))), 32)}
            ${advance('probeSums', 48)}))
        ${advance('probe', 32)}
        ${advance('difference', 32)}
        ${advance('target', 32)}
        ${advance('weight', 16)}`,
      `${set('target', `(i32.add ${get('numerator')} (i32.mul ${get('row')} ${get('rowBytes')}))`)}
      ${set('weight', `(i32.add ${get('coverage')} (i32.mul ${get('row')} (i32.shr_u ${get('rowBytes')} (i32.const 1))))`)}`,
    )}
    (f32.max
      (f32.max (f32x4.extract_lane 0 ${get('max')}) (f32x4.extract_lane 1 ${get('max')}))
      (f32.max (f32x4.extract_lane 2 ${get('max')}) (f32x4.extract_lane 3 ${get('max')}))))`;

/** x + step·numerator / max(localShare·D + regularizedMax, 1e-30), the regularizedUpdate formula. */
const updated = (x, numerator, denominator) => add(x, div(mul('(f32x4.splat (local.get $step))', numerator), denominator));
const denominatorOf = (weights) =>
  `(f32x4.max ${add(mul('(f32x4.splat (local.get $localShare))', weights), '(f32x4.splat (local.get $regularizedMax))')} (v128.const f32x4 1e-30 1e-30 1e-30 1e-30))`;

const applyObjectUpdate = `
  ;; Applies the summed object update to one window, with regularizedUpdate's formula, and zeroes
  ;; the sums there. Groups whose sums are all zero, such as those of an overlapping window applied
  ;; before, are skipped, because the update would add 0 to them.
  (func (export "applyObjectUpdate")
    (param $window i32) (param $rowBytes i32) (param $numerator i32) (param $coverage i32) (param $n i32)
    (param $step f32) (param $localShare f32) (param $regularizedMax f32)
    (local $row i32) (local $source i32) (local $rowEnd i32) (local $target i32) (local $weight i32)
    ${v128Locals('low', 'high', 'or', 'oi', 're', 'im', 'first', 'second', 'power', 'denominator')}
    ${windowLoop(
      `${set('first', load(get('target')))}
        ${set('second', load(get('target'), 16))}
        ${set('power', load(get('weight')))}
        (if (v128.any_true (v128.or (v128.or ${get('first')} ${get('second')}) ${get('power')}))
          (then
            ${set('denominator', denominatorOf(get('power')))}
            ${loadSplit('o', get('source'))}
            ${storeInterleaved(
              get('source'),
              updated(get('or'), shuffle(lanes(0, 2, 4, 6), get('first'), get('second')), get('denominator')),
              updated(get('oi'), shuffle(lanes(1, 3, 5, 7), get('first'), get('second')), get('denominator')),
            )}
            ${store(get('target'), '(v128.const i64x2 0 0)')}
            ${store(get('target'), '(v128.const i64x2 0 0)', 16)}
            ${store(get('weight'), '(v128.const i64x2 0 0)')}))
        ${advance('target', 32)}
        ${advance('weight', 16)}`,
      `${set('target', `(i32.add ${get('numerator')} (i32.mul ${get('row')} ${get('rowBytes')}))`)}
      ${set('weight', `(i32.add ${get('coverage')} (i32.mul ${get('row')} (i32.shr_u ${get('rowBytes')} (i32.const 1))))`)}`,
    )})`;

const maxProbeWeight = `
  ;; Returns the maximum of Σ|O|² over $groups groups of split probe sums, at least 0.
  (func (export "maxProbeWeight") (param $probeSums i32) (param $groups i32) (result f32)
    (local $end i32)
    ${v128Locals('max')}
    ${set('end', `(i32.add ${get('probeSums')} (i32.mul ${get('groups')} (i32.const 48)))`)}
    (loop $values
      ${set('max', `(f32x4.pmax ${get('max')} ${load(get('probeSums'), 32)})`)}
      ${advance('probeSums', 48)}
      (br_if $values (i32.lt_u ${get('probeSums')} ${get('end')})))
    (f32.max
      (f32.max (f32x4.extract_lane 0 ${get('max')}) (f32x4.extract_lane 1 ${get('max')}))
      (f32.max (f32x4.extract_lane 2 ${get('max')}) (f32x4.extract_lane 3 ${get('max')}))))`;

const applyProbeUpdate = `
  ;; Applies the probe update from the split probe sums, with regularizedUpdate's formula, and
  ;; zeroes the sums.
  (func (export "applyProbeUpdate")
    (param $probe i32) (param $probeSums i32) (param $groups i32)
    (param $step f32) (param $localShare f32) (param $regularizedMax f32)
    (local $end i32)
    ${v128Locals('denominator')}
    ${set('end', `(i32.add ${get('probe')} (i32.shl ${get('groups')} (i32.const 5)))`)}
    (loop $values
      ${set('denominator', denominatorOf(load(get('probeSums'), 32)))}
      ${store(get('probe'), updated(load(get('probe')), load(get('probeSums')), get('denominator')))}
      ${store(get('probe'), updated(load(get('probe'), 16), load(get('probeSums'), 16), get('denominator')), 16)}
      ${store(get('probeSums'), '(v128.const i64x2 0 0)')}
      ${store(get('probeSums'), '(v128.const i64x2 0 0)', 16)}
      ${store(get('probeSums'), '(v128.const i64x2 0 0)', 32)}
      ${advance('probeSums', 48)}
      ${advance('probe', 32)}
      (br_if $values (i32.lt_u ${get('probe')} ${get('end')}))))`;

const wat = `;; Generated by scripts/build_wasm_pie.mjs; edit that script, not this file.
;; Fused PIE batch update on interleaved complex float32 fields; all addresses in bytes.
;; Every loop takes four pixels per step, so n must be a multiple of 4.
(module
  (import "env" "memory" (memory 1))
${exitWave}
${farFieldUpdate}
${farFieldModes}
${farFieldUpsampled}
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
  '/** The fused PIE batch module on an imported memory, base64-encoded. */\n' +
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
