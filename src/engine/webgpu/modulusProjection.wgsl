// MODULUS_PROJECTION: Ψ′ = Ψ·a/|Ψ| for each complex far-field value Ψ of `farField` [B, N, N] and
// the measured amplitude a of `amplitudes` [B, N, N], or the correction Ψ′ − Ψ when
// `uniforms.returnDifference` is non-zero. Where both parts of Ψ are zero the output is (a, 0) in
// either mode. One invocation per output complex value.
//
// Ψ is divided by its larger absolute part before the modulus is taken, because squaring parts
// below about 1e-19 underflows in f32 and would turn a small but non-zero Ψ into a division by
// zero. The reference cases include |Ψ| = 1e-30.
//
// Supplied by the tfjs wrapper: `farField` (array<vec2<f32>>), `amplitudes` (array<f32>),
// `result` (array<vec2<f32>>), and `uniforms` with `size` (output complex count) followed by the
// field declared in modulusProjection.ts: returnDifference (1 for Ψ′ − Ψ, 0 for Ψ′).

fn main(index: i32) {
  if (index >= uniforms.size) {
    return;
  }
  let value = farField[index];
  let amplitude = amplitudes[index];
  let largest = max(abs(value.x), abs(value.y));
  if (largest == 0.0) {
    result[index] = vec2<f32>(amplitude, 0.0);
    return;
  }
  let scaled = value / largest;
  let projected = scaled * (amplitude / length(scaled));
  if (uniforms.returnDifference != 0) {
    result[index] = projected - value;
  } else {
    result[index] = projected;
  }
}
