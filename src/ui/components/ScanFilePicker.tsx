import { useEffect, useRef, useState, type DragEvent } from 'react';

import type { ScanDataset } from '../../data/dataset';
import type { ScanMapping } from '../../data/readers/detect';
import type { MeasurementDomain } from '../../data/readers/readResult';
import { startParseWorker, type ParseClient } from '../../worker/parseClient';
import type { MappingRequest, ParseOptions, ParseProgress, ParsedScan, ScanSource } from '../../worker/parseService';
import { resolveDataUrl } from '../useDataUrl';
import { MappingDialog } from './MappingDialog';
import { ReadSummary } from './ReadSummary';

interface Props {
  disabled: boolean;
  /** Called with true when a file starts being read and false when reading ends. */
  onLoadingChange(loading: boolean): void;
  /**
   * Called with the dataset of a file that passed validation, and the validation warnings.
   * Returning false means the page did not take the dataset, so the picker keeps the previous
   * file's summary.
   */
  onLoaded(dataset: ScanDataset, warnings: string[]): void | boolean;
  /** Called with everything the reader returned, for pages that show more than the dataset. */
  onParsed?(parsed: ParsedScan): void;
  /** The page's `?data=` value (see useDataUrl), opened once on mount; null or absent for none. */
  dataUrl?: string | null;
}

/** The file being read, for the progress bar. */
interface Reading {
  name: string;
  progress: ParseProgress | null;
}

/** The last loaded file, kept so that the measurement domain can be changed by reading it again. */
interface Loaded {
  parsed: ParsedScan;
  source: ScanSource;
  mapping: ScanMapping | null;
}

const ACCEPTED = '.npz,.cxi,.h5,.hdf5';
const KEPT = 'The previous scan is still loaded.';

/**
 * Opens a local .npz (tike's or PtychoPINN's layout, or any arrays through a mapping dialog), or
 * a CXI/HDF5 file, by drag and drop or the file picker. The file is parsed in a Web Worker and
 * never uploaded. A summary of what was read stays visible below the picker. A file that fails to
 * parse or validate leaves the current dataset in place and shows why.
 */
