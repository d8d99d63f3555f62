import { setMaxListeners } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, Pool } from 'undici';
import { ByteSourceError } from './byte-source';
import {
  CONTROL_CHARS,
  FptrError,
  MAX_ERROR_TEXT,
  failedBeforeSend,
  formatSeconds,
  httpError,
  isNetworkFailure,
  networkError,
  parseErrorObjects,
  timeoutError,
  tooLargeError,
  unreadableError,
} from './fptr-error';
import { AdaptiveLimit, type PushBack } from './adaptive-limit';
import { flattenRecord, isJsonApiRecord } from './records';
import { readLimited } from './response-body';
import { parseRetryAfter, retryWaitMs, sleep } from './retry';
import { SecretScrubber } from './secret-scrubber';
import { TokenSource, type AccessToken, type TokenResponse } from './token-source';
import type {
  BatchRequest,
  DeliveryRecord,
  FlatRecord,
  FptrApi,
  ListDeliveriesOptions,
  SearchOptions,
  SiteAnswer,
  SiteRequest,
} from './api';
import { requestUrl, type UrlAnswer, type UrlRequest } from './url-request';
import type { EntityRef } from '../contract';
import { parseSiteUrl, siteKey } from './site-settings';
import { toWebhookRecord, type ListHooksOptions, type WebhookBody, type WebhookRecord } from './webhook-record';

export type FptrAuth =
  | { grant: 'client_credentials'; scriptName: string; scriptKey: string }
  | { grant: 'password'; login: string; password: string };

export interface FptrClientOptions {
  /** Site base URL, e.g. https://studio.shotgrid.autodesk.com (trailing slash ok). */
  url: string;
  auth: FptrAuth;
  /** Act as this HumanUser login (`scope=sudo_as_login:<login>`). */
  sudoAs?: string;
  /** Requests in flight per site; default 8. */
  maxConcurrency?: number;
  /** Per request, headers and body; default 30 000 ms. */
  timeoutMs?: number;
  /** Default 5. */
  maxRetries?: number;
  /** Backoff base and cap; defaults 250 ms and 10 000 ms (full jitter). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Honour Retry-After up to this long (default 60 000 ms); a longer ask fails the call. */
  maxRetryAfterMs?: number;
  /** Overall budget of one call including retries and waits; default 120 000 ms. */
  deadlineMs?: number;
  /** Refresh the token this long before `expires_in` (default 60 s, at most half the lifetime). */
  refreshMarginSeconds?: number;
  /** Largest success answer read, in bytes (default 64 MB); a larger one fails the call. */
  maxResponseBytes?: number;
}

/** Default of `maxResponseBytes`: far above a 5000-record page, far below what hurts a server. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 ** 2;
/** Error answers are read this far only: FPTR's own are a few hundred bytes. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface FptrClientStats {
  /** Token requests sent (attempts, including retried ones). */
  tokenRequests: number;
  /** HTTP requests sent, token requests included. */
  requests: number;
  /** Requests repeated after a retryable failure (re-auth replays not included). */
  retries: number;
  /** Most requests in flight at once. */
  maxInFlight: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface RequestSpec {
  method: Method;
  /** Path below `/api/v1`, starting with `/` (or empty for server info). */
  path: string;
  query?: URLSearchParams;
  json?: unknown;
  form?: URLSearchParams;
  contentType?: string;
  /** Send the bearer token (everything but the token request). */
  auth: boolean;
  /**
   * Safe to send twice. Non-idempotent requests (create, batches with creates, redeliver) are
   * repeated only when FPTR certainly did not act on them: 429, 503, or no connection made.
   */
  idempotent: boolean;
  /** Raw bytes, opened afresh for every attempt; their request has idle timeouts, no total one. */
  bytes?: SiteRequest['bytes'];
  /** Answer a redirect instead of failing on it. */
  redirects?: SiteRequest['redirects'];
  /** The caller's cancel (a node closing). */
  signal?: AbortSignal;
  /** Bookkeeping that waits for the flows' requests (see AdaptiveLimit). */
  later?: boolean;
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, untrusted; undefined when empty, or for an error answer that is not JSON or too long. */
  body: unknown;
}

const ARRAY_FILTERS = 'application/vnd+shotgun.api3_array+json';
const HASH_FILTERS = 'application/vnd+shotgun.api3_hash+json';
const JSON_TYPE = 'application/json';
const DEFAULT_PAGE_SIZE = 500;
const MAX_PAGE_SIZE = 5000;
const DELIVERY_PAGE_SIZE = 100;
const HOOK_PAGE_SIZE = 100;
const BATCH_CHUNK = 200;
const TOKEN_PATH = '/auth/access_token';

