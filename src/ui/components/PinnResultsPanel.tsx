import { useMemo } from 'react';

import { toFieldImages, type FieldImages } from '../../view/fieldImages';
import type { PinnProbeState, PinnSnapshot } from '../../worker/protocol';
import { FieldView } from './FieldView';

interface Props {
  snapshot: PinnSnapshot;
}

/** Probe pixels below this fraction of the peak amplitude are left out of the phase colour range. */
const PROBE_PHASE_MIN_AMPLITUDE_FRACTION = 0.1;

interface TrainedProbeImages {
  images: FieldImages;
  /** 1 where the amplitude is high enough for the phase to mean something. */
  phaseMask: Float32Array;
  size: number;
}

/** Splits a trained probe into amplitude and phase, with the phase offset removed by intensity weights. */
function trainedProbeImages(probe: PinnProbeState | undefined): TrainedProbeImages | null {
  if (probe?.kind !== 'trained') return null;
  const pixels = probe.probeSize * probe.probeSize;
  const intensity = new Float32Array(pixels);
  let maxIntensity = 0;
  for (let i = 0; i < pixels; i += 1) {
    intensity[i] = probe.probe[2 * i] ** 2 + probe.probe[2 * i + 1] ** 2;
    maxIntensity = Math.max(maxIntensity, intensity[i]);
  }
  const threshold = PROBE_PHASE_MIN_AMPLITUDE_FRACTION ** 2 * maxIntensity;
  const phaseMask = intensity.map((value) => (value >= threshold && value > 0 ? 1 : 0));
  const images = toFieldImages(probe.probe, probe.probeSize, probe.probeSize, intensity);
  return { images, phaseMask, size: probe.probeSize };
}

/**
 * Shows the object stitched from PtychoPINN's predictions, with the phase offset removed over the
 * stitched area, and the probe when the run trained it.
 */
export function PinnResultsPanel({ snapshot }: Props) {
  const { images, mask } = useMemo(() => {
    let maxWeight = 0;
    for (const value of snapshot.weights) maxWeight = Math.max(maxWeight, value);
    const mask = snapshot.weights.map((value) => (value >= 0.5 * maxWeight ? 1 : 0));
    return { images: toFieldImages(snapshot.object, snapshot.objectWidth, snapshot.objectHeight, mask), mask };
  }, [snapshot]);
  const probe = useMemo(() => trainedProbeImages(snapshot.probe), [snapshot.probe]);
  const scaleBar_px = Math.max(10, Math.round(snapshot.objectWidth / 50) * 10);

  return (
    <section className="results-panel" aria-label="PtychoPINN reconstruction">
      <FieldView
        title="PtychoPINN phase"
        testId="pinn-phase"
        image={images.phase}
        colormap="phase"
        unit="rad"
        mask={mask}
        scaleBar_px={scaleBar_px}
      />
      <FieldView
        title="PtychoPINN amplitude"
        testId="pinn-amplitude"
        image={images.amplitude}
        colormap="gray"
        unit=""
        mask={mask}
        scaleBar_px={scaleBar_px}
      />
      {probe && (
        <>
          {/* The probe is in the network's units (the scan's probe after normalisation), so its bar has no unit. */}
          <FieldView
            title={`Trained probe amplitude (${probe.size} × ${probe.size})`}
            testId="pinn-probe-amplitude"
            image={probe.images.amplitude}
            colormap="amplitude"
            unit=""
            displayWidth_px={220}
          />
          <FieldView
            title="Trained probe phase"
            testId="pinn-probe-phase"
            image={probe.images.phase}
            colormap="phase"
            unit="rad"
            mask={probe.phaseMask}
            displayWidth_px={220}
          />
        </>
      )}
      {snapshot.probe?.kind === 'fixed' && (
        <p className="probe-modes" data-testid="pinn-probe-fixed">
          Probe: fixed, from the scan file.
        </p>
      )}
    </section>
  );
}
