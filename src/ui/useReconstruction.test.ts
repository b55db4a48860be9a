import { describe, expect, it } from 'vitest';

import { defaultPinnRunOptions } from '../solvers/pinn/runOptions';
import type { PinnRunSummary } from '../worker/protocol';
import {
  describeTrainedModel,
  fitPinnOptionsToScan,
  pinnOptionsForModel,
  pinnResumeBlockedReason,
} from './useReconstruction';

describe('pinnResumeBlockedReason', () => {
  it('allows a different epoch count', () => {
    expect(pinnResumeBlockedReason(defaultPinnRunOptions, { ...defaultPinnRunOptions, epochs: 7 })).toBeNull();
  });

  it('names every changed setting', () => {
    const reason = pinnResumeBlockedReason(defaultPinnRunOptions, {
      ...defaultPinnRunOptions,
      batchSize: 8,
      filterScale: 0.5,
    });
    expect(reason).toMatch(/^The batch size and network width changed since this network was trained\./);
    expect(reason).toMatch(/press Train PtychoPINN/);
  });

  it('rejects an invalid epoch count', () => {
    expect(pinnResumeBlockedReason(defaultPinnRunOptions, { ...defaultPinnRunOptions, epochs: 0 })).toMatch(
      /Epochs must be a whole number from 1 to 10000 to resume, received 0/,
    );
  });
});

describe('fitPinnOptionsToScan', () => {
  it('lowers an input too large for the scan', () => {
    const fitted = fitPinnOptionsToScan({ ...defaultPinnRunOptions, patternSize: 128 }, 64);
    expect(fitted.options.patternSize).toBe(64);
    expect(fitted.notice).toBe(
      "Network input changed from 128 × 128 to 64 × 64, the largest that this scan's 64 × 64 patterns allow.",
    );
  });

  it('takes the largest power of two below the pattern size', () => {
    expect(fitPinnOptionsToScan({ ...defaultPinnRunOptions, patternSize: 64 }, 48).options.patternSize).toBe(32);
  });

  it('keeps an input that fits', () => {
    const options = { ...defaultPinnRunOptions, patternSize: 32 };
    expect(fitPinnOptionsToScan(options, 128)).toEqual({ options, notice: null });
  });

  it('leaves scans under 16 px to validation', () => {
    expect(fitPinnOptionsToScan(defaultPinnRunOptions, 8).notice).toBeNull();
  });
});

describe('pinnOptionsForModel', () => {
  it('takes the loaded model input and width', () => {
    const adjusted = pinnOptionsForModel(defaultPinnRunOptions, { patternSize: 32, filterScale: 0.125 }, 128);
    expect(adjusted.options.patternSize).toBe(32);
    expect(adjusted.options.filterScale).toBe(0.125);
    expect(adjusted.options.epochs).toBe(defaultPinnRunOptions.epochs);
    expect(adjusted.notice).toBe("Network input and width set to the loaded model's: 32 × 32, width × 0.125.");
  });

  it('keeps an input the scan cannot take', () => {
    const adjusted = pinnOptionsForModel(
      { ...defaultPinnRunOptions, patternSize: 32 },
      { patternSize: 128, filterScale: 0.5 },
      64,
    );
    expect(adjusted.options.patternSize).toBe(32);
    expect(adjusted.options.filterScale).toBe(0.5);
    expect(adjusted.notice).toMatch(/The model reads 128 × 128 patterns, larger than this scan's 64 × 64/);
  });
});

describe('describeTrainedModel', () => {
  const summary: PinnRunSummary = {
    kind: 'training',
    modelSource: 'trained',
    epochsDone: 1,
    interruptedEpoch: null,
    stopReason: 'epochs',
    training_ms: 4000,
    inference_ms: 500,
    parameterCount: 40_000,
    patternSize: 32,
    patternCount: 64,
    backend: 'cpu',
  };

  it('uses the singular for one epoch', () => {
    expect(describeTrainedModel(summary)).toBe('trained here: 1 epoch on 64 patterns of 32², 0.04 M parameters');
  });

  it('names the interrupted epoch', () => {
    const stopped = { ...summary, epochsDone: 2, interruptedEpoch: { epoch: 3, batchesDone: 1, batchesPerEpoch: 4 } };
    expect(describeTrainedModel(stopped)).toMatch(/^trained here: 2 epochs and 1 of 4 batches of epoch 3 on/);
  });
});
