// REGULARIZED_UPDATE: x + step·numerator / max((1 − w)·D + w·Dmax, ε) for each complex value,
// where D is the real channel of `weights`, Dmax = maxWeight[0] and w the regularization
// weight. One invocation per output complex value. The imaginary channel of `weights` is not
// read.
//
// ε = 1e-30 is a normal f32 number, so the division stays finite where the denominator is zero
// (uncovered pixels with w = 0) as long as |step·numerator| < 3.4e8 there.
//
// Supplied by the tfjs wrapper: `x`, `numerator` and `weights` (array<vec2<f32>>), `maxWeight`
// (array<f32>, one element), `result` (array<vec2<f32>>), and `uniforms` with `size` (output
// complex count) followed by the fields declared in regularizedUpdate.ts: stepSize (s) and
// regularization (w).

const EPSILON: f32 = 1e-30;

fn main(index: i32) {
  if (index >= uniforms.size) {
    return;
  }
  let localWeight = weights[index].x;
  let w = uniforms.regularization;
  let denominator = max((1.0 - w) * localWeight + w * maxWeight[0], EPSILON);
  result[index] = x[index] + uniforms.stepSize * numerator[index] / denominator;
}
