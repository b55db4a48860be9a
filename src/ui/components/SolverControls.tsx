import type { ScanDataset } from '../../data/dataset';
import { describeDefaultProbe } from '../../data/readers/stack';
import { validatePieOptions } from '../../solvers/pie/options';
import { validatePinnRunOptions } from '../../solvers/pinn/runOptions';
import type { ReconstructionSession } from '../useReconstruction';
import { PinnModelFiles } from './PinnModelFiles';
import { PinnPanel } from './PinnPanel';
import { PinnProgressPanel } from './PinnProgressPanel';
import { PinnSummaryLine } from './PinnSummaryLine';
import { formatIterations, ProgressPanel } from './ProgressPanel';
import { SolverPanel } from './SolverPanel';
import { StartPointPicker } from './StartPointPicker';

export type ReconstructionMethod = 'pie' | 'pinn';

interface Props {
  session: ReconstructionSession;
  dataset: ScanDataset | null;
  method: ReconstructionMethod;
  onMethodChange(method: ReconstructionMethod): void;
  running: boolean;
  /** True while a file is being read; starting a run then waits. */
  loadingFile: boolean;
}

/** Method choice, its settings, the run buttons, progress and how the last run ended. */
export function SolverControls({ session, dataset, method, onMethodChange: setMethod, running, loadingFile }: Props) {
  const activeSettingsValid =
    method === 'pie'
      ? validatePieOptions(session.options, dataset?.patternSize).length === 0
      : validatePinnRunOptions(session.pinnOptions, dataset?.patternSize ?? 64).length === 0;

  return (
    <section className="controls" aria-label="Solver">
      <label className="field">
        Reconstruction method
        <select
          value={method}
          disabled={running}
          onChange={(event) => setMethod(event.target.value as ReconstructionMethod)}
        >
          <option value="pie">rPIE / ePIE (iterative)</option>
          <option value="pinn">PtychoPINN (neural network, trained on this scan)</option>
        </select>
      </label>
      {method === 'pie' ? (
        <>
          <SolverPanel
            options={session.options}
            patternSize={dataset?.patternSize}
            disabled={running}
            onChange={session.setOptions}
          />
          {dataset && (
            <StartPointPicker
              dataset={dataset}
              disabled={running}
              requestedProbeModes={session.options.probeModes}
              startPoint={session.startPoint}
              onChange={session.setStartPoint}
            />
          )}
        </>
      ) : (
        <PinnPanel
          options={session.pinnOptions}
          datasetPatternSize={dataset?.patternSize ?? 64}
          patternCount={dataset?.patternCount ?? 0}
          notice={session.pinnSettingsNotice}
          disabled={running}
          onChange={session.setPinnOptions}
        />
      )}
      {dataset && dataset.probe === null && (method === 'pinn' || session.startPoint === null) && (
        <p data-testid="default-probe">
          The scan has no probe guess, so {method === 'pie' ? 'Reconstruct' : 'training'} starts from {describeDefaultProbe(dataset.patternSize)}.
        </p>
      )}
      <div className="buttons">
        <button
          type="button"
          onClick={method === 'pie' ? session.start : session.startPinn}
          disabled={running || loadingFile || !activeSettingsValid || !session.workerReady || session.deviceError !== null}
        >
          {method === 'pie' ? 'Reconstruct' : 'Train PtychoPINN'}
        </button>
        {method === 'pie' && (
          <button
            type="button"
            onClick={session.startHalves}
            disabled={running || loadingFile || !activeSettingsValid || !session.workerReady || session.deviceError !== null}
            title="Reconstruct the even and the odd positions separately and compare them by FRC"
          >
            Half-scan FRC
          </button>
        )}
        <button type="button" onClick={session.stop} disabled={session.runState !== 'running'}>
          Stop
        </button>
      </div>
      {method === 'pinn' && (
        <PinnModelFiles
          modelLabel={session.pinnModelLabel}
          disabled={running || !session.workerReady}
          onSave={session.savePinnModel}
          onLoad={session.loadPinnModel}
          onInfer={session.inferPinn}
          scan={dataset}
        />
      )}
      {method === 'pie' ? (
        <ProgressPanel progress={session.progress} running={running && session.activeMethod === 'pie'} />
      ) : (
        <PinnProgressPanel
          progress={session.pinnProgress}
          running={running && session.activeMethod === 'pinn'}
          activity={session.pinnActivity}
          summary={session.pinnSummary}
          scanPatternCount={dataset?.patternCount ?? 0}
          resume={session.pinnResume}
          resumeDisabled={running || loadingFile || !session.workerReady || session.deviceError !== null}
          onResume={session.resumePinn}
        />
      )}
      {session.runState === 'stopping' && (
        <p role="status">Stopping at the end of the current batch…</p>
      )}
      {/* Each method shows only its own error and summary. */}
      {session.runError && session.activeMethod === method && (
        <p className="banner banner-error" role="alert">
          {session.runError}
        </p>
      )}
      {method === 'pie' && session.summary && (
        <p data-testid="run-summary" data-state={session.runState}>
          {session.summary.stopped ? 'Stopped' : 'Finished'} after {formatIterations(session.summary.iterationsDone)} in{' '}
          {(session.summary.elapsed_ms / 1000).toFixed(1)} s on {session.summary.backend}.
        </p>
      )}
      {method === 'pinn' && session.pinnSummary && <PinnSummaryLine summary={session.pinnSummary} />}
    </section>
  );
}
