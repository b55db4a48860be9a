// End-to-end: reconstruct the bundled scan for a few iterations on the CPU backend, save the
// Ptychodus product, load it as the start point and run again. The second run's first Fourier
// error must start near where the first run ended, far below the flat start's. A file that is not
// a product is rejected with an alert and leaves the start point as it was. A second test edits a
// saved product (a NaN pixel, a cropped object) and checks the messages both pickers show when it is picked.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { crc32, inflateRawSync } from 'node:zlib';

import { artifactDir, launch, runReconstruction, serveStatic } from './harness.mjs';

let server;
before(async () => {
  server = await serveStatic();
});
after(async () => {
  await server?.close();
});

test('a saved product starts the next run where the last ended', async () => {
  const browser = await launch('fallback');
  const { page } = browser;
  const directory = mkdtempSync(join(tmpdir(), 'ptychoscope-start-'));
  try {
    await page.goto(`${server.url}/?backend=cpu`);
    await page.getByTestId('pattern-count').waitFor({ timeout: 60_000 });

    const firstRun = await runReconstruction(page, 3);
    assert.equal(firstRun.length, 3);

    const downloadEvent = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Ptychodus product (.h5)' }).click();
    const download = await downloadEvent;
    const product = join(directory, download.suggestedFilename());
    await download.saveAs(product);

    const picker = page.getByLabel(/Start from a Ptychodus product/);
    await picker.setInputFiles(product);
    const line = page.getByTestId('start-point');
    await line.filter({ hasText: /Reconstruct starts from .*\.h5/ }).waitFor({ timeout: 60_000 });
    const description = await line.textContent();
    assert.match(description, /1 probe mode, positions from the product/);

    // A scan file is not a product: the alert names the problem and the start point stays.
    await picker.setInputFiles(resolve(import.meta.dirname, '../public/data/siemens-star.npz'));
    const alert = page.locator('.start-point-picker [role="alert"]');
    await alert.waitFor({ timeout: 60_000 });
    assert.match(await alert.textContent(), /missing.*start point was not changed/s);
    assert.equal(await line.textContent(), description);
    await page.getByRole('region', { name: 'Solver' }).screenshot({ path: join(artifactDir, 'start-point.png') });

    const secondRun = await runReconstruction(page, 2);
    assert.equal(secondRun.length, 2);
    console.log(`Fourier errors: first run ${firstRun.join(', ')}; from the product ${secondRun.join(', ')}`);
    assert.ok(
      secondRun[0] < firstRun[0] / 2,
      `The run from the product should start far below the flat start: ${secondRun[0]} against ${firstRun[0]}.`,
    );
    assert.ok(
      secondRun[0] < 1.1 * firstRun[2],
      `The run from the product should start near the last error, ${firstRun[2]}; it started at ${secondRun[0]}.`,
    );
  } finally {
    await browser.close();
    rmSync(directory, { recursive: true, force: true });
  }
});

/** Returns the members of a ZIP archive (stored or deflated) as a Map from name to bytes. */
function readZipMembers(buffer) {
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buffer.readUInt16LE(end + 10);
  let offset = buffer.readUInt32LE(end + 16);
  const members = new Map();
  for (let i = 0; i < count; i += 1) {
    const method = buffer.readUInt16LE(offset + 10);
    const compressedSize = buffer.readUInt32LE(offset + 20);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    const localOffset = buffer.readUInt32LE(offset + 42);
    const name = buffer.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart = localOffset + 30 + buffer.readUInt16LE(localOffset + 26) + buffer.readUInt16LE(localOffset + 28);
    const data = buffer.subarray(dataStart, dataStart + compressedSize);
    members.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}

/** Writes members (a Map from name to bytes) as a ZIP archive of stored entries. */
function writeStoredZip(members) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of members) {
    const nameBytes = Buffer.from(name, 'utf8');
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(header, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }

  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.size, 8);
  end.writeUInt16LE(members.size, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Splits a version 1 .npy file into its shape, its descr and the bytes after the header. */
function parseNpy(bytes) {
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((part) => part.trim()).map(Number);
  const descr = header.match(/'descr': '([^']+)'/)[1];
  return { shape, descr, data: bytes.subarray(10 + headerLength) };
}

/** Builds a version 1 .npy file of a C-order array. */
function makeNpy(descr, shape, data) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

/**
 * Writes a copy of an .npz product whose complex64 object is changed by `edit`, which receives the
 * object as { height, width, values: Float32Array of interleaved re, im } and returns the new one.
 */
function editProductObject(source, target, edit) {
  const members = readZipMembers(readFileSync(source));
  const { shape, descr, data } = parseNpy(members.get('object.npy'));
  assert.equal(descr, '<c8');
  const [height, width] = shape.slice(-2);
  const values = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  const edited = edit({ height, width, values: values.slice(0, height * width * 2) });
  const leading = shape.length === 3 ? [1] : [];
  members.set('object.npy', makeNpy('<c8', [...leading, edited.height, edited.width], Buffer.from(edited.values.buffer)));
  writeFileSync(target, writeStoredZip(members));
}

