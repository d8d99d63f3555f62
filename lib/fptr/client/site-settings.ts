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

/** Letters, digits, `-` and `_` between dots (IDN hosts arrive as punycode), or an IPv6 address in brackets. */
const HOST_NAME = /^(?:[A-Za-z0-9_-]+\.)*[A-Za-z0-9_-]+\.?$|^\[[0-9A-Fa-f:.]+\]$/;

/** A JavaScript string cannot hold much more, so a larger answer could never be read anyway. */
const MAX_RESPONSE_SIZE_LIMIT = 512 * 1024 ** 2;

/**
 * The site's URL as the client calls it. Only http(s), and no user name or password in it:
 * credentials belong in the credential fields, which never reach a flow or a log.
 */
export function parseSiteUrl(value: unknown): URL {
  let url: URL;
  try {
    url = new URL(text(value));
  } catch {
    throw invalid('Site URL is not a valid URL (expected e.g. https://yoursite.shotgrid.autodesk.com)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid('Site URL must start with https:// or http://');
  if (url.username || url.password) throw invalid('Site URL must not contain a user name or password');
  // Browsers and Node differ on odd host names (Chromium keeps "https:// x", Node refuses it);
  // a plain DNS name or IP address reads the same in both, so the editor agrees with the runtime.
  if (!HOST_NAME.test(url.hostname)) throw invalid('Site URL must name a host such as yoursite.shotgrid.autodesk.com');
  return url;
}

/** The dialog's URL field: required, and a URL the client can call (the client itself checks it when it is built). */
export function checkSiteUrl(value: unknown): URL {
  if (!text(value)) throw invalid('Site URL is required');
  return parseSiteUrl(value);
}

/**
 * The rule of each number field of the dialog: empty means the client's default (undefined);
 * anything else must be within the limits or an FptrError (kind `config`) names the field. The
 * editor checks the same fields with these functions (lib/editor).
 */
export const SITE_NUMBER_FIELDS = {
  maxConcurrency: (value: unknown): number | undefined => optionalWholeNumber(value, 'Concurrency', 1, 64),
  timeout: (value: unknown): number | undefined => optionalSeconds(value, 'Timeout', 600),
  maxRetries: (value: unknown): number | undefined => optionalWholeNumber(value, 'Retries', 0, 10),
  deadline: (value: unknown): number | undefined => optionalSeconds(value, 'Time budget', 3600),
} as const;

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
    maxConcurrency: SITE_NUMBER_FIELDS.maxConcurrency(s.maxConcurrency),
    timeoutMs: seconds(SITE_NUMBER_FIELDS.timeout(s.timeout)),
    maxRetries: SITE_NUMBER_FIELDS.maxRetries(s.maxRetries),
    deadlineMs: seconds(SITE_NUMBER_FIELDS.deadline(s.deadline)),
    maxResponseBytes: maxResponseBytes(runtime.fptrSiteMaxResponseSize),
  };
}

/** The site a URL leads to, as the client would call it: scheme, host, port and path. */
export function siteKey(url: URL): string {
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** Whether two site URLs lead to the same site. False when either cannot be used as a site URL. */
export function sameSite(a: unknown, b: unknown): boolean {
  const key = (value: unknown): string | undefined => {
    try {
      return siteKey(parseSiteUrl(value));
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
  if (n !== undefined && (!Number.isInteger(n) || n < min || n > max))
    throw invalid(`${what} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A duration in seconds, fractions allowed. */
function optionalSeconds(value: unknown, what: string, max: number): number | undefined {
  const n = optionalNumber(value, what);
  if (n !== undefined && (n <= 0 || n > max)) throw invalid(`${what} must be more than 0 and at most ${max} seconds`);
  return n;
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 1000;
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
