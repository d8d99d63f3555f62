import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { FptrError, httpError, parseErrorObjects } from '../../lib/fptr/client/fptr-error';
import { requestUrl, type UrlAnswer, type UrlRequest } from '../../lib/fptr/client/url-request';
import type { FileTransport, SiteAnswer, SiteRequest } from '../../lib/fptr/files/transport';
import type { SimHarness } from './sim';

/**
 * A FileTransport over the simulator for the protocol tests: site requests carry the harness's
 * bearer token (no retries), URL requests go through the real `requestUrl` without credentials.
 * Counts what it sent so tests can tell retries from first attempts.
 */
export class SimFileTransport implements FileTransport {
  readonly siteRequests: string[] = [];
  urlAttempts = 0;
  urlRetries = 0;
  /** Most URL requests waiting for their answer at once. */
  maxUrlInFlight = 0;
  #urlInFlight = 0;
  readonly agent = new Agent({ connections: 8 });

  constructor(private readonly h: SimHarness) {}

  get siteUrl(): string {
    return this.h.url;
  }

  async siteRequest(spec: SiteRequest): Promise<SiteAnswer> {
    this.siteRequests.push(`${spec.method} ${spec.path}`);
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${await this.h.token()}` };
    let body: string | Readable | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.bytes) {
      headers['content-type'] = spec.contentType ?? 'application/octet-stream';
      headers['content-length'] = String(spec.bytes.length);
      body = spec.bytes.open();
    }
    const res = await request(`${this.h.url}/api/v1${spec.path}`, { method: spec.method, headers, body, signal: spec.signal });
    const text = await res.body.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    const redirect = res.statusCode >= 300 && res.statusCode < 400 && spec.redirects === 'answer';
    if (res.statusCode >= 300 && !redirect) throw httpError(res.statusCode, parseErrorObjects(parsed, (t) => t), `${spec.method} /api/v1${spec.path.split('?')[0]}`);
    return { status: res.statusCode, headers: res.headers, body: parsed };
  }

  async requestUrl(spec: UrlRequest): Promise<UrlAnswer> {
    if (spec.headers && Object.keys(spec.headers).some((k) => k.toLowerCase() === 'authorization')) {
      throw new FptrError('test transport: an Authorization header was given to a URL request', { kind: 'config' });
    }
    this.maxUrlInFlight = Math.max(this.maxUrlInFlight, ++this.#urlInFlight);
    try {
      return await this.#requestUrl(spec);
    } finally {
      this.#urlInFlight--;
    }
  }

  #requestUrl(spec: UrlRequest): Promise<UrlAnswer> {
    return requestUrl(spec, {
      dispatcher: this.agent, timeoutMs: 10_000, maxRetries: 3, retryBaseMs: 5, retryMaxMs: 20, maxRetryAfterMs: 5_000,
      onAttempt: (retry) => {
        this.urlAttempts++;
        if (retry) this.urlRetries++;
      },
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
