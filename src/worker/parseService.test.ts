import { describe, expect, it, vi } from 'vitest';

import { expectedReaders, maxRelativeError, readReaderFixture } from '../../test/fixtures/readers/readerFixtures';
import { sliceableBlob } from '../../test/fixtures/sliceableBlob';
import { createNpyArray } from '../data/npy';
import { writeNpz } from '../data/npz';
import type { ScanMapping } from '../data/readers/detect';
import { startParseWorker, type ParseWorkerMessage, type ParseWorkerRequest } from './parseClient';
import { createParseService, transferablesOf, type ParseProgress } from './parseService';

const ORIGIN = 'http://127.0.0.1:5173';

function fixtureFile(name: string) {
  return { kind: 'file' as const, file: new Blob([new Uint8Array(readReaderFixture(name))]), name };
}

function service(progress: ParseProgress[] = [], fetchStub?: typeof fetch) {
  return createParseService({ origin: ORIGIN, onProgress: (update) => progress.push(update), fetch: fetchStub, progressInterval_ms: 0 });
}

const UNKNOWN_LAYOUT_MAPPING: ScanMapping = {
  stackKey: 'frames',
  zeroFrequency: 'centre',
  positions: { kind: 'pairs', key: 'pos_yx_m', xComponent: 1 },
  positionUnit: 'metres',
  objectPixelSize_m: 5e-8,
  positionReference: 'centre',
  probeKey: 'illum',
};

