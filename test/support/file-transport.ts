import type { SiteAnswer, SiteRequest } from '../../lib/fptr/client/api';
import type { FptrClient } from '../../lib/fptr/client/client';
import type { UrlAnswer, UrlRequest } from '../../lib/fptr/client/url-request';
import type { FileTransport } from '../../lib/fptr/files/transport';
import type { FptrSimulator } from '../../sim';

/**
 * The site's real client as the file transfers see it, noting what passes through: the site
 * requests in order, and how many URL requests were in flight at most.
 */
export class CountingTransport implements FileTransport {
  readonly siteRequests: string[] = [];
  maxUrlInFlight = 0;
  #urlInFlight = 0;

  constructor(readonly client: FptrClient) {}

  get siteUrl(): string {
    return this.client.siteUrl;
  }

  siteRequest(request: SiteRequest): Promise<SiteAnswer> {
    this.siteRequests.push(`${request.method} ${request.path}`);
    return this.client.siteRequest(request);
  }

  async requestUrl(request: UrlRequest): Promise<UrlAnswer> {
    this.maxUrlInFlight = Math.max(this.maxUrlInFlight, ++this.#urlInFlight);
    try {
      return await this.client.requestUrl(request);
    } finally {
      this.#urlInFlight--;
    }
  }
}

/**
 * Proof that no credentials reached the storage host: none of its requests carried an
 * Authorization header or a bearer token in any header. Answers how many requests it saw.
 */
export function storageHostSawNoCredentials(sim: FptrSimulator, tokens: string[] = []): number {
  const external = sim.storage.requests().filter((r) => r.host === 'storage');
  for (const r of external) {
    if ('authorization' in r.headers)
      throw new Error(`the storage host got an Authorization header: ${r.method} ${r.path}`);
    const headers = JSON.stringify(r.headers);
    if (/bearer/i.test(headers) || tokens.some((t) => headers.includes(t)))
      throw new Error(`the storage host got a token: ${r.method} ${r.path}`);
  }
  return external.length;
}
