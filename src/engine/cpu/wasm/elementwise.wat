;; Element-wise complex kernels for the 'cpu' backend on an imported memory. All addresses are in bytes.
;; Assemble with `node src/engine/cpu/wasm/build_elementwise.mjs`, which writes elementwiseBinary.generated.ts.
(module
  (import "env" "memory" (memory 1))

  ;; out = a·b, or conj(a)·b when $conj is 1, for $batch fields of $fieldBytes bytes of interleaved
  ;; complex float32. An operand stride of 0 reuses one field for the whole batch. The products and
  ;; sums run in float64 and round once to float32, as the JavaScript loop does, so the bits agree.
  (func (export "complexMultiply")
    (param $a i32) (param $b i32) (param $out i32) (param $batch i32) (param $fieldBytes i32)
    (param $aStride i32) (param $bStride i32) (param $conj i32)
    (local $field i32) (local $i i32) (local $ia i32) (local $ib i32) (local $io i32)
    (local $va v128) (local $vb v128) (local $sign v128) (local $result v128)
    (local.set $sign
      (select (v128.const f64x2 1 -1) (v128.const f64x2 -1 1) (local.get $conj)))
    (block $fieldsDone
      (loop $fields
        (br_if $fieldsDone (i32.ge_u (local.get $field) (local.get $batch)))
        (local.set $ia (i32.add (local.get $a) (i32.mul (local.get $field) (local.get $aStride))))
        (local.set $ib (i32.add (local.get $b) (i32.mul (local.get $field) (local.get $bStride))))
        (local.set $io (i32.add (local.get $out) (i32.mul (local.get $field) (local.get $fieldBytes))))
        (local.set $i (i32.const 0))
        (block $pixelsDone
          (loop $pixels
            (br_if $pixelsDone (i32.ge_u (local.get $i) (local.get $fieldBytes)))
            ;; [ar, ai] and [br, bi] as float64.
            (local.set $va (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $ia) (local.get $i)))))
            (local.set $vb (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $ib) (local.get $i)))))
            ;; [ar·br, ar·bi] + sign·[ai·bi, ai·br]
            (local.set $result
              (f64x2.add
                (f64x2.mul (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va)) (local.get $vb))
                (f64x2.mul
                  (local.get $sign)
                  (f64x2.mul
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $va) (local.get $va))
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vb) (local.get $vb))))))
            (v128.store64_lane 0 (i32.add (local.get $io) (local.get $i)) (f32x4.demote_f64x2_zero (local.get $result)))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $pixels)))
        (local.set $field (i32.add (local.get $field) (i32.const 1)))
        (br $fields))))

  ;; Adds $count float32 values at $source to those at $target. $count must be a multiple of 4.
  ;; A float32 sum rounds the same in float32 and in float64, so the bits match the scalar loop.
  (func (export "addInto") (param $target i32) (param $source i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $source) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $source) (local.get $end)))
        (v128.store (local.get $target)
          (f32x4.add (v128.load (local.get $target)) (v128.load (local.get $source))))
        (local.set $target (i32.add (local.get $target) (i32.const 16)))
        (local.set $source (i32.add (local.get $source) (i32.const 16)))
        (br $values))))
