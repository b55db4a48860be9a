/**
 * The error that every reader in src/data throws for malformed or unsupported input.
 *
 * The message has four parts so a user can act on it without reading the code:
 * what failed, the rule the input broke, what the input contained, and what to do next.
 */
export interface DataFormatErrorDetails {
  /** Name of the file being read, as the user chose or the app bundled it. */
  file: string;
  /** Entry inside an archive (such as `data.npy` in an .npz), or null for a file read on its own. */
  entry?: string | null;
  /** Short description of the failure, such as "the NPY header is invalid". */
  problem: string;
  /** The rule the input broke, such as "An NPY file starts with the bytes \x93NUMPY". */
  rule: string;
  /** Description of the offending input, such as the bytes or shape found. */
  received: string;
  /** Advice on how the user can fix or replace the input. */
  action: string;
  /** The lower-level error that revealed the problem, if any. */
  cause?: unknown;
}

export class DataFormatError extends Error {
  override readonly name = 'DataFormatError';
  readonly file: string;
  readonly entry: string | null;
  readonly problem: string;
  readonly rule: string;
  readonly received: string;
  readonly action: string;

  constructor(details: DataFormatErrorDetails) {
    super(formatMessage(details), details.cause === undefined ? undefined : { cause: details.cause });
    this.file = details.file;
    this.entry = details.entry ?? null;
    this.problem = details.problem;
    this.rule = details.rule;
    this.received = details.received;
    this.action = details.action;
  }
}

/** File name and archive entry that a reader passes down, so its errors can name them. */
export interface DataLocation {
  file: string;
  entry?: string | null;
}

function formatMessage(details: DataFormatErrorDetails): string {
  const location = details.entry ? `${details.file} (entry ${details.entry})` : details.file;
  return [
    `${location}: ${asSentence(details.problem)}`,
    asSentence(details.rule),
    asSentence(`Received ${details.received}`),
    asSentence(details.action),
  ].join(' ');
}

function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** Formats up to `limit` leading bytes as hexadecimal, for messages about unrecognised content. */
export function describeLeadingBytes(bytes: Uint8Array, limit = 8): string {
  if (bytes.length === 0) {
    return 'an empty input (0 bytes)';
  }
  const hexBytes = Array.from(bytes.subarray(0, limit), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const suffix = bytes.length > limit ? ' …' : '';
  return `${bytes.length} bytes starting with ${hexBytes}${suffix}`;
}

/** Formats a byte count with a binary unit, such as "2 GiB" or "9.3 GiB". */
export function formatBytes(count: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
