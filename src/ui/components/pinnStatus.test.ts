// Status text of the PtychoPINN controls, and which method's status each panel shows, rendered to
// static markup without a browser.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { defaultsFor } from '../../solvers/pie/options';
import { defaultPinnRunOptions } from '../../solvers/pinn/runOptions';
import type { PinnProgress, PinnRunSummary, RunSummary } from '../../worker/protocol';
import type { ReconstructionSession } from '../useReconstruction';
import { describePinnTime } from './ComparisonPanel';
import { describeNetworkInput, describePatternsUsed, describeTrainingSchedule } from './PinnPanel';
import { describeResume, PinnProgressPanel } from './PinnProgressPanel';
import { describePinnSummary } from './PinnSummaryLine';
import { SolverControls } from './SolverControls';

const TRAINED: PinnRunSummary = {
  kind: 'training',
  modelSource: 'trained',
  epochsDone: 3,
  interruptedEpoch: null,
  stopReason: 'epochs',
  training_ms: 12_000,
  inference_ms: 1500,
  parameterCount: 40_000,
  patternSize: 32,
  patternCount: 64,
  backend: 'cpu',
};

const INFERRED: PinnRunSummary = { ...TRAINED, kind: 'inference', inference_ms: 5200, patternCount: 516 };

const PROGRESS: PinnProgress = {
  stage: 'training',
  epochsDone: 3,
  epochs: 3,
  batchesDone: 0,
  batchesPerEpoch: 4,
  trainLosses: [-1, -2, -3],
  validationLosses: [-1, -2, -3],
  learningRate: 1e-3,
  elapsed_ms: 12_000,
};

const PIE_SUMMARY: RunSummary = { iterationsDone: 3, stopped: false, fourierErrors: [], elapsed_ms: 3200, backend: 'cpu' };

function fakeSession(overrides: Partial<ReconstructionSession>): ReconstructionSession {
  const session: Partial<ReconstructionSession> = {
    resolution: null,
    deviceError: null,
    workerReady: true,
    options: defaultsFor('rpie'),
    runState: 'finished',
    runError: null,
    progress: null,
    summary: PIE_SUMMARY,
    startPoint: null,
    pinnOptions: defaultPinnRunOptions,
    pinnSettingsNotice: null,
    pinnProgress: PROGRESS,
    pinnSummary: TRAINED,
    activeMethod: 'pinn',
    pinnActivity: 'training',
    pinnResume: null,
    pinnModelLabel: 'trained here: 3 epochs',
    ...overrides,
  };
  return session as ReconstructionSession;
}

function renderControls(method: 'pie' | 'pinn', session: ReconstructionSession): string {
  return renderToStaticMarkup(
    createElement(SolverControls, {
      session,
      dataset: null,
      method,
      onMethodChange: () => {},
      running: false,
      loadingFile: false,
    }),
  );
}

describe('SolverControls status lines', () => {
  it('shows only PtychoPINN status in its panel', () => {
    const html = renderControls('pinn', fakeSession({}));
    expect(html).toContain('PtychoPINN finished after 3 epochs');
    expect(html).not.toContain('Finished after 3 iterations');
  });

  it('shows only rPIE status in its panel', () => {
    const html = renderControls('pie', fakeSession({}));
    expect(html).toContain('Finished after 3 iterations');
    expect(html).not.toContain('PtychoPINN finished');
  });

  it('shows an error in the panel of its method', () => {
    const session = fakeSession({ runError: 'Training failed.', runState: 'failed', activeMethod: 'pinn' });
    expect(renderControls('pinn', session)).toContain('Training failed.');
    expect(renderControls('pie', session)).not.toContain('Training failed.');
  });
});

describe('PinnProgressPanel after an inference', () => {
  const render = (running: boolean, summary: PinnRunSummary | null) =>
    renderToStaticMarkup(
      createElement(PinnProgressPanel, {
        progress: PROGRESS,
        running,
        activity: 'inference',
        summary,
        scanPatternCount: 516,
      }),
    );

  it('names the patterns while running', () => {
    const html = render(true, null);
    expect(html).toContain('Reconstructing 516 patterns with the model…');
    expect(html).not.toContain('Epoch 0 of 0');
  });

  it('gives the time when done and keeps the training record', () => {
    const html = render(false, INFERRED);
    expect(html).toContain('Reconstructed 516 patterns with the model in 5.2 s.');
    expect(html).toContain('Epoch 3 of 3');
    expect(html).not.toContain('learning rate 0.0e+0');
  });
});

