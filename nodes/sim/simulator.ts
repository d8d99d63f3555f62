import http = require('node:http');
import type { AddressInfo } from 'node:net';
import type { DeliveryRecord, EntityRef, FlatRecord } from '../lib/types';
import { AuthService } from './auth';
import { SimError, errorEnvelope, errorId } from './errors';
import { FaultSet, type FaultRule } from './faults';
import { readBody, sendError, sendJson } from './http-util';
import { matchRoute, type Services } from './rest';
import { DEMO_SCRIPT, seedAccounts, seedProject, type Accounts, type DemoIds } from './seed';
import { EntityStore, type Actor, type Link } from './store';
import { WebhookService, type HookDefinition, type HookRecord } from './webhooks';

export type { FaultRule } from './faults';
export type { HookDefinition, HookRecord } from './webhooks';

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
  /** Request/delivery log lines (never secrets). */
  log?: (line: string) => void;
}

export interface SimStats {
  requests: number;
  tokenRequests: number;
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

function emptyStats(): SimStats {
  return { requests: 0, tokenRequests: 0, inFlight: 0, maxInFlight: 0, byRoute: {} };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Store + auth wired together, with the demo data. */
function buildSite(ttlSeconds: number, seed: boolean): { store: EntityStore; auth: AuthService; accounts: Accounts; demo: DemoIds; actor: Actor } {
  const store = new EntityStore();
  const auth = new AuthService(ttlSeconds);
  const accounts: Accounts = {
    addScript(name, key) {
      const rec = store.insert('ApiUser', { firstname: name, description: 'Script user' });
      auth.addScript(name, key, { type: 'ApiUser', id: rec.id });
      return { type: 'ApiUser', id: rec.id };
    },
    addHumanUser(login, password, name) {
      if (auth.humanByLogin(login)) throw new Error(`a HumanUser with login '${login}' exists already`);
      const [firstname, ...rest] = name.split(' ');
      const rec = store.insert('HumanUser', { login, name, firstname, lastname: rest.join(' '), email: `${login}@fptr-sim.invalid` });
      auth.addHuman(login, password, { type: 'HumanUser', id: rec.id });
      return { type: 'HumanUser', id: rec.id };
    },
  };
  const users = seedAccounts(accounts);
  const actor: Actor = { user: { type: 'HumanUser', id: users.humanUserId } };
  const project = seed ? seedProject(store, accounts, actor) : {
    artistIds: [], projectId: 0, stepIds: {}, sequenceId: 0, shotIds: {}, assetIds: {}, taskIds: {}, versionIds: [], noteIds: [],
  };
  return { store, auth, accounts, demo: { ...users, ...project }, actor };
}

/**
 * A local stand-in for an FPTR site (fptr-api.md): REST auth, entities, _search, _batch,
 * EventLogEntry, webhooks with signed deliveries, and fault injection for client tests.
 */
export class FptrSimulator {
  /** Demo credentials and seeded record ids (the same in every instance). */
  static readonly DEMO: DemoInfo = {
    scriptName: DEMO_SCRIPT.name, scriptKey: DEMO_SCRIPT.key, login: DEMO_SCRIPT.login, password: DEMO_SCRIPT.password,
    ...buildSite(600, true).demo,
  };

  readonly faults: { add(rule: FaultRule): void; clear(): void };
  private readonly faultSet = new FaultSet();
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
      allowRemote: opts.allowRemoteHooks ?? false,
      siteUrl: () => this.baseUrl,
      log: this.log,
    });
    this.store.onEvents = (events) => this.hooks.dispatch(events);
    this.services = { store: this.store, auth: this.auth, hooks: this.hooks };
    this.faults = { add: (rule) => this.faultSet.add(rule), clear: () => this.faultSet.clear() };
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
    return this.baseUrl;
  }

  /** Stops the server, pending deliveries and timers. */
  async close(): Promise<void> {
    await this.hooks.close();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- accounts, faults, stats --------------------------------------------------------------

  addScript(name: string, key: string): EntityRef {
    return this.named(this.accounts.addScript(name, key));
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
    return this.store.all(type)
      .filter((r) => opts.includeRetired || !r.retired)
      .map((r) => this.store.flatten(r))
      .filter(predicate);
  }

  /** Fast seeding: validated like a create, but writes no events and fires no webhooks. */
  bulkCreate(type: string, rows: Array<Record<string, unknown>>): FlatRecord[] {
    return rows.map((row) => this.store.flatten(this.store.insert(type, row, this.defaultActor)));
  }

  /** Every EventLogEntry, oldest first. */
  eventLog(): FlatRecord[] {
    return this.find('EventLogEntry');
  }

  // ---- webhooks -----------------------------------------------------------------------------

  createWebhook(def: HookDefinition): HookRecord {
    return this.hooks.create(def);
  }

  webhooks(): HookRecord[] {
    return this.hooks.list();
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
    res.on('finish', () => this.log(`${method} ${url.pathname} ${res.statusCode} ${Date.now() - started}ms`));
    try {
      const body = await readBody(req);
      const fault = this.faultSet.take(method, url.pathname);
      if (fault?.latencyMs) await delay(fault.latencyMs);
      if (fault?.drop) {
        req.socket.destroy();
        return;
      }
      if (fault?.status !== undefined) {
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
        const payload = fault.body ?? errorEnvelope([{
          id: errorId(), status: fault.status, code: undefined, title: http.STATUS_CODES[fault.status] ?? 'Error',
          detail: 'Injected by the simulator fault rules', source: {}, meta: null,
        }]);
        sendJson(res, fault.status, payload, headers);
        return;
      }
      if (!matched) throw new SimError(404, 103, `Not found: ${method} ${url.pathname}`);
      const actor = matched.route.auth ? this.auth.authenticate(req.headers.authorization) : this.defaultActor;
      if (/vnd\+shotgun/i.test(req.headers.accept ?? '')) throw new SimError(406, null, 'Not Acceptable', { detail: 'Accept application/json' });
      const reply = matched.route.handle({ req, url, params: matched.params, body, actor }, this.services);
      sendJson(res, reply.status, reply.body);
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
