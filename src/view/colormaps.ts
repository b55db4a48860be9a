/**
 * Colour maps as 256-entry RGB lookup tables.
 *
 * Phase needs a cyclic map, so that −π and +π get the same colour and phase wraps show no edge.
 * The cyclic map interpolates linearly between four anchor colours and returns to the first.
 * The amplitude map is a purple → blue → green → yellow ramp whose anchors follow viridis.
 */
export type ColormapName = 'phase' | 'amplitude' | 'gray';

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
