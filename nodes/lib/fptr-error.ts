import type { FptrErrorObject } from './types';

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

/** Reads FPTR's `{errors: [...]}` envelope; anything else yields an empty list. */
export function parseErrorObjects(body: unknown): FptrErrorObject[] {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.filter((e): e is FptrErrorObject => typeof e === 'object' && e !== null);
}

/** `FPTR 400 (code 103): API read() Asset.foo doesn't exist.` */
export function httpError(status: number, body: unknown, request: string, retryAfterMs?: number): FptrError {
  const errors = parseErrorObjects(body);
  const first = errors[0];
  const code = typeof first?.code === 'number' ? ` (code ${first.code})` : '';
  const title = typeof first?.title === 'string' && first.title ? first.title : statusText(status);
  const init: FptrErrorInit = { kind: 'http', status, errors, retryable: isRetryableStatus(status), request };
  if (retryAfterMs !== undefined) init.retryAfterMs = retryAfterMs;
  return new FptrError(`FPTR ${status}${code}: ${title}`, init);
}

function statusText(status: number): string {
  switch (status) {
    case 400: return 'Bad request';
    case 401: return 'Not authorised (token missing, invalid or expired)';
    case 403: return 'Forbidden';
    case 404: return 'Not found';
    case 415: return 'Unsupported content type';
    case 429: return 'Too many requests';
    case 500: return 'Server error';
    case 502: return 'Bad gateway';
    case 503: return 'Service unavailable';
    case 504: return 'Gateway timeout';
    default: return 'Unexpected response';
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
  return code === 'ENOTFOUND' || code.startsWith('CERT_') || code.startsWith('ERR_TLS')
    || code.includes('CERT') || code.includes('SELF_SIGNED') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE';
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

/** True when a network failure happened before the request could have reached FPTR. */
export function failedBeforeSend(code: string): boolean {
  return BEFORE_SEND.has(code);
}

export function networkError(err: unknown, origin: string, request: string): FptrError {
  const code = networkCodeOf(err);
  const words = NETWORK_WORDS[code]
    ?? (code.includes('CERT') || code.startsWith('ERR_TLS') ? `TLS certificate problem (${code})` : `network error (${code})`);
  return new FptrError(`Could not reach FPTR at ${origin}: ${words}`, {
    kind: 'network', request, networkCode: code, retryable: !isPermanent(code),
  });
}

export function timeoutError(origin: string, request: string, timeoutMs: number): FptrError {
  return new FptrError(`FPTR at ${origin} did not answer within ${formatSeconds(timeoutMs)}`, {
    kind: 'timeout', request, retryable: true,
  });
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
