import { describe, expect, it } from 'vitest';

import { CYCLIC_PHASE_MIN_SPAN_RAD, getColormap, phaseColormapFor, resolveColormap } from './colormaps';

/** CIE 1976 L* of an sRGB colour (D65 white), from the sRGB transfer function and the Y row of the sRGB matrix. */
function lightness(rgb: ArrayLike<number>): number {
  const linear = Array.from(rgb, (value) => {
    const c = value / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}

function entry(table: Uint8Array, index: number): number[] {
  return Array.from(table.subarray(index * 3, index * 3 + 3));
}

describe('phaseColormapFor', () => {
  it('keeps the cyclic map for wrapped phase', () => {
    expect(phaseColormapFor(-Math.PI, Math.PI)).toBe('phase');
    expect(phaseColormapFor(-3.1, 3.1)).toBe('phase');
    expect(phaseColormapFor(0, CYCLIC_PHASE_MIN_SPAN_RAD)).toBe('phase');
  });

  it('uses the ordered map for narrow ranges', () => {
    expect(phaseColormapFor(0, 1)).toBe('phaseRamp');
    expect(phaseColormapFor(-0.34, 0.4)).toBe('phaseRamp');
    expect(phaseColormapFor(-2.5, 2.5)).toBe('phaseRamp');
  });

  it('resolves only the phase map', () => {
    expect(resolveColormap('phase', 0, 1)).toBe('phaseRamp');
    expect(resolveColormap('phase', -Math.PI, Math.PI)).toBe('phase');
    expect(resolveColormap('gray', -Math.PI, Math.PI)).toBe('gray');
    expect(resolveColormap('amplitude', 0, 1)).toBe('amplitude');
  });
});

describe('phaseRamp colour map', () => {
  const table = getColormap('phaseRamp');

  it('has clearly different ends', () => {
    const low = lightness(entry(table, 0));
    const high = lightness(entry(table, 255));
    expect(high - low).toBeGreaterThan(60);
  });

  it('rises in lightness along the map', () => {
    let previous = lightness(entry(table, 0));
    for (let index = 8; index < 256; index += 8) {
      const current = lightness(entry(table, index));
      expect(current, `L* at entry ${index}`).toBeGreaterThan(previous);
      previous = current;
    }
  });

  it('contrasts with cyclic map ends', () => {
    const cyclic = getColormap('phase');
    const endDifference = Math.abs(lightness(entry(cyclic, 0)) - lightness(entry(cyclic, 255)));
    expect(endDifference).toBeLessThan(3);
  });
});
