import type { FptrErrorObject } from './api';
import { isObject } from '../../util/is-object';

/** Why a request failed, so callers (and the retry loop) need not parse messages. */
export type FptrErrorKind = 'http' | 'network' | 'timeout' | 'config' | 'closed';

export interface FptrErrorInit {
  kind: FptrErrorKind;
  status?: number;
  errors?: FptrErrorObject[];
  retryable?: boolean;
  /** `METHOD /path` of the failing request (paths carry no secrets: credentials go in bodies). */
  request?: string;
  /** Low-level error code for network failures, e.g. `ECONNREFUSED`. */
  networkCode?: string;
  /** How long FPTR asked us to wait (Retry-After), in ms. */
  retryAfterMs?: number;
}

/**
 * Every failure of the REST client. Built only from FPTR's `errors[]` and plain descriptions:
 * never from request options, headers or bodies, so no token, key or password can leak into
 * a message, a log line or a serialised error.
 */
export class FptrError extends Error {
  readonly kind: FptrErrorKind;
  readonly status?: number;
  readonly code?: number;
  readonly title?: string;
  readonly errors: FptrErrorObject[];
  readonly retryable: boolean;
  readonly request?: string;
  readonly networkCode?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, init: FptrErrorInit) {
    super(message);
    this.name = 'FptrError';
    this.kind = init.kind;
    this.errors = init.errors ?? [];
    this.retryable = init.retryable ?? false;
    if (init.status !== undefined) this.status = init.status;
    const first = this.errors[0];
    if (typeof first?.code === 'number') this.code = first.code;
    if (typeof first?.title === 'string') this.title = first.title;
    if (init.request !== undefined) this.request = init.request;
    if (init.networkCode !== undefined) this.networkCode = init.networkCode;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }

  /** A copy with extra words appended to the message (e.g. how many attempts were made). */
  withNote(note: string): FptrError {
    const copy = new FptrError(`${this.message} ${note}`, this);
    copy.stack = this.stack;
    return copy;
  }
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Line breaks and terminal escapes in a server's text would let it forge log lines. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Longest error title or detail kept from an answer (an error page can be megabytes). */
export const MAX_ERROR_TEXT = 500;
/** Most entries kept from an `errors` list, and from each object or array inside one. */
const MAX_ERROR_ENTRIES = 20;
/** How deep `source` and `meta` are kept. */
const MAX_ERROR_DEPTH = 4;

/** Turns text a server sent into text fit for an error: secrets removed, length capped. */
export type CleanText = (text: string) => string;

/**
 * Reads FPTR's `{errors: [...]}` envelope, every string passed through `clean`; anything else
 * yields an empty list. Only JSON values are kept, so the objects can be logged and serialised.
 */
export function parseErrorObjects(body: unknown, clean: CleanText): FptrErrorObject[] {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .slice(0, MAX_ERROR_ENTRIES)
    .filter(isObject)
    .map((e) => {
      const out: FptrErrorObject = {};
      if (typeof e.id === 'string') out.id = clean(e.id);
      if (typeof e.status === 'number' && Number.isFinite(e.status)) out.status = e.status;
      if (typeof e.code === 'number' && Number.isFinite(e.code)) out.code = e.code;
      if (typeof e.title === 'string') out.title = clean(e.title);
      if (typeof e.detail === 'string' || e.detail === null) out.detail = e.detail === null ? null : clean(e.detail);
      if (e.source !== undefined) out.source = cleanValue(e.source, clean, MAX_ERROR_DEPTH);
      if (e.meta !== undefined) out.meta = cleanValue(e.meta, clean, MAX_ERROR_DEPTH);
      return out;
    });
}

