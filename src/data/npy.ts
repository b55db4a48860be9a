/**
 * Reader and writer for NumPy's .npy format, versions 1.0, 2.0 and 3.0.
 *
 * A file starts with the magic string \x93NUMPY, a major and a minor version byte, and the
 * header length (uint16 little-endian in 1.0, uint32 in 2.0 and 3.0). The header is a Python dict
 * literal with the keys 'descr', 'fortran_order' and 'shape', encoded as UTF-8 in version 3.0 and
 * as Latin-1 before. The raw array data follows the header.
 *
 * The reader parses the header with a small literal parser and never evaluates it, supports the
 * boolean, integer, float and complex dtypes in either byte order and either memory order, and
 * returns C-order data in the host's byte order. Object arrays are rejected, because reading them
 * would need pickle.
 */
import { DataFormatError, formatBytes, type DataLocation } from './errors';

/** Default maximum array size, in bytes, that {@link readNpy} allocates: 2 GiB. */
export const MAX_NPY_ARRAY_BYTES = 2 ** 31;
/**
 * Default maximum header length, in bytes, that {@link readNpy} accepts. NumPy 2.4's numpy.load
 * has the same default limit, because parsing longer headers is not safe.
 */
export const MAX_NPY_HEADER_BYTES = 10_000;

/** The typed array that stores each dtype. Complex dtypes are stored as interleaved (re, im) pairs. */
export interface NpyDataTypes {
  bool: Uint8Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  float32: Float32Array;
  float64: Float64Array;
  complex64: Float32Array;
  complex128: Float64Array;
}

export type NpyDtype = keyof NpyDataTypes;
export type NpyComplexDtype = 'complex64' | 'complex128';

/**
 * An n-dimensional array in C (row-major) order. `data` contains product(shape) values, or twice
 * that for complex dtypes. A 0-d array has shape [] and one value. Bool values are 0 or 1.
 */
export interface NpyArrayOf<D extends NpyDtype> {
  dtype: D;
  shape: number[];
  data: NpyDataTypes[D];
  isComplex: D extends NpyComplexDtype ? true : false;
}

/** An array of any supported dtype. Checking `dtype` narrows `data` to its typed array. */
export type NpyArray = { [D in NpyDtype]: NpyArrayOf<D> }[NpyDtype];

export type NpyTypedArray = NpyDataTypes[NpyDtype];

/** The parsed header of an .npy file. */
export interface NpyHeader {
  version: [major: number, minor: number];
  /** The dtype string exactly as the file wrote it, such as '<f4'. */
  descr: string;
  dtype: NpyDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the array data from the start of the file. */
  dataOffset: number;
}

export interface NpyReadOptions {
  /** Maximum array size in bytes. A header that declares a larger array is rejected before any allocation. */
  maxArrayBytes?: number;
  /** Maximum header length in bytes. */
  maxHeaderBytes?: number;
}

interface DtypeInfo {
  /** NumPy's kind character: b (bool), i, u, f or c. */
  kind: string;
  itemSize: number;
  /** Scalars per element: 2 for complex dtypes, 1 otherwise. */
  components: 1 | 2;
  create(buffer: ArrayBuffer, byteOffset: number, length: number): NpyTypedArray;
  isInstance(data: unknown): boolean;
}

const DTYPES: { [D in NpyDtype]: DtypeInfo } = {
  bool: info('b', 1, 1, Uint8Array),
  int8: info('i', 1, 1, Int8Array),
  uint8: info('u', 1, 1, Uint8Array),
  int16: info('i', 2, 1, Int16Array),
  uint16: info('u', 2, 1, Uint16Array),
  int32: info('i', 4, 1, Int32Array),
  uint32: info('u', 4, 1, Uint32Array),
  int64: info('i', 8, 1, BigInt64Array),
  uint64: info('u', 8, 1, BigUint64Array),
  float32: info('f', 4, 1, Float32Array),
  float64: info('f', 8, 1, Float64Array),
  complex64: info('c', 8, 2, Float32Array),
  complex128: info('c', 16, 2, Float64Array),
};

type TypedArrayConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => NpyTypedArray;

function info(kind: string, itemSize: number, components: 1 | 2, constructor: TypedArrayConstructor): DtypeInfo {
  return {
    kind,
    itemSize,
    components,
    create: (buffer, byteOffset, length) => new constructor(buffer, byteOffset, length),
    isInstance: (data) => data instanceof constructor,
  };
}

const SUPPORTED_DESCRIPTION =
  'bool, int8/16/32/64, uint8/16/32/64, float32, float64, complex64 and complex128, in either byte order';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Public helpers
// ---------------------------------------------------------------------------------------------

/** Returns the number of elements of an array of this shape: 1 for shape []. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

export function isComplexDtype(dtype: NpyDtype): dtype is NpyComplexDtype {
  return dtype === 'complex64' || dtype === 'complex128';
}

/** Returns the size in bytes of one element, as NumPy's dtype.itemsize. */
export function dtypeItemSize(dtype: NpyDtype): number {
  return DTYPES[dtype].itemSize;
}

/**
 * Wraps a typed array as an NpyArray after checking that its type and length fit the dtype and
 * shape. Throws a plain Error on a mismatch, since that is a programming error, not bad input.
 */
export function createNpyArray<D extends NpyDtype>(dtype: D, shape: readonly number[], data: NpyDataTypes[D]): NpyArrayOf<D> {
  const dtypeInfo = DTYPES[dtype];
  for (const size of shape) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new Error(`createNpyArray: shape [${shape.join(', ')}] contains ${size}. Use non-negative integers.`);
    }
  }
  if (!dtypeInfo.isInstance(data)) {
    throw new Error(`createNpyArray: dtype ${dtype} needs a ${typeName(dtype)}, received a ${data.constructor.name}.`);
  }
  const expectedLength = elementCount(shape) * dtypeInfo.components;
  if (data.length !== expectedLength) {
    throw new Error(
      `createNpyArray: shape [${shape.join(', ')}] of ${dtype} needs ${expectedLength} values, received ${data.length}.`,
    );
  }
  return { dtype, shape: [...shape], data, isComplex: isComplexDtype(dtype) } as NpyArrayOf<D>;
}

/**
 * Converts the values to float32. Real arrays give one value per element. Complex arrays give
 * interleaved (re, im) pairs, two values per element. A float32 or complex64 array is returned
 * as is, without a copy. int64 and uint64 values above 2^53 lose precision.
 */
export function toFloat32Array(array: NpyArray): Float32Array {
  if (array.data instanceof Float32Array) {
    return array.data;
  }
  if (array.data instanceof BigInt64Array || array.data instanceof BigUint64Array) {
    const result = new Float32Array(array.data.length);
    for (let i = 0; i < result.length; i++) {
      result[i] = Number(array.data[i]);
    }
    return result;
  }
  return Float32Array.from(array.data);
}

