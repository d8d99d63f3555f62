import type { Readable } from 'node:stream';
import { InputError } from '../../util/errors';

/**
 * Bytes a request sends, read afresh for every attempt: a retried request sends them again from
 * the start, and nothing holds more than the chunk in flight.
 */
export interface ByteSource {
  /** Sent as Content-Length: storage services refuse chunked uploads. */
  readonly length: number;
  open(): Readable;
}

/**
 * The bytes could not be read (a file deleted, unreadable or changed while it was sent). Not a
 * network failure: sending again would fail the same way, so requests are not repeated for it.
 */
export class ByteSourceError extends InputError {}

/** The ByteSourceError behind a failed request, looking through `cause`. */
export function byteSourceErrorOf(err: unknown): ByteSourceError | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    if (e instanceof ByteSourceError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