describe('describePinnSummary', () => {
  it('uses the singular for one epoch', () => {
    expect(describePinnSummary({ ...TRAINED, epochsDone: 1, stopReason: 'cancelled' })).toMatch(
      /^PtychoPINN stopped after 1 epoch on 64 patterns/,
    );
  });

  it('names an interrupted epoch', () => {
    const summary = {
      ...TRAINED,
      epochsDone: 2,
      stopReason: 'cancelled' as const,
      interruptedEpoch: { epoch: 3, batchesDone: 2, batchesPerEpoch: 4 },
    };
    expect(describePinnSummary(summary)).toMatch(
      /^PtychoPINN stopped during epoch 3 \(2 epochs completed, 2 of 4 batches of epoch 3\)/,
    );
  });

  it('mentions no stitch before the first epoch', () => {
    const summary = {
      ...TRAINED,
      epochsDone: 0,
      stopReason: 'cancelled' as const,
      inference_ms: 0,
      interruptedEpoch: { epoch: 1, batchesDone: 3, batchesPerEpoch: 31 },
    };
    expect(describePinnSummary(summary)).toMatch(
      /stopped during epoch 1 \(0 epochs completed, .*training 12\.0 s, no object stitched before the first epoch completes\.$/,
    );
  });

  it('describes an inference', () => {
    expect(describePinnSummary(INFERRED)).toBe(
      'PtychoPINN reconstructed 516 patterns of 32² with the model: inference and stitching 5.20 s on cpu.',
    );
  });

  it('describes a stop before training', () => {
    expect(describePinnSummary({ ...TRAINED, kind: 'not-started' })).toMatch(/previous model, if any, is kept/);
  });
});

describe('describeResume', () => {
  it('uses the singular for one epoch', () => {
    expect(describeResume({ fromEpoch: 3, epochs: 1, interruptedEpoch: null, blockedReason: null })).toMatch(
      /^Resume continues from epoch 3 for 1 more epoch \(to epoch 4\), with the same weights/,
    );
  });

  it('finishes the interrupted epoch first', () => {
    const note = describeResume({
      fromEpoch: 2,
      epochs: 2,
      interruptedEpoch: { epoch: 3, batchesDone: 2, batchesPerEpoch: 4 },
      blockedReason: null,
    });
    expect(note).toMatch(/continues from epoch 2 for 2 more epochs \(to epoch 4\), starting with the rest of epoch 3 \(batch 3 of 4\)/);
  });
});

describe('PinnPanel notes', () => {
  it('gives the resolution of the actual crop', () => {
    expect(describeNetworkInput(64, 128)).toMatch(/2× larger than rPIE's: half of the resolution \(128 → 64\)/);
    expect(describeNetworkInput(32, 128)).toMatch(/4× larger than rPIE's: a quarter of the resolution \(128 → 32\)/);
    expect(describeNetworkInput(64, 64)).toBe("The network reads the full 64 × 64 patterns, at rPIE's resolution.");
  });

  it('says when Patterns used exceeds the scan', () => {
    expect(describePatternsUsed(600, 516)).toBe('The scan has 516 patterns, fewer than 600, so training uses all 516.');
    expect(describePatternsUsed(64, 516)).toBeNull();
    expect(describePatternsUsed(0, 516)).toBeNull();
  });

  it('states the training schedule', () => {
    // PtychoPINN's published recipe: a 5 % validation split, halving on plateau and early stopping.
    const schedule = describeTrainingSchedule();
    expect(schedule).toMatch(/holds out 5 % of the patterns/);
    expect(schedule).toMatch(/halves after 2 epochs without a lower validation loss \(down to 0\.00001\)/);
    expect(schedule).toMatch(/stops after 6 such epochs/);
  });
});

describe('describePinnTime', () => {
  it('gives training and inference times of a training run', () => {
    expect(describePinnTime(TRAINED)).toBe('PtychoPINN: training 12 s (3 epochs, with a preview after each), inference and stitching 1.5 s on cpu');
  });

  it('keeps the training time of a model trained here', () => {
    expect(describePinnTime(INFERRED)).toBe(
      'PtychoPINN: model trained here in 12 s (3 epochs), inference and stitching 5.2 s on cpu',
    );
  });

  it('names a loaded model', () => {
    expect(describePinnTime({ ...INFERRED, modelSource: 'loaded', training_ms: 0 })).toBe(
      'PtychoPINN: loaded model (3 epochs), inference and stitching 5.2 s on cpu',
    );
  });
});
