/**
 * The element-wise complex WebAssembly SIMD module (elementwise.wat) on a private memory that grows
 * as needed. Each call copies its operands into the memory, runs there and copies the result out.
 * NOTE: the memory never shrinks, so it keeps the size of the largest call made so far (about 7 MB
 * for a batch of 32 patterns of 128² over a 600² object).
 */
import { ELEMENTWISE_WASM_BASE64 } from './elementwiseBinary.generated';
import { decodeBase64 } from './wasmFft2';

const PAGE_BYTES = 65536;

interface ElementwiseExports {
  complexMultiply(
    a: number,
    b: number,
    out: number,
    batch: number,
    fieldBytes: number,
    aStride: number,
    bStride: number,
    conj: number,
  ): void;
  addInto(target: number, source: number, count: number): void;
  modulusProjection(field: number, amplitudes: number, out: number, pixels: number, offset: number): void;
  amplitudeResidual(field: number, amplitudes: number, out: number, pixels: number): void;
  regularizedUpdate(
    x: number,
    numerator: number,
    weights: number,
    out: number,
    values: number,
    step: number,
    localShare: number,
    regularizedMax: number,
  ): void;
}

/** Rounds `address` up to a multiple of 64 bytes, a cache line. */
function alignToCacheLine(address: number): number {
  return Math.ceil(address / 64) * 64;
}

export class WasmElementwise {
  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly exports: ElementwiseExports,
  ) {}

  /** Compiles the module synchronously. Returns null where WebAssembly or its SIMD extension is missing. */
  static create(): WasmElementwise | null {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = decodeBase64(ELEMENTWISE_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return new WasmElementwise(memory, instance.exports as unknown as ElementwiseExports);
  }

  /** Grows the memory to at least `bytes` bytes. */
  private reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE_BYTES));
  }

  private view(address: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, length);
  }

  /** Same contract as multiplyComplexFields in complexMultiplyKernel.ts, with the same bits. */
  multiplyComplexFields(
    a: Float32Array,
    b: Float32Array,
    output: Float32Array,
    batch: number,
    fieldLength: number,
    conjugateA: boolean,
  ): void {
    const aAddress = 0;
    const bAddress = alignToCacheLine(4 * a.length);
    const outputAddress = alignToCacheLine(bAddress + 4 * b.length);
    this.reserve(outputAddress + 4 * output.length);
    this.view(aAddress, a.length).set(a);
    this.view(bAddress, b.length).set(b);
    const fieldBytes = 4 * fieldLength;
    this.exports.complexMultiply(
      aAddress,
      bAddress,
      outputAddress,
      batch,
      fieldBytes,
      a.length === fieldLength ? 0 : fieldBytes,
      b.length === fieldLength ? 0 : fieldBytes,
      conjugateA ? 1 : 0,
    );
    output.set(this.view(outputAddress, batch * fieldLength));
  }

  /**
   * Same contract as addPatches in patchKernels.ts, with the same bits: patches go in ascending
   * order and each row is one float32 SIMD addition. `size` must be even, so that a row of 2·size
   * values fills whole f32x4 vectors.
   */
  addPatches(
    patches: Float32Array,
    positions: Int32Array,
    output: Float32Array,
    count: number,
    size: number,
    width: number,
    patchStride: number,
  ): void {
    const outputAddress = 0;
    const patchesAddress = alignToCacheLine(4 * output.length);
    this.reserve(patchesAddress + 4 * patches.length);
    const target = this.view(outputAddress, output.length);
    target.fill(0);
    this.view(patchesAddress, patches.length).set(patches);

    const add = this.exports.addInto;
    const rowLength = 2 * size;
    const rowBytes = 4 * rowLength;
    for (let patch = 0; patch < count; patch += 1) {
      const top = positions[2 * patch];
      const left = positions[2 * patch + 1];
      let source = patchesAddress + 4 * patch * patchStride;
      let destination = outputAddress + 8 * (top * width + left);
      for (let row = 0; row < size; row += 1) {
        add(destination, source, rowLength);
        source += rowBytes;
        destination += 8 * width;
      }
    }
    output.set(target);
  }
  /**
   * Writes a·Ψ/|Ψ|, or that minus Ψ when `returnDifference`, for the interleaved complex `farField`
   * and the amplitudes a into `output`, with (a, 0) where |Ψ| = 0. Same bits as projectModulusScalar
   * in farFieldKernels.ts. The pixel count must be even.
   */
  projectModulus(farField: Float32Array, amplitudes: Float32Array, output: Float32Array, returnDifference: boolean): void {
    const fieldAddress = 0;
    const amplitudesAddress = alignToCacheLine(4 * farField.length);
    const outputAddress = alignToCacheLine(amplitudesAddress + 4 * amplitudes.length);
    this.reserve(outputAddress + 4 * farField.length);
    this.view(fieldAddress, farField.length).set(farField);
    this.view(amplitudesAddress, amplitudes.length).set(amplitudes);
    this.exports.modulusProjection(
      fieldAddress,
      amplitudesAddress,
      outputAddress,
      amplitudes.length,
      returnDifference ? 1 : 0,
    );
    output.set(this.view(outputAddress, farField.length));
  }

  /**
   * Writes (|Ψ| − a)² per pixel into `output`, with the same bits as amplitudeResidualScalar. The
   * pixel count must be even.
   */
  amplitudeResidual(farField: Float32Array, amplitudes: Float32Array, output: Float32Array): void {
    const fieldAddress = 0;
    const amplitudesAddress = alignToCacheLine(4 * farField.length);
    const outputAddress = alignToCacheLine(amplitudesAddress + 4 * amplitudes.length);
    this.reserve(outputAddress + 4 * amplitudes.length);
    this.view(fieldAddress, farField.length).set(farField);
    this.view(amplitudesAddress, amplitudes.length).set(amplitudes);
    this.exports.amplitudeResidual(fieldAddress, amplitudesAddress, outputAddress, amplitudes.length);
    output.set(this.view(outputAddress, amplitudes.length));
  }
  /** Same contract as applyRegularizedUpdate in updateKernels.ts, with the same bits. */
  applyRegularizedUpdate(
    x: Float32Array,
    numerator: Float32Array,
    weights: Float32Array,
    output: Float32Array,
    step: number,
    localShare: number,
    regularizedMax: number,
  ): void {
    const length = x.length;
    const xAddress = 0;
    const numeratorAddress = alignToCacheLine(4 * length);
    const weightsAddress = alignToCacheLine(numeratorAddress + 4 * length);
    const outputAddress = alignToCacheLine(weightsAddress + 4 * length);
    this.reserve(outputAddress + 4 * length);
    this.view(xAddress, length).set(x);
    this.view(numeratorAddress, length).set(numerator);
    this.view(weightsAddress, length).set(weights);
    this.exports.regularizedUpdate(
      xAddress,
      numeratorAddress,
      weightsAddress,
      outputAddress,
      length / 2,
      step,
      localShare,
      regularizedMax,
    );
    output.set(this.view(outputAddress, length));
  }
}

let instance: WasmElementwise | null | undefined;

/** Returns the shared module instance, or null where this engine lacks WebAssembly SIMD. */
export function getWasmElementwise(): WasmElementwise | null {
  if (instance === undefined) instance = WasmElementwise.create();
  return instance;
}
