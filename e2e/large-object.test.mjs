// Checks that extractPatches and overlapSum address objects of more than 2^24 floats exactly, on
// every backend, and that an object too large for a backend is rejected with an error.
//
// float32 represents every integer up to 2^24 exactly, so a flat index computed in float32 goes
// wrong past 2^24 elements. A complex object of H×W has H·W·2 floats, so 4096² (2^25) is past
// that point and 8192² (2^27) well past it. ptychoLab.checkLargeObject builds the object on the device with pixel (row, col)
// holding (row, col), extracts patches near its far corner and sums coordinate-coded patches
// back. Every value is compared for exact equality in the page, so the object is never moved
// through page.evaluate.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launch, serveStatic } from './harness.mjs';

const PATCH_SIZE = 64;

/**
 * Returns patch corners near the far corner of a height×width object: one touching that corner,
 * one overlapping it, one further in, and one on the bottom edge. Every window lies inside the
 * object, as the kernels' contract requires (the cpu kernel rejects any other).
 */
function farCornerPositions(height, width) {
  const n = PATCH_SIZE;
  return [
    [height - n, width - n],
    [height - n - 40, width - n - 24],
    [height - 3 * n - 5, width - 2 * n - 7],
    [height - n, width - 4 * n - 3],
  ];
}

let server;

before(async () => {
  server = await serveStatic();
});

after(async () => {
  await server?.close();
});

/** Runs checkLargeObject for one size and asserts that every compared value matched. */
async function assertExactAtSize(page, backend, height, width) {
  const result = await page.evaluate(
    (request) => window.ptychoLab.checkLargeObject(request),
    { backend, height, width, patchSize: PATCH_SIZE, positions: farCornerPositions(height, width) },
  );
  console.log(
    `${backend} ${height}×${width} (${result.objectFloats} floats): extract ${result.seconds.extract.toFixed(1)} s, ` +
      `overlap sum ${result.seconds.overlap.toFixed(1)} s, ` +
      `${result.extract.checked} + ${result.overlap.checked} values compared`,
  );
  assert.equal(result.backend, backend);
  assert.ok(result.objectFloats > 2 ** 24, `object of ${result.objectFloats} floats is not past 2^24`);
  assert.equal(result.extract.mismatches, 0, `extractPatches mismatches:\n${result.extract.examples.join('\n')}`);
  assert.equal(result.extract.checked, 4 * PATCH_SIZE * PATCH_SIZE * 2);
  assert.equal(result.overlap.mismatches, 0, `overlapSum mismatches:\n${result.overlap.examples.join('\n')}`);
  assert.equal(result.overlap.checked, result.objectFloats);
  assert.equal(result.numTensorsAfter, result.numTensorsBefore, 'checkLargeObject leaked tensors');
}

describe('webgpu', () => {
  let browser;
  let page;

  before(async () => {
    browser = await launch('webgpu');
    page = browser.page;
    await page.goto(`${server.url}/lab.html`);
    await page.waitForSelector('body[data-ready="true"]');
    const selected = await page.evaluate(() => window.ptychoLab.useBackend('webgpu'));
    assert.deepEqual(selected, { ok: true, backend: 'webgpu' }, `WebGPU unavailable. Browser log:\n${browser.logs.join('\n')}`);
  });

  after(async () => {
    await browser?.close();
  });

  test('8192² object is addressed exactly', async () => {
    await assertExactAtSize(page, 'webgpu', 8192, 8192);
  });

  test('object past the storage binding limit is rejected', async () => {
    const maxBytes = await page.evaluate(() => {
      const { limits } = window.ptychoLab.tf.backend().device;
      return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    });
    const side = Math.ceil(Math.sqrt(maxBytes / 8)) + 1;
    console.log(`webgpu: binding limit ${maxBytes} bytes, so ${side}² is rejected`);
    for (const kernel of ['extractPatches', 'overlapSum']) {
      const message = await page.evaluate(
        ({ kernel, side }) => window.ptychoLab.largeObjectError(kernel, side, side),
        { kernel, side },
      );
      assert.match(message ?? 'no error', /maxStorageBufferBindingSize/, `${kernel} at ${side}²`);
    }
  });
});

describe('webgl and cpu', () => {
  let browser;
  let page;

  before(async () => {
    browser = await launch('fallback');
    page = browser.page;
    await page.goto(`${server.url}/lab.html`);
    await page.waitForSelector('body[data-ready="true"]');
    const selected = await page.evaluate(() => window.ptychoLab.useBackend('webgl'));
    assert.deepEqual(selected, { ok: true, backend: 'webgl' }, `WebGL unavailable. Browser log:\n${browser.logs.join('\n')}`);
  });

  after(async () => {
    await browser?.close();
  });

  // 4096² gets a [4096, 8192] texture, one object row per texture row. 5000×6000 does not fit
  // such a layout under a maximum texture size of 8192, so tfjs gives it a near-square texture
  // in which object rows straddle texture rows.
  for (const [height, width] of [[4096, 4096], [5000, 6000]]) {
    test(`webgl ${height}×${width} object is addressed exactly`, async () => {
      await assertExactAtSize(page, 'webgl', height, width);
    });
  }

  test('webgl object past the texture limit is rejected', async () => {
    const maxTextureSize = await page.evaluate(async () => {
      await window.ptychoLab.useBackend('webgl');
      return window.ptychoLab.tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
    });
    // maxTextureSize² complex pixels are 2·maxTextureSize² floats, twice what one texture stores.
    console.log(`webgl: WEBGL_MAX_TEXTURE_SIZE ${maxTextureSize}, so ${maxTextureSize}² is rejected`);
    for (const kernel of ['extractPatches', 'overlapSum']) {
      const message = await page.evaluate(
        ({ kernel, side }) => window.ptychoLab.largeObjectError(kernel, side, side),
        { kernel, side: maxTextureSize },
      );
      assert.match(message ?? 'no error', /WEBGL_MAX_TEXTURE_SIZE/, `${kernel} at ${maxTextureSize}²`);
    }
  });

  test('cpu 8192² object is addressed exactly', async () => {
    await assertExactAtSize(page, 'cpu', 8192, 8192);
  });
});
