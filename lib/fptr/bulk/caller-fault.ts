import { FptrError } from '../client/fptr-error';

/** HTTP refusals that say nothing about the request's content: the same for every caller in it. */
const NOT_ABOUT_CONTENT = new Set([401, 407, 408, 429]);

/**
 * Whether a combined request may have failed because of one caller's part of it (a bad field,
 * a missing record, data that cannot be sent as JSON), so sending the parts apart tells who is
 * at fault. Outages, timeouts and rate limits would fail each part the same way: splitting
 * would only multiply requests to a site that is already struggling.
 */
export function isCallerFault(err: unknown): boolean {
  if (!(err instanceof FptrError)) return false;
  if (err.kind === 'config') return true;
  return (
    err.kind === 'http' &&
    err.status !== undefined &&
    err.status >= 400 &&
    err.status < 500 &&
    !NOT_ABOUT_CONTENT.has(err.status)
  );
}
