import { describe, expect, it } from 'vitest';

import type { ArraySummary } from '../../data/readers/readResult';
import { axisOf, formToMapping, guessMappingForm, positionCandidates, probeCandidates, stackCandidates } from './MappingDialog';

const ARRAYS: ArraySummary[] = [
  { key: 'small', shape: [2, 4, 4], dtype: 'float32', readable: true },
  { key: 'frames', shape: [1, 6, 16, 16], dtype: 'uint16', readable: true },
  { key: 'pos_yx_m', shape: [6, 2], dtype: 'float64', readable: true },
  { key: 'x', shape: [6], dtype: 'float64', readable: true },
  { key: 'y', shape: [6], dtype: 'float64', readable: true },
  { key: 'illum', shape: [16, 16], dtype: 'complex64', readable: true },
  { key: 'label', shape: [], dtype: '<U10', readable: false, problem: 'strings' },
];

describe('mapping candidates', () => {
  it('should list real arrays with three axes as stacks', () => {
    expect(stackCandidates(ARRAYS).map((array) => array.key)).toEqual(['small', 'frames']);
  });

  it('should split pairs and vectors', () => {
    const { pairs, vectors } = positionCandidates(ARRAYS);
    expect(pairs.map((array) => array.key)).toEqual(['pos_yx_m']);
    expect(vectors.map((array) => array.key)).toEqual(['x', 'y']);
  });

  it('should list complex arrays as probes', () => {
    expect(probeCandidates(ARRAYS).map((array) => array.key)).toEqual(['illum']);
  });
});

describe('guessMappingForm', () => {
  it('should pick the largest stack and yx pairs in metres', () => {
    const form = guessMappingForm(ARRAYS);
    expect(form.stackKey).toBe('frames');
    expect(form.positionKind).toBe('pairs');
    expect(form.pairsKey).toBe('pos_yx_m');
    expect(form.xComponent).toBe('1');
    expect(form.positionUnit).toBe('metres');
    expect(form.probeKey).toBe('illum');
  });

  it('should use two vectors without pairs', () => {
    const form = guessMappingForm(ARRAYS.filter((array) => array.key !== 'pos_yx_m'));
    expect(form.positionKind).toBe('separate');
    expect(form.xKey).toBe('x');
    expect(form.yKey).toBe('y');
    expect(form.positionUnit).toBe('pixels');
  });
});

describe('axisOf', () => {
  it.each([
    ['/positions/x', 'x'],
    ['/positions/y', 'y'],
    ['probe_position_x_m', 'x'],
    ['probe_position_y_m', 'y'],
    ['xcoords', 'x'],
    ['ycoords_start', 'y'],
    ['pos.x', 'x'],
    ['/data/frames', null],
    ['index', null],
    ['/xyz', null],
  ])('should read %s as %s', (key, axis) => {
    expect(axisOf(key)).toBe(axis);
  });
});

describe('guessMappingForm for HDF5 paths', () => {
  it('should pair x and y vectors by name', () => {
    const arrays: ArraySummary[] = [
      { key: '/data/frames', shape: [6, 16, 16], dtype: 'uint16', readable: true },
      { key: '/scan/index', shape: [6], dtype: 'int64', readable: true },
      { key: '/scan/probe_position_y_m', shape: [6], dtype: 'float64', readable: true },
      { key: '/scan/probe_position_x_m', shape: [6], dtype: 'float64', readable: true },
    ];
    const form = guessMappingForm(arrays);
    expect(form.stackKey).toBe('/data/frames');
    expect(form.positionKind).toBe('separate');
    expect(form.xKey).toBe('/scan/probe_position_x_m');
    expect(form.yKey).toBe('/scan/probe_position_y_m');
    expect(form.positionUnit).toBe('metres');
  });
});

describe('formToMapping', () => {
  it('should convert a complete form', () => {
    const form = { ...guessMappingForm(ARRAYS), objectPixelSize_m: '5e-8', positionReference: 'centre' as const };
    expect(formToMapping(form)).toEqual({
      stackKey: 'frames',
      stackLayout: undefined,
      measurement: undefined,
      zeroFrequency: 'detect',
      positions: { kind: 'pairs', key: 'pos_yx_m', xComponent: 1 },
      positionUnit: 'metres',
      objectPixelSize_m: 5e-8,
      positionReference: 'centre',
      probeKey: 'illum',
    });
  });

  it('should reject metres without a pixel size', () => {
    expect(formToMapping(guessMappingForm(ARRAYS))).toMatch(/object pixel size/);
    expect(formToMapping({ ...guessMappingForm(ARRAYS), objectPixelSize_m: '-1' })).toMatch(/"-1"/);
  });

  it('should reject the same array for x and y', () => {
    const form = { ...guessMappingForm(ARRAYS), positionKind: 'separate' as const, xKey: 'x', yKey: 'x' };
    expect(formToMapping(form)).toMatch(/two different arrays/);
  });

  it('should reject a missing stack', () => {
    expect(formToMapping({ ...guessMappingForm(ARRAYS), stackKey: '' })).toMatch(/diffraction patterns/);
  });
});
