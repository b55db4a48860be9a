import { useMemo } from 'react';

import { toFieldImages } from '../../view/fieldImages';
import type { PinnSnapshot } from '../../worker/protocol';
import { FieldView } from './FieldView';

interface Props {
  snapshot: PinnSnapshot;
}

/** Shows the object stitched from PtychoPINN's predictions, with the phase offset removed over the stitched area. */
export function PinnResultsPanel({ snapshot }: Props) {
  const { images, mask } = useMemo(() => {
    let maxWeight = 0;
    for (const value of snapshot.weights) maxWeight = Math.max(maxWeight, value);
    const mask = snapshot.weights.map((value) => (value >= 0.5 * maxWeight ? 1 : 0));
    return { images: toFieldImages(snapshot.object, snapshot.objectWidth, snapshot.objectHeight, mask), mask };
  }, [snapshot]);
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
    </section>
  );
}
