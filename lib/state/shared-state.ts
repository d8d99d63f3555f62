import type { EventEmitter } from 'node:events';

/**
 * Whether shared state can be used right now:
 * - `connecting`: not yet reached since start-up (operations fail fast meanwhile);
 * - `up`: the last operation or probe succeeded;
 * - `degraded`: unreachable or refusing; operations fail fast until a probe succeeds again.
 */
export type Health = 'connecting' | 'up' | 'degraded';

/** The outcome of asking for a lease: held by the caller (with its fencing token) or by someone else. */
export type LeaseState =
  { held: true; token: number; ttlMs: number } | { held: false; holder: string; token: number; ttlMs: number };

/** Proof of leadership for a guarded write: the lease's name and the token it was granted. */
export interface Fence {
  lease: string;
  token: number;
}

/** A guarded value and the fencing token of the write that stored it. */
export interface FencedValue {
  value: unknown;
  token: number;
}

/**
 * State several Node-RED instances share (Redis), or one instance keeps to itself (memory).
 * Every operation is one round trip; an implementation that cannot reach its store rejects with
 * `StateUnavailableError` at once instead of waiting, so callers fall back to local behaviour.
 * Emits `health` (Health, reason?: string) on every change of `health`.
 */
export interface SharedState extends EventEmitter {
  /** `local`: this process only; `redis`: shared by every instance using the same server and prefix. */
  readonly kind: 'local' | 'redis';
  readonly health: Health;

  /**
   * Claims each key for `ttlMs` if nobody holds it (never claimed, expired or given back by
   * `unclaim`), atomically and all in one round trip. Resolves to one boolean per key: true =
   * claimed now by this call (new), false = already claimed (also for a repeat of a key earlier
   * in the same call). Where `seenHere[i]` is true the caller saw key i itself (a duplicate by
   * its own memory): it wins only a key given back by `unclaim`; a key nobody holds is claimed
   * all the same, answering false.
   */
  claim(keys: readonly string[], ttlMs: number, seenHere?: readonly boolean[]): Promise<boolean[]>;

  /**
   * Gives claimed keys back for `ttlMs`, in one round trip: the next claim of each wins, also by
   * a caller that saw the key itself. A delivery FPTR is asked to send again was received, not
   * processed, and must get through on whichever instance it reaches.
   */
  unclaim(keys: readonly string[], ttlMs: number): Promise<void>;

  /**
   * Acquires the lease `name` for `holderId`, or renews it when `holderId` holds it already,
   * for `ttlMs` from now. Each new acquisition gets a fencing token greater than every earlier
   * one of that lease; a renewal keeps its token.
   */
  lease(name: string, holderId: string, ttlMs: number): Promise<LeaseState>;

  /** Gives the lease up if `holderId` holds it (so a follower can take over at once). */
  release(name: string, holderId: string): Promise<void>;

  /** A value stored by `set`, with the token of the write; undefined when never stored. */
  get(key: string): Promise<FencedValue | undefined>;

  /**
   * Stores a small JSON value unless the fence is stale: refused (false) when the lease has been
   * granted to a newer holder since, or the value was written with a newer token. So a leader
   * that was paused past its lease cannot move a cursor back behind its successor.
   */
  set(key: string, value: unknown, fence: Fence): Promise<boolean>;

  close(): Promise<void>;
}

/** Shared state cannot be used right now (unreachable, timed out, refusing); fall back to local behaviour. */
export class StateUnavailableError extends Error {
  constructor(reason: string) {
    super(`shared state unavailable: ${reason}`);
    this.name = 'StateUnavailableError';
  }
}

/** Largest JSON text `set` accepts: shared state holds cursors and small lists, not data. */
export const MAX_VALUE_BYTES = 512 * 1024;

/** The JSON text of a value for `set`; a TypeError when it has none or is too big. */
export function valueText(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('shared state values must be JSON values');
  if (Buffer.byteLength(text) > MAX_VALUE_BYTES)
    throw new TypeError(`shared state values are limited to ${MAX_VALUE_BYTES} bytes of JSON`);
  return text;
}

/** A TTL as the whole milliseconds stores take (at least 1). */
export function wholeMs(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`a time to live must be a positive number of ms, got ${ms}`);
  return Math.max(1, Math.ceil(ms));
}
