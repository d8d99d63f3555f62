/*
 * The fptr-site shared-state settings, checked the same way at deploy and in the editor (this
 * module goes into the browser bundle: no Node built-ins). Browsers and Node parse `redis://`
 * URLs differently (a scheme they do not know), so the grammar here is explicit.
 */

/** Key prefix when the site names none: every key this package writes starts with it. */
export const DEFAULT_PREFIX = 'fptr:';

/** Longest accepted prefix; keys are built from it on every operation. */
const MAX_PREFIX_LENGTH = 100;

/**
 * scheme, optional user (no password: see below), host (DNS name, IPv4, or bracketed IPv6),
 * optional port, optional database number.
 */
const REDIS_URL =
  /^(rediss?):\/\/(?:([^:@/\s]*)(:[^@/\s]*)?@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(?:\/(\d{0,5}))?$/;

/**
 * Why `url` cannot name a Redis server for shared state, or undefined when it can (empty means
 * shared state is off, also fine). The password never goes in the URL: the URL is a plain
 * property that goes into flow exports, the password has its own credential field.
 */
export function redisUrlProblem(url: unknown): string | undefined {
  if (url === undefined || url === null) return undefined;
  if (typeof url !== 'string') return 'the Redis URL must be text';
  const trimmed = url.trim();
  if (trimmed === '') return undefined;
  const match = REDIS_URL.exec(trimmed);
  if (!match) {
    return /^rediss?:\/\//i.test(trimmed)
      ? 'the Redis URL is not of the form redis://host:port/db'
      : 'the Redis URL must start with redis:// or rediss://';
  }
  const [, , user, password, host, port] = match;
  if (password !== undefined)
    return 'put the Redis password in its own field, not in the URL (the URL is exported with the flow)';
  if (user === '') return 'the Redis URL is not of the form redis://host:port/db';
  if (host.startsWith('.') || host.endsWith('-') || host.includes('..')) return 'the Redis URL names no valid host';
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return 'the Redis port must be 1 to 65535';
  return undefined;
}

/** Why `prefix` cannot be a key prefix, or undefined. Blank means DEFAULT_PREFIX; spaces around it do not count. */
export function redisPrefixProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return 'the Redis key prefix must be text';
  const prefix = value.trim();
  if (prefix.length > MAX_PREFIX_LENGTH) return `the Redis key prefix is limited to ${MAX_PREFIX_LENGTH} characters`;
  // Spaces and control characters make keys that redis-cli users cannot type or read.
  for (const char of prefix) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x20 || code === 0x7f) return 'the Redis key prefix must not contain spaces or control characters';
  }
  return undefined;
}

/** The prefix to use: the setting, or DEFAULT_PREFIX when blank. */
export function redisPrefix(prefix: string | undefined): string {
  return prefix?.trim() ? prefix.trim() : DEFAULT_PREFIX;
}
