import { describeValue } from '../../util/describe-value';
import { sameSite } from '../client/site-settings';

/**
 * What an `fptr-events-in` node keeps in its context store: small, versioned, plain JSON.
 * Every id at or below `high` is finished, or waited for (`gaps`), or sent and not finished
 * (`inFlight`); rows above `high` that were read but not sent live in memory only.
 */
export interface StoredCursor {
  v: 1;
  /** Highest id the node has dealt with (see above). */
  high: number;
  /** Missing ids at or below `high`, each with the epoch ms after which it is given up. */
  gaps: Array<[number, number]>;
  /** Ids at or below `high` that were sent (or claimed for sending) and not yet finished. */
  inFlight: number[];
  /** The site the ids belong to: another site's ids mean nothing here. */
  site: string;
}

/** Upper bounds of a stored cursor: a larger one was not written by this node. */
export const MAX_STORED_GAPS = 10_000;
export const MAX_STORED_IN_FLIGHT = 1000;

export type DecodedCursor =
  | { kind: 'absent' }
  | { kind: 'ok'; cursor: StoredCursor }
  /** Unusable: `reason` says why, in words a user can act on. */
  | { kind: 'unreadable'; reason: string };

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * Validates a value read from a store. Anything but a cursor of this version for this site is
 * `unreadable` with a reason, never an exception: a corrupt value must not block the node.
 */
export function decodeCursor(value: unknown, siteUrl: string): DecodedCursor {
  if (value === undefined || value === null) return { kind: 'absent' };
  if (typeof value !== 'object' || Array.isArray(value))
    return { kind: 'unreadable', reason: `it is not an object (${describeValue(value)})` };
  const v = value as Partial<Record<keyof StoredCursor, unknown>>;
  if (v.v !== 1) return { kind: 'unreadable', reason: `unknown version ${describeValue(v.v)}` };
  if (!(v.high === 0 || isId(v.high)))
    return { kind: 'unreadable', reason: `"high" is not an id (${describeValue(v.high)})` };
  if (typeof v.site !== 'string') return { kind: 'unreadable', reason: '"site" is missing' };
  if (!sameSite(v.site, siteUrl))
    return { kind: 'unreadable', reason: `it belongs to another site (${describeValue(v.site)})` };
  if (!Array.isArray(v.gaps) || v.gaps.length > MAX_STORED_GAPS)
    return { kind: 'unreadable', reason: `"gaps" is not a list of at most ${MAX_STORED_GAPS}` };
  const gaps: Array<[number, number]> = [];
  for (const gap of v.gaps as unknown[]) {
    if (
      !Array.isArray(gap) ||
      gap.length !== 2 ||
      !isId(gap[0]) ||
      typeof gap[1] !== 'number' ||
      !Number.isFinite(gap[1])
    ) {
      return { kind: 'unreadable', reason: `a gap is not [id, deadline] (${describeValue(gap)})` };
    }
    gaps.push([gap[0], gap[1]]);
  }
  if (!Array.isArray(v.inFlight) || v.inFlight.length > MAX_STORED_IN_FLIGHT) {
    return { kind: 'unreadable', reason: `"inFlight" is not a list of at most ${MAX_STORED_IN_FLIGHT}` };
  }
  const inFlight: number[] = [];
  for (const id of v.inFlight as unknown[]) {
    if (!isId(id)) return { kind: 'unreadable', reason: `an in-flight id is not an id (${describeValue(id)})` };
    inFlight.push(id);
  }
  const high = v.high;
  // Ids above `high` are read again from the log anyway; keeping them would send them twice.
  return {
    kind: 'ok',
    cursor: {
      v: 1,
      high,
      site: v.site,
      gaps: gaps.filter(([id]) => id <= high),
      inFlight: [...new Set(inFlight)].filter((id) => id <= high),
    },
  };
}
