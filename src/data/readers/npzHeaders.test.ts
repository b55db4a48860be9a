import { describe, expect, it } from 'vitest';

import { readReaderFixture } from '../../../test/fixtures/readers/readerFixtures';
import { DataFormatError } from '../errors';
import { createNpyArray, parseNpyHeader } from '../npy';
import { writeNpz } from '../npz';
import { openZip, readZipEntry } from '../zip';
import { readNpzMemberHeader } from './npzHeaders';

describe('readNpzMemberHeader', () => {
  for (const name of ['unknown-layout.npz', 'pinn-amplitude.npz', 'pinn-huge-header.npz']) {
    it(`should match a full read of ${name}`, () => {
      const archive = openZip(readReaderFixture(name), name);
      for (const entry of archive.entries) {
        const location = { file: name, entry: entry.name };
        let expected: unknown;
        try {
          expected = parseNpyHeader(readZipEntry(archive, entry), location);
        } catch (error) {
          expected = (error as DataFormatError).message;
        }
        let actual: unknown;
        try {
          actual = readNpzMemberHeader(archive, entry);
        } catch (error) {
          actual = (error as DataFormatError).message;
        }
        expect(actual, entry.name).toEqual(expected);
      }
    });
  }

  it('should read the header of a large deflated member', () => {
    const stack = createNpyArray('float32', [64, 64, 64], new Float32Array(64 ** 3).map((_, index) => index % 7));
    const archive = openZip(writeNpz({ stack }), 'big.npz');
    const header = readNpzMemberHeader(archive, archive.entries[0]);
    expect(header.shape).toEqual([64, 64, 64]);
    expect(header.dtype).toBe('float32');
  });

  it('should report a damaged deflate stream', () => {
    const bytes = writeNpz({ a: createNpyArray('float64', [100], new Float64Array(100).fill(1.5)) }).slice();
    const archive = openZip(bytes, 'bad.npz');
    const dataAt = 30 + 'a.npy'.length;
    bytes.fill(0xff, dataAt, dataAt + 8);
    expect(() => readNpzMemberHeader(archive, archive.entries[0])).toThrow(DataFormatError);
  });
});
