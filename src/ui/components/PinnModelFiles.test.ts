// Loading a model archive through the component's handler, and the model-against-scan lines,
// rendered to static markup without a browser.
import * as tf from '@tensorflow/tfjs';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { buildPinnModel } from '../../solvers/pinn/model';
import { packModelArchive, saveModelFiles, type SavedPinnModel } from '../../solvers/pinn/modelFiles';
import { testSidecar } from '../../solvers/pinn/testSidecar';
import { loadModelArchive, PinnModelFiles } from './PinnModelFiles';

const sidecar = testSidecar({ patternSize: 16, sourcePatternSize: 16, trainingScanName: 'training.npz' });

function fileOf(name: string, bytes: Uint8Array): Pick<File, 'name' | 'arrayBuffer'> {
  return { name, arrayBuffer: async () => bytes.slice().buffer };
}

/** Builds a scan of `patternCount` flat patterns of side `patternSize` with `countsPerPixel` counts in every pixel. */
function flatScan(patternSize: number, countsPerPixel: number, patternCount = 2) {
  const intensities = new Float32Array(patternCount * patternSize * patternSize).fill(countsPerPixel);
  return { patternCount, patternSize, intensities };
}

function render(props: Partial<Parameters<typeof PinnModelFiles>[0]>): string {
  return renderToStaticMarkup(
    createElement(PinnModelFiles, {
      modelLabel: 'loaded: trained on training.npz',
      disabled: false,
      onSave: async () => {
        throw new Error('not used');
      },
      onLoad: async () => {},
      onInfer: () => {},
      ...props,
    }),
  );
}

describe('loadModelArchive', () => {
  let archive: Uint8Array;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const model = buildPinnModel({ patternSize: 16, filterScale: 0.125 });
    archive = packModelArchive(await saveModelFiles(model, sidecar));
    model.dispose();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('passes a valid archive on', async () => {
    const received: SavedPinnModel[] = [];
    const outcome = await loadModelArchive(fileOf('model.zip', archive), async (files) => {
      received.push(files);
    });
    expect(outcome).toEqual({ sidecar });
    expect(received).toHaveLength(1);
  });

  it('rejects a random file with one warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const onLoad = vi.fn(async () => {});
    const outcome = await loadModelArchive(fileOf('random.zip', new Uint8Array([1, 2, 3, 4])), onLoad);
    expect(outcome.problem).toMatch(/^The model was not loaded: random\.zip is not a model archive: /);
    expect(outcome.problem).toMatch(/The previous model, if any, is kept\.$/);
    expect(onLoad).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(`[ptychoscope] ${outcome.problem}`);
  });

  it('names the file in a worker error', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const outcome = await loadModelArchive(fileOf('model.zip', archive), async () => {
      throw new Error('model.json does not describe a PtychoPINN network: Unknown layer.');
    });
    expect(outcome.problem).toBe(
      'The model was not loaded: model.zip: model.json does not describe a PtychoPINN network: Unknown layer. The previous model, if any, is kept.',
    );
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('PinnModelFiles against the scan', () => {
  it('disables Reconstruct for a model larger than the patterns', () => {
    const html = render({ modelSidecar: { ...sidecar, patternSize: 128 }, scan: flatScan(64, 1) });
    expect(html).toMatch(/<button type="button" disabled="" title="This model reads 128 × 128 patterns[^"]*">Reconstruct with this model<\/button>/);
    expect(html).toContain('data-testid="pinn-model-blocker"');
    expect(html).not.toContain('pinn-model-warning');
  });

  it('warns about a scan unlike the training scan', () => {
    // 16 × 16 pixels of 20 counts: 5120 counts per pattern, 5.1× the training scan's 1000.
    const html = render({ modelSidecar: sidecar, scan: flatScan(16, 20) });
    expect(html).toContain('<button type="button">Reconstruct with this model</button>');
    expect(html).toMatch(/data-testid="pinn-model-warning">This model may reconstruct this scan poorly\. This scan has 5,120 counts per pattern/);
  });

  it('shows nothing for a scan like the training scan', () => {
    const html = render({ modelSidecar: sidecar, scan: flatScan(16, 4) });
    expect(html).not.toContain('pinn-model-blocker');
    expect(html).not.toContain('pinn-model-warning');
  });

  it('skips the check without a model', () => {
    const html = render({ modelLabel: null, modelSidecar: { ...sidecar, patternSize: 128 }, scan: flatScan(64, 1) });
    expect(html).not.toContain('pinn-model-blocker');
  });
});
