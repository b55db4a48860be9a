import { describe, expect, it } from 'vitest';

import { sliceableBlob } from '../../test/fixtures/sliceableBlob';
import { blobByteSource, memoryByteSource } from './byteSource';

const BYTES = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) % 256);

describe('memoryByteSource', () => {
  it('should return views', () => {
    const source = memoryByteSource(BYTES);
    const part = source.read(10, 5);
    expect([...part]).toEqual([...BYTES.subarray(10, 15)]);
    expect(part.buffer).toBe(BYTES.buffer);
    expect(source.readsAreCopies).toBe(false);
  });

  it('should reject reads outside the file', () => {
    const source = memoryByteSource(BYTES);
    expect(() => source.read(995, 10)).toThrow('Bytes 995 to 1005 lie outside a file of 1000 bytes.');
    expect(() => source.read(-1, 2)).toThrow(RangeError);
  });
});

describe('blobByteSource', () => {
  it('should read each request in one slice', () => {
    const { blob, readSlice, calls } = sliceableBlob(BYTES);
    const reported: number[] = [];
    const source = blobByteSource(blob, readSlice, { onRead: (bytesRead) => reported.push(bytesRead) });
    const part = source.read(100, 200);
    expect([...part]).toEqual([...BYTES.subarray(100, 300)]);
    expect(part.byteOffset).toBe(0);
    expect(part.buffer.byteLength).toBe(200);
    expect(source.read(0, 4).length).toBe(4);
    expect(calls).toEqual([
      [100, 300],
      [0, 4],
    ]);
    expect(reported).toEqual([200, 204]);
    expect(source.readsAreCopies).toBe(true);
    expect(source.size).toBe(1000);
  });

  it('should reject a short slice', () => {
    const { blob } = sliceableBlob(BYTES);
    const source = blobByteSource(blob, () => new ArrayBuffer(3));
    expect(() => source.read(0, 10)).toThrow('The file changed while it was read: 3 of 10 bytes arrived at byte 0.');
  });

  it('should check the range first', () => {
    const { blob, readSlice, calls } = sliceableBlob(BYTES);
    expect(() => blobByteSource(blob, readSlice).read(900, 101)).toThrow(RangeError);
    expect(calls).toEqual([]);
  });
});