describe('parse service', () => {
  it('should read a PtychoPINN file with progress', async () => {
    const progress: ParseProgress[] = [];
    const outcome = await service(progress).read(fixtureFile('pinn-amplitude.npz'), {});
    if (outcome.kind !== 'dataset') throw new Error('expected a dataset');
    const expected = expectedReaders['pinn-amplitude.npz'];
    expect(outcome.result.format).toBe('ptychopinn-npz');
    expect(maxRelativeError(outcome.result.dataset.intensities, expected.intensities, 1e-3)).toBeLessThan(1e-5);
    expect(outcome.result.measurement?.assumed).toBe('amplitude');
    expect(outcome.summary.patternCount).toBe(6);
    expect(outcome.validation.errors).toEqual([]);
    const size = readReaderFixture('pinn-amplitude.npz').length;
    expect(outcome.fileBytes).toBe(size);
    expect(progress.some((update) => update.stage === 'reading' && update.bytesRead === size && update.totalBytes === size)).toBe(true);
    expect(progress.at(-1)?.stage).toBe('parsing');
  });

  it('should read .npz members lazily', async () => {
    const fixture = new Uint8Array(readReaderFixture('pinn-amplitude.npz'));
    const { blob, readSlice } = sliceableBlob(fixture);
    const progress: ParseProgress[] = [];
    const outcome = await createParseService({ origin: ORIGIN, onProgress: (update) => progress.push(update), progressInterval_ms: 0, readSlice }).read(
      { kind: 'file', file: blob, name: 'pinn-amplitude.npz' },
      {},
    );
    if (outcome.kind !== 'dataset') throw new Error('expected a dataset');
    expect(maxRelativeError(outcome.result.dataset.intensities, expectedReaders['pinn-amplitude.npz'].intensities, 1e-3)).toBeLessThan(1e-5);
    expect(outcome.fileBytes).toBe(fixture.length);
    expect(progress.at(-1)).toEqual({ stage: 'parsing', bytesRead: fixture.length, totalBytes: fixture.length });
  });

  it('should read a stored stack once', async () => {
    // 40 patterns of 64 × 64 float32 amplitudes (640 KiB), stored as numpy.savez stores them.
    const patternCount = 40;
    const size = 64;
    const amplitudes = Float32Array.from({ length: patternCount * size * size }, (_, i) => (i % 997) / 10);
    const file = writeNpz(
      {
        diffraction: createNpyArray('float32', [patternCount, size, size], amplitudes),
        xcoords: createNpyArray('float64', [patternCount], Float64Array.from({ length: patternCount }, (_, i) => 40 + 3 * i)),
        ycoords: createNpyArray('float64', [patternCount], Float64Array.from({ length: patternCount }, (_, i) => 40 + 2 * i)),
      },
      { compression: 'store' },
    );
    const { blob, readSlice, calls } = sliceableBlob(file);
    const lazy = await createParseService({ origin: ORIGIN, onProgress: () => {}, readSlice }).read({ kind: 'file', file: blob, name: 'big.npz' }, {});
    const whole = await createParseService({ origin: ORIGIN, onProgress: () => {}, readSlice: null }).read({ kind: 'file', file: new Blob([new Uint8Array(file)]), name: 'big.npz' }, {});
    if (lazy.kind !== 'dataset' || whole.kind !== 'dataset') throw new Error('expected datasets');

    const intensities = lazy.result.dataset.intensities;
    expect(intensities).toEqual(whole.result.dataset.intensities);
    // Pattern 0, pixel [0, 0] is the stored pixel [32, 32] (inverse fftshift), squared.
    const stored = amplitudes[32 * size + 32];
    expect(intensities[0]).toBeCloseTo(stored * stored, 4);
    // The archive's tail (at most 64 KiB plus the end records) and then each member once.
    const bytesRead = calls.reduce((sum, [start, end]) => sum + end - start, 0);
    expect(bytesRead).toBeLessThan(file.length + 70_000);
    // The intensities live in the buffer read for the stack member, not in a further copy.
    expect(intensities.buffer.byteLength).toBeLessThan(intensities.byteLength + 1024);
  });

  it('should force the measurement domain', async () => {
    const outcome = await service().read(fixtureFile('pinn-amplitude.npz'), { measurement: 'counts' });
    if (outcome.kind !== 'dataset') throw new Error('expected a dataset');
    expect(outcome.result.measurement?.assumed).toBe('counts');
    expect(outcome.result.measurement?.forced).toBe(true);
  });

  it('should read a CXI file', async () => {
    const outcome = await service().read(fixtureFile('scan-n3.cxi'), {});
    if (outcome.kind !== 'dataset') throw new Error('expected a dataset');
    expect(outcome.result.format).toBe('cxi');
    expect(outcome.result.geometry?.distance_m).toBe(2);
  });

  it('should reject a truncated file with its name', async () => {
    const bytes = readReaderFixture('pinn-amplitude.npz');
    const source = { kind: 'file' as const, file: new Blob([new Uint8Array(bytes.subarray(0, 500))]), name: 'cut.npz' };
    await expect(service().read(source, {})).rejects.toThrow(/cut\.npz/);
  });

  it('should keep the archive for a mapping', async () => {
    const parser = service();
    const outcome = await parser.read(fixtureFile('unknown-layout.npz'), {});
    if (outcome.kind !== 'mapping-required') throw new Error('expected a mapping request');
    expect(outcome.arrays.map((array) => array.key).sort()).toEqual(['frames', 'illum', 'label', 'pos_yx_m']);
    expect(outcome.arrays.find((array) => array.key === 'frames')?.shape).toEqual([6, 16, 16]);

    await expect(parser.applyMapping({ ...UNKNOWN_LAYOUT_MAPPING, stackKey: 'label' })).rejects.toThrow(/label/);
    const parsed = await parser.applyMapping(UNKNOWN_LAYOUT_MAPPING);
    const expected = expectedReaders['unknown-layout.npz'];
    expect(parsed.result.format).toBe('mapped-npz');
    expect(maxRelativeError(parsed.result.dataset.positionX_px, expected.positionX_px, 1)).toBeLessThan(1e-5);
    expect(maxRelativeError(parsed.result.dataset.positionY_px, expected.positionY_px, 1)).toBeLessThan(1e-5);
  });

  it('should keep the HDF5 bytes for a mapping', async () => {
    const parser = service();
    const outcome = await parser.read(fixtureFile('beamline-generic.h5'), {});
    if (outcome.kind !== 'mapping-required') throw new Error('expected a mapping request');
    expect(outcome.arrays.find((array) => array.key === '/data/frames')?.shape).toEqual([6, 16, 16]);
    expect(outcome.fileBytes).toBe(readReaderFixture('beamline-generic.h5').length);

    const mapping: ScanMapping = {
      stackKey: '/data/frames',
      zeroFrequency: 'centre',
      positions: { kind: 'separate', xKey: '/positions/x', yKey: '/positions/y' },
      positionUnit: 'pixels',
      positionReference: 'corner',
      probeKey: null,
    };
    await expect(parser.applyMapping({ ...mapping, stackKey: '/positions/x' })).rejects.toThrow(/positions\/x/);
    const parsed = await parser.applyMapping(mapping);
    const expected = expectedReaders['beamline-generic.h5'];
    expect(parsed.result.format).toBe('mapped-hdf5');
    expect(maxRelativeError(parsed.result.dataset.intensities, expected.intensities)).toBeLessThan(1e-6);
    expect(maxRelativeError(parsed.result.dataset.positionX_px, expected.positionX_px)).toBeLessThan(1e-6);
    expect(parsed.summary.patternCount).toBe(6);
  });

  it('should forget the HDF5 bytes on the next read', async () => {
    const parser = service();
    await parser.read(fixtureFile('beamline-generic.h5'), {});
    await parser.read(fixtureFile('scan-n3.cxi'), {});
    await expect(parser.applyMapping(UNKNOWN_LAYOUT_MAPPING)).rejects.toThrow(/No file is waiting/);
  });

  it('should reject a mapping without a pending file', async () => {
    await expect(service().applyMapping(UNKNOWN_LAYOUT_MAPPING)).rejects.toThrow(/Open the \.npz or HDF5 file again/);
  });

  it('should reject a URL on another origin', async () => {
    const fetchStub = vi.fn();
    const source = { kind: 'url' as const, url: 'https://example.org/scan.npz', name: 'scan.npz' };
    await expect(service([], fetchStub as unknown as typeof fetch).read(source, {})).rejects.toThrow(/another site/);
    expect(fetchStub).not.toHaveBeenCalled();
  });

  it('should fetch a same-origin URL', async () => {
    const bytes = readReaderFixture('scan-n3.cxi');
    const fetchStub = vi.fn(async () => new Response(new Blob([new Uint8Array(bytes)]), { headers: { 'Content-Length': String(bytes.length) } }));
    const progress: ParseProgress[] = [];
    const source = { kind: 'url' as const, url: '/data/scan-n3.cxi', name: 'scan-n3.cxi' };
    const outcome = await service(progress, fetchStub as unknown as typeof fetch).read(source, {});
    expect(fetchStub).toHaveBeenCalledWith(`${ORIGIN}/data/scan-n3.cxi`, { credentials: 'same-origin' });
    expect(outcome.kind).toBe('dataset');
    expect(progress.some((update) => update.bytesRead === bytes.length && update.totalBytes === bytes.length)).toBe(true);
  });

  it('should report a failed fetch', async () => {
    const fetchStub = vi.fn(async () => new Response('missing', { status: 404, statusText: 'Not Found' }));
    const source = { kind: 'url' as const, url: '/nothing.npz', name: 'nothing.npz' };
    await expect(service([], fetchStub as unknown as typeof fetch).read(source, {})).rejects.toThrow(/404 Not Found/);
  });

  it('should list each buffer once for transfer', async () => {
    const outcome = await service().read(fixtureFile('pinn-amplitude.npz'), {});
    const buffers = transferablesOf(outcome);
    expect(new Set(buffers).size).toBe(buffers.length);
    if (outcome.kind !== 'dataset') throw new Error('expected a dataset');
    expect(buffers).toContain(outcome.result.dataset.intensities.buffer);
    expect(buffers).toContain(outcome.result.dataset.probe?.buffer);
  });
});

