// COMPLEX_MULTIPLY: elementwise a·b or conj(a)·b on complex values stored as vec2<f32>. One
// invocation per output complex value. An operand without the batch axis is broadcast by
// indexing it modulo its own length.
//
// Supplied by the tfjs wrapper: `a` and `b` (array<vec2<f32>>), `result` (array<vec2<f32>>),
// and `uniforms` with `size` (output complex count) followed by the fields declared in
// complexMultiply.ts: aCount and bCount (complex values in each operand) and conjugateSign
// (-1 to conjugate a, +1 otherwise).

fn main(index: i32) {
  if (index >= uniforms.size) {
    return;
  }
  let x = a[index % uniforms.aCount];
  let y = b[index % uniforms.bCount];
  let xImag = uniforms.conjugateSign * x.y;
  result[index] = vec2<f32>(x.x * y.x - xImag * y.y, x.x * y.y + xImag * y.x);
}
