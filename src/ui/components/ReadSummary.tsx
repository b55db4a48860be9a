import type { MeasurementDomain, ReadResult, ScanFileFormat } from '../../data/readers/readResult';
import type { ScanReadSummary } from '../../data/readers/scanSummary';
import type { ParsedScan } from '../../worker/parseService';

interface Props {
  parsed: ParsedScan;
  /** Re-reads the file with the measurement domain forced; absent where the format fixes it. */
  onMeasurementChange?(domain: MeasurementDomain): void;
  disabled: boolean;
}

const FORMAT_NAMES: Record<ScanFileFormat, string> = {
  'tike-npz': "tike's .npz layout (data, scan, probe)",
  'ptychopinn-npz': "PtychoPINN's .npz layout",
  cxi: 'CXI (HDF5)',
  'mapped-npz': '.npz with arrays mapped by hand',
  'mapped-hdf5': 'HDF5 with datasets mapped by hand',
};

/** Joule per kiloelectronvolt (CODATA exact elementary charge × 1000). */
const JOULES_PER_KEV = 1.602176634e-16;

/** Formats a number with `digits` significant digits and no trailing zeros. */
function formatValue(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  return Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumSignificantDigits: digits });
}

function formatMebibytes(bytes: number): string {
  return bytes < 2 ** 20 ? `${formatValue(bytes / 1024, 3)} KiB` : `${formatValue(bytes / 2 ** 20, 3)} MiB`;
}

/**
 * Shows what a reader made of a file, before a run: format, patterns, zero frequency, positions
 * and geometry, overlap and counts. It also shows the measurement domain with a control to
 * change it, every reader notice, and warnings about suspicious data.
 */