/** A Worker stand-in that runs the parse service in the same thread through the message protocol. */
class FakeWorker {
  onmessage: ((event: MessageEvent<ParseWorkerMessage>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  private readonly parser = createParseService({
    origin: ORIGIN,
    progressInterval_ms: 0,
    onProgress: (progress) => this.emit({ kind: 'progress', id: this.currentId, progress }),
  });
  private currentId = 0;

  postMessage(request: ParseWorkerRequest): void {
    this.currentId = request.id;
    const handler = this.parser[request.method] as (...args: unknown[]) => Promise<never>;
    handler(...request.args).then(
      (value) => this.emit({ kind: 'response', id: request.id, ok: true, value }),
      (error: Error) => this.emit({ kind: 'response', id: request.id, ok: false, error: error.message }),
    );
  }

  terminate(): void {
    this.terminated = true;
  }

  private emit(message: ParseWorkerMessage): void {
    this.onmessage?.({ data: message } as MessageEvent<ParseWorkerMessage>);
  }
}

describe('parse client', () => {
  it('should route progress and the response', async () => {
    const client = startParseWorker(() => new FakeWorker() as unknown as Worker);
    const progress: ParseProgress[] = [];
    const outcome = await client.read(fixtureFile('scan-n3.cxi'), {}, (update) => progress.push(update));
    expect(outcome.kind).toBe('dataset');
    expect(progress.length).toBeGreaterThan(0);
  });

  it('should turn worker errors into rejections', async () => {
    const client = startParseWorker(() => new FakeWorker() as unknown as Worker);
    await expect(client.applyMapping(UNKNOWN_LAYOUT_MAPPING)).rejects.toThrow(/No file is waiting/);
  });

  it('should reject pending calls on terminate', async () => {
    const fake = new FakeWorker();
    fake.postMessage = () => undefined;
    const client = startParseWorker(() => fake as unknown as Worker);
    const pending = client.read(fixtureFile('scan-n3.cxi'), {}, () => undefined);
    client.terminate();
    await expect(pending).rejects.toThrow(/stopped/);
    expect(fake.terminated).toBe(true);
  });
});

describe('parse service validation', () => {
  it('locates a NaN in the file and passes amplitudes', async () => {
    // 3 centred patterns of 8×8 amplitudes, √counts with a beam of 10000 counts at (4, 4).
    const values = new Float32Array(3 * 64).map((_, index) => Math.sqrt(index % 64 === 36 ? 10000 : 3 + (index % 7)));
    values[64 + 8 * 2 + 6] = Number.NaN;
    const bytes = writeNpz({
      diffraction: createNpyArray('float32', [3, 8, 8], values),
      xcoords: createNpyArray('float64', [3], new Float64Array([10, 13, 16])),
      ycoords: createNpyArray('float64', [3], new Float64Array([10, 10, 10])),
    });
    const outcome = await service().read({ kind: 'file', file: new Blob([new Uint8Array(bytes)]), name: 'nan.npz' }, {});
    if (outcome.kind !== 'dataset') throw new Error('expected a dataset');

    expect(outcome.result.measurement?.assumed).toBe('amplitude');
    expect(outcome.validation.errors[0].message).toContain('diffraction[1, 2, 6] in the file');
    expect(outcome.validation.warnings.map((issue) => issue.code)).not.toContain('non-integer-count');
  });
});