/** Formats a shape as NumPy prints it, such as (1, 516, 2), (3,) or (). */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function typeName(dtype: NpyDtype): string {
  return DTYPES[dtype].create(new ArrayBuffer(0), 0, 0).constructor.name;
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/**
 * Ownership rule for readNpy's input. 'copy' leaves it untouched, and the result never shares
 * memory with it. 'adopt' lets the result be a view of the input's array data when the data's
 * offset suits the typed array, so a caller that owns a large input avoids a second copy. The
 * input's bytes may then be swapped in place, so the caller must not use them again.
 */
export type NpyInputOwnership = 'copy' | 'adopt';

/**
 * Parses an .npy file held in memory. `location` names the file, and the archive entry when the
 * file came from an .npz, for error messages. Throws DataFormatError for malformed, unsupported
 * or oversized input.
 */
export function readNpy(
  source: ArrayBuffer | Uint8Array,
  location: DataLocation | string,
  options: NpyReadOptions = {},
  ownership: NpyInputOwnership = 'copy',
): NpyArray {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  const where = typeof location === 'string' ? { file: location } : location;
  const header = parseNpyHeader(bytes, where, options);
  const dtypeInfo = DTYPES[header.dtype];

  const count = elementCount(header.shape);
  const byteLength = count * dtypeInfo.itemSize;
  const available = bytes.length - header.dataOffset;
  if (available < byteLength) {
    throw new DataFormatError({
      ...where,
      problem: 'the NPY array data is truncated',
      rule: `Shape ${formatShape(header.shape)} of ${header.dtype} needs ${byteLength} bytes after the ${header.dataOffset}-byte header`,
      received: `${available} bytes of data`,
      action: 'The file was cut short. Save or download it again',
    });
  }
  if (available > byteLength) {
    throw new DataFormatError({
      ...where,
      problem: 'the NPY file has bytes after the array data',
      rule: `Shape ${formatShape(header.shape)} of ${header.dtype} needs exactly ${byteLength} bytes after the header`,
      received: `${available} bytes, ${available - byteLength} more than the header describes`,
      action: 'The header does not match the data. Save the array again with numpy.save',
    });
  }

  // Typed arrays need offsets that are multiples of their element size, and byte swaps happen in
  // place. An adopted input whose data start is aligned (NumPy pads headers to 64 bytes) is used
  // as it is. Otherwise the data are copied into a fresh buffer.
  const scalarSize = dtypeInfo.itemSize / dtypeInfo.components;
  const dataStart = header.dataOffset;
  const canAdopt = ownership === 'adopt' && (bytes.byteOffset + dataStart) % scalarSize === 0;
  const raw = canAdopt ? bytes.subarray(dataStart, dataStart + byteLength) : bytes.slice(dataStart, dataStart + byteLength);
  if (scalarSize > 1 && header.littleEndian !== HOST_IS_LITTLE_ENDIAN) {
    swapByteOrder(raw, scalarSize);
  }
  const ordered = header.fortranOrder ? fortranToCOrder(raw, header.shape, dtypeInfo.itemSize) : raw;
  const data = dtypeInfo.create(ordered.buffer as ArrayBuffer, ordered.byteOffset, count * dtypeInfo.components);
  return { dtype: header.dtype, shape: header.shape, data, isComplex: isComplexDtype(header.dtype) } as NpyArray;
}

/**
 * Parses and checks the header of an .npy file, including the size limits, without reading the
 * array data.
 */
export function parseNpyHeader(bytes: Uint8Array, location: DataLocation, options: NpyReadOptions = {}): NpyHeader {
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_NPY_HEADER_BYTES;
  const maxArrayBytes = options.maxArrayBytes ?? MAX_NPY_ARRAY_BYTES;
  const fail = (problem: string, rule: string, received: string, action: string): never => {
    throw new DataFormatError({ ...location, problem, rule, received, action });
  };

  const hasMagic = bytes.length >= 8 && MAGIC.every((byte, index) => bytes[index] === byte);
  if (!hasMagic) {
    fail(
      'the NPY magic string is missing',
      'An .npy file starts with the 6 bytes \\x93NUMPY and two version bytes',
      describeStart(bytes),
      'Choose a file written by numpy.save, or an .npz archive written by numpy.savez',
    );
  }

  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) {
    fail(
      'the NPY format version is not supported',
      'Versions 1.0, 2.0 and 3.0 can be read',
      `version ${major}.${minor}`,
      'Save the array again with numpy.save',
    );
  }

  const lengthFieldSize = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthFieldSize;
  if (bytes.length < headerStart) {
    fail(
      'the NPY header is truncated',
      `A version ${major}.0 file has a ${lengthFieldSize}-byte header length after the version`,
      `${bytes.length} bytes in all`,
      'The file was cut short. Save or download it again',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > maxHeaderBytes) {
    fail(
      'the NPY header is too long',
      `Headers longer than ${maxHeaderBytes} bytes are rejected, as numpy.load does by default`,
      `a header length of ${headerLength} bytes`,
      'Save the array again with numpy.save. Structured dtypes with many fields are not supported',
    );
  }
  const dataOffset = headerStart + headerLength;
  if (bytes.length < dataOffset) {
    fail(
      'the NPY header is truncated',
      `The header length field declares ${headerLength} bytes of header`,
      `${bytes.length - headerStart} bytes after the length field`,
      'The file was cut short. Save or download it again',
    );
  }

  const headerBytes = bytes.subarray(headerStart, dataOffset);
  const headerText = new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const fields = parseHeaderDictionary(headerText, location);
  const { dtype, littleEndian } = parseDescr(fields.descr, location);
  const shape = fields.shape;

  const itemSize = DTYPES[dtype].itemSize;
  const byteLength = checkedByteLength(shape, itemSize);
  if (byteLength > maxArrayBytes) {
    fail(
      'the NPY array is too large to load',
      `An array may hold at most ${formatBytes(maxArrayBytes)}`,
      `shape ${formatShape(shape)} of ${dtype}, which is ${formatBytes(byteLength)}`,
      'Crop or bin the data, or split it into several arrays, before loading',
    );
  }

  return {
    version: [major, minor],
    descr: fields.descr,
    dtype,
    littleEndian,
    fortranOrder: fields.fortranOrder,
    shape,
    dataOffset,
  };
}

/** Returns shape × itemSize, or Infinity once the product passes 2^53, so huge shapes compare as too large. */
function checkedByteLength(shape: readonly number[], itemSize: number): number {
  let product = itemSize;
  for (const size of shape) {
    product *= size;
    if (product > Number.MAX_SAFE_INTEGER) {
      return shape.includes(0) ? 0 : Infinity;
    }
  }
  return product;
}

function describeStart(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const startsLikeZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  const hint = startsLikeZip ? ' (the start of a ZIP archive, such as an .npz file)' : '';
  return bytes.length === 0 ? 'an empty file' : `${bytes.length} bytes starting with ${shown}${hint}`;
}

// ---------------------------------------------------------------------------------------------
// Header dictionary
// ---------------------------------------------------------------------------------------------

interface HeaderFields {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** A value of the Python literal subset that NPY headers use. */
type LiteralValue = string | number | boolean | null | { tuple: LiteralValue[] } | { list: LiteralValue[] } | Map<string, LiteralValue>;

function parseHeaderDictionary(text: string, location: DataLocation): HeaderFields {
  const headerExcerpt = text.trim().length > 200 ? `${text.trim().slice(0, 200)} …` : text.trim();
  const invalid = (rule: string, cause?: unknown): never => {
    throw new DataFormatError({
      ...location,
      problem: 'the NPY header is invalid',
      rule,
      received: `the header ${JSON.stringify(headerExcerpt)}`,
      action: 'Save the array again with numpy.save',
      cause,
    });
  };

  let value: LiteralValue;
  try {
    value = new LiteralParser(text).parseDocument();
  } catch (error) {
    if (!(error instanceof LiteralSyntaxError)) {
      throw error;
    }
    return invalid(`The header must be a Python dict literal (${error.message})`, error);
  }
  if (!(value instanceof Map)) {
    return invalid('The header must be a Python dict literal');
  }

  const keys = [...value.keys()].sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    invalid("The header dict must have exactly the keys 'descr', 'fortran_order' and 'shape'");
  }

  const descr = value.get('descr');
  if (typeof descr !== 'string') {
    throw unsupportedDtype(location, describeLiteral(descr), 'a structured or sub-array dtype');
  }
  const fortranOrder = value.get('fortran_order');
  if (typeof fortranOrder !== 'boolean') {
    invalid("'fortran_order' must be True or False");
  }
  const shapeValue = value.get('shape');
  const isIntegerTuple =
    typeof shapeValue === 'object' &&
    shapeValue !== null &&
    'tuple' in shapeValue &&
    shapeValue.tuple.every((size) => typeof size === 'number' && Number.isSafeInteger(size) && size >= 0);
  if (!isIntegerTuple) {
    invalid("'shape' must be a tuple of non-negative integers, such as (3, 4), (3,) or ()");
  }
  const shape = (shapeValue as { tuple: number[] }).tuple;
  return { descr: descr as string, fortranOrder: fortranOrder as boolean, shape: [...shape] };
}

function describeLiteral(value: LiteralValue | undefined): string {
  if (value === undefined) return 'no value';
  if (value instanceof Map) return 'a dict';
  if (typeof value === 'object' && value !== null && 'list' in value) return `a list of ${value.list.length} fields`;
  return JSON.stringify(value);
}

class LiteralSyntaxError extends Error {}

/**
 * Parses the Python literals that NPY headers contain: dicts, tuples, lists, strings, integers
 * (with an optional Python 2 'L' suffix), True, False and None. Nothing is evaluated.
 */
class LiteralParser {
  private position = 0;

  constructor(private readonly text: string) {}

  parseDocument(): LiteralValue {
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.position !== this.text.length) {
      this.error(`unexpected ${JSON.stringify(this.text[this.position])} after the value`);
    }
    return value;
  }

  private parseValue(): LiteralValue {
    this.skipWhitespace();
    const char = this.text[this.position];
    if (char === '{') return this.parseDict();
    if (char === '(') return this.parseTuple();
    if (char === '[') return { list: this.parseSequence('[', ']') };
    if (char === "'" || char === '"') return this.parseString();
    if (char !== undefined && /[-+0-9]/.test(char)) return this.parseInteger();
    for (const [word, value] of [['True', true], ['False', false], ['None', null]] as const) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length;
        return value;
      }
    }
    return this.error(char === undefined ? 'unexpected end of header' : `unexpected ${JSON.stringify(char)}`);
  }

  private parseDict(): Map<string, LiteralValue> {
    const result = new Map<string, LiteralValue>();
    this.expect('{');
    for (;;) {
      this.skipWhitespace();
      if (this.peek('}')) break;
      const key = this.parseValue();
      if (typeof key !== 'string') this.error('dict keys must be strings');
      if (result.has(key as string)) this.error(`duplicate key ${JSON.stringify(key)}`);
      this.skipWhitespace();
      this.expect(':');
      result.set(key as string, this.parseValue());
      this.skipWhitespace();
      if (!this.peek(',')) break;
      this.position++;
    }
    this.skipWhitespace();
    this.expect('}');
    return result;
  }

  /** Parses a tuple. A parenthesised single value without a comma is that value, as in Python: (3) is 3. */
  private parseTuple(): LiteralValue {
    const start = this.position;
    const items = this.parseSequence('(', ')');
    const hasComma = this.text.slice(start, this.position).includes(',');
    return items.length === 1 && !hasComma ? items[0] : { tuple: items };
  }

  private parseSequence(open: string, close: string): LiteralValue[] {
    const items: LiteralValue[] = [];
    this.expect(open);
    for (;;) {
      this.skipWhitespace();
      if (this.peek(close)) break;
      items.push(this.parseValue());
      this.skipWhitespace();
      if (!this.peek(',')) break;
      this.position++;
    }
    this.skipWhitespace();
    this.expect(close);
    return items;
  }

  private parseString(): string {
    const quote = this.text[this.position++];
    let result = '';
    for (;;) {
      const char = this.text[this.position++];
      if (char === undefined) this.error('unterminated string');
      if (char === quote) return result;
      if (char === '\\') {
        const escaped = this.text[this.position++];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
        if (escaped === undefined || !(escaped in simple)) this.error(`unsupported escape \\${escaped ?? ''}`);
        result += simple[escaped as string];
      } else {
        result += char;
      }
    }
  }

  private parseInteger(): number {
    const match = /^[-+]?[0-9]+L?/.exec(this.text.slice(this.position));
    if (match === null) this.error('invalid integer');
    const literal = (match as RegExpExecArray)[0];
    this.position += literal.length;
    return Number(literal.replace('L', ''));
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position])) {
      this.position++;
    }
  }

  private peek(char: string): boolean {
    return this.text[this.position] === char;
  }

  private expect(char: string): void {
    if (!this.peek(char)) {
      const found = this.text[this.position];
      this.error(`expected ${JSON.stringify(char)} at offset ${this.position}, found ${found === undefined ? 'the end' : JSON.stringify(found)}`);
    }
    this.position++;
  }

  private error(message: string): never {
    throw new LiteralSyntaxError(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Dtype strings
// ---------------------------------------------------------------------------------------------

function parseDescr(descr: string, location: DataLocation): { dtype: NpyDtype; littleEndian: boolean } {
  const match = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const kind = match?.[2] ?? '';
  if (kind === 'O') {
    throw new DataFormatError({
      ...location,
      problem: 'the NPY file contains an object array',
      rule: 'Object arrays (dtype O) can only be read with pickle, which can run arbitrary code, so they are rejected',
      received: `dtype ${JSON.stringify(descr)}`,
      action: 'Convert the array to a numeric dtype in NumPy, for example with arr.astype(np.float32), and save it again',
    });
  }
  if (match === null) {
    throw unsupportedDtype(location, JSON.stringify(descr), 'an unrecognised dtype string');
  }

  const [, order, , sizeText] = match;
  const itemSize = Number(sizeText);
  const dtype = (Object.keys(DTYPES) as NpyDtype[]).find(
    (name) => DTYPES[name].kind === kind && DTYPES[name].itemSize === itemSize,
  );
  if (dtype === undefined) {
    throw unsupportedDtype(location, JSON.stringify(descr), describeNumpyKind(kind, itemSize));
  }
  if (itemSize > 1 && order !== '<' && order !== '>') {
    throw new DataFormatError({
      ...location,
      problem: 'the NPY dtype has no explicit byte order',
      rule: "Multi-byte dtypes must state their byte order with '<' (little-endian) or '>' (big-endian)",
      received: `dtype ${JSON.stringify(descr)}`,
      action: 'Save the array again with numpy.save, which always writes the byte order',
    });
  }
  return { dtype, littleEndian: order !== '>' };
}

function unsupportedDtype(location: DataLocation, received: string, description: string): DataFormatError {
  return new DataFormatError({
    ...location,
    problem: 'the NPY dtype is not supported',
    rule: `Supported dtypes are ${SUPPORTED_DESCRIPTION}`,
    received: `dtype ${received}, ${description}`,
    action: 'Convert the array in NumPy, for example with arr.astype(np.float32), and save it again',
  });
}

function describeNumpyKind(kind: string, itemSize: number): string {
  const names: Record<string, string> = {
    f: `a ${itemSize * 8}-bit float`,
    c: `a ${itemSize * 8}-bit complex`,
    i: `a ${itemSize * 8}-bit integer`,
    u: `a ${itemSize * 8}-bit unsigned integer`,
    b: 'a bool with an unusual size',
    U: 'a Unicode string',
    S: 'a byte string',
    V: 'a raw void or structured type',
    M: 'a datetime',
    m: 'a timedelta',
  };
  return names[kind] ?? 'an unknown kind';
}

// ---------------------------------------------------------------------------------------------
// Byte order and memory order
// ---------------------------------------------------------------------------------------------

function swapByteOrder(bytes: Uint8Array, scalarSize: number): void {
  for (let start = 0; start < bytes.length; start += scalarSize) {
    for (let low = start, high = start + scalarSize - 1; low < high; low++, high--) {
      const byte = bytes[low];
      bytes[low] = bytes[high];
      bytes[high] = byte;
    }
  }
}

/**
 * Reorders elements from Fortran (column-major) to C (row-major) order. Elements move as whole
 * words of raw bits, so float NaN payloads are kept exactly.
 */
function fortranToCOrder(raw: Uint8Array, shape: readonly number[], itemSize: number): Uint8Array {
  if (shape.length <= 1) {
    return raw;
  }
  const wordSize = itemSize >= 4 ? 4 : itemSize;
  const wordsPerElement = itemSize / wordSize;
  const source = wordArray(raw, wordSize);
  const result = new Uint8Array(raw.length);
  const target = wordArray(result, wordSize);

  // Fortran strides in elements: the first axis varies fastest.
  const strides: number[] = [];
  let stride = 1;
  for (const size of shape) {
    strides.push(stride);
    stride *= size;
  }

  const count = elementCount(shape);
  const index = new Array<number>(shape.length).fill(0);
  let sourceElement = 0;
  for (let targetElement = 0; targetElement < count; targetElement++) {
    const from = sourceElement * wordsPerElement;
    const to = targetElement * wordsPerElement;
    for (let word = 0; word < wordsPerElement; word++) {
      target[to + word] = source[from + word];
    }
    // Advance the C-order multi-index, last axis fastest, and track the Fortran offset with it.
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis]++;
      sourceElement += strides[axis];
      if (index[axis] < shape[axis]) break;
      sourceElement -= strides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return result;
}

/** Views `bytes` as words of `wordSize` bytes. Its offset must be a multiple of the word size. */
function wordArray(bytes: Uint8Array, wordSize: number): Uint8Array | Uint16Array | Uint32Array {
  const buffer = bytes.buffer as ArrayBuffer;
  if (wordSize === 4) return new Uint32Array(buffer, bytes.byteOffset, bytes.length / 4);
  if (wordSize === 2) return new Uint16Array(buffer, bytes.byteOffset, bytes.length / 2);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** The header, magic and length field together are padded to a multiple of this, as NumPy does. */
const HEADER_ALIGNMENT = 64;

/**
 * Serialises an array as an .npy file: little-endian, C order, format 1.0 (or 2.0 when the header
 * needs more than 65535 bytes). Every dtype that {@link readNpy} supports can be written.
 */
export function writeNpy(array: NpyArray): Uint8Array {
  const checked = createNpyArray(array.dtype, array.shape, array.data as never) as NpyArray;
  const dtypeInfo = DTYPES[checked.dtype];
  const byteOrder = dtypeInfo.itemSize === 1 ? '|' : '<';
  const descr = `${byteOrder}${dtypeInfo.kind}${dtypeInfo.itemSize}`;
  const dictionary = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${formatShape(checked.shape)}, }`;

  const encoded = new TextEncoder().encode(dictionary);
  let lengthFieldSize = 2;
  let headerLength = paddedHeaderLength(encoded.length, lengthFieldSize);
  if (headerLength > 0xffff) {
    lengthFieldSize = 4;
    headerLength = paddedHeaderLength(encoded.length, lengthFieldSize);
  }
  const dataOffset = 8 + lengthFieldSize + headerLength;

  const source = checked.data;
  const dataBytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const output = new Uint8Array(dataOffset + dataBytes.length);
  output.set(MAGIC, 0);
  output[6] = lengthFieldSize === 2 ? 1 : 2;
  output[7] = 0;
  const view = new DataView(output.buffer);
  if (lengthFieldSize === 2) {
    view.setUint16(8, headerLength, true);
  } else {
    view.setUint32(8, headerLength, true);
  }
  const headerStart = 8 + lengthFieldSize;
  output.set(encoded, headerStart);
  output.fill(0x20, headerStart + encoded.length, dataOffset - 1);
  output[dataOffset - 1] = 0x0a;

  output.set(dataBytes, dataOffset);
  const scalarSize = dtypeInfo.itemSize / dtypeInfo.components;
  if (scalarSize > 1 && !HOST_IS_LITTLE_ENDIAN) {
    swapByteOrder(output.subarray(dataOffset), scalarSize);
  }
  return output;
}

/** Returns the header length, including the closing newline, that aligns the data to HEADER_ALIGNMENT. */
function paddedHeaderLength(dictionaryLength: number, lengthFieldSize: number): number {
  const unpadded = 8 + lengthFieldSize + dictionaryLength + 1;
  const padding = (HEADER_ALIGNMENT - (unpadded % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT;
  return dictionaryLength + padding + 1;
}
