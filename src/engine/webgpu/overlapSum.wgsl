// OVERLAP_SUM: the adjoint of EXTRACT_PATCHES. Each object pixel of the output [H, W] is the sum
// of the pixels of `patches` that land on it when patch k is placed with its top-left corner at
// positions[k] = (row, col). `patches` is either [B, n, n], one patch per position, or a single
// patch [n, n] placed at every position (patchStride = 0).
//
// One invocation per object pixel adds the patches that cover the pixel in ascending k. No
// atomics are involved and the summation order is fixed, so equal inputs give bit-for-bit equal
// outputs. Both paths below add the same terms in the same order, so they agree bit for bit.
//
// Plain path (TILED false): each pixel tests all B positions. It keeps the early return for
// invocations past the last pixel, because the tiled path's barriers forbid one there.
//
// Tiled path (TILED true). The WORKGROUP_SIZE invocations of a workgroup own consecutive object
// pixels, whose bounding box is the tile. The patches are taken in rounds of WORKGROUP_SIZE · 32.
// In a round, invocation i tests 32 consecutive patches against the tile and stores the result
// as the bits of coverage[i]. Every invocation then walks the set bits in ascending order and
// tests only those patches against its own pixel, so a pixel reads about B/32 coverage words
// instead of B positions.
//
// Generated before this file by overlapSum.ts: the constants WORKGROUP_SIZE (u32, the workgroup
// size x) and TILED (bool). Supplied by the tfjs wrapper: `patches` (array<vec2<f32>>),
// `positions` (array<vec2<i32>>), `result` (array<vec2<f32>>), the private copy `localIndex` of
// the builtin, and `uniforms` with `size` (object pixel count), `positionsShape` ([B, 2]),
// `outShape` ([H, W, 2]) and the fields declared in overlapSum.ts: patchSize (n) and
// patchStride (n·n for a batch of patches, 0 for a single patch).

const BITS_PER_WORD: u32 = 32u;

var<workgroup> coverage: array<u32, WORKGROUP_SIZE>;

// Adds patch k's value at object pixel (row, col) to `sum` when the patch covers that pixel.
fn addIfCovered(sum: ptr<function, vec2<f32>>, k: i32, row: i32, col: i32) {
  let patchSize = uniforms.patchSize;
  let patchRow = row - positions[k].x;
  let patchCol = col - positions[k].y;
  if (patchRow >= 0 && patchRow < patchSize && patchCol >= 0 && patchCol < patchSize) {
    *sum += patches[k * uniforms.patchStride + patchRow * patchSize + patchCol];
  }
}

// Every invocation of the workgroup has to call this, past the last pixel too, because it
// contains barriers.
fn sumTilePatches(index: i32, row: i32, col: i32) -> vec2<f32> {
  let pixelCount = uniforms.size;
  let width = uniforms.outShape.y;
  let patchCount = uniforms.positionsShape.x;
  let patchSize = uniforms.patchSize;

  // The tile: rows rowMin..rowMax, and columns colMin..colMax when its pixels lie in one row,
  // else every column.
  let firstPixel = index - i32(localIndex);
  let lastPixel = min(firstPixel + i32(WORKGROUP_SIZE), pixelCount) - 1;
  let rowMin = firstPixel / width;
  let rowMax = lastPixel / width;
  var colMin = 0;
  var colMax = width - 1;
  if (rowMin == rowMax) {
    colMin = firstPixel - rowMin * width;
    colMax = lastPixel - rowMax * width;
  }

  let patchesPerRound = i32(WORKGROUP_SIZE * BITS_PER_WORD);
  var sum = vec2<f32>(0.0, 0.0);
  for (var roundStart = 0; roundStart < patchCount; roundStart += patchesPerRound) {
    let firstTested = roundStart + i32(localIndex * BITS_PER_WORD);
    let testedCount = clamp(patchCount - firstTested, 0, i32(BITS_PER_WORD));
    var word = 0u;
    for (var bit = 0; bit < testedCount; bit++) {
      let corner = positions[firstTested + bit];
      if (corner.x <= rowMax && corner.x + patchSize > rowMin && corner.y <= colMax && corner.y + patchSize > colMin) {
        word |= 1u << u32(bit);
      }
    }
    coverage[localIndex] = word;
    workgroupBarrier();

    let roundCount = min(patchCount - roundStart, patchesPerRound);
    let wordCount = (roundCount + i32(BITS_PER_WORD) - 1) / i32(BITS_PER_WORD);
    for (var w = 0; w < wordCount; w++) {
      var bits = coverage[w];
      while (bits != 0u) {
        let k = roundStart + w * i32(BITS_PER_WORD) + i32(countTrailingZeros(bits));
        bits &= bits - 1u;
        addIfCovered(&sum, k, row, col);
      }
    }

    // The next round overwrites coverage, so every invocation has to be done reading it.
    if (roundStart + patchesPerRound < patchCount) {
      workgroupBarrier();
    }
  }
  return sum;
}

fn main(index: i32) {
  let width = uniforms.outShape.y;
  let row = index / width;
  let col = index - row * width;
  if (TILED) {
    let sum = sumTilePatches(index, row, col);
    if (index < uniforms.size) {
      result[index] = sum;
    }
    return;
  }

  if (index >= uniforms.size) {
    return;
  }
  let patchCount = uniforms.positionsShape.x;
  var sum = vec2<f32>(0.0, 0.0);
  for (var k = 0; k < patchCount; k++) {
    addIfCovered(&sum, k, row, col);
  }
  result[index] = sum;
}