export function ScanFilePicker({ disabled, onLoadingChange, onLoaded, onParsed, dataUrl }: Props) {
  const clientRef = useRef<ParseClient | null>(null);
  const [reading, setReading] = useState<Reading | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [mapping, setMapping] = useState<{ request: MappingRequest; source: ScanSource; error: string | null } | null>(null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [dragging, setDragging] = useState(false);
  const busy = reading !== null;

  const client = () => {
    clientRef.current ??= startParseWorker();
    return clientRef.current;
  };
  useEffect(() => () => clientRef.current?.terminate(), []);

  // A file dropped beside the drop zone would make the browser navigate to it and lose the page.
  useEffect(() => {
    const ignoreFileDrop = (event: globalThis.DragEvent) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    };
    window.addEventListener('dragover', ignoreFileDrop);
    window.addEventListener('drop', ignoreFileDrop);
    return () => {
      window.removeEventListener('dragover', ignoreFileDrop);
      window.removeEventListener('drop', ignoreFileDrop);
    };
  }, []);

  const accept = (parsed: ParsedScan, source: ScanSource, usedMapping: ScanMapping | null) => {
    const errors = parsed.validation.errors.map((issue) => issue.message);
    if (errors.length > 0) {
      setProblem(`${source.name} was not loaded: ${errors.join(' ')} ${KEPT}`);
      return;
    }
    const taken = onLoaded(parsed.result.dataset, parsed.validation.warnings.map((issue) => issue.message));
    if (taken === false) return;
    setLoaded({ parsed, source, mapping: usedMapping });
    onParsed?.(parsed);
  };

  const run = async (name: string, task: (onProgress: (progress: ParseProgress) => void) => Promise<void>) => {
    setProblem(null);
    setReading({ name, progress: null });
    onLoadingChange(true);
    try {
      await task((progress) => setReading({ name, progress }));
    } finally {
      setReading(null);
      onLoadingChange(false);
    }
  };

  const open = (source: ScanSource, options: ParseOptions = {}) =>
    run(source.name, async (onProgress) => {
      try {
        const outcome = await client().read(source, options, onProgress);
        if (outcome.kind === 'mapping-required') {
          setMapping({ request: outcome, source, error: null });
          return;
        }
        setMapping(null);
        accept(outcome, source, null);
      } catch (error) {
        setProblem(`${(error as Error).message} ${KEPT}`);
      }
    });

  const applyMapping = (source: ScanSource, scanMapping: ScanMapping) =>
    run(source.name, async () => {
      try {
        const parsed = await client().applyMapping(scanMapping);
        setMapping(null);
        accept(parsed, source, scanMapping);
      } catch (error) {
        setMapping((current) => current && { ...current, error: (error as Error).message });
      }
    });

  const changeMeasurement = (domain: MeasurementDomain) => {
    if (loaded === null) return;
    if (loaded.mapping !== null) {
      void applyMapping(loaded.source, { ...loaded.mapping, measurement: domain });
    } else {
      void open(loaded.source, { measurement: domain });
    }
  };

  const openFile = (file: File | undefined) => {
    if (!file) return;
    if (disabled) {
      setProblem(`${file.name} was not opened because a reconstruction is running. Stop it (its result so far is kept), then open the file again.`);
      return;
    }
    if (busy) {
      setProblem(`${file.name} was not opened because another file is still being read. Open it again once that one has loaded.`);
      return;
    }
    void open({ kind: 'file', file, name: file.name });
  };

  // Opens the ?data= file once, on mount.
  const dataUrlOpened = useRef(false);
  useEffect(() => {
    if (dataUrlOpened.current || !dataUrl) return;
    dataUrlOpened.current = true;
    try {
      const request = resolveDataUrl(dataUrl, window.location.href);
      if (request) void open({ kind: 'url', url: request.url, name: request.name });
    } catch (error) {
      setProblem(`${(error as Error).message} ${KEPT}`);
    }
  }, [dataUrl]);

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    openFile(event.dataTransfer.files[0]);
  };

  return (
    <section className="file-picker" aria-label="Scan file">
      <div
        className={`drop-zone${dragging ? ' drop-zone-active' : ''}`}
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          event.dataTransfer.dropEffect = disabled || busy ? 'none' : 'copy';
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label className="field">
          Open a scan (.npz, .cxi, .h5): choose a file or drop it here
          <input
            type="file"
            accept={ACCEPTED}
            disabled={disabled || busy}
            onChange={(event) => {
              openFile(event.target.files?.[0]);
              event.target.value = '';
            }}
          />
        </label>
        <p className="hint">The file is read in this browser tab and never uploaded.</p>
        {disabled && (
          <p className="hint" data-testid="open-blocked">
            A reconstruction is running: stop it to open another scan.
          </p>
        )}
        {reading && <ReadingProgress reading={reading} />}
      </div>
      {problem && (
        <p className="banner banner-error" role="alert" data-testid="load-error">
          {problem}
        </p>
      )}
      {mapping && (
        <MappingDialog
          key={mapping.request.fileName + mapping.request.fileBytes}
          request={mapping.request}
          error={mapping.error}
          busy={busy}
          onApply={(scanMapping) => void applyMapping(mapping.source, scanMapping)}
          onCancel={() => setMapping(null)}
        />
      )}
      {loaded && (
        <ReadSummary
          parsed={loaded.parsed}
          disabled={disabled || busy}
          onMeasurementChange={loaded.parsed.result.measurement === null ? undefined : changeMeasurement}
        />
      )}
    </section>
  );
}

function ReadingProgress({ reading }: { reading: Reading }) {
  const progress = reading.progress;
  const mebibytes = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  let text = `Opening ${reading.name}…`;
  if (progress?.stage === 'parsing') {
    text = `Parsing ${reading.name}…`;
  } else if (progress) {
    const total = progress.totalBytes === null ? '' : ` of ${mebibytes(progress.totalBytes)}`;
    text = `Reading ${reading.name}: ${mebibytes(progress.bytesRead)}${total} MiB`;
  }
  const determinate = progress !== null && progress.stage === 'reading' && progress.totalBytes !== null;
  return (
    <div className="reading-progress" role="status">
      <progress
        aria-label={`Reading ${reading.name}`}
        max={determinate ? (progress.totalBytes ?? 1) : undefined}
        value={determinate ? progress.bytesRead : undefined}
      />
      <span>{text}</span>
    </div>
  );
}
