import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';

import { HAS_NUMPY, readFixture, runPython } from '../../test/fixtures/dataFixtures';
import { memoryByteSource } from './byteSource';
import { DataFormatError } from './errors';
import { crc32, findZipEntry, openZip, readZipEntry, toDosDateTime, writeZip, type ZipArchive } from './zip';

/** Opens the fixture and reads every entry, returning the DataFormatError thrown on the way. */
function readAllError(name: string): DataFormatError {
  try {
    const archive = openZip(readFixture(name), name);
    for (const entry of archive.entries) {
      readZipEntry(archive, entry);
    }
  } catch (error) {
    expect(error).toBeInstanceOf(DataFormatError);
    return error as DataFormatError;
  }
  throw new Error(`reading ${name} did not throw`);
}

function entryText(archive: ZipArchive, name: string): string {
  const entry = findZipEntry(archive, name);
  expect(entry).toBeDefined();
  return new TextDecoder().decode(readZipEntry(archive, entry!));
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('is zero for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('openZip on NumPy archives', () => {
  it.each([
    ['stored.npz', 0],
    ['deflate.npz', 8],
    ['zip64.npz', 8],
  ])('lists the members of %s', (name, method) => {
    const archive = openZip(readFixture(name), name);
    expect(archive.entries.map((entry) => entry.name)).toEqual(['counts.npy', 'probe.npy', 'scan.npy']);
    expect(archive.entries.every((entry) => entry.method === method)).toBe(true);
  });

  it('decodes members to NPY bytes of the declared size', () => {
    const archive = openZip(readFixture('deflate.npz'), 'deflate.npz');
    for (const entry of archive.entries) {
      const bytes = readZipEntry(archive, entry);
      expect(bytes.length).toBe(entry.uncompressedSize);
      expect(Array.from(bytes.subarray(1, 6))).toEqual(Array.from(new TextEncoder().encode('NUMPY')));
    }
  });

  it('reads the same bytes from stored, deflate and ZIP64 archives', () => {
    const contents = ['stored.npz', 'deflate.npz', 'zip64.npz'].map((name) => {
      const archive = openZip(readFixture(name), name);
      return readZipEntry(archive, findZipEntry(archive, 'probe.npy')!);
    });
    expect(contents[1]).toEqual(contents[0]);
    expect(contents[2]).toEqual(contents[0]);
  });

  it('accepts an ArrayBuffer', () => {
    const bytes = readFixture('stored.npz');
    const archive = openZip(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, 'stored.npz');
    expect(archive.entries.length).toBe(3);
  });
});

describe('openZip malformed input', () => {
  it('rejects a file that is not a ZIP archive', () => {
    const error = readAllError('not-a-zip.npz');
    expect(error.file).toBe('not-a-zip.npz');
    expect(error.entry).toBeNull();
    expect(error.message).toContain('not-a-zip.npz: the file is not a ZIP archive');
    expect(error.message).toContain('74 68 69 73');
    expect(error.message).toContain('numpy.savez');
  });

  it('rejects a truncated archive', () => {
    const error = readAllError('truncated.npz');
    expect(error.message).toContain('truncated.npz: the ZIP archive is truncated');
    expect(error.message).toContain('no end record');
  });

  it('rejects an unsupported compression method', () => {
    const error = readAllError('bzip2.npz');
    expect(error.entry).toBe('data.npy');
    expect(error.message).toContain('bzip2.npz (entry data.npy)');
    expect(error.message).toContain('compression method is not supported');
    expect(error.message).toContain('method 12 (bzip2)');
  });

  it('rejects a CRC-32 mismatch', () => {
    const error = readAllError('crc-mismatch.npz');
    expect(error.message).toContain('crc-mismatch.npz (entry data.npy)');
    expect(error.message).toContain('failed its CRC-32 check');
  });

  it('rejects an entry that runs past the end', () => {
    const error = readAllError('entry-overrun.npz');
    expect(error.message).toContain('entry-overrun.npz (entry data.npy)');
    expect(error.message).toContain('ZIP entry is truncated');
  });

  it('rejects an entry larger than the limit before inflating', () => {
    const error = readAllError('huge-entry.npz');
    expect(error.message).toContain('huge-entry.npz (entry data.npy)');
    expect(error.message).toContain('too large to load');
    expect(error.message).toContain('at most 2 GiB');
    expect(error.message).toContain('4.0 GiB');
  });

  it('chains the inflate error as the cause', () => {
    const bytes = new Uint8Array(readFixture('deflate.npz'));
    const archive = openZip(bytes, 'deflate.npz');
    const entry = archive.entries[0];
    const damagedBytes = bytes.slice();
    const damaged: ZipArchive = { ...archive, source: memoryByteSource(damagedBytes) };
    // Overwrite the start of the deflate stream with an invalid block type (binary 11).
    const header = new DataView(damagedBytes.buffer, entry.localHeaderOffset, 30);
    const dataStart = entry.localHeaderOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
    damagedBytes.fill(0xff, dataStart, dataStart + 8);
    let thrown: unknown;
    try {
      readZipEntry(damaged, entry);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DataFormatError);
    expect((thrown as DataFormatError).message).toContain('deflate data of the ZIP entry is corrupt');
    expect((thrown as DataFormatError).cause).toBeInstanceOf(Error);
  });

  it('rejects a deflate stream longer than declared', () => {
    const payload = new Uint8Array(1000).fill(7);
    const archive = openZip(writeZip([{ name: 'a.bin', data: payload }]), 'made.zip');
    const entry = { ...archive.entries[0], uncompressedSize: 10, crc32: crc32(payload.subarray(0, 10)) };
    expect(() => readZipEntry(archive, entry)).toThrow(/decompressed to the wrong size.*more than 10 bytes/);
  });

  it('rejects an empty input', () => {
    expect(() => openZip(new Uint8Array(0), 'empty.npz')).toThrow(/empty\.npz: the file is not a ZIP archive.*empty input/);
  });
});