/** The longest close() waits for work to finish (Node-RED gives a closing node 15 s). */
const CLOSE_GRACE_MS = 10_000;

/**
 * REST client for one FPTR site (docs/fptr-api.md §1–4, §7): pooled keep-alive connections, a shared
 * bearer token, bounded concurrency, retries with backoff, plain-worded errors. Secrets live in
 * private fields so they never show up when the client is logged or inspected.
 */
export class FptrClient implements FptrApi {
  readonly siteUrl: string;
  readonly stats: FptrClientStats = { tokenRequests: 0, requests: 0, retries: 0, maxInFlight: 0 };

  readonly #auth: FptrAuth;
  readonly #sudoAs: string | undefined;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #pool: Pool;
  /** For URLs FPTR hands out (signed storage URLs): other origins, so never the site's pool. */
  readonly #elsewhere: Agent;
  readonly #slots: AdaptiveLimit;
  readonly #pushBackListeners = new Set<(state: PushBack) => void>();
  readonly #tokens: TokenSource;
  readonly #closing = new AbortController();
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #deadlineMs: number;
  readonly #maxResponseBytes: number;
  /** Knows the script key or password and the tokens, to scrub them from what servers send back. */
  readonly #scrubber: SecretScrubber;
  #inFlight = 0;
  #currentUser: Promise<EntityRef | null> | undefined;
  /** Tasks close() waits for (settled, never rejecting). */
  readonly #unfinished = new Set<Promise<void>>();
  #closed: Promise<void> | undefined;

