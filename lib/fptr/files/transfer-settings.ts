import { describeValue } from '../../util/describe-value';
import { FileInputError } from './file-input-error';

/*
 * Transfer settings as users write them, shared by the nodes and their editors (no Node
 * built-ins here: the editor bundle includes this module).
 */

export const MB = 1024 * 1024;
/** S3's rule for every part but the last (docs/fptr-api.md §2.12). */
export const MIN_PART_MB = 5;
/** S3's largest part. */
export const MAX_PART_MB = 5120;
export const DEFAULT_MULTIPART_ABOVE_MB = 100;
export const DEFAULT_PART_SIZE_MB = 8;

export const VARIANTS = ['original', 'thumbnail'] as const;
export type Variant = (typeof VARIANTS)[number];

export const DOWNLOAD_OUTPUTS = ['buffer', 'file'] as const;

/** A size in MB (a number, or digits in text) as bytes, from `minMb` to `maxMb`. */
function megabytes(value: unknown, what: string, minMb: number, maxMb: number): number {
  const mb = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof mb !== 'number' || !Number.isFinite(mb) || mb < minMb || mb > maxMb) {
    const range = maxMb === Infinity ? `at least ${minMb}` : `from ${minMb} to ${maxMb}`;
    throw new FileInputError(`${what} must be a number of MB ${range} (got ${describeValue(value)})`);
  }
  return Math.round(mb * MB);
}

/** Multipart above this many MB (0: always). */
export function parseMultipartAbove(value: unknown, what: string): number {
  return megabytes(value, what, 0, Infinity);
}

export function parsePartSize(value: unknown, what: string): number {
  return megabytes(value, what, MIN_PART_MB, MAX_PART_MB);
}

export function parseVariant(value: unknown): Variant {
  if (VARIANTS.includes(value as Variant)) return value as Variant;
  throw new FileInputError(`variant must be original or thumbnail (got ${describeValue(value)})`);
}
