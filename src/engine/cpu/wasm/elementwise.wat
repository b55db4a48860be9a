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
)
