import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DataFormatError } from '../errors';
import { createNpyArray, writeNpy } from '../npy';
import { HAS_NUMPY, runPython } from '../../../test/fixtures/dataFixtures';
import { readNpyUnicodeScalar, writeNpyUnicodeScalar } from './npyUnicode';

const TEXTS = ['', 'abc', 'siemens star é €', 'astral 😀 code point'];

// Prints, as JSON, the dtype and the text that numpy.load reads from each file named on the command line.
const LOAD_WITH_NUMPY = `
import json, sys
import numpy as np
out = []
for path in sys.argv[1:]:
    array = np.load(path, allow_pickle=False)
    out.append({"dtype": array.dtype.str, "shape": list(array.shape), "text": str(array)})
print(json.dumps(out))
`;

// Saves each text given on the command line with numpy.save, as a 0-d array and as a big-endian one-element array.
const SAVE_WITH_NUMPY = `
import sys
import numpy as np
directory = sys.argv[1]
for index, text in enumerate(sys.argv[2:]):
    np.save(f"{directory}/little-{index}.npy", np.array(text))
    np.save(f"{directory}/big-{index}.npy", np.array([text]).astype(np.array(text).dtype.newbyteorder(">")))
`;

describe('npyUnicode round trip', () => {
  for (const text of TEXTS) {
    it(`should return ${JSON.stringify(text)}`, () => {
      expect(readNpyUnicodeScalar(writeNpyUnicodeScalar(text), { file: 'text.npy' })).toBe(text);
    });
  }

  it('should align the data to 64 bytes', () => {
    const bytes = writeNpyUnicodeScalar('abc');
    const headerLength = bytes[8] + 256 * bytes[9];
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes.length).toBe(10 + headerLength + 3 * 4);
  });

  it('should reject a numeric array', () => {
    const numeric = writeNpy(createNpyArray('float64', [], new Float64Array([1])));
    expect(() => readNpyUnicodeScalar(numeric, { file: 'x.npz', entry: 'name.npy' })).toThrow(DataFormatError);
    expect(() => readNpyUnicodeScalar(numeric, { file: 'x.npz', entry: 'name.npy' })).toThrow(/not a single unicode string/);
  });

  it('should reject bytes without the signature', () => {
    expect(() => readNpyUnicodeScalar(new Uint8Array(16), { file: 'x.npy' })).toThrow(/signature/);
  });
});

describe.skipIf(!HAS_NUMPY)('npyUnicode against NumPy', () => {
  it('should write what numpy.load reads', () => {
    const directory = mkdtempSync(join(tmpdir(), 'ptychoscope-unicode-'));
    try {
      const paths = TEXTS.map((text, index) => {
        const path = join(directory, `${index}.npy`);
        writeFileSync(path, writeNpyUnicodeScalar(text));
        return path;
      });
      const loaded = JSON.parse(runPython(LOAD_WITH_NUMPY, paths)) as { dtype: string; shape: number[]; text: string }[];
      expect(loaded.map((item) => item.text)).toEqual(TEXTS);
      expect(loaded.map((item) => item.shape)).toEqual(TEXTS.map(() => []));
      expect(loaded[1].dtype).toBe('<U3');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('should read what numpy.save writes', () => {
    const directory = mkdtempSync(join(tmpdir(), 'ptychoscope-unicode-'));
    try {
      runPython(SAVE_WITH_NUMPY, [directory, ...TEXTS]);
      TEXTS.forEach((text, index) => {
        for (const order of ['little', 'big']) {
          const bytes = new Uint8Array(readFileSync(join(directory, `${order}-${index}.npy`)));
          expect(readNpyUnicodeScalar(bytes, { file: `${order}-${index}.npy` }), `${order} ${index}`).toBe(text);
        }
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
