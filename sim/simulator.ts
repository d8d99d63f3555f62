import http = require('node:http');
import type { AddressInfo } from 'node:net';
import type { DeliveryRecord, FlatRecord } from '../lib/fptr/client/api';
import type { EntityRef } from '../lib/fptr/contract';
import { AuthService } from './auth';
import { SimError, errorEnvelope, errorId } from './errors';
import { generateEvents, type GenerateOptions, type GenerateResult } from './event-gen';
import type { HeldRow, HoldBackRule } from './event-log';
import { FaultSet, type FaultRule, type RateLimit } from './faults';
import { readBody, sendError, sendJson } from './http-util';
import { matchRoute } from './rest';
import type { Services } from './rest-common';
import { DEMO_SCRIPT, seedAccounts, seedProject, type Accounts, type DemoIds, type ScriptOptions } from './seed';
import { StorageService, type OpenUpload, type StorageFault, type StorageKind, type StorageRequest } from './storage';
import { EntityStore, type Actor, type Link } from './store';
import { WebhookService, type HookDefinition, type HookRecord, type HookStatus } from './webhooks';

export type { FaultRule, RateLimit } from './faults';
export type { HookDefinition, HookRecord, HookStatus } from './webhooks';
export type { GenerateOptions, GenerateResult } from './event-gen';
export type { HeldRow, HoldBackRule } from './event-log';
export type { OpenUpload, StorageFault, StorageKind, StorageRequest } from './storage';
export type { ScriptOptions } from './seed';

export interface SimOptions {
  /** `expires_in` of issued tokens; default 600. */
  tokenTtlSeconds?: number;
  /** Seed the demo project (default true). The demo script and user exist either way. */
  seed?: boolean;
  /** Batched hooks gather events this long before sending (≤ 50 per body); default 100. */
  webhookBatchWindowMs?: number;
  /** A delivery fails when the consumer takes longer; default 6000. */
  deliveryTimeoutMs?: number;
  /** Accept webhook URLs that are not loopback (the CLI's --allow-remote). Default false. */
  allowRemoteHooks?: boolean;
  /** Failed deliveries within 24 h that make a hook `failed` (stops delivering); default 100. */
  webhookFailedAfter?: number;
  /** Where uploads go: the site itself (`sg`, default) or a separate S3-like storage host (`s3`). */
  storage?: StorageKind;
  /** Lifetime of signed upload/download URLs; default 900. 0: every signed URL is expired at once. */
  signedUrlTtlSeconds?: number;
  /** Event-log rows older than this (by created_at) vanish from reads; default: kept for ever. */
  eventLogRetentionMs?: number;
  /** Request/delivery log lines (never secrets). */
  log?: (line: string) => void;
}

export interface SimStats {
  requests: number;
  tokenRequests: number;
  /** Requests answered 429 (rate limit or fault rule). */
  rateLimited: number;
  inFlight: number;
  maxInFlight: number;
  /** Per route template, e.g. `POST /api/v1/entity/{type}/_search`. */
  byRoute: Record<string, number>;
}

export type DemoInfo = {
  scriptName: typeof DEMO_SCRIPT.name;
  scriptKey: string;
  login: typeof DEMO_SCRIPT.login;
  password: string;
} & DemoIds;

export interface ReadOpts {
  /** Also return records in the trash. */
  includeRetired?: boolean;
}

/** `sim.eventLog()`: every stored row, oldest first, plus the out-of-order commit controls. */
export interface EventLogControl {
  (): FlatRecord[];
  /**
   * Holds back newly written rows from reads (gaps that fill in later, or never): a seeded share
   * of rows, or explicit ids. Deliveries are not delayed. `stop()` ends the rule.
   */
  holdBack(rule: HoldBackRule): { stop(): void };
  /** Makes held rows readable now (all, or these ids); returns the released ids. */
  release(ids?: readonly number[]): number[];
  /** Rows held back right now. */
  held(): HeldRow[];
}

/** `sim.storage`: what tests inspect of uploads and the storage host. */
export interface SimStorage {
  readonly kind: StorageKind;
  /** The storage host's origin (s3), '' for sg storage or before listen(). */
  readonly url: string;
  /** Uploads with bytes stored that were neither completed nor aborted. */
  openUploads(): OpenUpload[];
  /** Every storage request so far, with its headers. */
  requests(): StorageRequest[];
  /** The next matching storage requests (part PUTs, file GETs) fail with this status. */
  failNext(fault: StorageFault): void;
  /** Completed uploads' objects (no bytes). */
  objects(): Array<{ key: string; filename: string; size: number; contentType: string; etag: string }>;
}

