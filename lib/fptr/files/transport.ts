import type { FptrApi } from '../client/api';
import { FptrError } from '../client/fptr-error';

/**
 * What uploads and downloads need from the site's client. Two ways out, and only the first one
 * carries the site's credentials: it takes a path, never a URL, so the client sends it to its own
 * origin and nowhere else. Every URL FPTR hands out goes through `sitePathOf` (the one origin
 * check) before it may use that way; anything else takes the second, without credentials.
 */
export type FileTransport = Pick<FptrApi, 'siteUrl' | 'siteRequest' | 'requestUrl'>;

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
    throw new FptrError(
      `FPTR gave ${what} on ${url.origin}, not on the site ${site.origin}; the site's credentials are sent to the site only, so it was not followed`,
      { kind: 'http' },
    );
  }
  const base = site.pathname.replace(/\/+$/, '');
  const root = [`${base}${API_ROOT}`, API_ROOT].find((r) => url.pathname.startsWith(`${r}/`));
  if (root === undefined)
    throw new FptrError(`FPTR gave ${what} outside ${API_ROOT}: ${url.pathname}`, { kind: 'http' });
  return `${url.pathname.slice(root.length)}${url.search}`;
}
