// OVERLAP_SUM: the adjoint of EXTRACT_PATCHES. Each object pixel of the output [H, W] is the sum
// of the pixels of `patches` [B, n, n] that land on it when patch b is placed with its top-left
// corner at positions[b] = (row, col).
//
// One invocation per object pixel loops over the patches in ascending order and adds those that
// cover the pixel. No atomics are involved and the summation order is fixed, so equal inputs give
// bit-for-bit equal outputs. The cost is B position reads per pixel.
//
// Supplied by the tfjs wrapper: `patches` (array<vec2<f32>>), `positions` (array<vec2<i32>>),
// `result` (array<vec2<f32>>), and `uniforms` with `size` (object pixel count), `patchesShape`
// ([B, n, n, 2]) and `outShape` ([H, W, 2]).

fn main(index: i32) {
  if (index >= uniforms.size) {
    return;
  }
  let width = uniforms.outShape.y;
  let row = index / width;
  let col = index - row * width;
  let patchCount = uniforms.patchesShape.x;
  let patchSize = uniforms.patchesShape.y;

  var sum = vec2<f32>(0.0, 0.0);
  for (var b = 0; b < patchCount; b++) {
    let patchRow = row - positions[b].x;
    let patchCol = col - positions[b].y;
    if (patchRow >= 0 && patchRow < patchSize && patchCol >= 0 && patchCol < patchSize) {
      sum += patches[(b * patchSize + patchRow) * patchSize + patchCol];
    }
  }
  result[index] = sum;
}
