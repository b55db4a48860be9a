// AMPLITUDE_RESIDUAL: (|Ψ| − a)² for each complex far-field value Ψ of `farField` [B, N, N] and
// the measured amplitude a of `amplitudes` [B, N, N]. One invocation per output value.
//
// |Ψ| is computed as m·|Ψ/m| with m the larger absolute part of Ψ, so that parts below about
// 1e-19, whose squares underflow in f32, still give their true modulus.
//
// Supplied by the tfjs wrapper: `farField` (array<vec2<f32>>), `amplitudes` (array<f32>),
// `result` (array<f32>), and `uniforms` with `size` (output value count).

fn modulus(value: vec2<f32>) -> f32 {
  let largest = max(abs(value.x), abs(value.y));
  if (largest == 0.0) {
    return 0.0;
  }
  return largest * length(value / largest);
}

fn main(index: i32) {
  if (index >= uniforms.size) {
    return;
  }
  let difference = modulus(farField[index]) - amplitudes[index];
  result[index] = difference * difference;
}
