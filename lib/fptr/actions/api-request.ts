import { describeValue } from '../../util/describe-value';
import { InputError } from '../../util/errors';

/**
 * Validates what `fptr-request` gets (method, path, query, body) into one request below
 * `/api/v1` of the site. The path can only name a place on the site: no scheme, host, dot
 * segments or encoded slashes, so neither the request nor the site's token can be steered
 * anywhere else. Token requests are refused: the site's client manages tokens.
 */

export class ApiRequestError extends InputError {}

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest {
  method: ApiMethod;
  /** Below `/api/v1`, starting with `/`, the query (if any) after `?`. */
  path: string;
  json?: unknown;
  contentType?: string;
  /** Reads and updates may be sent twice; creates and other POSTs only when FPTR certainly did not act. */
  idempotent: boolean;
}

export interface ApiRequestInput {
  method: unknown;
  path: unknown;
  query: unknown;
  body: unknown;
}

export const API_METHODS: readonly ApiMethod[] = ['GET', 'POST', 'PUT', 'DELETE'];
const ARRAY_FILTERS = 'application/vnd+shotgun.api3_array+json';
const HASH_FILTERS = 'application/vnd+shotgun.api3_hash+json';
/** POSTs that only read, and take their filters in a vendor content type (docs/fptr-api.md §2.5, §2.10). */
const FILTER_READS = new Set(['_search', '_summarize', '_text_search']);
/** One path segment: RFC 3986 `pchar`s. */
const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/;
const MAX_QUERY_DEPTH = 4;

export function apiRequest(input: ApiRequestInput): ApiRequest {
  const method = parseMethod(input.method);
  const path = parsePath(input.path);
  const query = parseQuery(input.query);
  const body = parseBody(input.body, method);
  const last = path.split('/').pop() ?? '';
  const filterRead = method === 'POST' && FILTER_READS.has(last);
  const request: ApiRequest = {
    method,
    path: query ? `${path}?${query}` : path,
    idempotent: method !== 'POST' || filterRead,
  };
  if (body !== undefined) {
    request.json = body;
    const filters = typeof body === 'object' && body !== null ? (body as { filters?: unknown }).filters : undefined;
    request.contentType = !filterRead
      ? 'application/json'
      : filters !== undefined && !Array.isArray(filters)
        ? HASH_FILTERS
        : ARRAY_FILTERS;
  }
  return request;
}

function parseMethod(value: unknown): ApiMethod {
  const method = typeof value === 'string' ? value.trim().toUpperCase() : value;
  if (API_METHODS.includes(method as ApiMethod)) return method as ApiMethod;
  throw new ApiRequestError(`method must be GET, POST, PUT or DELETE (got ${describeValue(value)})`);
}

/** `entity/shots/12`, `/entity/shots/12` or `/api/v1/entity/shots/12` → `/entity/shots/12`. */
export function parsePath(value: unknown): string {
  if (typeof value !== 'string')
    throw new ApiRequestError(`path must be text such as /entity/shots/12 (got ${describeValue(value)})`);
  let path = value.trim();
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path) || path.startsWith('//') || path.includes('\\')) {
    throw new ApiRequestError(`path must be a path below /api/v1 of the site, not a URL (got ${describeValue(value)})`);
  }
  if (/[?#]/.test(path))
    throw new ApiRequestError(
      `path must not hold a query or fragment: put query parameters in query (got ${describeValue(value)})`,
    );
  if (!path.startsWith('/')) path = `/${path}`;
  if (path === '/api/v1' || path.startsWith('/api/v1/')) path = path.slice('/api/v1'.length);
  if (path === '' || path === '/') return '';
  const segments = path.slice(1).replace(/\/$/, '').split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment))
      throw new ApiRequestError(
        `path has an empty segment or a character that must be percent-encoded: ${describeValue(segment)}`,
      );
    const decoded = decodeURIComponent(segment);
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded))
      throw new ApiRequestError(`path must not climb or hide segments (${describeValue(segment)})`);
  }
  if (decodeURIComponent(segments[0]).toLowerCase() === 'auth')
    throw new ApiRequestError("path must not be a token request: the site's client gets and renews tokens itself");
  return `/${segments.join('/')}`;
}

/**
 * An object (`{fields: 'code', page: {size: 10}}` → `fields=code&page[size]=10`, lists joined
 * with commas as FPTR writes them), `a=1&b=2` text, or nothing.
 */
function parseQuery(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return new URLSearchParams(value.trim().replace(/^\?/, '')).toString();
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ApiRequestError(`query must be an object or text such as fields=code (got ${describeValue(value)})`);
  const params = new URLSearchParams();
  addParams(params, '', value as Record<string, unknown>, 0);
  return params.toString();
}

function addParams(params: URLSearchParams, prefix: string, object: Record<string, unknown>, depth: number): void {
  for (const [key, raw] of Object.entries(object)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (raw === undefined || raw === null) continue;
    if (Array.isArray(raw)) {
      if (!raw.every(isScalar))
        throw new ApiRequestError(`query.${name} must list numbers or text (got ${describeValue(raw)})`);
      params.set(name, raw.map(String).join(','));
    } else if (isScalar(raw)) {
      params.set(name, String(raw));
    } else if (typeof raw === 'object' && depth < MAX_QUERY_DEPTH) {
      addParams(params, name, raw as Record<string, unknown>, depth + 1);
    } else {
      throw new ApiRequestError(
        `query.${name} must be a number, text, true/false or a list (got ${describeValue(raw)})`,
      );
    }
  }
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean'
  );
}

/** JSON (an object or array, or text holding one); none for GET and DELETE. */
function parseBody(value: unknown, method: ApiMethod): unknown {
  let body = value;
  if (typeof body === 'string') {
    const text = body.trim();
    if (text === '') return undefined;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      throw new ApiRequestError(`body is not valid JSON: ${describeValue(text)}`);
    }
  }
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object')
    throw new ApiRequestError(`body must be a JSON object or array (got ${describeValue(body)})`);
  // An editor's empty {} stays harmless when the method is switched to GET.
  if (Object.keys(body).length === 0 && (method === 'GET' || method === 'DELETE')) return undefined;
  if (method === 'GET' || method === 'DELETE')
    throw new ApiRequestError(`${method} requests carry no body; put parameters in query`);
  return body;
}
