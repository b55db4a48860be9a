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
import { createNpyArray, type NpyArray } from './npy';
import { listNpzKeys, readNpz, readNpzArray, writeNpz } from './npz';
import { openZip } from './zip';

function readNpzError(name: string): DataFormatError {
  try {
    readNpz(readFixture(name), name);
  } catch (error) {
    expect(error).toBeInstanceOf(DataFormatError);
    return error as DataFormatError;
  }
  throw new Error(`reading ${name} did not throw`);
}

describe('readNpz values against NumPy', () => {
  it.each(['stored.npz', 'deflate.npz', 'zip64.npz'])('%s', (name) => {
    const arrays = readNpz(readFixture(name), name);
    const expected = manifest.npz[name];
    expect([...arrays.keys()]).toEqual(Object.keys(expected));
    for (const [key, array] of arrays) {
      expect(array.dtype).toBe(expected[key].dtype);
      expect(array.shape).toEqual(expected[key].shape);
      expect(canonicalValues(array)).toEqual(canonicalExpected(expected[key]));
    }
  });

  it('reads one array by key', () => {
    const archive = openZip(readFixture('deflate.npz'), 'deflate.npz');
    expect(listNpzKeys(archive)).toEqual(['counts', 'probe', 'scan']);
    const scan = readNpzArray(archive, 'scan');
    expect(canonicalValues(scan)).toEqual(canonicalExpected(manifest.npz['deflate.npz'].scan));
  });
});

describe('readNpz malformed input', () => {
  it('names the archive and the missing key', () => {
    const archive = openZip(readFixture('stored.npz'), 'stored.npz');
    let thrown: unknown;
    try {
      readNpzArray(archive, 'positions');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DataFormatError);
    const message = (thrown as DataFormatError).message;
    expect(message).toContain('stored.npz (entry positions.npy)');
    expect(message).toContain('the array "positions" is missing');
    expect(message).toContain('"counts", "probe", "scan"');
  });

  it('rejects a member with a bad NPY magic string', () => {
    const error = readNpzError('bad-magic.npz');
    expect(error.file).toBe('bad-magic.npz');
    expect(error.entry).toBe('data.npy');
    expect(error.message).toContain('bad-magic.npz (entry data.npy): the NPY magic string is missing');
    expect(error.message).toContain('4e 4f 54 4e 55 4d 50 59');
  });

  it('rejects an object-array member', () => {
    const error = readNpzError('object-member.npz');
    expect(error.message).toContain('object-member.npz (entry data.npy)');
    expect(error.message).toContain('object array');
    expect(error.message).toContain('pickle');
  });

  it('rejects a truncated array member', () => {
    const error = readNpzError('truncated-member.npz');
    expect(error.message).toContain('truncated-member.npz (entry data.npy)');
    expect(error.message).toContain('array data is truncated');
    expect(error.message).toContain('Received 300 bytes');
  });

  it('rejects a member claiming 10 GiB', () => {
    const error = readNpzError('huge-array.npz');
    expect(error.message).toContain('huge-array.npz (entry data.npy)');
    expect(error.message).toContain('too large to load');
    expect(error.message).toContain('10 GiB');
  });

  it('rejects a truncated archive', () => {
    const error = readNpzError('truncated.npz');
    expect(error.message).toContain('truncated.npz: the ZIP archive is truncated');
  });

  it('rejects a file that is not an archive', () => {
    const error = readNpzError('not-a-zip.npz');
    expect(error.message).toContain('not-a-zip.npz: the file is not a ZIP archive');
  });
});

describe('writeNpz', () => {
  const arrays = new Map<string, NpyArray>([
    ['data', createNpyArray('uint16', [1, 2, 2, 2], new Uint16Array([0, 1, 2, 963, 4, 5, 65535, 7]))],
    ['probe', createNpyArray('complex64', [2, 2], new Float32Array([1, 0, 0.5, -0.5, 0, 1, -1e-3, 2e3]))],
    ['scan', createNpyArray('float32', [1, 2, 2], new Float32Array([167.57964, -159.73396, -0, Number.NaN]))],
    ['count', createNpyArray('int32', [], new Int32Array([516]))],
  ]);

  it.each(['deflate', 'store'] as const)('reads back with readNpz (%s)', (compression) => {
    const copy = readNpz(writeNpz(arrays, { compression }), 'written.npz');
    expect([...copy.keys()]).toEqual([...arrays.keys()]);
    for (const [key, array] of arrays) {
      expect(canonicalValues(copy.get(key)!)).toEqual(canonicalValues(array));
    }
  });

  it('accepts a plain object', () => {
    const copy = readNpz(writeNpz({ x: arrays.get('scan')! }), 'written.npz');
    expect([...copy.keys()]).toEqual(['x']);
  });

  it('rejects a key with a slash', () => {
    expect(() => writeNpz({ 'a/b': arrays.get('scan')! })).toThrow(/"a\/b" is not a valid array name/);
  });

  it.skipIf(!HAS_NUMPY).each(['deflate', 'store'] as const)('is read by numpy.load (%s)', (compression) => {
    const numpyView = describeWithNumpy(writeNpz(arrays, { compression }), 'written.npz') as Record<string, ExpectedArray>;
    expect(Object.keys(numpyView)).toEqual([...arrays.keys()]);
    for (const [key, array] of arrays) {
      expect(numpyView[key].dtype).toBe(array.dtype);
      expect(numpyView[key].shape).toEqual(array.shape);
      expect(numpyView[key].values.map(canonicalValue)).toEqual(canonicalValues(array));
    }
  });
});