  constructor(options: FptrClientOptions) {
    const url = parseSiteUrl(options.url);
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.siteUrl = siteKey(url);
    this.#auth = checkAuth(options.auth);
    this.#scrubber = new SecretScrubber([
      this.#auth.grant === 'client_credentials' ? this.#auth.scriptKey : this.#auth.password,
    ]);
    const sudoAs = options.sudoAs?.trim();
    this.#sudoAs = sudoAs ? sudoAs : undefined;

    const maxConcurrency = positiveInt(options.maxConcurrency, 8, 'maxConcurrency');
    this.#timeoutMs = positiveNumber(options.timeoutMs, 30_000, 'timeoutMs');
    this.#maxRetries = nonNegativeInt(options.maxRetries, 5, 'maxRetries');
    this.#retryBaseMs = nonNegativeNumber(options.retryBaseMs, 250, 'retryBaseMs');
    this.#retryMaxMs = nonNegativeNumber(options.retryMaxMs, 10_000, 'retryMaxMs');
    this.#maxRetryAfterMs = nonNegativeNumber(options.maxRetryAfterMs, 60_000, 'maxRetryAfterMs');
    this.#deadlineMs = positiveNumber(options.deadlineMs, 120_000, 'deadlineMs');
    this.#maxResponseBytes = positiveInt(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 'maxResponseBytes');
    const margin = nonNegativeNumber(options.refreshMarginSeconds, 60, 'refreshMarginSeconds');

    // Every request in flight and every backoff wait listens for close(): as many listeners
    // as there are pending calls, which is not a leak.
    setMaxListeners(0, this.#closing.signal);
    this.#slots = new AdaptiveLimit(maxConcurrency, {
      onChange: (state) => {
        for (const listener of this.#pushBackListeners) listener(state);
      },
    });
    this.#pool = new Pool(this.#origin, {
      connections: maxConcurrency,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    this.#elsewhere = new Agent({
      connections: maxConcurrency,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    this.#tokens = new TokenSource(() => this.#requestToken(), margin);
  }

  finishBeforeClose<T>(task: Promise<T>): Promise<T> {
    const settled = task.then(
      () => undefined,
      () => undefined,
    );
    this.#unfinished.add(settled);
    void settled.then(() => this.#unfinished.delete(settled));
    return task;
  }

  /**
   * Waits (a few seconds at most) for the tasks given to finishBeforeClose, then stops new
   * calls, rejects waiting ones and drops the connections.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutDown();
    return this.#closed;
  }

  async #shutDown(): Promise<void> {
    if (this.#unfinished.size > 0) {
      // Node-RED closes a site's nodes and the site together; the nodes stop their work, and
      // what it sends to clean up (an upload's abort) still needs the pool. Below Node-RED's
      // 15 s close timeout.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(this.#unfinished),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(this.#timeoutMs, CLOSE_GRACE_MS)))),
      ]);
      clearTimeout(timer);
    }
    const err = new FptrError(`FPTR client for ${this.siteUrl} was closed`, { kind: 'closed' });
    this.#closing.abort(err);
    this.#slots.close(err);
    await Promise.all([this.#pool.destroy(), this.#elsewhere.destroy()]);
  }

  /** Requests allowed in flight now, and the pause the site asked for (see adaptive-limit.ts). */
  get pushBack(): PushBack {
    return this.#slots.state;
  }

  onPushBack(listener: (state: PushBack) => void): () => void {
    this.#pushBackListeners.add(listener);
    return () => {
      this.#pushBackListeners.delete(listener);
    };
  }

  async serverInfo(): Promise<Record<string, unknown>> {
    return this.#call({ method: 'GET', path: '', auth: true, idempotent: true }, (res) =>
      dataObject(res, 'GET /api/v1'),
    );
  }

  currentUser(): Promise<EntityRef | null> {
    this.#currentUser ??= this.#findCurrentUser().catch((err: unknown) => {
      this.#currentUser = undefined;
      throw err;
    });
    return this.#currentUser;
  }

  async read(
    entityType: string,
    id: number,
    options: { fields?: string[]; returnOnly?: 'active' | 'retired' } = {},
  ): Promise<FlatRecord> {
    const query = new URLSearchParams({ fields: fieldList(options.fields) });
    if (options.returnOnly) query.set('options[return_only]', options.returnOnly);
    const path = `${entityPath(entityType)}/${recordId(id)}`;
    return this.#call({ method: 'GET', path, query, auth: true, idempotent: true }, (res) =>
      recordOf(res, `GET ${path}`),
    );
  }

  async search(entityType: string, options: SearchOptions = {}): Promise<FlatRecord[]> {
    const filters = options.filters ?? [];
    const limit = options.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
      throw configError(`limit must be a whole number ≥ 0, got ${limit}`);
    if (limit === 0) return [];
    const requested = positiveInt(options.pageSize, DEFAULT_PAGE_SIZE, 'pageSize');
    if (requested > MAX_PAGE_SIZE) throw configError(`pageSize must be at most ${MAX_PAGE_SIZE}, got ${requested}`);
    // The page size stays fixed across pages: page numbers only make sense for one size.
    const pageSize = Math.min(requested, limit ?? MAX_PAGE_SIZE);
    const body: Record<string, unknown> = { filters, fields: fieldList(options.fields) };
    if (options.sort) body.sort = options.sort;
    const searchOptions: Record<string, unknown> = {};
    if (options.returnOnly) searchOptions.return_only = options.returnOnly;
    if (options.includeArchivedProjects !== undefined)
      searchOptions.include_archived_projects = options.includeArchivedProjects;
    if (Object.keys(searchOptions).length > 0) body.options = searchOptions;

    const path = `${entityPath(entityType)}/_search`;
    const contentType = Array.isArray(filters) ? ARRAY_FILTERS : HASH_FILTERS;
    const records: FlatRecord[] = [];
    for (let page = 1; ; page++) {
      const rows = await this.#call(
        {
          method: 'POST',
          path,
          contentType,
          json: { ...body, page: { size: pageSize, number: page } },
          auth: true,
          idempotent: true,
        },
        (res) => dataArray(res, `POST ${path}`).map((row) => toRecord(row, res.status, `POST ${path}`)),
      );
      records.push(...rows);
      if (limit !== undefined && records.length >= limit) return records.slice(0, limit);
      if (rows.length < pageSize) return records;
    }
  }

  async create(
    entityType: string,
    data: Record<string, unknown>,
    options: { fields?: string[] } = {},
  ): Promise<FlatRecord> {
    const path = entityPath(entityType);
    return this.#call(
      {
        method: 'POST',
        path,
        query: returnFields(options.fields),
        json: data,
        contentType: JSON_TYPE,
        auth: true,
        idempotent: false,
      },
      (res) => recordOf(res, `POST ${path}`),
    );
  }

  async update(
    entityType: string,
    id: number,
    data: Record<string, unknown>,
    options: { fields?: string[] } = {},
  ): Promise<FlatRecord> {
    const path = `${entityPath(entityType)}/${recordId(id)}`;
    return this.#call(
      {
        method: 'PUT',
        path,
        query: returnFields(options.fields),
        json: data,
        contentType: JSON_TYPE,
        auth: true,
        idempotent: true,
      },
      (res) => recordOf(res, `PUT ${path}`),
    );
  }

  async delete(entityType: string, id: number): Promise<void> {
    const path = `${entityPath(entityType)}/${recordId(id)}`;
    await this.#call({ method: 'DELETE', path, auth: true, idempotent: true }, ignoreBody);
  }

  async revive(entityType: string, id: number): Promise<boolean> {
    const path = `${entityPath(entityType)}/${recordId(id)}`;
    return this.#call(
      {
        method: 'POST',
        path,
        query: new URLSearchParams({ revive: 'true' }),
        auth: true,
        idempotent: true,
      },
      (res) => (res.body as { meta?: { did_revive?: unknown } | null } | null | undefined)?.meta?.did_revive === true,
    );
  }

  async batch(
    requests: BatchRequest[],
    options: { chunkSize?: number } = {},
  ): Promise<Array<FlatRecord | { type: string; id: number; deleted: true }>> {
    const chunkSize = positiveInt(options.chunkSize, BATCH_CHUNK, 'chunkSize');
    const results: Array<FlatRecord | { type: string; id: number; deleted: true }> = [];
    const chunks = Math.ceil(requests.length / chunkSize);
    for (let start = 0; start < requests.length; start += chunkSize) {
      const chunk = requests.slice(start, start + chunkSize);
      try {
        results.push(
          ...(await this.#call(
            {
              method: 'POST',
              path: '/entity/_batch',
              json: { requests: chunk },
              contentType: JSON_TYPE,
              auth: true,
              // Updates set values, so sending them twice is harmless; creates would duplicate.
              idempotent: chunk.every((r) => r.request_type === 'update'),
            },
            (res) => {
              const rows = dataArray(res, 'POST /api/v1/entity/_batch');
              if (rows.length !== chunk.length)
                throw unexpected(
                  res.status,
                  'POST /api/v1/entity/_batch',
                  `${chunk.length} results, got ${rows.length}`,
                );
              return chunk.map((req, i) => batchResult(req, rows[i], res.status));
            },
          )),
        );
      } catch (err) {
        if (chunks === 1 || !(err instanceof FptrError)) throw err;
        const chunkNo = start / chunkSize + 1;
        throw err.withNote(
          `(batch part ${chunkNo} of ${chunks} failed; ${start === 0 ? 'nothing was' : `the first ${start} requests were`} applied)`,
        );
      }
    }
    return results;
  }

  async listDeliveries(hookId: string, options: ListDeliveriesOptions = {}): Promise<DeliveryRecord[]> {
    const pageSize = positiveInt(options.pageSize, DELIVERY_PAGE_SIZE, 'pageSize');
    const path = `/webhook/hooks/${pathSegment(hookId, 'webhook id')}/deliveries`;
    const records: DeliveryRecord[] = [];
    for (let page = 1; ; page++) {
      const query = new URLSearchParams();
      if (options.status) query.set('status', options.status);
      if (options.from !== undefined) query.set('from', String(options.from));
      if (options.to !== undefined) query.set('to', String(options.to));
      if (options.acknowledgement) query.set('acknowledgement', options.acknowledgement);
      query.set('page[size]', String(pageSize));
      query.set('page[number]', String(page));
      const rows = await this.#call({ method: 'GET', path, query, auth: true, idempotent: true }, (res) =>
        dataArray(res, `GET ${path}`).map((row) => toDelivery(row, res.status, `GET ${path}`)),
      );
      records.push(...rows);
      if (rows.length < pageSize) return records;
    }
  }

  async listHooks(options: ListHooksOptions = {}): Promise<WebhookRecord[]> {
    const pageSize = positiveInt(options.pageSize, HOOK_PAGE_SIZE, 'pageSize');
    const path = '/webhook/hooks';
    const hooks: WebhookRecord[] = [];
    for (let page = 1; ; page++) {
      const query = new URLSearchParams();
      if (options.url) query.set('url', options.url);
      query.set('page[size]', String(pageSize));
      query.set('page[number]', String(page));
      const rows = await this.#call({ method: 'GET', path, query, auth: true, idempotent: true }, (res) =>
        dataArray(res, `GET ${path}`).map((row) => toHook(row, res.status, `GET ${path}`)),
      );
      hooks.push(...rows);
      if (rows.length < pageSize) return hooks;
    }
  }

  async readHook(hookId: string): Promise<WebhookRecord> {
    const path = `/webhook/hooks/${pathSegment(hookId, 'webhook id')}`;
    return this.#call({ method: 'GET', path, auth: true, idempotent: true }, (res) =>
      toHook(dataOf(res), res.status, `GET ${path}`),
    );
  }

  async createHook(body: WebhookBody): Promise<WebhookRecord> {
    const path = '/webhook/hooks';
    return this.#call(
      { method: 'POST', path, json: body, contentType: JSON_TYPE, auth: true, idempotent: false },
      (res) => toHook(dataOf(res), res.status, `POST ${path}`),
    );
  }

  async updateHook(hookId: string, body: WebhookBody): Promise<WebhookRecord> {
    const path = `/webhook/hooks/${pathSegment(hookId, 'webhook id')}`;
    return this.#call(
      { method: 'PUT', path, json: body, contentType: JSON_TYPE, auth: true, idempotent: true },
      (res) => toHook(dataOf(res), res.status, `PUT ${path}`),
    );
  }

  async testConnection(hookId: string): Promise<void> {
    const path = `/webhook/hooks/${pathSegment(hookId, 'webhook id')}/test_connection`;
    // Repeating it at worst sends one more Test_Connection, which receivers ignore.
    await this.#call({ method: 'POST', path, auth: true, idempotent: true }, ignoreBody);
  }

  async readDelivery(deliveryId: string): Promise<DeliveryRecord> {
    const path = `/webhook/deliveries/${pathSegment(deliveryId, 'delivery id')}`;
    return this.#call({ method: 'GET', path, auth: true, idempotent: true }, (res) =>
      toDelivery(dataOf(res), res.status, `GET ${path}`),
    );
  }

  async acknowledge(deliveryId: string, acknowledgement: string): Promise<void> {
    const path = `/webhook/deliveries/${pathSegment(deliveryId, 'delivery id')}`;
    await this.#call(
      {
        method: 'PUT',
        path,
        json: { acknowledgement },
        contentType: JSON_TYPE,
        auth: true,
        idempotent: true,
        later: true,
      },
      ignoreBody,
    );
  }

  async redeliver(deliveryId: string): Promise<void> {
    const path = `/webhook/deliveries/${pathSegment(deliveryId, 'delivery id')}/redeliver`;
    await this.#call({ method: 'POST', path, auth: true, idempotent: false }, ignoreBody);
  }

  async siteRequest(request: SiteRequest): Promise<SiteAnswer> {
    if (request.path !== '' && !request.path.startsWith('/'))
      throw configError(`A site path must start with /, got ${request.path}`);
    const contentType =
      request.contentType ??
      (request.bytes ? 'application/octet-stream' : request.json === undefined ? undefined : JSON_TYPE);
    return this.#call({ ...request, contentType, auth: true }, (res) => ({
      status: res.status,
      headers: res.headers,
      body: res.body,
    }));
  }

  async requestUrl(request: UrlRequest): Promise<UrlAnswer> {
    this.#throwIfClosed();
    const signals = request.signal ? [this.#closing.signal, request.signal] : [this.#closing.signal];
    return requestUrl(
      { ...request, signal: AbortSignal.any(signals) },
      {
        dispatcher: this.#elsewhere,
        timeoutMs: this.#timeoutMs,
        maxRetries: this.#maxRetries,
        retryBaseMs: this.#retryBaseMs,
        retryMaxMs: this.#retryMaxMs,
        maxRetryAfterMs: this.#maxRetryAfterMs,
        onAttempt: (retry) => {
          this.stats.requests++;
          if (retry) this.stats.retries++;
        },
      },
    );
  }

  // Schema and webhook-list reads for the editor (schema.ts, preflight.ts): the answers are
  // handed on unread, since their shape is partly UNCONFIRMED (docs/fptr-api.md §6.6).

  async readSchema(): Promise<unknown> {
    return this.#call({ method: 'GET', path: '/schema', auth: true, idempotent: true }, (res) =>
      dataObject(res, 'GET /api/v1/schema'),
    );
  }

  async readSchemaFields(entityType: string): Promise<unknown> {
    const path = `/schema/${pathSegment(entityType, 'entity type')}/fields`;
    return this.#call({ method: 'GET', path, auth: true, idempotent: true }, (res) => dataObject(res, `GET ${path}`));
  }

  /** The first `limit` webhooks of the site (one page). */
  async listWebhooks(options: { limit: number }): Promise<unknown[]> {
    const query = new URLSearchParams({
      'page[size]': String(positiveInt(options.limit, 1, 'limit')),
      'page[number]': '1',
    });
    return this.#call({ method: 'GET', path: '/webhook/hooks', query, auth: true, idempotent: true }, (res) =>
      dataArray(res, 'GET /api/v1/webhook/hooks'),
    );
  }

  async #findCurrentUser(): Promise<EntityRef | null> {
    const auth = this.#auth;
    const [type, field, value, nameField] =
      auth.grant === 'client_credentials'
        ? ['ApiUser', 'firstname', auth.scriptName, 'firstname']
        : ['HumanUser', 'login', auth.login, 'name'];
    const [user] = await this.search(type, { filters: [[field, 'is', value]], fields: [nameField], limit: 1 });
    if (!user) return null;
    const name = user[nameField];
    return typeof name === 'string' ? { type: user.type, id: user.id, name } : { type: user.type, id: user.id };
  }

  async #requestToken(): Promise<TokenResponse> {
    const form = new URLSearchParams();
    const auth = this.#auth;
    if (auth.grant === 'client_credentials') {
      form.set('grant_type', 'client_credentials');
      form.set('client_id', auth.scriptName);
      form.set('client_secret', auth.scriptKey);
    } else {
      form.set('grant_type', 'password');
      form.set('username', auth.login);
      form.set('password', auth.password);
    }
    if (this.#sudoAs) form.set('scope', `sudo_as_login:${this.#sudoAs}`);
    return this.#call(
      {
        method: 'POST',
        path: TOKEN_PATH,
        form,
        contentType: 'application/x-www-form-urlencoded',
        auth: false,
        idempotent: true,
      },
      (res) => {
        if (typeof res.body !== 'object' || res.body === null)
          throw unexpected(res.status, 'POST /api/v1/auth/access_token', 'a token object');
        const answer = res.body as TokenResponse;
        // From now on a server echoing the Authorization header must not put this token in an error.
        if (typeof answer.access_token === 'string') this.#scrubber.addToken(answer.access_token);
        return answer;
      },
    );
  }

  /**
   * One API call: token, slot, request, with re-auth on 401 and retries with backoff; `read`
   * turns a success answer into the result. Every answer is handled in here, so this is the one
   * guard: whatever goes wrong (a hostile answer, a bug) leaves as an FptrError whose message
   * holds no secret, never as another exception.
   */
  async #call<T>(spec: RequestSpec, read: (res: Response) => T): Promise<T> {
    const request = `${spec.method} /api/v1${spec.path}`;
    try {
      return await this.#attempts(spec, request, read);
    } catch (err) {
      // The caller's own bytes could not be read: its words, not an answer of FPTR's.
      if (err instanceof ByteSourceError) throw err;
      const failure = err instanceof FptrError ? err : unreadableError(undefined, request, err);
      const message = this.#scrubber.scrub(failure.message);
      if (message === failure.message) throw failure;
      const scrubbed = new FptrError(message, failure);
      scrubbed.stack = this.#scrubber.scrub(failure.stack ?? '');
      throw scrubbed;
    }
  }

  async #attempts<T>(spec: RequestSpec, request: string, read: (res: Response) => T): Promise<T> {
    const body = encodeBody(spec);
    const started = performance.now();
    let reauthed = false;
    let attempt = 0;
    for (;;) {
      this.#throwIfClosed();
      const token = spec.auth ? await this.#tokens.get() : undefined;
      let failure: FptrError;
      let status: number | undefined;
      try {
        const res = await this.#send(spec, request, body, token, this.#deadlineMs - (performance.now() - started));
        status = res.status;
        if (res.status < 300 || (spec.redirects === 'answer' && res.status < 400)) return read(res);
        failure = httpError(
          res.status,
          parseErrorObjects(res.body, (text) => this.#clean(text)),
          request,
          parseRetryAfter(res.headers['retry-after']),
        );
        if (res.status === 401 && token) {
          if (!reauthed) {
            // The token expired or was revoked early: fetch a new one once and replay.
            this.#tokens.invalidate(token);
            reauthed = true;
            continue;
          }
          this.#tokens.refused(token, failure);
        }
      } catch (err) {
        if (err instanceof ByteSourceError) throw err;
        failure = err instanceof FptrError ? err : unreadableError(status, request, err);
      }
      if (failure.kind === 'closed') throw failure;
      const attempts = attempt + 1;
      if (!isRetryable(failure, spec.idempotent)) {
        throw failure.retryable
          ? failure.withNote('(not repeated automatically: FPTR may already have applied it)')
          : failure;
      }
      if (attempt >= this.#maxRetries) {
        throw failure.withNote(
          `(gave up after ${plural(attempts, 'attempt')} in ${formatSeconds(performance.now() - started)})`,
        );
      }
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > this.#maxRetryAfterMs) {
        throw failure.withNote(
          `(FPTR asked to wait ${formatSeconds(failure.retryAfterMs)}, more than the ${formatSeconds(this.#maxRetryAfterMs)} allowed)`,
        );
      }
      const wait = retryWaitMs(attempt, failure.retryAfterMs, this.#retryBaseMs, this.#retryMaxMs);
      if (performance.now() - started + wait > this.#deadlineMs) {
        throw failure.withNote(
          `(gave up after ${plural(attempts, 'attempt')}: the ${formatSeconds(this.#deadlineMs)} time budget would run out)`,
        );
      }
      await sleep(
        wait,
        spec.signal ? AbortSignal.any([this.#closing.signal, spec.signal]) : this.#closing.signal,
      ).catch((err: unknown) => {
        this.#throwIfClosed();
        throw cancelled(spec.signal) ?? err;
      });
      attempt++;
      this.stats.retries++;
    }
  }

  /**
   * Sends one HTTP request within a concurrency slot and reads its answer, at most `timeoutMs`
   * long and never past what is left of the call's time budget (`budgetMs`).
   */
  async #send(
    spec: RequestSpec,
    request: string,
    body: string | null,
    token: AccessToken | undefined,
    budgetMs: number,
  ): Promise<Response> {
    const permit = await this.#slots.acquire(spec.later ? 'later' : 'now');
    let reply: { status: number; headers: IncomingHttpHeaders } | undefined;
    this.#inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.#inFlight);
    this.stats.requests++;
    if (spec.path === TOKEN_PATH) this.stats.tokenRequests++;
    // One controller per request, aborted by its timer or by close(); AbortSignal.any would
    // register every request on the long-lived close signal instead.
    const abort = new AbortController();
    const budgetBound = budgetMs < this.#timeoutMs;
    const timeoutMs = Math.max(1, Math.min(this.#timeoutMs, budgetMs));
    let timedOut = false;
    // Bytes may take long to send: the pool's idle timeouts watch them instead of a total.
    const timer = spec.bytes
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          abort.abort();
        }, timeoutMs);
    const onClose = (): void => abort.abort();
    this.#closing.signal.addEventListener('abort', onClose, { once: true });
    spec.signal?.addEventListener('abort', onClose, { once: true });
    const bytes = spec.bytes?.open();
    try {
      const headers: Record<string, string> = { accept: JSON_TYPE };
      if (token) headers.authorization = token.header;
      if (spec.contentType) headers['content-type'] = spec.contentType;
      if (spec.bytes) headers['content-length'] = String(spec.bytes.length);
      const query = spec.query?.toString();
      const path = `${this.#basePath}/api/v1${spec.path}${query ? `?${query}` : ''}`;
      const res = await this.#pool.request({
        method: spec.method,
        path,
        headers,
        body: bytes ?? body,
        signal: abort.signal,
      });
      reply = { status: res.statusCode, headers: res.headers };
      const success = res.statusCode < 300;
      const limit = success ? this.#maxResponseBytes : MAX_ERROR_BODY_BYTES;
      const answer = await readLimited(res.body, limit, res.headers['content-length']);
      if (!answer.complete && success) throw tooLargeError(res.statusCode, request, limit);
      // An error answer cut short is not JSON any more: the status alone describes it.
      const parsed = answer.complete ? parseBody(answer.bytes, res.statusCode, request) : undefined;
      return { status: res.statusCode, headers: res.headers, body: parsed };
    } catch (err) {
      if (err instanceof FptrError || err instanceof ByteSourceError) throw err;
      this.#throwIfClosed();
      const stop = cancelled(spec.signal);
      if (stop) throw stop;
      if (timedOut) {
        const failure = timeoutError(this.#origin, request, timeoutMs);
        throw budgetBound ? failure.withNote(`(the ${formatSeconds(this.#deadlineMs)} time budget ran out)`) : failure;
      }
      if (isNetworkFailure(err)) throw networkError(err, this.#origin, request);
      throw err;
    } finally {
      clearTimeout(timer);
      bytes?.destroy();
      spec.signal?.removeEventListener('abort', onClose);
      this.#closing.signal.removeEventListener('abort', onClose);
      this.#inFlight--;
      permit.release(
        reply && (reply.status === 429 || reply.status === 503)
          ? { busy: true, retryAfterMs: parseRetryAfter(reply.headers['retry-after']) }
          : undefined,
      );
    }
  }

  /** Text from an error answer, fit for a message: secrets scrubbed, control characters out, length capped. */
  #clean(text: string): string {
    return this.#scrubber.scrubAndCut(text, MAX_ERROR_TEXT).replace(CONTROL_CHARS, ' ');
  }

  #throwIfClosed(): void {
    if (this.#closing.signal.aborted) throw this.#closing.signal.reason as FptrError;
  }
}

