import { describe, expect, it } from 'vitest';

import { resolveDataUrl } from './useDataUrl';

const PAGE = 'http://127.0.0.1:5173/?backend=cpu';

describe('resolveDataUrl', () => {
  it('should return null without a value', () => {
    expect(resolveDataUrl(null, PAGE)).toBeNull();
    expect(resolveDataUrl('  ', PAGE)).toBeNull();
  });

  it('should resolve a relative path', () => {
    expect(resolveDataUrl('/data/scan%20one.cxi', PAGE)).toEqual({ url: 'http://127.0.0.1:5173/data/scan%20one.cxi', name: 'scan one.cxi' });
    expect(resolveDataUrl('data/a.npz', PAGE)?.url).toBe('http://127.0.0.1:5173/data/a.npz');
  });

  it('should accept an absolute same-origin URL', () => {
    expect(resolveDataUrl('http://127.0.0.1:5173/x.npz', PAGE)?.name).toBe('x.npz');
  });

  it('should reject another origin', () => {
    expect(() => resolveDataUrl('https://example.org/x.npz', PAGE)).toThrow(/not on this site/);
    expect(() => resolveDataUrl('http://127.0.0.1:8080/x.npz', PAGE)).toThrow(/not on this site/);
    expect(() => resolveDataUrl('//example.org/x.npz', PAGE)).toThrow(/not on this site/);
  });

  it('should reject other schemes', () => {
    expect(() => resolveDataUrl('javascript:alert(1)', PAGE)).toThrow(/not on this site/);
    expect(() => resolveDataUrl('data:application/octet-stream,AAAA', PAGE)).toThrow(/not on this site/);
  });
});
