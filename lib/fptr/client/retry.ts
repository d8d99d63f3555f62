/**
 * Exponential backoff with full jitter (a random wait between 0 and base·2^attempt, capped):
 * spreads the retries of many callers that failed at the same moment.
 * `attempt` is 0 for the first retry.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * The pause before retry number `attempt`: the backoff, or longer when the server asked for it.
 * A `Retry-After` of 0 (or a date in the past) must not remove the backoff, or a busy server
 * that says "now" gets every retry at once.
 */
export function retryWaitMs(
  attempt: number,
  retryAfterMs: number | undefined,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.max(backoffMs(attempt, baseMs, maxMs, random), retryAfterMs ?? 0);
}

/** Longer asks are read as this (a day): nobody retries that late, and the number stays finite. */
export const RETRY_AFTER_CAP_MS = 24 * 3600 * 1000;

/**
 * `Retry-After` as milliseconds from now: delta-seconds or an HTTP date, at most a day.
 * Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, RETRY_AFTER_CAP_MS);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), RETRY_AFTER_CAP_MS);
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
