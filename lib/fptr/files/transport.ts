import type { IncomingHttpHeaders } from 'node:http';
import type { ByteSource } from '../client/byte-source';
import { FptrError } from '../client/fptr-error';
import type { UrlAnswer, UrlRequest } from '../client/url-request';

/**
 * What uploads and downloads need from the site's client. Two ways out, and only the first one
 * carries the site's credentials: it takes a path, never a URL, so the client sends it to its own
 * origin and nowhere else. Every URL FPTR hands out goes through `sitePathOf` (the one origin
 * check) before it may use that way; anything else takes the second, without credentials.
 */
export interface FileTransport {
  /** Origin plus base path of the site, e.g. `https://studio.shotgrid.autodesk.com`. */
  readonly siteUrl: string;
  /** To the site, with the bearer token, the client's retries, timeouts and error mapping. */
  siteRequest(request: SiteRequest): Promise<SiteAnswer>;
  /** To any http(s) URL, without credentials (signed storage URLs). */
  requestUrl(request: UrlRequest): Promise<UrlAnswer>;
}

export interface SiteRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below `/api/v1`, starting with `/`; a query may follow `?` and is sent as written. */
  path: string;
  json?: unknown;
  /** Raw bytes instead of JSON (sg storage takes the file on the site). */
  bytes?: ByteSource;
  contentType?: string;
  /** Safe to send twice; other requests are repeated only when FPTR certainly did not act. */
  idempotent: boolean;
  /** Answer a redirect instead of failing on it (downloads redirect to the file). */
  redirects?: 'answer';
  signal?: AbortSignal;
}

export interface SiteAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON; undefined when the answer is empty. */
  body: unknown;
}

const API_ROOT = '/api/v1';

/**
 * The site path (below `/api/v1`, query kept as written) of a link FPTR gave, or a loud failure
 * when the link leads to another origin: the site's credentials must never follow it.
 */
export function sitePathOf(link: string, siteUrl: string, what: string): string {
  const site = new URL(siteUrl);
  let url: URL;
  try {
    url = new URL(link, site);
  } catch {
    throw new FptrError(`FPTR gave ${what} that is not a valid URL`, { kind: 'http' });
  }
  if (url.origin !== site.origin) {
    throw new FptrError(`FPTR gave ${what} on ${url.origin}, not on the site ${site.origin}; the site's credentials are sent to the site only, so it was not followed`, { kind: 'http' });
  }
  const base = site.pathname.replace(/\/+$/, '');
  const root = [`${base}${API_ROOT}`, API_ROOT].find((r) => url.pathname.startsWith(`${r}/`));
  if (root === undefined) throw new FptrError(`FPTR gave ${what} outside ${API_ROOT}: ${url.pathname}`, { kind: 'http' });
  return `${url.pathname.slice(root.length)}${url.search}`;
}
