// CONV2D (software plan): direct NHWC convolution without workgroup memory or barriers. Each
// invocation computes 4 neighbouring output pixels of one row for a group of 4 output channels,
// summing over the filter taps and every input channel, then adds the bias and applies the
// activation. Sharing each filter load between 4 pixels, and reading 4 input channels at once
// where Cin allows, cuts the loads per multiply-add.
//
// Supplied by the tfjs wrapper: `x` (array<vec4<f32>> when Cin is a multiple of 4, otherwise
// array<f32>), `filterValues`, `result` (array<f32>), and `uniforms` with `xShape`
// ([B, H, W, Cin]), `filterValuesShape` ([FH, FW, Cin, Cout]), `outShape` ([B, OH, OW, Cout]) and
// the fields of CONVOLUTION_UNIFORMS in conv2d.ts.
// Supplied by conv2d.ts in front of this code: the constant CHANNELS_PER_STEP (4 or 1) and the
// functions `inputChannels(offset, valid)`, the CHANNELS_PER_STEP input values from flat offset
// (pixel · Cin + ci), or zeros where `valid` is false; `filterQuad(tap, group)`, the filter values
// of output channels 4·group to 4·group + 3 at flat tap index (fy·FW + fx)·Cin + ci, zero past
// Cout; `biasQuad(group)`; and `activate(value)`.
//
// Invocations are ordered channel group first, then block of 4 pixels, so neighbouring invocations
// read the same filter values.

const PIXELS_PER_INVOCATION = 4;

fn main(index: i32) {
  if (index >= uniforms.invocationCount) {
    return;
  }
  let outHeight = uniforms.outShape.y;
  let outWidth = uniforms.outShape.z;
  let outChannels = uniforms.outShape.w;
  let blocksPerRow = (outWidth + PIXELS_PER_INVOCATION - 1) / PIXELS_PER_INVOCATION;
  let blocksPerImage = outHeight * blocksPerRow;
  let blockCount = uniforms.outShape.x * blocksPerImage;
  let group = index / blockCount;
  let blockIndex = index - group * blockCount;
  let imageIndex = blockIndex / blocksPerImage;
  let blockInImage = blockIndex - imageIndex * blocksPerImage;
  let outRow = blockInImage / blocksPerRow;
  let firstOutCol = (blockInImage - outRow * blocksPerRow) * PIXELS_PER_INVOCATION;

  let inHeight = uniforms.xShape.y;
  let inWidth = uniforms.xShape.z;
  let inChannels = uniforms.xShape.w;
  let filterHeight = uniforms.filterValuesShape.x;
  let filterWidth = uniforms.filterValuesShape.y;
  let firstRow = outRow * uniforms.strideHeight - uniforms.padTop;
  // Input column of each of the 4 pixels for filter column 0.
  let firstCol = firstOutCol * uniforms.strideWidth - uniforms.padLeft;
  let pixelCols = vec4<i32>(firstCol) + vec4<i32>(0, 1, 2, 3) * uniforms.strideWidth;
  let pixelExists = vec4<i32>(firstOutCol) + vec4<i32>(0, 1, 2, 3) < vec4<i32>(outWidth);

  var sum0 = vec4<f32>(0.0);
  var sum1 = vec4<f32>(0.0);
  var sum2 = vec4<f32>(0.0);
  var sum3 = vec4<f32>(0.0);
  for (var fy = 0; fy < filterHeight; fy += 1) {
    let row = firstRow + fy * uniforms.dilationHeight;
    if (row < 0 || row >= inHeight) {
      continue;
    }
    let rowOffset = (imageIndex * inHeight + row) * inWidth;
    for (var fx = 0; fx < filterWidth; fx += 1) {
      let cols = pixelCols + vec4<i32>(fx * uniforms.dilationWidth);
      let valid = pixelExists & (cols >= vec4<i32>(0)) & (cols < vec4<i32>(inWidth));
      if (!any(valid)) {
        continue;
      }
      // Columns outside the input read from column 0 and are then replaced by zeros, so every
      // load stays inside the binding.
      let offsets = (vec4<i32>(rowOffset) + select(vec4<i32>(0), cols, valid)) * inChannels;
      let tapBase = (fy * filterWidth + fx) * inChannels;
      for (var ci = 0; ci < inChannels; ci += CHANNELS_PER_STEP) {
        let input0 = inputChannels(offsets.x + ci, valid.x);
        let input1 = inputChannels(offsets.y + ci, valid.y);
        let input2 = inputChannels(offsets.z + ci, valid.z);
        let input3 = inputChannels(offsets.w + ci, valid.w);
        let weights0 = filterQuad(tapBase + ci, group);
        sum0 += input0.x * weights0;
        sum1 += input1.x * weights0;
        sum2 += input2.x * weights0;
        sum3 += input3.x * weights0;
        if (CHANNELS_PER_STEP == 4) {
          let weights1 = filterQuad(tapBase + ci + 1, group);
          let weights2 = filterQuad(tapBase + ci + 2, group);
          let weights3 = filterQuad(tapBase + ci + 3, group);
          // One channel at a time, so the sums round in the order of the scalar path.
          sum0 += input0.y * weights1;
          sum1 += input1.y * weights1;
          sum2 += input2.y * weights1;
          sum3 += input3.y * weights1;
          sum0 += input0.z * weights2;
          sum1 += input1.z * weights2;
          sum2 += input2.z * weights2;
          sum3 += input3.z * weights2;
          sum0 += input0.w * weights3;
          sum1 += input1.w * weights3;
          sum2 += input2.w * weights3;
          sum3 += input3.w * weights3;
        }
      }
    }
  }

  let outputBias = biasQuad(group);
  let outBase = ((imageIndex * outHeight + outRow) * outWidth + firstOutCol) * outChannels + 4 * group;
  writePixel(outBase, outChannels - 4 * group, activate(sum0 + outputBias));
  if (pixelExists.y) {
    writePixel(outBase + outChannels, outChannels - 4 * group, activate(sum1 + outputBias));
  }
  if (pixelExists.z) {
    writePixel(outBase + 2 * outChannels, outChannels - 4 * group, activate(sum2 + outputBias));
  }
  if (pixelExists.w) {
    writePixel(outBase + 3 * outChannels, outChannels - 4 * group, activate(sum3 + outputBias));
  }
}

// Writes the first `channelsLeft` (at most 4) channels of `value` from flat index `base`. The
// last group has fewer than 4 channels when Cout is not a multiple of 4.
fn writePixel(base: i32, channelsLeft: i32, value: vec4<f32>) {
  result[base] = value.x;
  if (channelsLeft > 1) {
    result[base + 1] = value.y;
  }
  if (channelsLeft > 2) {
    result[base + 2] = value.z;
  }
  if (channelsLeft > 3) {
    result[base + 3] = value.w;
  }
}