function emptyStats(): SimStats {
  return { requests: 0, tokenRequests: 0, rateLimited: 0, inFlight: 0, maxInFlight: 0, byRoute: {} };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Store + auth wired together, with the demo data. */
function buildSite(
  ttlSeconds: number,
  seed: boolean,
): { store: EntityStore; auth: AuthService; accounts: Accounts; demo: DemoIds; actor: Actor } {
  const store = new EntityStore();
  const auth = new AuthService(ttlSeconds);
  const accounts: Accounts = {
    addScript(name, key, opts = {}) {
      const rec = store.insert('ApiUser', {
        firstname: name,
        description: 'Script user',
        generate_event_log_entries: opts.generateEvents ?? true,
      });
      auth.addScript(name, key, { type: 'ApiUser', id: rec.id });
      return { type: 'ApiUser', id: rec.id };
    },
    addHumanUser(login, password, name) {
      if (auth.humanByLogin(login)) throw new Error(`a HumanUser with login '${login}' exists already`);
      const [firstname, ...rest] = name.split(' ');
      const rec = store.insert('HumanUser', {
        login,
        name,
        firstname,
        lastname: rest.join(' '),
        email: `${login}@fptr-sim.invalid`,
      });
      auth.addHuman(login, password, { type: 'HumanUser', id: rec.id });
      return { type: 'HumanUser', id: rec.id };
    },
  };
  const users = seedAccounts(accounts);
  const actor: Actor = { user: { type: 'HumanUser', id: users.humanUserId } };
  const project = seed
    ? seedProject(store, accounts, actor)
    : {
        artistIds: [],
        projectId: 0,
        stepIds: {},
        sequenceId: 0,
        shotIds: {},
        assetIds: {},
        taskIds: {},
        versionIds: [],
        noteIds: [],
      };
  return { store, auth, accounts, demo: { ...users, ...project }, actor };
}

/**
 * A local stand-in for an FPTR site (docs/fptr-api.md): REST auth, entities, _search, _batch,
 * EventLogEntry, webhooks with signed deliveries, and fault injection for client tests.
 */
export class FptrSimulator {
  /** Demo credentials and seeded record ids (the same in every instance). */
  static readonly DEMO: DemoInfo = {
    scriptName: DEMO_SCRIPT.name,
    scriptKey: DEMO_SCRIPT.key,
    login: DEMO_SCRIPT.login,
    password: DEMO_SCRIPT.password,
    ...buildSite(600, true).demo,
  };

  readonly faults: {
    add(rule: FaultRule): void;
    /** Every request to the site beyond the budget answers 429 with Retry-After; null lifts it. */
    rateLimit(limit: RateLimit | null): void;
    /** Removes every rule and the rate limit. */
    clear(): void;
  };
  readonly eventLog: EventLogControl;
  readonly storage: SimStorage;
  private readonly faultSet = new FaultSet();
  private readonly files: StorageService;
  private readonly store: EntityStore;
  private readonly auth: AuthService;
  private readonly accounts: Accounts;
  private readonly hooks: WebhookService;
  private readonly services: Services;
  private readonly defaultActor: Actor;
  private readonly log: (line: string) => void;
  private server: http.Server | undefined;
  private baseUrl = '';
  private counters: SimStats = emptyStats();

  constructor(opts: SimOptions = {}) {
    const site = buildSite(opts.tokenTtlSeconds ?? 600, opts.seed ?? true);
    this.store = site.store;
    this.auth = site.auth;
    this.accounts = site.accounts;
    this.defaultActor = site.actor;
    this.log = opts.log ?? (() => undefined);
    this.hooks = new WebhookService({
      batchWindowMs: opts.webhookBatchWindowMs ?? 100,
      timeoutMs: opts.deliveryTimeoutMs ?? 6000,
      failedAfter: opts.webhookFailedAfter ?? 100,
      allowRemote: opts.allowRemoteHooks ?? false,
      siteUrl: () => this.baseUrl,
      log: this.log,
    });
    this.store.onEvents = (events) => this.hooks.dispatch(events);
    this.store.eventLog.retentionMs = opts.eventLogRetentionMs;
    const files = new StorageService({
      kind: opts.storage ?? 'sg',
      urlTtlSeconds: opts.signedUrlTtlSeconds ?? 900,
      siteUrl: () => this.baseUrl,
      log: this.log,
    });
    this.files = files;
    this.services = {
      store: this.store,
      auth: this.auth,
      hooks: this.hooks,
      storage: files,
      siteUrl: () => this.baseUrl,
    };
    this.faults = {
      add: (rule) => this.faultSet.add(rule),
      rateLimit: (limit) => this.faultSet.rateLimit(limit),
      clear: () => this.faultSet.clear(),
    };
    const policy = this.store.eventLog;
    this.eventLog = Object.assign(() => this.find('EventLogEntry'), {
      holdBack: (rule: HoldBackRule) =>
        policy.holdBack(rule, (id: number) => this.store.lookup('EventLogEntry', id) !== undefined),
      release: (ids?: readonly number[]) => policy.release(ids),
      held: () => policy.held(),
    });
    this.storage = {
      kind: files.kind,
      get url() {
        return files.url;
      },
      openUploads: () => files.openUploads(),
      requests: () => files.requests(),
      failNext: (fault) => files.failNext(fault),
      objects: () => files.list(),
    };
  }

  /** `http://127.0.0.1:PORT` once listening. */
  get url(): string {
    return this.baseUrl;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) return this.baseUrl;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.baseUrl = `http://${shownHost}:${addr.port}`;
    await this.files.listen();
    return this.baseUrl;
  }

  /** Stops the server, the storage host, pending deliveries and timers. */
  async close(): Promise<void> {
    await this.hooks.close();
    await this.files.close();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- accounts, faults, stats --------------------------------------------------------------

  /**
   * A script (ApiUser) that can log in. `generateEvents` (its generate_event_log_entries) is
   * true unless set false: FPTR's own default is false (docs/fptr-api.md §6.5).
   */
  addScript(name: string, key: string, opts: ScriptOptions = {}): EntityRef {
    return this.named(this.accounts.addScript(name, key, opts));
  }

  addHumanUser(login: string, password: string, name: string): EntityRef {
    return this.named(this.accounts.addHumanUser(login, password, name));
  }

  get stats(): SimStats {
    return { ...this.counters, byRoute: { ...this.counters.byRoute } };
  }

  resetStats(): void {
    const inFlight = this.counters.inFlight;
    this.counters = { ...emptyStats(), inFlight, maxInFlight: inFlight };
  }

  /** Every issued access token becomes invalid: the next use answers 401. */
  expireTokens(): void {
    this.auth.expireAll();
  }

  // ---- direct data access (no HTTP) ---------------------------------------------------------

  create(type: string, fields: Record<string, unknown>, actor?: EntityRef): FlatRecord {
    return this.store.flatten(this.store.create(type, fields, this.actor(actor)));
  }

  update(type: string, id: number, fields: Record<string, unknown>, actor?: EntityRef): FlatRecord {
    return this.store.flatten(this.store.update(type, id, fields, this.actor(actor)));
  }

  retire(type: string, id: number, actor?: EntityRef): void {
    this.store.retire(type, id, this.actor(actor));
  }

  /** True when the record was retired and is now active again. */
  revive(type: string, id: number, actor?: EntityRef): boolean {
    return this.store.revive(type, id, this.actor(actor));
  }

  get(type: string, id: number, opts: ReadOpts = {}): FlatRecord | undefined {
    const rec = this.store.lookup(type, id);
    return rec && (opts.includeRetired || !rec.retired) ? this.store.flatten(rec) : undefined;
  }

  find(type: string, predicate: (r: FlatRecord) => boolean = () => true, opts: ReadOpts = {}): FlatRecord[] {
    return this.store
      .all(type)
      .filter((r) => opts.includeRetired || !r.retired)
      .map((r) => this.store.flatten(r))
      .filter(predicate);
  }

  /** Fast seeding: validated like a create, but writes no events and fires no webhooks. */
  bulkCreate(type: string, rows: Array<Record<string, unknown>>): FlatRecord[] {
    return rows.map((row) => this.store.flatten(this.store.insert(type, row, this.defaultActor)));
  }

  /**
   * Writes `n` realistic EventLogEntry rows at once (100,000 in well under a second or two):
   * mostly Task status changes, on existing records. No deliveries unless `webhooks: true`.
   */
  generateEvents(n: number, opts: GenerateOptions = {}): GenerateResult {
    return generateEvents(this.store, n, opts);
  }

  /** Deletes event-log rows below an id and/or created before a date; returns how many went. */
  pruneEventLog(opts: { beforeId?: number; before?: Date | number }): number {
    const beforeMs = opts.before instanceof Date ? opts.before.getTime() : opts.before;
    if (opts.beforeId === undefined && beforeMs === undefined)
      throw new RangeError('pruneEventLog: give beforeId or before');
    return this.store.pruneEvents(
      (rec) =>
        (opts.beforeId !== undefined && rec.id < opts.beforeId) ||
        (beforeMs !== undefined && (rec.createdMs ?? 0) < beforeMs),
    );
  }

  // ---- webhooks -----------------------------------------------------------------------------

  createWebhook(def: HookDefinition): HookRecord {
    return this.hooks.create(def);
  }

  webhooks(): HookRecord[] {
    return this.hooks.list();
  }

  /**
   * Puts a hook in any status, the system-set `unstable`/`failed` included (as if deliveries had
   * failed): `failed` stops deliveries until a PUT sets it active again.
   */
  setHookStatus(id: string, status: HookStatus): HookRecord {
    return this.hooks.setStatus(id, status);
  }

  /** Delivery records, oldest first (one per HTTP request sent). */
  deliveries(hookId?: string): DeliveryRecord[] {
    return this.hooks.deliveries(hookId);
  }

  /** Resolves once every queued or in-flight delivery got an answer or failed. */
  whenDeliveriesSettled(): Promise<void> {
    return this.hooks.settled();
  }

  /** Sends the documented Test_Connection delivery and waits until it was answered. */
  async testConnection(hookId: string): Promise<void> {
    this.hooks.testConnection(hookId);
    await this.hooks.settled();
  }

  // ---- internals ----------------------------------------------------------------------------

  private named(link: Link): EntityRef {
    return { type: link.type, id: link.id, name: this.store.nameOf(link) ?? undefined };
  }

  private actor(ref: EntityRef | undefined): Actor {
    return ref ? { user: { type: ref.type, id: ref.id } } : this.defaultActor;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const stats = this.counters;
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let counted = true;
    const finish = (): void => {
      if (!counted) return;
      counted = false;
      // resetStats() may have swapped the counters while this request was in flight.
      this.counters.inFlight = Math.max(0, this.counters.inFlight - 1);
    };
    res.on('close', finish);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') || '/' : url.pathname;
    const matched = matchRoute(method, pathname);
    const key = matched?.route.key ?? `${method} ${pathname}`;
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
    if (matched?.route.key === 'POST /api/v1/auth/access_token') stats.tokenRequests++;
    res.on('finish', () => {
      if (res.statusCode === 429) this.counters.rateLimited++;
      this.log(`${method} ${url.pathname} ${res.statusCode} ${Date.now() - started}ms`);
    });
    try {
      const body = await readBody(req);
      const wait = this.faultSet.limited();
      if (wait !== undefined) {
        sendJson(
          res,
          429,
          errorEnvelope([
            {
              id: errorId(),
              status: 429,
              code: undefined,
              title: 'Too Many Requests',
              detail: `Rate limit exceeded: retry in ${wait} s`,
              source: {},
              meta: null,
            },
          ]),
          { 'retry-after': String(wait) },
        );
        return;
      }
      const fault = this.faultSet.take(method, url.pathname);
      if (fault?.latencyMs) await delay(fault.latencyMs);
      if (fault?.drop) {
        req.socket.destroy();
        return;
      }
      if (fault?.status !== undefined) {
        const headers: Record<string, string> =
          fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
        const payload =
          fault.body ??
          errorEnvelope([
            {
              id: errorId(),
              status: fault.status,
              code: undefined,
              title: http.STATUS_CODES[fault.status] ?? 'Error',
              detail: 'Injected by the simulator fault rules',
              source: {},
              meta: null,
            },
          ]);
        sendJson(res, fault.status, payload, headers);
        return;
      }
      if (!matched) throw new SimError(404, 103, `Not found: ${method} ${url.pathname}`);
      const actor = matched.route.auth ? this.auth.authenticate(req.headers.authorization) : this.defaultActor;
      if (/vnd\+shotgun/i.test(req.headers.accept ?? ''))
        throw new SimError(406, null, 'Not Acceptable', { detail: 'Accept application/json' });
      const reply = matched.route.handle({ req, url, params: matched.params, body, actor }, this.services);
      if (reply.send) reply.send(res);
      else sendJson(res, reply.status, reply.body, reply.headers);
    } catch (err) {
      if (err instanceof SimError) {
        sendError(res, err);
      } else {
        this.log(`error handling ${method} ${url.pathname}: ${(err as Error).message}`);
        sendError(res, new SimError(500, null, 'Shotgun Server Error'));
      }
    }
  }
}
