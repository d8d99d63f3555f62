/**
 * The `coalesce` setting of fptr-find and fptr-update: how many milliseconds a message waits
 * for others to share its request. A few ms cost a flow nothing it would notice and let a burst
 * go out as a handful of requests; 0 turns coalescing off. Shared with the editor.
 */
export const DEFAULT_COALESCE_MS = 5;
/** Longer waits would only delay messages: a burst arrives within far less. */
export const MAX_COALESCE_MS = 1000;

/** The window in ms (empty: the default), or undefined when the setting is unusable. */
export function coalesceWindow(value: unknown): number | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    return DEFAULT_COALESCE_MS;
  }
  const ms = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof ms === 'number' && Number.isInteger(ms) && ms >= 0 && ms <= MAX_COALESCE_MS ? ms : undefined;
}