;; For $pixels interleaved complex float32 values Ψ at $field and float32 amplitudes a at
  ;; $amplitudes, writes a·Ψ/|Ψ| − $offset·Ψ to $out, and (a, 0) where |Ψ| = 0. $offset is 0 for the
  ;; projection and 1 for its difference. $pixels must be even: each step takes two pixels, so one
  ;; f64x2 square root and one division serve both. Runs in float64 like the JavaScript loop, so the
  ;; bits agree.
  (func (export "modulusProjection")
    (param $field i32) (param $amplitudes i32) (param $out i32) (param $pixels i32) (param $offset f64)
    (local $end i32) (local $pair v128) (local $first v128) (local $second v128)
    (local $firstSquares v128) (local $secondSquares v128) (local $modulus v128) (local $amplitude v128)
    (local $scale v128) (local $isZero v128) (local $firstResult v128) (local $secondResult v128)
    (local.set $end (i32.add (local.get $amplitudes) (i32.shl (local.get $pixels) (i32.const 2))))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $amplitudes) (local.get $end)))
        ;; [re0, im0, re1, im1] as float32, then [re0, im0] and [re1, im1] as float64.
        (local.set $pair (v128.load (local.get $field)))
        (local.set $first (f64x2.promote_low_f32x4 (local.get $pair)))
        (local.set $second
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $pair) (local.get $pair))))
        (local.set $firstSquares (f64x2.mul (local.get $first) (local.get $first)))
        (local.set $secondSquares (f64x2.mul (local.get $second) (local.get $second)))
        ;; [re0² + im0², re1² + im1²], in the order the JavaScript loop adds them.
        (local.set $modulus
          (f64x2.sqrt
            (f64x2.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $firstSquares) (local.get $secondSquares))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $firstSquares) (local.get $secondSquares)))))
        (local.set $amplitude (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $amplitudes))))
        (local.set $scale
          (f64x2.sub (f64x2.div (local.get $amplitude) (local.get $modulus)) (f64x2.splat (local.get $offset))))
        (local.set $isZero (f64x2.eq (local.get $modulus) (v128.const f64x2 0 0)))
        ;; Per pixel: [a, 0] for a zero modulus, whose phase the kernel contract fixes to zero, else scale·Ψ.
        (local.set $firstResult
          (v128.bitselect
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $amplitude) (v128.const i64x2 0 0))
            (f64x2.mul (local.get $first) (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $scale) (local.get $scale)))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $isZero) (local.get $isZero))))
        (local.set $secondResult
          (v128.bitselect
            (i8x16.shuffle 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 (local.get $amplitude) (v128.const i64x2 0 0))
            (f64x2.mul (local.get $second) (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $scale) (local.get $scale)))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $isZero) (local.get $isZero))))
        (v128.store (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $firstResult))
            (f32x4.demote_f64x2_zero (local.get $secondResult))))
        (local.set $field (i32.add (local.get $field) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $amplitudes (i32.add (local.get $amplitudes) (i32.const 8)))
        (br $values))))

  ;; For $pixels interleaved complex float32 values Ψ at $field and float32 amplitudes a at
  ;; $amplitudes, writes the float32 values (|Ψ| − a)² to $out, computed in float64. $pixels must be
  ;; even, because each step takes two pixels.
  (func (export "amplitudeResidual")
    (param $field i32) (param $amplitudes i32) (param $out i32) (param $pixels i32)
    (local $end i32) (local $pair v128) (local $firstSquares v128) (local $secondSquares v128) (local $difference v128)
    (local.set $end (i32.add (local.get $amplitudes) (i32.shl (local.get $pixels) (i32.const 2))))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $amplitudes) (local.get $end)))
        (local.set $pair (v128.load (local.get $field)))
        (local.set $firstSquares (f64x2.promote_low_f32x4 (local.get $pair)))
        (local.set $firstSquares (f64x2.mul (local.get $firstSquares) (local.get $firstSquares)))
        (local.set $secondSquares
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $pair) (local.get $pair))))
        (local.set $secondSquares (f64x2.mul (local.get $secondSquares) (local.get $secondSquares)))
        (local.set $difference
          (f64x2.sub
            (f64x2.sqrt
              (f64x2.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $firstSquares) (local.get $secondSquares))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $firstSquares) (local.get $secondSquares))))
            (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $amplitudes)))))
        (v128.store64_lane 0 (local.get $out)
          (f32x4.demote_f64x2_zero (f64x2.mul (local.get $difference) (local.get $difference))))
        (local.set $field (i32.add (local.get $field) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $amplitudes (i32.add (local.get $amplitudes) (i32.const 8)))
        (br $values))))

  ;; For $values complex values, writes x + $step·numerator / max($localShare·D + $regularizedMax, 1e-30)
  ;; to $out, where D is the real part of the complex value at $weights. All arrays are interleaved
  ;; complex float32. Runs in float64 like the JavaScript loop, so the bits agree.
  (func (export "regularizedUpdate")
    (param $x i32) (param $numerator i32) (param $weights i32) (param $out i32) (param $values i32)
    (param $step f64) (param $localShare f64) (param $regularizedMax f64)
    (local $offset i32) (local $end i32) (local $denominator f64)
    (local.set $end (i32.shl (local.get $values) (i32.const 3)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $offset) (local.get $end)))
        (local.set $denominator
          (f64.max
            (f64.add
              (f64.mul (local.get $localShare) (f64.promote_f32 (f32.load (i32.add (local.get $weights) (local.get $offset)))))
              (local.get $regularizedMax))
            (f64.const 1e-30)))
        (v128.store64_lane 0 (i32.add (local.get $out) (local.get $offset))
          (f32x4.demote_f64x2_zero
            (f64x2.add
              (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $offset))))
              (f64x2.div
                (f64x2.mul
                  (f64x2.splat (local.get $step))
                  (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $numerator) (local.get $offset)))))
                (f64x2.splat (local.get $denominator))))))
        (local.set $offset (i32.add (local.get $offset) (i32.const 8)))
        (br $loop))))
)
