import { describe, expect, it } from 'vitest';

import {
  canonicalExpected,
  canonicalValue,
  canonicalValues,
  describeWithNumpy,
  HAS_NUMPY,
  manifest,
  readFixture,
  type ExpectedArray,
} from '../../test/fixtures/dataFixtures';
import { DataFormatError } from './errors';
import {
  createNpyArray,
  elementCount,
  MAX_NPY_ARRAY_BYTES,
  parseNpyHeader,
  readNpy,
  toFloat32Array,
  writeNpy,
  type NpyArray,
} from './npy';

function readNpyFixture(name: string): NpyArray {
  return readNpy(readFixture(name), name);
}

function expectMatchesNumpy(array: NpyArray, expected: ExpectedArray): void {
  expect(array.dtype).toBe(expected.dtype);
  expect(array.shape).toEqual(expected.shape);
  expect(canonicalValues(array)).toEqual(canonicalExpected(expected));
}

/** Reads the fixture and returns the DataFormatError it throws. */
function readError(name: string, read: (bytes: Uint8Array, file: string) => unknown = readNpy): DataFormatError {
  try {
    read(readFixture(name), name);
  } catch (error) {
    expect(error).toBeInstanceOf(DataFormatError);
    return error as DataFormatError;
  }
  throw new Error(`reading ${name} did not throw`);
}

