import { parseByteSize } from '../../util/byte-size';
import type { FptrClientOptions } from './client';
import { FptrError } from './fptr-error';

/** What the fptr-site dialog holds: properties plus credentials, as strings from the editor. */
export interface SiteSettings {
  url?: unknown;
  authType?: unknown;
  scriptName?: unknown;
  scriptKey?: unknown;
  login?: unknown;
  password?: unknown;
  sudoAs?: unknown;
  /** Requests in flight; empty = default. */
  maxConcurrency?: unknown;
  /** Per-request timeout in seconds; empty = default. */
  timeout?: unknown;
  /** How often a failed call is repeated at most; empty = default. */
  maxRetries?: unknown;
  /** Time budget of one call, repeats and pauses included, in seconds; empty = default. */
  deadline?: unknown;
}

/** What settings.js may say about every fptr-site. */
export interface SiteRuntimeSettings {
  /** Largest FPTR answer read, e.g. "64mb" or a number of bytes; unset = the client's default. */
  fptrSiteMaxResponseSize?: unknown;
}

/** A JavaScript string cannot hold much more, so a larger answer could never be read anyway. */
const MAX_RESPONSE_SIZE_LIMIT = 512 * 1024 ** 2;
const MAX_CONCURRENCY_LIMIT = 64;
const MAX_TIMEOUT_SECONDS = 600;
const MAX_RETRIES_LIMIT = 10;
const MAX_DEADLINE_SECONDS = 3600;

/** fptr-site settings → client options; an FptrError (kind `config`) names the first problem. */
export function siteClientOptions(s: SiteSettings, runtime: SiteRuntimeSettings = {}): FptrClientOptions {
  const url = text(s.url);
  if (!url) throw invalid('Site URL is required');
  const authType = text(s.authType) || 'script';
  let auth: FptrClientOptions['auth'];
  if (authType === 'script') {
    auth = { grant: 'client_credentials', scriptName: text(s.scriptName), scriptKey: secret(s.scriptKey) };
  } else if (authType === 'user') {
    auth = { grant: 'password', login: text(s.login), password: secret(s.password) };
  } else {
    throw invalid(`Unknown authentication type "${authType}" (expected "script" or "user")`);
  }
  // Empty settings stay undefined: the client then uses its own defaults.
  return {
    url,
    auth,
    sudoAs: text(s.sudoAs) || undefined,
    maxConcurrency: optionalWholeNumber(s.maxConcurrency, 'Concurrency', 1, MAX_CONCURRENCY_LIMIT),
    timeoutMs: optionalSeconds(s.timeout, 'Timeout', MAX_TIMEOUT_SECONDS),
    maxRetries: optionalWholeNumber(s.maxRetries, 'Retries', 0, MAX_RETRIES_LIMIT),
    deadlineMs: optionalSeconds(s.deadline, 'Time budget', MAX_DEADLINE_SECONDS),
    maxResponseBytes: maxResponseBytes(runtime.fptrSiteMaxResponseSize),
  };
}

/**
 * Whether two site URLs lead to the same site (as the client would call it): same scheme, host,
 * port and path. False when either cannot be used as a site URL.
 */
export function sameSite(a: unknown, b: unknown): boolean {
  const key = (value: unknown): string | undefined => {
    try {
      const url = new URL(text(value));
      if (url.username || url.password || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
      return url.origin + url.pathname.replace(/\/+$/, '');
    } catch {
      return undefined;
    }
  };
  const left = key(a);
  return left !== undefined && left === key(b);
}

/**
 * The URL of a site whose settings failed, for messages and badges: as typed when it is a
 * plain URL, empty when it cannot be parsed or carries a user name or password.
 */
export function safeSiteUrl(value: unknown): string {
  const raw = text(value);
  try {
    const url = new URL(raw);
    return url.username || url.password ? '' : raw;
  } catch {
    return '';
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

/** Secrets are used exactly as typed: spaces may be part of a password. */
function secret(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function optionalNumber(value: unknown, what: string): number | undefined {
  const raw = text(value);
  if (raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw invalid(`${what} must be a number`);
  return n;
}

function optionalWholeNumber(value: unknown, what: string, min: number, max: number): number | undefined {
  const n = optionalNumber(value, what);
  if (n !== undefined && (!Number.isInteger(n) || n < min || n > max)) throw invalid(`${what} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A duration in seconds (fractions allowed) as milliseconds. */
function optionalSeconds(value: unknown, what: string, max: number): number | undefined {
  const seconds = optionalNumber(value, what);
  if (seconds === undefined) return undefined;
  if (seconds <= 0 || seconds > max) throw invalid(`${what} must be more than 0 and at most ${max} seconds`);
  return seconds * 1000;
}

function maxResponseBytes(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const bytes = parseByteSize(value);
  if (bytes === undefined || bytes > MAX_RESPONSE_SIZE_LIMIT) {
    throw invalid('fptrSiteMaxResponseSize in settings.js must be a size up to 512mb, such as "64mb"');
  }
  return bytes;
}

function invalid(message: string): FptrError {
  return new FptrError(message, { kind: 'config' });
}
