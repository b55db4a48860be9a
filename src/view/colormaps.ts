/**
 * Colour maps as 256-entry RGB lookup tables.
 *
 * Wrapped phase needs a cyclic map, so that −π and +π get the same colour and phase wraps show no
 * edge. The cyclic map interpolates linearly between four anchor colours and returns to the first.
 * A phase range much narrower than 2π does not wrap, and a cyclic map would give its two ends the
 * same colour, so such ranges use 'phaseRamp', an ordered map whose lightness rises from end to end
 * ({@link phaseColormapFor} picks between the two).
 * The amplitude map is a purple → blue → green → yellow ramp whose anchors follow viridis.
 */
export type ColormapName = 'phase' | 'phaseRamp' | 'amplitude' | 'gray';

export type Colormap = Uint8Array;

function interpolateAnchors(anchors: [number, number, number][], cyclic: boolean): Colormap {
  const table = new Uint8Array(256 * 3);
  const segments = cyclic ? anchors.length : anchors.length - 1;
  for (let i = 0; i < 256; i += 1) {
    const position = (i / (cyclic ? 256 : 255)) * segments;
    const segment = Math.min(Math.floor(position), segments - 1);
    const fraction = position - segment;
    const from = anchors[segment];
    const to = anchors[(segment + 1) % anchors.length];
    for (let c = 0; c < 3; c += 1) {
      table[i * 3 + c] = Math.round(from[c] + (to[c] - from[c]) * fraction);
    }
  }
  return table;
}

const tables: Record<ColormapName, Colormap> = {
  // Cyclic: light grey → blue → dark → red → back to light grey.
  phase: interpolateAnchors(
    [
      [226, 217, 226],
      [94, 131, 193],
      [47, 20, 55],
      [180, 70, 60],
    ],
    true,
  ),
  // Ordered: navy → violet → crimson → orange → pale yellow, with CIE L* rising from about 12 to 93.
  phaseRamp: interpolateAnchors(
    [
      [25, 25, 80],
      [95, 45, 140],
      [190, 65, 100],
      [240, 140, 50],
      [250, 235, 165],
    ],
    false,
  ),
  amplitude: interpolateAnchors(
    [
      [68, 1, 84],
      [59, 82, 139],
      [33, 145, 140],
      [94, 201, 98],
      [253, 231, 37],
    ],
    false,
  ),
  gray: interpolateAnchors(
    [
      [0, 0, 0],
      [255, 255, 255],
    ],
    false,
  ),
};

export function getColormap(name: ColormapName): Colormap {
  return tables[name];
}

/**
 * Smallest displayed phase span, in radians, that is drawn with the cyclic map. Phase wrapped to
 * (−π, π] that uses most of the cycle spans close to 2π; 0.9·2π leaves room for a few unused
 * values at the ends.
 */
export const CYCLIC_PHASE_MIN_SPAN_RAD = 0.9 * 2 * Math.PI;

/**
 * Picks the map for a phase image shown over [low_rad, high_rad]. A range that covers about a
 * whole cycle gets the cyclic map. A narrower one gets the ordered 'phaseRamp', so that its ends
 * (for example 0 and 1 rad) get clearly different colours.
 */
export function phaseColormapFor(low_rad: number, high_rad: number): 'phase' | 'phaseRamp' {
  return high_rad - low_rad >= CYCLIC_PHASE_MIN_SPAN_RAD ? 'phase' : 'phaseRamp';
}

/** Returns the map to draw with: `name`, except that 'phase' becomes {@link phaseColormapFor} of the range. */
export function resolveColormap(name: ColormapName, low: number, high: number): ColormapName {
  return name === 'phase' ? phaseColormapFor(low, high) : name;
}
