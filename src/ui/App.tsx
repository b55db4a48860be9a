import { useEffect, useRef, useState } from 'react';

import { loadBundledSiemensStar } from '../data/siemensStar';
import type { CxiGeometry } from '../data/readers/readResult';
import { validateScanDataset } from '../data/validate';
import type { ScanDataset } from '../data/dataset';
import { parseRequestedBackend, type RequestedBackend } from '../device/policy';
import { validatePieOptions } from '../solvers/pie/options';
import type { ReferenceObject } from '../metrics/truthComparison';
import { validatePinnRunOptions } from '../solvers/pinn/runOptions';
import { BackendSelect } from './components/BackendSelect';
import { DatasetPanel } from './components/DatasetPanel';
import { ComparisonPanel } from './components/ComparisonPanel';
import { ErrorPlot } from './components/ErrorPlot';
import { ExportPanel } from './components/ExportPanel';
import { HalvesPanel } from './components/HalvesPanel';
import { LossPlot } from './components/LossPlot';
import { PinnModelFiles } from './components/PinnModelFiles';
import { PinnPanel } from './components/PinnPanel';
import { PinnProgressPanel } from './components/PinnProgressPanel';
import { PinnResultsPanel } from './components/PinnResultsPanel';
import { PinnSummaryLine } from './components/PinnSummaryLine';
import { PolicyBanner } from './components/PolicyBanner';
import { formatIterations, ProgressPanel } from './components/ProgressPanel';
import { ReferencePicker } from './components/ReferencePicker';
import { ResultsPanel } from './components/ResultsPanel';
import { ScanFilePicker } from './components/ScanFilePicker';
import { SimulatorPanel } from './components/SimulatorPanel';
import { SolverPanel } from './components/SolverPanel';
import { TruthComparisonPanel } from './components/TruthComparisonPanel';
import { useDataUrl } from './useDataUrl';
import { useReconstruction } from './useReconstruction';

function backendFromUrl(): { requested: RequestedBackend; problem: string | null } {
  const value = new URLSearchParams(window.location.search).get('backend');
  try {
    return { requested: parseRequestedBackend(value), problem: null };
  } catch (error) {
    return { requested: 'auto', problem: (error as Error).message };
  }
}

function writeBackendToUrl(requested: RequestedBackend): void {
  const url = new URL(window.location.href);
  if (requested === 'auto') url.searchParams.delete('backend');
  else url.searchParams.set('backend', requested);
  window.history.replaceState(null, '', url);
}

