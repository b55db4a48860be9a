// One pass of the batched 2-D FFT: a 1-D FFT of length FFT_SIZE along every row, or along every
// column, of a batch of FFT_SIZE × FFT_SIZE complex fields.
//
// Algorithm. Each line is transformed by a Stockham autosort FFT inside workgroup memory. The
// line is copied into one half of a ping-pong buffer, and every stage reads one half and writes
// the other, so no bit-reversal pass is needed. Stages are radix-4, preceded by one radix-2
// stage when log2(FFT_SIZE) is odd. Radix 4 halves the number of stages, and so the number of
// workgroup barriers and workgroup-memory round trips, against pure radix 2. A stage with
// sub-transform length p takes butterfly j, k = j mod p, reads the R inputs
// j + m·FFT_SIZE/R (m = 0..R-1), multiplies input m by the twiddle w^(m·k) with
// w = exp(±2πi/(R·p)), does an R-point DFT and writes output m to ((j - k)·R) + k + m·p.
// Twiddles come from the `twiddles` input, (cos, sin)(2πt/FFT_SIZE) for t in [0, FFT_SIZE),
// computed in float64 on the host. In-shader sin and cos would cost about 1e-4 relative
// accuracy, and the table keeps the transform at float32 rounding level (about 1e-7).
//
// Sizes. A workgroup transforms LINES lines of FFT_SIZE points with THREADS × LINES invocations.
// planFft2 in fft2.ts picks THREADS: on a GPU one invocation per radix-4 butterfly,
// min(FFT_SIZE/4, maxComputeInvocationsPerWorkgroup), and on a software adapter 4. Each
// invocation handles butterflies THREADS apart, so any THREADS up to FFT_SIZE/4 gives the same
// result. The ping-pong buffer takes 2 · LINES · FFT_SIZE · 8 bytes, which is 8 KiB for one line
// at FFT_SIZE = 512 and has to fit in maxComputeWorkgroupStorageSize (16 KiB by default, so
// FFT_SIZE ≤ 1024). On a GPU the host sets LINES > 1 for short lines, to give a workgroup at
// least 64 invocations, as long as the buffer still fits.
//
// Generated before this file by fft2.ts: the constants FFT_SIZE, THREADS and LINES (u32) and
// HAS_RADIX2_STAGE (bool). Supplied by the tfjs wrapper: `x` and `twiddles`
// (array<vec2<f32>>), `result` (array<vec2<f32>>), `uniforms`, and the private copies of the
// builtins `localId`, `workgroupId` and `numWorkgroups`.
//
// Uniforms: lineCount (lines in the batch), lineStride (element offset from one line to the
// next within a field: FFT_SIZE for rows, 1 for columns), elementStride (1 for rows, FFT_SIZE
// for columns), sign (-1 forward, +1 inverse, the sign of the exponent) and scale (applied to
// every output value).

const HALF: u32 = LINES * FFT_SIZE;

var<workgroup> lineBuffer: array<vec2<f32>, 2u * LINES * FFT_SIZE>;

fn complexMul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// Returns w^t with w = exp(sign · 2πi / FFT_SIZE).
fn twiddle(t: u32) -> vec2<f32> {
  let w = twiddles[t];
  return vec2<f32>(w.x, uniforms.sign * w.y);
}

fn radix2Stage(thread: u32, src: u32, dst: u32, p: u32) {
  let step = FFT_SIZE / (2u * p);
  for (var j = thread; j < FFT_SIZE / 2u; j += THREADS) {
    let k = j % p;
    let u0 = lineBuffer[src + j];
    let u1 = complexMul(lineBuffer[src + j + FFT_SIZE / 2u], twiddle(k * step));
    let out = ((j - k) * 2u) + k;
    lineBuffer[dst + out] = u0 + u1;
    lineBuffer[dst + out + p] = u0 - u1;
  }
}

fn radix4Stage(thread: u32, src: u32, dst: u32, p: u32) {
  let quarter = FFT_SIZE / 4u;
  let step = FFT_SIZE / (4u * p);
  for (var j = thread; j < quarter; j += THREADS) {
    let k = j % p;
    let u0 = lineBuffer[src + j];
    let u1 = complexMul(lineBuffer[src + j + quarter], twiddle(k * step));
    let u2 = complexMul(lineBuffer[src + j + 2u * quarter], twiddle(2u * k * step));
    let u3 = complexMul(lineBuffer[src + j + 3u * quarter], twiddle(3u * k * step));

    // 4-point DFT. Multiplying by i·sign maps (re, im) to (-sign·im, sign·re).
    let a0 = u0 + u2;
    let a1 = u0 - u2;
    let a2 = u1 + u3;
    let d = u1 - u3;
    let a3 = vec2<f32>(-uniforms.sign * d.y, uniforms.sign * d.x);

    let out = ((j - k) * 4u) + k;
    lineBuffer[dst + out] = a0 + a2;
    lineBuffer[dst + out + p] = a1 + a3;
    lineBuffer[dst + out + 2u * p] = a0 - a2;
    lineBuffer[dst + out + 3u * p] = a1 - a3;
  }
}

// `index` is the wrapper's flat invocation index. It is unused because a workgroup, not an
// invocation, owns a line.
fn main(index: i32) {
  let group = (workgroupId.z * numWorkgroups.y + workgroupId.y) * numWorkgroups.x + workgroupId.x;
  let line = group * LINES + localId.y;
  let lineInBatch = line < u32(uniforms.lineCount);
  let thread = localId.x;
  let slot = localId.y * FFT_SIZE;

  let field = line / FFT_SIZE;
  let lineStart = field * FFT_SIZE * FFT_SIZE + (line % FFT_SIZE) * u32(uniforms.lineStride);
  let elementStride = u32(uniforms.elementStride);

  // Inactive invocations skip the memory traffic but still reach every barrier, which must be
  // in uniform control flow.
  if (lineInBatch) {
    for (var i = thread; i < FFT_SIZE; i += THREADS) {
      lineBuffer[slot + i] = x[lineStart + i * elementStride];
    }
  }
  workgroupBarrier();

  var src = 0u;
  var p = 1u;
  if (HAS_RADIX2_STAGE) {
    radix2Stage(thread, src + slot, HALF - src + slot, p);
    src = HALF - src;
    p = 2u;
    workgroupBarrier();
  }
  while (p < FFT_SIZE) {
    radix4Stage(thread, src + slot, HALF - src + slot, p);
    src = HALF - src;
    p = p * 4u;
    workgroupBarrier();
  }

  if (lineInBatch) {
    for (var i = thread; i < FFT_SIZE; i += THREADS) {
      result[lineStart + i * elementStride] = lineBuffer[src + slot + i] * uniforms.scale;
    }
  }
}