function cleanValue(value: unknown, clean: CleanText, depth: number): unknown {
  if (typeof value === 'string') return clean(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (depth === 0 || typeof value !== 'object') return null;
  if (Array.isArray(value)) return value.slice(0, MAX_ERROR_ENTRIES).map((v) => cleanValue(v, clean, depth - 1));
  // fromEntries defines own properties, so a key such as "__proto__" stays a plain key.
  return Object.fromEntries(
    Object.entries(value)
      .slice(0, MAX_ERROR_ENTRIES)
      .map(([k, v]) => [clean(k), cleanValue(v, clean, depth - 1)]),
  );
}

/** `FPTR 400 (code 103): API read() Asset.foo doesn't exist.` — `errors` already cleaned. */
export function httpError(
  status: number,
  errors: FptrErrorObject[],
  request: string,
  retryAfterMs?: number,
): FptrError {
  const first = errors[0];
  const code = typeof first?.code === 'number' ? ` (code ${first.code})` : '';
  const title = typeof first?.title === 'string' && first.title ? first.title : statusText(status);
  const init: FptrErrorInit = { kind: 'http', status, errors, retryable: isRetryableStatus(status), request };
  if (retryAfterMs !== undefined) init.retryAfterMs = retryAfterMs;
  return new FptrError(`FPTR ${status}${code}: ${title}`, init);
}

/** A success answer larger than the client accepts. */
export function tooLargeError(status: number, request: string, limitBytes: number): FptrError {
  return new FptrError(
    `FPTR's answer to ${request} is larger than ${formatBytes(limitBytes)}; it was not read (ask for fewer records or fields)`,
    {
      kind: 'http',
      status,
      request,
    },
  );
}

/**
 * An answer that broke the client while it read it. The cause is named by its class only: its
 * message may quote the answer (JSON.parse does), and the answer is not to be trusted.
 */
export function unreadableError(status: number | undefined, request: string, cause: unknown): FptrError {
  const what = cause instanceof Error ? cause.name : typeof cause;
  const init: FptrErrorInit = { kind: 'http', request };
  if (status !== undefined) init.status = status;
  return new FptrError(`FPTR's answer to ${request} could not be read (${what})`, init);
}

function statusText(status: number): string {
  switch (status) {
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
      return 'Redirected elsewhere (check the Site URL: use the https:// address the browser ends up at)';
    case 400:
      return 'Bad request';
    case 401:
      return 'Not authorised (token missing, invalid or expired)';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not found';
    case 415:
      return 'Unsupported content type';
    case 429:
      return 'Too many requests';
    case 500:
      return 'Server error';
    case 502:
      return 'Bad gateway';
    case 503:
      return 'Service unavailable';
    case 504:
      return 'Gateway timeout';
    default:
      return 'Unexpected response';
  }
}

/** Failures before the request reached FPTR: repeating them can never apply a write twice. */
const BEFORE_SEND = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** TLS and DNS problems that waiting will not fix. */
function isPermanent(code: string): boolean {
  return (
    code === 'ENOTFOUND' ||
    code.startsWith('CERT_') ||
    code.startsWith('ERR_TLS') ||
    code.includes('CERT') ||
    code.includes('SELF_SIGNED') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
  );
}

/** The error code undici or the socket layer attached, looking through `cause`. */
export function networkCodeOf(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return 'UNKNOWN';
}

/**
 * True for failures of the connection (a socket, DNS or TLS code, or undici's own), false for
 * exceptions without such a code, which are not worth repeating.
 */
export function isNetworkFailure(err: unknown): boolean {
  const code = networkCodeOf(err);
  return code !== 'UNKNOWN' && code !== 'UND_ERR_INVALID_ARG';
}

/** True when a network failure happened before the request could have reached FPTR. */
export function failedBeforeSend(code: string): boolean {
  return BEFORE_SEND.has(code);
}

/** `who`: what was being reached, `FPTR` or e.g. `the file storage`. */
export function networkError(err: unknown, origin: string, request: string, who = 'FPTR'): FptrError {
  const code = networkCodeOf(err);
  const words =
    NETWORK_WORDS[code] ??
    (code.includes('CERT') || code.startsWith('ERR_TLS')
      ? `TLS certificate problem (${code})`
      : `network error (${code})`);
  return new FptrError(`Could not reach ${who} at ${origin}: ${words}`, {
    kind: 'network',
    request,
    networkCode: code,
    retryable: !isPermanent(code),
  });
}

export function timeoutError(origin: string, request: string, timeoutMs: number, who = 'FPTR'): FptrError {
  return new FptrError(`${who} at ${origin} did not answer within ${formatSeconds(timeoutMs)}`, {
    kind: 'timeout',
    request,
    retryable: true,
  });
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
