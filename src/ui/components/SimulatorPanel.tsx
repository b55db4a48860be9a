import { useMemo, useState } from 'react';

import { PROBE_KIND_LABELS, type ProbeKind } from '../../data/simulator/probes';
import { SCAN_KIND_LABELS, type ScanKind } from '../../data/simulator/scans';
import {
  defaultSimulatorSettings,
  previewSimulation,
  simulateDataset,
  validateSimulatorSettings,
  type SimulatedDataset,
  type SimulatorSettings,
} from '../../data/simulator/simulateDataset';
import { BUILT_IN_OBJECT_LABELS, rgbaToGray, type BuiltInObject, type GrayImage } from '../../data/simulator/testObjects';
import { toFieldImages } from '../../view/fieldImages';
import { FieldView } from './FieldView';
import { ScanMap } from './ScanMap';

interface Props {
  disabled: boolean;
  onSimulated(simulated: SimulatedDataset): void;
}

type NumberKey =
  | 'objectSize_px'
  | 'minAmplitude'
  | 'phaseRange_rad'
  | 'probeDiameter_px'
  | 'defocus_waves'
  | 'overlap'
  | 'photonsPerPattern'
  | 'seed';

/** Largest image side accepted for upload, so decoding stays quick; the object is at most 1024 px anyway. */
const MAX_UPLOAD_SIDE_PX = 8192;

/** Decodes an image file in the page into grey values in [0, 1]. */
async function readGrayImage(file: File): Promise<GrayImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (error) {
    throw new Error(
      `${file.name} could not be decoded as an image (${(error as Error).message}). Use a PNG, JPEG, GIF, BMP or WebP file.`,
    );
  }
  if (bitmap.width > MAX_UPLOAD_SIDE_PX || bitmap.height > MAX_UPLOAD_SIDE_PX) {
    bitmap.close();
    throw new Error(
      `${file.name} is ${bitmap.width}×${bitmap.height} px; images up to ${MAX_UPLOAD_SIDE_PX} px per side are accepted. Scale it down first.`,
    );
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser could not provide a 2D canvas to read the image.');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
  return rgbaToGray(data, width, height);
}

/**
 * Builds a scan in the page from an object, a probe and a scan pattern, previews it on every change
 * and hands the simulated dataset, with its true object and probe, to the page.
 */