describe('readNpy values against NumPy', () => {
  const names = Object.keys(manifest.npy);

  it('covers every dtype, byte order and memory order', () => {
    const dtypes = ['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];
    for (const dtype of [...dtypes, 'float32', 'float64', 'complex64', 'complex128']) {
      expect(names).toContain(`${dtype}-le-c.npy`);
      expect(names).toContain(`${dtype}-le-f.npy`);
    }
    expect(names.filter((name) => name.includes('-be-')).length).toBe(20);
  });

  it.each(names)('%s', (name) => {
    expectMatchesNumpy(readNpyFixture(name), manifest.npy[name]);
  });
});

describe('readNpy adopting its input', () => {
  const names = Object.keys(manifest.npy);

  it.each(names)('%s at offsets 0 and 1', (name) => {
    const expected = manifest.npy[name];
    // At offset 0 the data start is aligned (NumPy pads the header to 64 bytes); at offset 1 it is not.
    for (const offset of [0, 1]) {
      const fixture = readFixture(name);
      const padded = new Uint8Array(fixture.length + offset);
      padded.set(fixture, offset);
      expectMatchesNumpy(readNpy(padded.subarray(offset), name, {}, 'adopt'), expected);
    }
  });

  it('should share aligned input only', () => {
    const fixture = readFixture('float32-le-c.npy');
    const aligned = readNpy(fixture.slice(), 'float32-le-c.npy', {}, 'adopt');
    const input = fixture.slice();
    expect(readNpy(input, 'float32-le-c.npy', {}, 'adopt').data.buffer).toBe(input.buffer);
    expect(aligned.data.byteOffset % 4).toBe(0);

    const padded = new Uint8Array(fixture.length + 1);
    padded.set(fixture, 1);
    const odd = padded.subarray(1);
    expect(readNpy(odd, 'float32-le-c.npy', {}, 'adopt').data.buffer).not.toBe(padded.buffer);
    expect([...odd]).toEqual([...fixture]);
  });

  it('should copy by default', () => {
    const input = readFixture('float64-be-c.npy');
    const before = input.slice();
    expect(readNpy(input, 'float64-be-c.npy').data.buffer).not.toBe(input.buffer);
    expect([...input]).toEqual([...before]);
  });
});

describe('readNpy layout', () => {
  it('reads a 0-d array as shape [] with one value', () => {
    const array = readNpyFixture('scalar-0d.npy');
    expect(array.shape).toEqual([]);
    expect(Array.from(array.data as Float64Array)).toEqual([3.5]);
  });

  it('reads a one-element array', () => {
    const array = readNpyFixture('one-element.npy');
    expect(array.shape).toEqual([1]);
    expect(array.dtype).toBe('int32');
    expect(Array.from(array.data as Int32Array)).toEqual([-7]);
  });

  it('reads an empty array', () => {
    const array = readNpyFixture('empty-0x3.npy');
    expect(array.shape).toEqual([0, 3]);
    expect(array.data.length).toBe(0);
  });

  it('returns C order for a Fortran-order 4-d array', () => {
    const array = readNpyFixture('fortran-4d.npy');
    const header = parseNpyHeader(readFixture('fortran-4d.npy'), { file: 'fortran-4d.npy' });
    expect(header.fortranOrder).toBe(true);
    // NumPy's array was arange(120).reshape(2, 3, 4, 5), so C order reads 0, 1, 2, ...
    expect(Array.from(array.data as Float32Array)).toEqual(Array.from({ length: 120 }, (_, index) => index));
  });

  it('reads the version 2.0 and 3.0 headers', () => {
    expect(parseNpyHeader(readFixture('version2.npy'), { file: 'version2.npy' }).version).toEqual([2, 0]);
    expect(parseNpyHeader(readFixture('version3.npy'), { file: 'version3.npy' }).version).toEqual([3, 0]);
  });

  it('reports the byte order of a big-endian file', () => {
    const header = parseNpyHeader(readFixture('float64-be-c.npy'), { file: 'float64-be-c.npy' });
    expect(header.descr).toBe('>f8');
    expect(header.littleEndian).toBe(false);
  });

  it('marks complex arrays and interleaves them', () => {
    const array = readNpyFixture('complex64-le-c.npy');
    expect(array.isComplex).toBe(true);
    expect(array.data).toBeInstanceOf(Float32Array);
    expect(array.data.length).toBe(2 * elementCount(array.shape));
  });

  it('returns data that does not alias the input', () => {
    const bytes = readFixture('float32-le-c.npy');
    const array = readNpy(bytes, 'float32-le-c.npy');
    expect(array.data.buffer).not.toBe(bytes.buffer);
  });

  it('accepts an ArrayBuffer', () => {
    const bytes = readFixture('int16-le-c.npy');
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    expectMatchesNumpy(readNpy(buffer, 'int16-le-c.npy'), manifest.npy['int16-le-c.npy']);
  });
});

describe('readNpy malformed input', () => {
  it('rejects a bad magic string', () => {
    const error = readError('bad-magic.npy');
    expect(error.file).toBe('bad-magic.npy');
    expect(error.message).toContain('bad-magic.npy');
    expect(error.message).toContain('magic string is missing');
    expect(error.message).toContain('\\x93NUMPY');
    expect(error.message).toContain('93 4e 55 4d 50 58');
  });

  it('points to .npz when given a ZIP archive', () => {
    const bytes = readFixture('stored.npz');
    expect(() => readNpy(bytes, 'stored.npz')).toThrow(/start of a ZIP archive/);
  });

  it('rejects an unknown format version', () => {
    const error = readError('bad-version.npy');
    expect(error.message).toContain('version is not supported');
    expect(error.message).toContain('version 4.0');
  });

  it('rejects a header without fortran_order', () => {
    const error = readError('missing-key.npy');
    expect(error.message).toContain('missing-key.npy');
    expect(error.message).toContain('NPY header is invalid');
    expect(error.message).toContain("'descr', 'fortran_order' and 'shape'");
    expect(error.message).toContain("{'descr': '<f4', 'shape': (3,), }");
  });

  it('rejects a header that is code, without running it', () => {
    const error = readError('not-a-dict.npy');
    expect(error.message).toContain('NPY header is invalid');
    expect(error.message).toContain('Python dict literal');
    expect(error.message).toContain('__import__');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('rejects a header longer than the file', () => {
    const error = readError('header-overrun.npy');
    expect(error.message).toContain('NPY header is truncated');
    expect(error.message).toContain('9000 bytes of header');
  });

  it('rejects object arrays without unpickling', () => {
    const error = readError('object.npy');
    expect(error.message).toContain('object.npy');
    expect(error.message).toContain('object array');
    expect(error.message).toContain('pickle');
    expect(error.message).toContain('"|O"');
  });

  it.each([
    ['unicode.npy', '"<U3"', 'Unicode string'],
    ['structured.npy', 'a list of 2 fields', 'structured'],
    ['float16.npy', '"<f2"', '16-bit float'],
  ])('rejects the unsupported dtype in %s', (name, received, what) => {
    const error = readError(name);
    expect(error.message).toContain(name);
    expect(error.message).toContain('dtype is not supported');
    expect(error.message).toContain(received);
    expect(error.message).toContain(what);
    expect(error.message).toContain('float32, float64, complex64 and complex128');
  });

  it('rejects truncated array data', () => {
    const error = readError('truncated-array.npy');
    expect(error.message).toContain('truncated-array.npy');
    expect(error.message).toContain('array data is truncated');
    expect(error.message).toContain('Shape (10, 10) of float32 needs 400 bytes');
    expect(error.message).toContain('Received 300 bytes');
  });

  it('rejects bytes after the array data', () => {
    const error = readError('trailing-bytes.npy');
    expect(error.message).toContain('bytes after the array data');
    expect(error.message).toContain('4 more than the header describes');
  });

  it('rejects a 10 GiB header before allocating', () => {
    const error = readError('huge-array.npy');
    expect(error.message).toContain('huge-array.npy');
    expect(error.message).toContain('too large to load');
    expect(error.message).toContain('at most 2 GiB');
    expect(error.message).toContain('shape (2684354560,) of float32, which is 10 GiB');
    expect(MAX_NPY_ARRAY_BYTES).toBe(2 ** 31);
  });

  it('honours a lower array limit', () => {
    const bytes = readFixture('float64-le-c.npy');
    expect(() => readNpy(bytes, 'float64-le-c.npy', { maxArrayBytes: 100 })).toThrow(/at most 100 bytes/);
  });

  it('rejects an empty input', () => {
    expect(() => readNpy(new Uint8Array(0), 'empty.npy')).toThrow(/empty\.npy: the NPY magic string is missing.*an empty file/);
  });
});

describe('toFloat32Array', () => {
  it('converts integers to float32 values', () => {
    const array = readNpyFixture('uint16-le-c.npy');
    const expected = manifest.npy['uint16-le-c.npy'].values.map((value) => Math.fround(value as number));
    expect(Array.from(toFloat32Array(array))).toEqual(expected);
  });

  it('converts 64-bit integers through Number', () => {
    const array = readNpyFixture('int64-le-c.npy');
    const expected = manifest.npy['int64-le-c.npy'].values.map((value) => Math.fround(Number(value)));
    expect(Array.from(toFloat32Array(array))).toEqual(expected);
  });

  it('interleaves complex128 as float32 pairs', () => {
    const array = readNpyFixture('complex128-le-c.npy');
    const converted = toFloat32Array(array);
    expect(converted.length).toBe(2 * elementCount(array.shape));
    expect(converted[5]).toBe(Math.fround((array.data as Float64Array)[5]));
  });

  it('returns float32 data without copying', () => {
    const array = readNpyFixture('float32-le-c.npy');
    expect(toFloat32Array(array)).toBe(array.data);
  });
});

describe('createNpyArray', () => {
  it('rejects a mismatched data length', () => {
    expect(() => createNpyArray('float32', [2, 3], new Float32Array(5))).toThrow(/needs 6 values, received 5/);
  });

  it('rejects the wrong typed array', () => {
    expect(() => createNpyArray('int32', [2], new Float32Array(2) as unknown as Int32Array)).toThrow(/needs a Int32Array/);
  });

  it('requires two values per complex element', () => {
    const array = createNpyArray('complex64', [3], new Float32Array(6));
    expect(array.isComplex).toBe(true);
  });
});

describe('writeNpy', () => {
  it('aligns data to 64 bytes', () => {
    const bytes = writeNpy(createNpyArray('float32', [2, 2], new Float32Array([1, 2, 3, 4])));
    const header = parseNpyHeader(bytes, { file: 'written.npy' });
    expect(header.dataOffset % 64).toBe(0);
    expect(bytes[header.dataOffset - 1]).toBe(0x0a);
    expect(header.descr).toBe('<f4');
  });

  it('reads back what it wrote', () => {
    const original = createNpyArray('complex128', [2], new Float64Array([1.5, -2, Number.NaN, -0]));
    const copy = readNpy(writeNpy(original), 'written.npy');
    expect(copy.dtype).toBe('complex128');
    expect(canonicalValues(copy)).toEqual(['1.5', '-2', 'nan', '-0']);
  });
});

describe.skipIf(!HAS_NUMPY)('writeNpy read by NumPy', () => {
  const cases: NpyArray[] = [
    createNpyArray('float32', [2, 3], new Float32Array([1.25, -0, Number.NaN, Infinity, -3e38, 1e-45])),
    createNpyArray('float64', [3], new Float64Array([Math.PI, -Infinity, 5e-324])),
    createNpyArray('complex64', [2, 1], new Float32Array([1, -1, 0.5, 2.5e-3])),
    createNpyArray('complex128', [], new Float64Array([-7.5, 1e300])),
    createNpyArray('int32', [2, 2], new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -1])),
    createNpyArray('uint16', [4], new Uint16Array([0, 1, 963, 65535])),
    createNpyArray('int64', [2], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])),
    createNpyArray('uint64', [1], new BigUint64Array([2n ** 64n - 1n])),
    createNpyArray('bool', [3], new Uint8Array([1, 0, 1])),
    createNpyArray('int8', [2], new Int8Array([-128, 127])),
    createNpyArray('uint8', [0, 4], new Uint8Array(0)),
  ];

  it.each(cases.map((array) => [`${array.dtype} ${JSON.stringify(array.shape)}`, array] as const))(
    '%s',
    (_, array) => {
      const numpyView = describeWithNumpy(writeNpy(array), 'written.npy') as ExpectedArray;
      expect(numpyView.dtype).toBe(array.dtype);
      expect(numpyView.shape).toEqual(array.shape);
      expect(numpyView.values.map(canonicalValue)).toEqual(canonicalValues(array));
    },
  );
});
