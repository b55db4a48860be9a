/**
 * 0-d NumPy unicode arrays (dtype '<U<n>'), which numpy.savez writes for a Python str, such as
 * the `name` and `comments` of a Ptychodus NPZ product. src/data/npy.ts handles numeric dtypes
 * only, so these few strings get their own small encoder and decoder.
 *
 * NumPy stores each character as one UTF-32 little-endian code point, padded with zeros to n.
 */
import { DataFormatError, type DataLocation } from '../errors';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** NumPy aligns the data start (magic, version, length field and header) to this many bytes. */
const HEADER_ALIGNMENT = 64;

/** Encodes `text` as an .npy file containing a 0-d '<U' array, as numpy.save(file, text) does. */
export function writeNpyUnicodeScalar(text: string): Uint8Array {
  const codePoints = Array.from(text, (character) => character.codePointAt(0) ?? 0);
  // NumPy gives the empty string the dtype '<U1' and stores one zero code point.
  const length = Math.max(codePoints.length, 1);
  const dictionary = `{'descr': '<U${length}', 'fortran_order': False, 'shape': (), }`;
  const encoded = new TextEncoder().encode(dictionary);

  const unpadded = 10 + encoded.length + 1;
  const padding = (HEADER_ALIGNMENT - (unpadded % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT;
  const headerLength = encoded.length + padding + 1;
  const dataOffset = 10 + headerLength;

  const output = new Uint8Array(dataOffset + length * 4);
  output.set(MAGIC, 0);
  output[6] = 1;
  output[7] = 0;
  const view = new DataView(output.buffer);
  view.setUint16(8, headerLength, true);
  output.set(encoded, 10);
  output.fill(0x20, 10 + encoded.length, dataOffset - 1);
  output[dataOffset - 1] = 0x0a;
  codePoints.forEach((codePoint, index) => view.setUint32(dataOffset + 4 * index, codePoint, true));
  return output;
}

/**
 * Decodes an .npy file that contains a 0-d or one-element '<U' array and returns its text, without
 * trailing zero code points. Throws DataFormatError when the file contains anything else.
 */
export function readNpyUnicodeScalar(bytes: Uint8Array, location: DataLocation): string {
  const reject = (received: string) =>
    new DataFormatError({
      ...location,
      problem: 'the array is not a single unicode string',
      rule: "The array must be a 0-d NumPy string of dtype '<U', as numpy.savez writes a Python str",
      received,
      action: 'Save the value as a Python str with numpy.savez',
    });
  if (bytes.length < 10 || !MAGIC.every((byte, index) => bytes[index] === byte)) {
    throw reject('a member without the .npy signature \\x93NUMPY');
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const lengthFieldSize = major === 1 ? 2 : 4;
  const headerLength = lengthFieldSize === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthFieldSize + headerLength;
  if (dataOffset > bytes.length) {
    throw reject(`a header of ${headerLength} bytes in a member of ${bytes.length} bytes`);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthFieldSize, dataOffset));

  const descr = /'descr'\s*:\s*'([<>|=]?)U(\d+)'/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  const dimensions = shape?.[1].split(',').map((item) => item.trim()).filter((item) => item.length > 0) ?? null;
  if (descr === null || dimensions === null || dimensions.some((size) => size !== '1')) {
    throw reject(`the header ${header.trim()}`);
  }

  const characterCount = Number(descr[2]);
  const littleEndian = descr[1] !== '>';
  if (dataOffset + 4 * characterCount > bytes.length) {
    throw reject(`${bytes.length - dataOffset} data bytes for ${characterCount} characters`);
  }
  let text = '';
  for (let index = 0; index < characterCount; index += 1) {
    const codePoint = view.getUint32(dataOffset + 4 * index, littleEndian);
    if (codePoint === 0) break;
    if (codePoint > 0x10ffff) {
      throw reject(`the code point ${codePoint}, which is outside Unicode`);
    }
    text += String.fromCodePoint(codePoint);
  }
  return text;
}