test('products are checked when they are picked', async () => {
  const browser = await launch('fallback');
  const { page } = browser;
  const directory = mkdtempSync(join(tmpdir(), 'ptychoscope-pick-'));
  try {
    await page.goto(`${server.url}/?backend=cpu`);
    await page.getByTestId('pattern-count').waitFor({ timeout: 60_000 });
    const startPicker = page.getByLabel(/Start from a Ptychodus product/);
    const startAlert = page.locator('.start-point-picker [role="alert"]');
    const line = page.getByTestId('start-point');

    // Before any run, the start-point picker's hint names where the reference picker will appear.
    assert.match(await page.locator('.start-point-picker .hint').textContent(), /run Reconstruct first.*Compare with a Ptychodus product/s);
    assert.match(await page.locator('.start-point-picker .hint').textContent(), /within 2 px after one common offset/);

    // An empty .h5 gets product advice, not the NPZ reader's.
    await startPicker.setInputFiles({ name: 'empty.h5', mimeType: 'application/octet-stream', buffer: Buffer.alloc(0) });
    await startAlert.waitFor({ timeout: 60_000 });
    const emptyMessage = await startAlert.textContent();
    assert.match(emptyMessage, /^empty\.h5: the file is empty \(0 bytes\)\. A product is an \.h5 or \.npz file/);
    assert.doesNotMatch(emptyMessage, /numpy\.savez|ZIP archive/);

    await runReconstruction(page, 2);
    const downloadEvent = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Ptychodus product (.npz)' }).click();
    const download = await downloadEvent;
    const product = join(directory, download.suggestedFilename());
    await download.saveAs(product);

    const nanProduct = join(directory, 'nan-object.npz');
    editProductObject(product, nanProduct, (object) => {
      object.values[2 * (40 * object.width + 40)] = Number.NaN;
      return object;
    });
    const croppedProduct = join(directory, 'cropped-object.npz');
    editProductObject(product, croppedProduct, (object) => {
      const keep = 30;
      const values = new Float32Array(keep * keep * 2);
      for (let row = 0; row < keep; row += 1) {
        values.set(object.values.subarray(2 * row * object.width, 2 * (row * object.width + keep)), 2 * row * keep);
      }
      return { height: keep, width: keep, values };
    });

    // A NaN object is rejected at pick time with the file, the array and the pixel.
    await startPicker.setInputFiles(nanProduct);
    await startAlert.filter({ hasText: 'nan-object.npz' }).waitFor({ timeout: 60_000 });
    assert.match(
      await startAlert.textContent(),
      /The object in nan-object\.npz \(array object\.npy\) contains a non-finite value, NaN, at pixel \(40, 40\) as \(row, column\).*start point was not changed/s,
    );
    assert.match(await line.textContent(), /starts from a flat object/);

    // A cropped object is accepted with a warning that gives the covered fraction.
    await startPicker.setInputFiles(croppedProduct);
    await line.filter({ hasText: 'cropped-object.npz' }).waitFor({ timeout: 60_000 });
    const startWarning = page.locator('.start-point-picker .banner-warning');
    console.log(`Warning for the cropped start point: ${await startWarning.textContent()}`);
    assert.match(await startWarning.textContent(), /^The object in cropped-object\.npz \(30×30 px\) covers only \d+(\.\d)? % of the region/);

    // The reference picker: the saved product is accepted, then the NaN product is rejected and the
    // metrics stay against the saved product.
    const referencePicker = page.getByLabel(/Compare with a Ptychodus product/);
    await referencePicker.setInputFiles(product);
    const comparison = page.getByTestId('truth-comparison');
    await comparison.filter({ hasText: download.suggestedFilename() }).waitFor({ timeout: 60_000 });
    await referencePicker.setInputFiles(nanProduct);
    const referenceAlert = page.locator('.reference-picker [role="alert"]');
    await referenceAlert.waitFor({ timeout: 60_000 });
    const referenceMessage = await referenceAlert.textContent();
    console.log(`Alert for the NaN reference: ${referenceMessage}`);
    assert.match(referenceMessage, /nan-object\.npz .*pixel \(40, 40\) as \(row, column\).*previous reference, if any, is kept/s);
    assert.doesNotMatch(await page.locator('body').textContent(), /alignImages/);
    assert.match(await comparison.locator('h2').textContent(), new RegExp(download.suggestedFilename().replace('.', '\\.')));

    await referencePicker.setInputFiles(croppedProduct);
    await page.locator('.reference-picker .banner-warning').filter({ hasText: /covers only/ }).waitFor({ timeout: 60_000 });

    // Opening another scan drops the start point, and a notice says so.
    await page.getByLabel(/Open a scan/).setInputFiles(resolve(import.meta.dirname, '../public/data/siemens-star.npz'));
    const resetNotice = page.getByTestId('start-point-reset');
    await resetNotice.waitFor({ timeout: 60_000 });
    assert.match(await resetNotice.textContent(), /start point cropped-object\.npz was dropped/);
    assert.match(await line.textContent(), /starts from a flat object/);
    await page.getByRole('region', { name: 'Solver' }).screenshot({ path: join(artifactDir, 'start-point-checks.png') });
  } finally {
    await browser.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
