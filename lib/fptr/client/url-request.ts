import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { byteSourceErrorOf, type ByteSource } from './byte-source';
import {
  CONTROL_CHARS,
  FptrError,
  MAX_ERROR_TEXT,
  type FptrErrorInit,
  httpError,
  isNetworkFailure,
  networkCodeOf,
  networkError,
  parseErrorObjects,
  timeoutError,
  unreadableError,
} from './fptr-error';
import { readLimited } from './response-body';
import { parseRetryAfter, retryWaitMs, sleep } from './retry';

/**
 * Requests to the URLs FPTR hands out for file bytes (signed storage URLs, docs/fptr-api.md §2.12):
 * never with the site's credentials — this module has none — with the URL used exactly as given,
 * retried on the failures storage services ask to retry, and with errors that name the host but
 * never the signed query.
 */

export interface UrlRequest {
  method: 'GET' | 'PUT';
  /** Absolute http(s) URL, as FPTR gave it. */
  url: string;
  headers?: Record<string, string>;
  bytes?: ByteSource;
  /** Cancels the request and any wait before a retry. */
  signal?: AbortSignal;
}

export interface UrlAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, to read, or to `dump()` so the connection is kept. */
  body: Dispatcher.ResponseData['body'];
}

export interface UrlRequestPolicy {
  dispatcher: Dispatcher;
  /** Longest wait for the answer's headers, and between two chunks of a body (not a total). */
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Honour Retry-After up to this long; a longer ask fails the request. */
  maxRetryAfterMs: number;
  /** Called before every attempt (`retry` true for repeats), for the client's stats. */
  onAttempt?: (retry: boolean) => void;
}

const STORAGE = 'File storage';
/** Error answers are read this far only. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Storage services ask clients to repeat these (S3: 500 InternalError, 503 SlowDown, 400
 * RequestTimeout); repeating a PUT of the same bytes or a GET is harmless.
 */
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(['RequestTimeout', 'InternalError', 'SlowDown', 'ServiceUnavailable']);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export async function requestUrl(spec: UrlRequest, policy: UrlRequestPolicy): Promise<UrlAnswer> {
  const target = parseTarget(spec.url);
  const request = `${spec.method} ${target.origin}${target.pathname}`;
  for (let attempt = 0; ; attempt++) {
    throwIfCancelled(spec.signal);
    policy.onAttempt?.(attempt > 0);
    const failure = await attemptOnce(spec, target, request, policy);
    if (!(failure instanceof FptrError)) return failure;
    if (!failure.retryable) throw failure;
    if (attempt >= policy.maxRetries) throw failure.withNote(`(gave up after ${attempt + 1} attempts)`);
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs) throw failure;
    try {
      await sleep(retryWaitMs(attempt, failure.retryAfterMs, policy.retryBaseMs, policy.retryMaxMs), spec.signal);
    } catch {
      throwIfCancelled(spec.signal);
    }
  }
}

/** One attempt: the answer on success, the failure as an FptrError otherwise. */
async function attemptOnce(
  spec: UrlRequest,
  target: URL,
  request: string,
  policy: UrlRequestPolicy,
): Promise<UrlAnswer | FptrError> {
  const headers: Record<string, string> = { ...spec.headers };
  const stream = spec.bytes?.open();
  let streamError: unknown;
  stream?.on('error', (err) => {
    streamError = err;
  });
  if (spec.method === 'PUT') headers['content-length'] = String(spec.bytes?.length ?? 0);
  try {
    const res = await policy.dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: spec.method,
      headers,
      body: stream ?? (spec.method === 'PUT' ? '' : null),
      signal: spec.signal,
      headersTimeout: policy.timeoutMs,
      bodyTimeout: policy.timeoutMs,
    });
    if (res.statusCode < 300) return { status: res.statusCode, headers: res.headers, body: res.body };
    const answer = await readLimited(res.body, MAX_ERROR_BODY_BYTES, res.headers['content-length']);
    return storageError(
      res.statusCode,
      answer.complete ? answer.bytes : Buffer.alloc(0),
      target.origin,
      request,
      parseRetryAfter(res.headers['retry-after']),
    );
  } catch (err) {
    throwIfCancelled(spec.signal);
    const unreadable = byteSourceErrorOf(err) ?? byteSourceErrorOf(streamError);
    if (unreadable) throw unreadable;
    if (TIMEOUT_CODES.has(networkCodeOf(err))) return timeoutError(target.origin, request, policy.timeoutMs, STORAGE);
    if (isNetworkFailure(err)) return networkError(err, target.origin, request, 'the file storage');
    return unreadableError(undefined, request, err);
  } finally {
    stream?.destroy();
  }
}

function parseTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FptrError('FPTR gave a file URL that is not a valid URL', { kind: 'http' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new FptrError(`FPTR gave a file URL with the scheme ${url.protocol}; only http and https are followed`, {
      kind: 'http',
    });
  if (url.username || url.password)
    throw new FptrError('FPTR gave a file URL with a user name or password in it; it is not followed', {
      kind: 'http',
    });
  return url;
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof FptrError ? reason : new FptrError('The file transfer was cancelled', { kind: 'closed' });
}

/**
 * An error answer of the storage: FPTR's errors envelope (signed site URLs), S3's XML
 * `<Code>`/`<Message>`, or the status alone. Only those members are kept: S3 error documents
 * may quote the signature and the string that was signed.
 */
export function storageError(
  status: number,
  body: Buffer,
  origin: string,
  request: string,
  retryAfterMs?: number,
): FptrError {
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const errors = parseErrorObjects(json, clean);
  const code = xmlMember(text, 'Code');
  const init: FptrErrorInit = {
    kind: 'http',
    status,
    errors,
    request,
    retryable: RETRY_STATUS.has(status) || (code !== undefined && RETRY_CODES.has(code)),
  };
  if (retryAfterMs !== undefined) init.retryAfterMs = retryAfterMs;
  if (errors.length > 0) return new FptrError(httpError(status, errors, request).message, init);
  const message = xmlMember(text, 'Message');
  const detail = code ? ` (${code})${message ? `: ${message}` : ''}` : '';
  return new FptrError(`${STORAGE} at ${origin} answered ${status}${detail}`, init);
}

function xmlMember(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]{1,2000})</${name}>`).exec(xml);
  if (!match) return undefined;
  const value = clean(
    match[1].replace(
      /&(lt|gt|quot|apos|amp);/g,
      (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '',
    ),
  );
  return value === '' ? undefined : value;
}

function clean(text: string): string {
  const flat = text.replace(CONTROL_CHARS, ' ').trim();
  return flat.length > MAX_ERROR_TEXT ? `${flat.slice(0, MAX_ERROR_TEXT)}…` : flat;
}
