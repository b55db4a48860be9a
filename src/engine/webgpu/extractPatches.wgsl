// EXTRACT_PATCHES: copies the size × size window of `objectField` [H, W] whose top-left corner is
// at positions[b] = (row, col) into patch b of the output [B, size, size]. One invocation per
// output pixel, each complex value moved as one vec2<f32>.
//
// Supplied by the tfjs wrapper: `objectField` (array<vec2<f32>>), `positions`
// (array<vec2<i32>>), `result` (array<vec2<f32>>), and `uniforms` with `size` (output pixel
// count), `objectFieldShape` ([H, W, 2]) and `outShape` ([B, size, size, 2]).
//
// Pixels that fall outside the object are written as zero. The contract forbids such windows,
// but positions live on the GPU where the host cannot check them without a read-back.

fn main(index: i32) {
  if (index >= uniforms.size) {
    return;
  }
  let patchSize = uniforms.outShape.y;
  let pixelsPerPatch = patchSize * patchSize;
  let patchIndex = index / pixelsPerPatch;
  let pixel = index - patchIndex * pixelsPerPatch;
  let row = positions[patchIndex].x + pixel / patchSize;
  let col = positions[patchIndex].y + pixel % patchSize;

  let height = uniforms.objectFieldShape.x;
  let width = uniforms.objectFieldShape.y;
  var value = vec2<f32>(0.0, 0.0);
  if (row >= 0 && row < height && col >= 0 && col < width) {
    value = objectField[row * width + col];
  }
  result[index] = value;
}