describe('writeZip', () => {
  const entries = [
    { name: 'stored.txt', data: new TextEncoder().encode('stored entry'), compression: 'store' as const },
    { name: 'deflated.txt', data: new TextEncoder().encode('deflate '.repeat(100)) },
    { name: 'empty.bin', data: new Uint8Array(0) },
    { name: 'ünïcode.txt', data: new TextEncoder().encode('utf-8 name') },
  ];

  it('reads back with openZip', () => {
    const archive = openZip(writeZip(entries), 'written.zip');
    expect(archive.entries.map((entry) => entry.name)).toEqual(entries.map((entry) => entry.name));
    expect(archive.entries.map((entry) => entry.method)).toEqual([0, 8, 8, 8]);
    expect(entryText(archive, 'deflated.txt')).toBe('deflate '.repeat(100));
    expect(entryText(archive, 'ünïcode.txt')).toBe('utf-8 name');
  });

  it('reads back with forced ZIP64 records', () => {
    const archive = openZip(writeZip(entries, { forceZip64: true }), 'written.zip');
    expect(entryText(archive, 'stored.txt')).toBe('stored entry');
    expect(archive.entries[3].localHeaderOffset).toBeGreaterThan(0);
  });

  it('compresses like fflate deflate', () => {
    const archive = openZip(writeZip([entries[1]]), 'written.zip');
    expect(archive.entries[0].compressedSize).toBe(deflateSync(entries[1].data, { level: 6 }).length);
  });

  it('produces equal bytes for equal input', () => {
    expect(writeZip(entries)).toEqual(writeZip(entries));
  });

  it('rejects duplicate names', () => {
    expect(() => writeZip([entries[0], entries[0]])).toThrow(/stored\.txt appears twice/);
  });

  it('writes modifiedAt into both headers', () => {
    const modifiedAt = new Date(2026, 11, 5, 14, 30, 11);
    const bytes = writeZip([entries[0]], { modifiedAt });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // One entry and no ZIP64 records: the central header sits just before the 22-byte end record.
    const centralStart = bytes.length - 22 - (46 + 'stored.txt'.length);
    const expectedDate = (46 << 9) | (12 << 5) | 5;
    const expectedTime = (14 << 11) | (30 << 5) | 5;
    expect(view.getUint16(10, true)).toBe(expectedTime);
    expect(view.getUint16(12, true)).toBe(expectedDate);
    expect(view.getUint32(centralStart, true)).toBe(0x02014b50);
    expect(view.getUint16(centralStart + 12, true)).toBe(expectedTime);
    expect(view.getUint16(centralStart + 14, true)).toBe(expectedDate);
  });

  it('clamps dates the MS-DOS format cannot hold', () => {
    expect(toDosDateTime(new Date(1970, 0, 1))).toEqual({ date: (1 << 5) | 1, time: 0 });
    expect(toDosDateTime(new Date(Number.NaN))).toEqual({ date: (1 << 5) | 1, time: 0 });
    expect(toDosDateTime(new Date(2200, 0, 1)).date).toBe((127 << 9) | (12 << 5) | 31);
  });
});

describe.skipIf(!HAS_NUMPY)('writeZip read by Python zipfile', () => {
  // Prints name, compression method and content of each member, after zipfile's CRC check.
  const listMembers = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    assert archive.testzip() is None
    print(json.dumps([[i.filename, i.compress_type, archive.read(i).decode()] for i in archive.infolist()]))
`;

  it.each([false, true])('with forceZip64 %s', (forceZip64) => {
    const textEntries = [
      { name: 'a.txt', data: new TextEncoder().encode('alpha'), compression: 'store' as const },
      { name: 'b/ü.txt', data: new TextEncoder().encode('beta '.repeat(50)) },
    ];
    const bytes = writeZip(textEntries, { forceZip64 });
    const path = join(tmpdir(), `ptychoscope-zip-${forceZip64}-${process.pid}.zip`);
    writeFileSync(path, bytes);
    try {
      const members = JSON.parse(runPython(listMembers, [path]));
      expect(members).toEqual([
        ['a.txt', 0, 'alpha'],
        ['b/ü.txt', 8, 'beta '.repeat(50)],
      ]);
    } finally {
      rmSync(path, { force: true });
    }
  });
});
