/**
 * The `?data=URL` address parameter, which opens a scan file served by this site when the page
 * loads. Only same-origin addresses are accepted, so that the page never contacts another host.
 */
import { useState } from 'react';

/** A same-origin scan file to fetch, with the name shown in messages. */
export interface DataUrlRequest {
  url: string;
  name: string;
}

/**
 * Resolves a `?data=` value against the page address. Returns null for no value. Throws Error
 * when the value is not a valid URL, is not http(s), or is on another origin.
 */
export function resolveDataUrl(value: string | null, pageHref: string): DataUrlRequest | null {
  if (value === null || value.trim() === '') return null;
  const page = new URL(pageHref);
  let resolved: URL;
  try {
    resolved = new URL(value, page);
  } catch (error) {
    throw new Error(`The ?data= address ${JSON.stringify(value)} is not a valid URL. Give a path on this site, such as ?data=/scans/scan.cxi.`, {
      cause: error,
    });
  }
  if (resolved.origin !== page.origin || (resolved.protocol !== 'http:' && resolved.protocol !== 'https:')) {
    throw new Error(
      `The ?data= address ${resolved.href} is not on this site (${page.origin}), so it was not opened. ` +
        'Ptychoscope reads only files served by this site or chosen on this machine, and sends no data elsewhere. ' +
        'Download the file and open it with the file picker.',
    );
  }
  const name = decodeURIComponent(resolved.pathname.split('/').pop() ?? '') || resolved.pathname;
  return { url: resolved.href, name };
}

/** Returns the page's `?data=` value, read once when the component mounts, or null. */
export function useDataUrl(): string | null {
  const [value] = useState(() => new URLSearchParams(window.location.search).get('data'));
  return value;
}
