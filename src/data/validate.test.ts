import { describe, expect, it } from 'vitest';

import type { ScanDataset } from './dataset';
import { validateScanDataset } from './validate';

function makeDataset(overrides: Partial<ScanDataset> = {}): ScanDataset {
  const patternCount = 3;
  const patternSize = 4;
  const intensities = new Float32Array(patternCount * patternSize * patternSize).map((_, index) => (index % 5) + 1);
  return {
    name: 'test',
    patternCount,
    patternSize,
    intensities,
    positionX_px: new Float32Array([0, 1, 2]),
    positionY_px: new Float32Array([0, 0, 0]),
    probe: new Float32Array(2 * patternSize * patternSize).fill(1),
    provenance: 'generated in the test',
    ...overrides,
  };
}

describe('validateScanDataset', () => {
  it('returns no issues for a valid dataset', () => {
    expect(validateScanDataset(makeDataset())).toEqual({ errors: [], warnings: [] });
  });

  it('accepts a dataset without a probe', () => {
    expect(validateScanDataset(makeDataset({ probe: null })).errors).toEqual([]);
  });

  it('counts NaN and Inf and locates the first', () => {
    const dataset = makeDataset();
    dataset.intensities[21] = Number.NaN;
    dataset.intensities[40] = Infinity;
    const { errors } = validateScanDataset(dataset);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'non-finite', field: 'intensities', count: 2, firstIndex: 21 });
    expect(errors[0].message).toContain('2 NaN or infinite values');
    expect(errors[0].message).toContain('pattern 1, row 1, column 1 (flat index 21)');
  });

  it('rejects negative counts', () => {
    const dataset = makeDataset();
    dataset.intensities[3] = -2;
    const { errors } = validateScanDataset(dataset);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'negative-count', count: 1, firstIndex: 3 });
    expect(errors[0].message).toContain('The first is -2 at pattern 0, row 0, column 3');
  });

  it('warns about non-integer counts', () => {
    const dataset = makeDataset();
    dataset.intensities[17] = 0.25;
    const report = validateScanDataset(dataset);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatchObject({ code: 'non-integer-count', severity: 'warning', count: 1, firstIndex: 17 });
  });

  it('warns about all-zero patterns', () => {
    const dataset = makeDataset();
    dataset.intensities.fill(0, 16, 32);
    const report = validateScanDataset(dataset);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatchObject({ code: 'empty-pattern', count: 1, firstIndex: 1 });
    expect(report.warnings[0].message).toContain('1 pattern is all zero');
  });

  it('rejects too few positions', () => {
    const { errors } = validateScanDataset(makeDataset({ positionX_px: new Float32Array(2) }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'length-mismatch', field: 'positionX_px' });
    expect(errors[0].message).toBe('positionX_px has 2 values, but one x position per pattern (3) need 3.');
  });

  it('rejects a wrong intensities length', () => {
    const { errors } = validateScanDataset(makeDataset({ intensities: new Float32Array(47) }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'length-mismatch', field: 'intensities' });
    expect(errors[0].message).toContain('has 47 values');
    expect(errors[0].message).toContain('need 48');
  });

  it('rejects a probe of the wrong length', () => {
    const { errors } = validateScanDataset(makeDataset({ probe: new Float32Array(16) }));
    expect(errors[0]).toMatchObject({ code: 'length-mismatch', field: 'probe' });
  });

  it('rejects a non-power-of-two size', () => {
    const patternSize = 6;
    const dataset = makeDataset({
      patternSize,
      intensities: new Float32Array(3 * patternSize * patternSize).fill(1),
      probe: null,
    });
    const { errors } = validateScanDataset(dataset);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'size-not-power-of-two', field: 'patternSize' });
    expect(errors[0].message).toContain('6×6');
  });

  it('rejects a zero pattern count', () => {
    const { errors } = validateScanDataset(makeDataset({ patternCount: 0 }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'invalid-dimension', field: 'patternCount' });
  });

  it('rejects non-finite positions and probe values', () => {
    const dataset = makeDataset();
    dataset.positionY_px[2] = Number.NaN;
    dataset.probe![9] = -Infinity;
    const { errors } = validateScanDataset(dataset);
    expect(errors.map((issue) => issue.field)).toEqual(['positionY_px', 'probe']);
    expect(errors[0].message).toContain('at position 2');
    expect(errors[1].message).toContain('row 1, column 0, imaginary part (flat index 9)');
  });
});