export function ReadSummary({ parsed, onMeasurementChange, disabled }: Props) {
  const { result, summary } = parsed;
  const { dataset } = result;
  // Validation warnings go to the page through onLoaded, which lists them already.
  const warnings = summary.warnings;
  // The measurement notice repeats the reason shown in the Values row.
  const notices = result.notices.filter((notice) => !(notice.topic === 'measurement-domain' && notice.message === result.measurement?.reason));
  return (
    <section className="read-summary" aria-label="File summary" data-testid="read-summary">
      <h3>
        {dataset.name} <span className="read-summary-size">({formatMebibytes(parsed.fileBytes)})</span>
      </h3>
      <dl>
        <dt>Format</dt>
        <dd data-testid="summary-format">{FORMAT_NAMES[result.format]}</dd>
        <dt>Patterns</dt>
        <dd data-testid="summary-patterns">
          {summary.patternCount} {summary.patternCount === 1 ? 'pattern' : 'patterns'} of {summary.patternSize} × {summary.patternSize} px
        </dd>
        <dt>Zero frequency</dt>
        <dd data-testid="summary-zero-frequency">{describeZeroFrequency(result)}</dd>
        <dt>Positions</dt>
        <dd data-testid="summary-positions">{describePositions(summary)}</dd>
        <dt>Object array</dt>
        <dd>
          {summary.positions.objectWidth_px} × {summary.positions.objectHeight_px} px
        </dd>
        {result.geometry && <GeometryRows result={result} />}
        <dt>Overlap</dt>
        <dd data-testid="summary-overlap">{describeOverlap(summary)}</dd>
        <dt>Photon counts</dt>
        <dd data-testid="summary-counts">
          mean {formatValue(summary.counts.meanPerPattern, 6)} per pattern, max {formatValue(summary.counts.maxPixel, 6)} in one pixel
        </dd>
        <dt>Values</dt>
        <dd data-testid="summary-measurement">
          <MeasurementRow result={result} onChange={onMeasurementChange} disabled={disabled} />
        </dd>
      </dl>
      {warnings.length > 0 && (
        <ul className="summary-warnings" aria-label="Warnings about the data">
          {warnings.map((warning) => (
            <li key={warning.message} data-testid="summary-warning">
              {warning.message}
              {warning.code === 'amplitude-doubt' && onMeasurementChange && (
                <>
                  {' '}
                  <button type="button" disabled={disabled} onClick={() => onMeasurementChange('counts')}>
                    Read as photon counts
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <ul className="summary-notices" aria-label="What the reader assumed">
        {notices.map((notice) => (
          <li key={notice.message} className={notice.severity === 'warning' ? 'notice-warning' : undefined} data-testid="summary-notice">
            {notice.severity === 'warning' ? 'Check: ' : ''}
            {notice.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Formats a pixel index on a ring of `size` pixels, showing indices past the middle as negative,
 * so that 15.99 on a 16-pixel ring reads "0.0" (next to the corner) instead of "16.0".
 */
function formatRingIndex(value: number, size: number): string {
  const signed = value > size / 2 ? value - size : value;
  const rounded = Math.round(signed * 10) / 10;
  return (rounded === 0 ? 0 : rounded).toFixed(1);
}

function describeZeroFrequency(result: ReadResult): string {
  const location = result.zeroFrequency;
  if (location === null) return 'at [0, 0], as this format stores it';
  const size = result.dataset.patternSize;
  const detected = `detected at row ${location.detectedRow_px.toFixed(1)}, column ${location.detectedColumn_px.toFixed(1)} of the stored patterns`;
  const now = `row ${formatRingIndex(location.datasetRow_px, size)}, column ${formatRingIndex(location.datasetColumn_px, size)}`;
  const conversion = location.shifted ? `moved to [0, 0] by an inverse fftshift (now ${now})` : `kept as stored (${now})`;
  return `${detected}, ${conversion}`;
}

function describePositions(summary: ScanReadSummary): string {
  const { positions } = summary;
  const metres =
    positions.extentX_m === null || positions.extentY_m === null
      ? ''
      : ` (${formatValue(positions.extentX_m * 1e6)} × ${formatValue(positions.extentY_m * 1e6)} µm)`;
  return (
    `object pixels, window corners; x from ${formatValue(positions.minX_px)} to ${formatValue(positions.maxX_px)}, ` +
    `y from ${formatValue(positions.minY_px)} to ${formatValue(positions.maxY_px)}; ` +
    `extent ${formatValue(positions.extentX_px)} × ${formatValue(positions.extentY_px)} px${metres}`
  );
}

function describeOverlap(summary: ScanReadSummary): string {
  const overlap = summary.overlap;
  if (overlap === null) return 'not defined for a single position';
  const probe = overlap.probeSource === 'file' ? "the file's probe" : 'the default probe guess';
  return (
    `${(100 * overlap.linearOverlap).toFixed(0)} % linear overlap: mean nearest-neighbour step ${formatValue(overlap.meanStep_px)} px ` +
    `against a probe footprint of ${formatValue(overlap.probeDiameter_px)} px (${probe}; diameter of a disc with the area (Σ|P|²)²/Σ|P|⁴), ` +
    'overlap = 1 − step / footprint'
  );
}

function GeometryRows({ result }: { result: ReadResult }) {
  const geometry = result.geometry;
  if (geometry === null) return null;
  return (
    <>
      <dt>Energy</dt>
      <dd data-testid="summary-energy">
        {formatValue(geometry.energy_J / JOULES_PER_KEV)} keV (wavelength {formatValue(geometry.wavelength_m * 1e9)} nm)
      </dd>
      <dt>Distance</dt>
      <dd data-testid="summary-distance">{formatValue(geometry.distance_m)} m</dd>
      <dt>Detector pixel</dt>
      <dd>
        {formatValue(geometry.detectorPixelSizeX_m * 1e6)} × {formatValue(geometry.detectorPixelSizeY_m * 1e6)} µm (x × y)
      </dd>
      <dt>Object pixel</dt>
      <dd data-testid="summary-object-pixel">
        {formatValue(geometry.objectPixelSizeX_m * 1e9)} × {formatValue(geometry.objectPixelSizeY_m * 1e9)} nm (x × y, λz / (N · detector pixel))
      </dd>
    </>
  );
}

function MeasurementRow({ result, onChange, disabled }: { result: ReadResult; onChange?(domain: MeasurementDomain): void; disabled: boolean }) {
  const decision = result.measurement;
  if (decision === null) {
    return <>photon counts, as this format stores them</>;
  }
  const assumed = decision.assumed === 'amplitude' ? 'amplitudes (√counts), squared to counts' : 'photon counts';
  return (
    <>
      <p className="measurement-decision">
        Read as {assumed}: {decision.forced ? 'chosen below, not detected.' : decision.reason}
      </p>
      {onChange && (
        <label className="field">
          The stored values are
          <select
            value={decision.assumed}
            disabled={disabled}
            onChange={(event) => onChange(event.target.value as MeasurementDomain)}
          >
            <option value="counts">photon counts</option>
            <option value="amplitude">amplitudes (√counts)</option>
          </select>
        </label>
      )}
    </>
  );
}