function isRetryable(err: FptrError, idempotent: boolean): boolean {
  if (!err.retryable) return false;
  if (idempotent) return true;
  if (err.kind === 'http') return err.status === 429 || err.status === 503;
  return err.kind === 'network' && err.networkCode !== undefined && failedBeforeSend(err.networkCode);
}

function encodeBody(spec: RequestSpec): string | null {
  if (spec.form) return spec.form.toString();
  if (spec.json === undefined) return null;
  try {
    return JSON.stringify(spec.json);
  } catch (err) {
    // Circular structures or BigInts in data taken from a message.
    throw configError(`The data cannot be sent as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function ignoreBody(): void {}

/** The failure of a request its caller cancelled (a node closing mid-transfer). */
function cancelled(signal: AbortSignal | undefined): FptrError | undefined {
  return signal?.aborted ? new FptrError('The request was cancelled', { kind: 'closed' }) : undefined;
}

function parseBody(bytes: Buffer, status: number, request: string): unknown {
  const text = new TextDecoder().decode(bytes);
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // An error page from a proxy is still an error with a status; a 2xx must be JSON.
    if (status >= 300) return undefined;
    throw unexpected(status, request, 'JSON');
  }
}

function unexpected(status: number, request: string, expected: string): FptrError {
  return new FptrError(`FPTR answered ${request} with an unexpected body (expected ${expected})`, {
    kind: 'http',
    status,
    request,
  });
}

function configError(message: string): FptrError {
  return new FptrError(message, { kind: 'config' });
}

/** The `data` member of an answer, whatever the answer is. */
function dataOf(res: Response): unknown {
  return typeof res.body === 'object' && res.body !== null ? (res.body as { data?: unknown }).data : undefined;
}

function dataObject(res: Response, request: string): Record<string, unknown> {
  const data = dataOf(res);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw unexpected(res.status, request, 'a data object');
  return data as Record<string, unknown>;
}

function dataArray(res: Response, request: string): unknown[] {
  const data = dataOf(res);
  if (!Array.isArray(data)) throw unexpected(res.status, request, 'a data array');
  return data;
}

function toRecord(value: unknown, status: number, request: string): FlatRecord {
  if (!isJsonApiRecord(value)) throw unexpected(status, request, 'records with type and id');
  return flattenRecord(value);
}

function recordOf(res: Response, request: string): FlatRecord {
  return toRecord(dataOf(res), res.status, request);
}

/** `_batch` rows: create/update rows wrap a record in `data`; delete rows report `did_delete`. */
function batchResult(
  req: BatchRequest,
  row: unknown,
  status: number,
): FlatRecord | { type: string; id: number; deleted: true } {
  if (req.request_type === 'delete') return { type: req.entity, id: req.record_id, deleted: true };
  const record = typeof row === 'object' && row !== null && 'data' in row ? (row as { data: unknown }).data : row;
  return toRecord(record, status, 'POST /api/v1/entity/_batch');
}

/** Delivery objects are flat (docs/fptr-api.md §4.4); a JSON:API-style `{id, attributes}` is accepted too. */
function toDelivery(value: unknown, status: number, request: string): DeliveryRecord {
  if (typeof value !== 'object' || value === null) throw unexpected(status, request, 'a delivery object');
  const row = value as { id?: unknown; attributes?: unknown };
  const attributes = typeof row.attributes === 'object' && row.attributes !== null ? row.attributes : {};
  const merged = { ...row, ...attributes } as Record<string, unknown>;
  delete merged.attributes;
  if (typeof row.id !== 'string') throw unexpected(status, request, 'a delivery with an id');
  return { ...merged, id: row.id };
}

/** A webhook object (docs/fptr-api.md §4.3) with the id, url and status every use needs. */
function toHook(value: unknown, status: number, request: string): WebhookRecord {
  const hook = toWebhookRecord(value);
  if (!hook) throw unexpected(status, request, 'a webhook with an id, url and status');
  return hook;
}

function fieldList(fields: string[] | undefined): string {
  return fields && fields.length > 0 ? fields.join(',') : '*';
}

function returnFields(fields: string[] | undefined): URLSearchParams | undefined {
  return fields && fields.length > 0 ? new URLSearchParams({ 'options[fields]': fields.join(',') }) : undefined;
}

function entityPath(entityType: string): string {
  return `/entity/${pathSegment(entityType, 'entity type')}`;
}

function pathSegment(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw configError(`${what} must be a non-empty string`);
  return encodeURIComponent(value);
}

function recordId(id: number): string {
  if (!Number.isInteger(id) || id <= 0)
    throw configError(`record id must be a positive whole number, got ${String(id)}`);
  return String(id);
}

function checkAuth(auth: FptrAuth): FptrAuth {
  if (auth?.grant === 'client_credentials') {
    if (!auth.scriptName?.trim() || !auth.scriptKey) throw configError('Script name and script key are required');
    return { grant: auth.grant, scriptName: auth.scriptName.trim(), scriptKey: auth.scriptKey };
  }
  if (auth?.grant === 'password') {
    if (!auth.login?.trim() || !auth.password) throw configError('Login and password are required');
    return { grant: auth.grant, login: auth.login.trim(), password: auth.password };
  }
  throw configError('Unknown authentication type (expected script key or user login)');
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw configError(`${name} must be a whole number ≥ 1, got ${String(value)}`);
  return value;
}

function nonNegativeInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0)
    throw configError(`${name} must be a whole number ≥ 0, got ${String(value)}`);
  return value;
}

function positiveNumber(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw configError(`${name} must be a number > 0, got ${String(value)}`);
  return value;
}

function nonNegativeNumber(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw configError(`${name} must be a number ≥ 0, got ${String(value)}`);
  return value;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
