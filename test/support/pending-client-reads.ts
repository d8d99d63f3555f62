import { request } from 'undici';
import type { FptrClient } from '../../lib/fptr/client/client';
import { FptrError, httpError, networkError, parseErrorObjects } from '../../lib/fptr/client/fptr-error';
import type { PreflightApi } from '../../lib/fptr/client/preflight';
import type { SchemaReads } from '../../lib/fptr/client/schema';

/**
 * The reads the schema cache and the preflight need beyond FptrClient's present ones (schema,
 * webhook list), done over loopback with the same credentials, until the client has them.
 */
export class PendingClientReads implements SchemaReads, PreflightApi {
  #token: string | undefined;

  constructor(
    readonly client: FptrClient,
    private readonly siteUrl: string,
    /** The token request's form: the same grant the client uses. */
    private readonly grant: URLSearchParams,
  ) {}

  serverInfo: PreflightApi['serverInfo'] = () => this.client.serverInfo();
  currentUser: PreflightApi['currentUser'] = () => this.client.currentUser();
  read: PreflightApi['read'] = (...args) => this.client.read(...args);
  search: PreflightApi['search'] = (...args) => this.client.search(...args);

  readSchema(): Promise<unknown> {
    return this.#get('/schema');
  }

  readSchemaFields(entityType: string): Promise<unknown> {
    return this.#get(`/schema/${encodeURIComponent(entityType)}/fields`);
  }

  async listWebhooks(options: { limit: number }): Promise<unknown[]> {
    const data = await this.#get(`/webhook/hooks?page%5Bsize%5D=${options.limit}`);
    if (!Array.isArray(data)) throw new FptrError('expected a data array', { kind: 'http', status: 200 });
    return data;
  }

  async #get(path: string): Promise<unknown> {
    const res = await request(`${this.siteUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${await this.#bearer()}`, accept: 'application/json' } })
      .catch((err: unknown) => Promise.reject(networkError(err, this.siteUrl, `GET /api/v1${path}`)));
    const text = await res.body.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (res.statusCode >= 300) throw httpError(res.statusCode, parseErrorObjects(body, (t) => t), `GET /api/v1${path}`);
    return (body as { data?: unknown } | undefined)?.data;
  }

  async #bearer(): Promise<string> {
    if (!this.#token) {
      const res = await request(`${this.siteUrl}/api/v1/auth/access_token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: this.grant.toString(),
      }).catch((err: unknown) => Promise.reject(networkError(err, this.siteUrl, 'POST /api/v1/auth/access_token')));
      this.#token = ((await res.body.json()) as { access_token: string }).access_token;
    }
    return this.#token;
  }
}
