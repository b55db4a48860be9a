;; MaxPool over whole 2 × 2 windows at stride 2 for the 'cpu' backend, NHWC float32 with a channel
;; count that is a multiple of 4, on an imported memory. All addresses and lengths are in bytes.
;; Assemble with `node src/engine/cpu/build_max_pool_wasm.mjs`, which writes maxPool2x2Binary.generated.ts.
(module
  (import "env" "memory" (memory 1))

  ;; Pools $rows output rows. Output row r reads input rows 2r and 2r + 1, which start at
  ;; $input + r·$inPairBytes and $rowBytes later. An output row is $outRowBytes long and holds
  ;; the windows at column pairs (0, 1), (2, 3) and so on, each $pixelBytes (4·channels) wide.
  ;; Each window is reduced from −∞ with f32x4.pmax(m, v) = m < v ? v : m in row-major order:
  ;; NaN is skipped and the first of equal values (also −0 before +0) is kept, the same
  ;; comparisons as the JavaScript loop `if (v > m) m = v`.
  (func (export "maxPool2x2")
    (param $input i32) (param $output i32) (param $rows i32) (param $inPairBytes i32)
    (param $rowBytes i32) (param $outRowBytes i32) (param $pixelBytes i32)
    (local $row i32) (local $top i32) (local $out i32) (local $outEnd i32) (local $lane i32)
    (local $laneEnd i32) (local $m v128)
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $top (i32.add (local.get $input) (i32.mul (local.get $row) (local.get $inPairBytes))))
        (local.set $out (i32.add (local.get $output) (i32.mul (local.get $row) (local.get $outRowBytes))))
        (local.set $outEnd (i32.add (local.get $out) (local.get $outRowBytes)))
        (block $windowsDone
          (loop $windowLoop
            (br_if $windowsDone (i32.ge_u (local.get $out) (local.get $outEnd)))
            ;; Four channels at a time across one window's pixel.
            (local.set $lane (i32.const 0))
            (block $lanesDone
              (loop $laneLoop
                (br_if $lanesDone (i32.ge_u (local.get $lane) (local.get $pixelBytes)))
                (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
                (local.set $m (f32x4.pmax (local.get $m)
                  (v128.load (i32.add (local.get $top) (local.get $lane)))))
                (local.set $m (f32x4.pmax (local.get $m)
                  (v128.load (i32.add (i32.add (local.get $top) (local.get $pixelBytes)) (local.get $lane)))))
                (local.set $m (f32x4.pmax (local.get $m)
                  (v128.load (i32.add (i32.add (local.get $top) (local.get $rowBytes)) (local.get $lane)))))
                (local.set $m (f32x4.pmax (local.get $m)
                  (v128.load (i32.add
                    (i32.add (local.get $top) (i32.add (local.get $rowBytes) (local.get $pixelBytes)))
                    (local.get $lane)))))
                (v128.store (i32.add (local.get $out) (local.get $lane)) (local.get $m))
                (local.set $lane (i32.add (local.get $lane) (i32.const 16)))
                (br $laneLoop)))
            (local.set $top (i32.add (local.get $top) (i32.shl (local.get $pixelBytes) (i32.const 1))))
            (local.set $out (i32.add (local.get $out) (local.get $pixelBytes)))
            (br $windowLoop)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rowLoop)))))
