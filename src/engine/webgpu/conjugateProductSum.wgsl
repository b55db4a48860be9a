// CONJUGATE_PRODUCT_SUM: Σ_k conj(a_k)·b_k over the batch axis of `a` and `b` [B, n, n]. One
// invocation per output complex value loops over k in ascending order, so the summation order
// is fixed and equal inputs give bit-for-bit equal outputs without atomics.
//
// Supplied by the tfjs wrapper: `a` and `b` (array<vec2<f32>>), `result` (array<vec2<f32>>),
// and `uniforms` with `size` (n·n, the output complex count) and `aShape` ([B, n, n, 2]).

fn main(index: i32) {
  if (index >= uniforms.size) {
    return;
  }
  let batchSize = uniforms.aShape.x;
  let pixelsPerField = uniforms.size;
  var sum = vec2<f32>(0.0, 0.0);
  for (var k = 0; k < batchSize; k++) {
    let x = a[k * pixelsPerField + index];
    let y = b[k * pixelsPerField + index];
    sum += vec2<f32>(x.x * y.x + x.y * y.y, x.x * y.y - x.y * y.x);
  }
  result[index] = sum;
}
