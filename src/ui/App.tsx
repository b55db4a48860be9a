import { useEffect, useRef, useState } from 'react';

import { loadBundledSiemensStar } from '../data/siemensStar';
import type { CxiGeometry } from '../data/readers/readResult';
import { validateScanDataset } from '../data/validate';
import type { ScanDataset } from '../data/dataset';
import { parseRequestedBackend, type RequestedBackend } from '../device/policy';
import type { ReferenceObject } from '../metrics/truthComparison';
import { BackendSelect } from './components/BackendSelect';
import { DatasetPanel } from './components/DatasetPanel';
import { ComparisonPanel } from './components/ComparisonPanel';
import { ErrorPlot } from './components/ErrorPlot';
import { ExportPanel } from './components/ExportPanel';
import { HalvesPanel } from './components/HalvesPanel';
import { LossPlot } from './components/LossPlot';
import { PinnResultsPanel } from './components/PinnResultsPanel';
import { PolicyBanner } from './components/PolicyBanner';
import { ReferencePicker } from './components/ReferencePicker';
import { ResultsPanel } from './components/ResultsPanel';
import { ScanFilePicker } from './components/ScanFilePicker';
import { SimulatorPanel } from './components/SimulatorPanel';
import { SolverControls, type ReconstructionMethod } from './components/SolverControls';
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
  const [method, setMethod] = useState<ReconstructionMethod>('pie');
  // A loaded model has no training record, so the loss chart shows only for a network trained here.
  const trainingPinn = running && session.activeMethod === 'pinn' && session.pinnActivity === 'training';
  const showLosses = (session.pinnProgress?.trainLosses.length ?? 0) > 0 || trainingPinn;
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
        <BackendSelect
          value={requested}
          disabled={running}
          onChange={changeBackend}
          losses={{
            pieResult: session.snapshot !== null,
            pinnResult: session.pinnSnapshot !== null,
            pinnModel: session.pinnModelLabel !== null,
            halves: session.halves !== null,
          }}
        />
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

      <SolverControls
        session={session}
        dataset={dataset}
        method={method}
        onMethodChange={setMethod}
        running={running}
        loadingFile={loadingFile}
      />

      {/* The Fourier-error chart stays hidden while PtychoPINN is selected and no rPIE result exists. */}
      {(method === 'pie' || session.snapshot) && (
        <section className="views">
          {session.snapshot && <ResultsPanel snapshot={session.snapshot} />}
          <ErrorPlot errors={session.progress?.fourierErrors ?? []} />
        </section>
      )}

      {(showLosses || session.pinnSnapshot) && (
        <section className="views">
          {session.pinnSnapshot && <PinnResultsPanel snapshot={session.pinnSnapshot} />}
          {showLosses && (
            <LossPlot
              trainLosses={session.pinnProgress?.trainLosses ?? []}
              validationLosses={session.pinnProgress?.validationLosses ?? []}
            />
          )}
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
