import { useState } from 'react';

import type { ScanDataset } from '../../data/dataset';
import { readSiemensStarNpz } from '../../data/siemensStar';
import { validateScanDataset } from '../../data/validate';

interface Props {
  disabled: boolean;
  /** Called with true when a file starts being read and false when reading ends. */
  onLoadingChange(loading: boolean): void;
  onLoaded(dataset: ScanDataset, warnings: string[]): void;
}

/**
 * Opens a local .npz in tike's layout (`data`, `probe`, `scan`), the layout of the bundled scan.
 * The file is read in the page and never uploaded. A file that fails to parse or validate leaves
 * the current dataset in place and shows why.
 */
export function ScanFilePicker({ disabled, onLoadingChange, onLoaded }: Props) {
  const [problem, setProblem] = useState<string | null>(null);

  const open = async (file: File) => {
    setProblem(null);
    onLoadingChange(true);
    try {
      const dataset = readSiemensStarNpz(await file.arrayBuffer(), file.name);
      const report = validateScanDataset(dataset);
      if (report.errors.length > 0) {
        setProblem(
          `${file.name} was not loaded: ${report.errors.map((issue) => issue.message).join(' ')} ` +
            'The previous scan is still loaded.',
        );
        return;
      }
      onLoaded(dataset, report.warnings.map((issue) => issue.message));
    } catch (error) {
      setProblem(`${(error as Error).message} The previous scan is still loaded.`);
    } finally {
      onLoadingChange(false);
    }
  };

  return (
    <div className="file-picker">
      <label className="field">
        Open a scan (.npz with tike's arrays data, probe and scan)
        <input
          type="file"
          accept=".npz"
          disabled={disabled}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) void open(file);
            event.target.value = '';
          }}
        />
      </label>
      {problem && (
        <p className="banner banner-error" role="alert" data-testid="load-error">
          {problem}
        </p>
      )}
    </div>
  );
}