export function App() {
  const [{ requested, problem: urlProblem }, setRequest] = useState(backendFromUrl);
  const [dataset, setDataset] = useState<ScanDataset | null>(null);
  const [datasetError, setDatasetError] = useState<string | null>(null);
  const [datasetWarnings, setDatasetWarnings] = useState<string[]>([]);
  const [loadingFile, setLoadingFile] = useState(false);
  const [rejectedLoad, setRejectedLoad] = useState<string | null>(null);
  /** A reference object for the metrics: a simulation's truth, or an objectGuess stored in the file. */
  const [truth, setTruth] = useState<{ object: ReferenceObject; label: string } | null>(null);

  /** Detector geometry of a loaded CXI scan, which gives exported lengths in metres. */
  const [geometry, setGeometry] = useState<CxiGeometry | null>(null);

  const session = useReconstruction(requested, dataset);
  const dataUrl = useDataUrl();
  const running = session.runState === 'running' || session.runState === 'stopping';
  const [method, setMethod] = useState<'pie' | 'pinn'>('pie');
  const activeSettingsValid =
    method === 'pie'
      ? validatePieOptions(session.options).length === 0
      : validatePinnRunOptions(session.pinnOptions, dataset?.patternSize ?? 64).length === 0;
  // A file can finish parsing after a run started; the handler then reads the current state here.
  const runningRef = useRef(running);
  runningRef.current = running;

  useEffect(() => {
    if (urlProblem) writeBackendToUrl('auto');
  }, [urlProblem]);

  useEffect(() => {
    loadBundledSiemensStar()
      // A scan opened through ?data= may arrive first; the bundled one then does not replace it.
      .then((bundled) => setDataset((current) => current ?? bundled))
      .catch((error: Error) => setDatasetError(error.message));
  }, []);

  const changeBackend = (next: RequestedBackend) => {
    writeBackendToUrl(next);
    setRequest({ requested: next, problem: null });
  };

  return (
    <main className="app">
      <header className="app-header">
        <h1>Ptychoscope</h1>
        <p className="tagline">Ptychographic reconstruction in your browser. Your data never leaves this machine.</p>
      </header>

      <section className="device" aria-label="Compute backend">
        <BackendSelect value={requested} disabled={running} onChange={changeBackend} />
        {urlProblem && (
          <p className="banner banner-error" role="alert">
            {urlProblem}
          </p>
        )}
        <PolicyBanner resolution={session.resolution} error={session.deviceError} />
      </section>

      {datasetError && (
        <p className="banner banner-error" role="alert">
          {datasetError}
        </p>
      )}
      {!dataset && !datasetError && <p>Loading the bundled Siemens-star scan…</p>}
      {dataset && <DatasetPanel dataset={dataset} />}
      <ScanFilePicker
        dataUrl={dataUrl}
        onParsed={(parsed) => {
          // Called after onLoaded accepted the dataset, with what else the reader found.
          setGeometry(parsed.result.geometry ?? null);
          const guess = parsed.result.objectGuess;
          if (guess) {
            setTruth({
              object: { object: guess.values, height: guess.height, width: guess.width },
              label: "the file's objectGuess",
            });
          }
        }}
        disabled={running}
        onLoadingChange={setLoadingFile}
        onLoaded={(next, warnings) => {
          if (runningRef.current) {
            setRejectedLoad(
              `${next.name} was not loaded because a reconstruction started while it was being read. ` +
                'Stop the reconstruction, then open the file again.',
            );
            return false;
          }
          setRejectedLoad(null);
          setDataset(next);
          setTruth(null);
          setGeometry(null);
          setDatasetError(null);
          setDatasetWarnings(warnings);
        }}
      />
      <details className="simulator">
        <summary>Simulate a scan</summary>
        <SimulatorPanel
          disabled={running}
          onSimulated={(simulated) => {
            const report = validateScanDataset(simulated.dataset);
            setRejectedLoad(null);
            setDataset(simulated.dataset);
            setTruth({ object: simulated.truth, label: 'the true object' });
            setGeometry(null);
            setDatasetError(null);
            setDatasetWarnings(report.warnings.map((issue) => issue.message));
          }}
        />
      </details>
      {rejectedLoad && (
        <p className="banner banner-error" role="alert">
          {rejectedLoad}
        </p>
      )}
      {datasetWarnings.map((warning) => (
        <p className="notice" key={warning}>
          {warning}
        </p>
      ))}

      <section className="controls" aria-label="Solver">
        <label className="field">
          Reconstruction method
          <select
            value={method}
            disabled={running}
            onChange={(event) => setMethod(event.target.value as 'pie' | 'pinn')}
          >
            <option value="pie">rPIE / ePIE (iterative)</option>
            <option value="pinn">PtychoPINN (neural network, trained on this scan)</option>
          </select>
        </label>
        {method === 'pie' ? (
          <SolverPanel options={session.options} disabled={running} onChange={session.setOptions} />
        ) : (
          <PinnPanel
            options={session.pinnOptions}
            datasetPatternSize={dataset?.patternSize ?? 64}
            patternCount={dataset?.patternCount ?? 0}
            disabled={running}
            onChange={session.setPinnOptions}
          />
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
          />
        )}
        {method === 'pie' ? (
          <ProgressPanel progress={session.progress} running={running && session.activeMethod === 'pie'} />
        ) : (
          <PinnProgressPanel progress={session.pinnProgress} running={running && session.activeMethod === 'pinn'} />
        )}
        {session.runState === 'stopping' && (
          <p role="status">Stopping at the end of the current batch…</p>
        )}
        {session.runError && (
          <p className="banner banner-error" role="alert">
            {session.runError}
          </p>
        )}
        {session.summary && (
          <p data-testid="run-summary" data-state={session.runState}>
            {session.summary.stopped ? 'Stopped' : 'Finished'} after {formatIterations(session.summary.iterationsDone)} in{' '}
            {(session.summary.elapsed_ms / 1000).toFixed(1)} s on {session.summary.backend}.
          </p>
        )}
        {session.pinnSummary && <PinnSummaryLine summary={session.pinnSummary} />}
      </section>

      <section className="views">
        {session.snapshot && <ResultsPanel snapshot={session.snapshot} />}
        <ErrorPlot errors={session.progress?.fourierErrors ?? []} />
      </section>

      {(session.pinnProgress || session.pinnSnapshot) && (
        <section className="views">
          {session.pinnSnapshot && <PinnResultsPanel snapshot={session.pinnSnapshot} />}
          <LossPlot
            trainLosses={session.pinnProgress?.trainLosses ?? []}
            validationLosses={session.pinnProgress?.validationLosses ?? []}
          />
        </section>
      )}

      {session.halves && !running && <HalvesPanel halves={session.halves} />}

      {session.snapshot && session.pinnSnapshot && !running && (
        <ComparisonPanel
          pie={session.snapshot}
          pieSummary={session.summary}
          pinn={session.pinnSnapshot}
          pinnSummary={session.pinnSummary}
        />
      )}

      {dataset && session.snapshot && !running && (
        <ReferencePicker
          dataset={dataset}
          disabled={running}
          onReference={(object, label) => setTruth({ object, label })}
        />
      )}

      {truth && session.snapshot && !running && (
        <TruthComparisonPanel
          truth={truth.object}
          referenceLabel={truth.label}
          snapshot={session.snapshot}
          estimateLabel={session.options.method === 'rpie' ? 'rPIE' : 'ePIE'}
        />
      )}

      {session.snapshot && dataset && (
        <ExportPanel
          snapshot={session.snapshot}
          dataset={dataset}
          fourierErrors={session.progress?.fourierErrors ?? []}
          geometry={geometry}
        />
      )}
    </main>
  );
}
