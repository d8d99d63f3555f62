/** Key prefix when the site names none: every key this package writes starts with it. */
export const DEFAULT_PREFIX = 'fptr:';

/** Longest accepted prefix; keys are built from it on every operation. */
const MAX_PREFIX_LENGTH = 100;

/**
 * Why `url` cannot name a Redis server for shared state, or undefined when it can: only
 * `redis://` and `rediss://` (TLS), a host, and no password in the URL, since the URL is a
 * plain property that goes into flow exports — the password has its own credential field.
 */
export function redisUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the Redis URL is not a URL (redis://host:6379 or rediss://host:6380)';
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return 'the Redis URL must start with redis:// or rediss://';
  if (!parsed.hostname) return 'the Redis URL names no host';
  if (parsed.password) return 'put the Redis password in the password field, not in the URL (the URL is exported with the flow)';
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db)) return 'the Redis URL path must be a database number (e.g. /0)';
  if (parsed.search || parsed.hash) return 'the Redis URL takes no query or fragment';
  return undefined;
}

/** Why `prefix` cannot be a key prefix, or undefined. Empty means DEFAULT_PREFIX. */
export function redisPrefixProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_PREFIX_LENGTH) return `the Redis key prefix is limited to ${MAX_PREFIX_LENGTH} characters`;
  // Control characters and spaces make keys that redis-cli users cannot type or read.
  if (/[\s\u0000-\u001f\u007f]/.test(prefix)) return 'the Redis key prefix must not contain spaces or control characters';
  return undefined;
}

/** A URL with no credentials in it, for logs and badges. */
export function redisUrlForDisplay(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