export function SimulatorPanel({ disabled, onSimulated }: Props) {
  const [settings, setSettings] = useState<SimulatorSettings>(defaultSimulatorSettings);
  const [uploadProblem, setUploadProblem] = useState<string | null>(null);
  const problems = validateSimulatorSettings(settings);

  const preview = useMemo(() => {
    if (validateSimulatorSettings(settings).length > 0) return { value: null, error: null };
    try {
      return { value: previewSimulation(settings), error: null };
    } catch (error) {
      return { value: null, error: (error as Error).message };
    }
  }, [settings]);

  const images = useMemo(() => {
    if (!preview.value) return null;
    const { object, objectSize_px, probe } = preview.value;
    return {
      object: toFieldImages(object, objectSize_px, objectSize_px),
      probe: toFieldImages(probe, settings.patternSize, settings.patternSize),
    };
  }, [preview.value, settings.patternSize]);

  const number = (key: NumberKey, text: string) =>
    setSettings({ ...settings, [key]: text.trim() === '' ? NaN : Number(text) });

  const upload = async (key: 'amplitudeImage' | 'phaseImage', file: File | undefined) => {
    setUploadProblem(null);
    if (!file) {
      setSettings({ ...settings, [key]: null });
      return;
    }
    try {
      setSettings({ ...settings, [key]: await readGrayImage(file) });
    } catch (error) {
      setUploadProblem(`${(error as Error).message} The previous object is kept.`);
    }
  };

  const allProblems = [...problems, ...(preview.error ? [preview.error] : []), ...(uploadProblem ? [uploadProblem] : [])];

  const generate = () => {
    if (!preview.value) return;
    onSimulated(simulateDataset(settings, preview.value));
  };

  const field = (label: string, key: NumberKey, step: number, min?: number, max?: number) => (
    <label className="field">
      {label}
      <input
        type="number"
        step={step}
        min={min}
        max={max}
        value={Number.isNaN(settings[key]) ? '' : settings[key]}
        onChange={(event) => number(key, event.target.value)}
      />
    </label>
  );

  return (
    <section className="simulator-panel" aria-label="Simulator">
      <fieldset className="solver-panel" disabled={disabled}>
        <legend>Object</legend>
        <label className="field">
          Test image
          <select
            value={settings.builtInObject}
            onChange={(event) => setSettings({ ...settings, builtInObject: event.target.value as BuiltInObject })}
          >
            {Object.entries(BUILT_IN_OBJECT_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Amplitude image (optional)
          <input type="file" accept="image/*" onChange={(event) => void upload('amplitudeImage', event.target.files?.[0])} />
        </label>
        <label className="field">
          Phase image (optional)
          <input type="file" accept="image/*" onChange={(event) => void upload('phaseImage', event.target.files?.[0])} />
        </label>
        {field('Object size (px)', 'objectSize_px', 16, 64, 1024)}
        {field('Minimum amplitude', 'minAmplitude', 0.05, 0.05, 1)}
        {field('Phase range (rad)', 'phaseRange_rad', 0.1)}
      </fieldset>
      <fieldset className="solver-panel" disabled={disabled}>
        <legend>Probe and scan</legend>
        <label className="field">
          Pattern size
          <select
            value={settings.patternSize}
            onChange={(event) => setSettings({ ...settings, patternSize: Number(event.target.value) })}
          >
            {[32, 64, 128].map((size) => (
              <option key={size} value={size}>
                {size} × {size}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Probe
          <select
            value={settings.probeKind}
            onChange={(event) => setSettings({ ...settings, probeKind: event.target.value as ProbeKind })}
          >
            {Object.entries(PROBE_KIND_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {field('Probe diameter (px)', 'probeDiameter_px', 1, 2)}
        {settings.probeKind === 'defocused-disk' && field('Defocus (waves)', 'defocus_waves', 0.5, 0, 20)}
        <label className="field">
          Scan
          <select
            value={settings.scanKind}
            onChange={(event) => setSettings({ ...settings, scanKind: event.target.value as ScanKind })}
          >
            {Object.entries(SCAN_KIND_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {field('Overlap', 'overlap', 0.05, 0, 0.95)}
        {field('Photons per pattern (0: no noise)', 'photonsPerPattern', 1e5, 0)}
        {field('Seed', 'seed', 1)}
      </fieldset>
      {allProblems.length > 0 && (
        <ul className="problems" role="alert">
          {allProblems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      {preview.value && images && (
        <div className="views" data-testid="simulator-preview">
          <FieldView title="True phase" image={images.object.phase} colormap="phase" unit="rad" displayWidth_px={200} />
          <FieldView title="True amplitude" image={images.object.amplitude} colormap="gray" unit="" displayWidth_px={200} />
          <FieldView title="Probe amplitude" image={images.probe.amplitude} colormap="amplitude" unit="" displayWidth_px={160} />
          <figure>
            <figcaption>
              {preview.value.positionX_px.length} positions, step {preview.value.step_px.toFixed(1)} px, footprint{' '}
              {preview.value.footprint_px.toFixed(1)} px
            </figcaption>
            <ScanMap
              size_px={200}
              dataset={{
                patternCount: preview.value.positionX_px.length,
                patternSize: settings.patternSize,
                positionX_px: preview.value.positionX_px,
                positionY_px: preview.value.positionY_px,
              }}
            />
          </figure>
        </div>
      )}
      <div className="buttons">
        <button type="button" onClick={generate} disabled={disabled || !preview.value}>
          Simulate and load this scan
        </button>
      </div>
    </section>
  );
}
