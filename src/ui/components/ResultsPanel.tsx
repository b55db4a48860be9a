import { useMemo } from 'react';

import { toFieldImages } from '../../view/fieldImages';
import { probeModePowerShares } from '../../solvers/pie/probeModes';
import { coverageMask } from '../../view/phaseFigure';
import type { ReconstructionSnapshot } from '../../worker/protocol';
import { FieldView } from './FieldView';

interface Props {
  snapshot: ReconstructionSnapshot;
}

/**
 * Object amplitude and phase (global phase offset removed) and probe amplitude. Colour ranges
 * span the pixels the probe covered well, so the unscanned border does not wash out the contrast.
 */
export function ResultsPanel({ snapshot }: Props) {
  const { object, probe, mask, modeShares } = useMemo(() => {
    const mask = coverageMask(snapshot.coverage);
    return {
      object: toFieldImages(snapshot.object, snapshot.objectWidth, snapshot.objectHeight, snapshot.coverage),
      probe: toFieldImages(snapshot.probe, snapshot.probeSize, snapshot.probeSize),
      mask,
      modeShares: probeModePowerShares(snapshot.probeModes, snapshot.probeSize, snapshot.probeModeCount),
    };
  }, [snapshot]);

  const scaleBar_px = Math.max(10, Math.round(snapshot.objectWidth / 50) * 10);
  return (
    <section className="results-panel" aria-label="Reconstruction">
      <FieldView
        title="Object phase"
        testId="object-phase"
        image={object.phase}
        colormap="phase"
        unit="rad"
        mask={mask}
        scaleBar_px={scaleBar_px}
      />
      <FieldView
        title="Object amplitude"
        testId="object-amplitude"
        image={object.amplitude}
        colormap="gray"
        unit=""
        mask={mask}
        scaleBar_px={scaleBar_px}
      />
      <FieldView
        title="Probe amplitude"
        testId="probe-amplitude"
        image={probe.amplitude}
        colormap="amplitude"
        unit="√photons"
        displayWidth_px={220}
      />
      {modeShares.length > 1 && (
        <p className="probe-modes" data-testid="probe-mode-shares">
          Main mode shown. Power per probe mode: {modeShares.map((share) => `${(100 * share).toFixed(1)} %`).join(', ')}
        </p>
      )}
    </section>
  );
}
