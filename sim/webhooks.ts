import { createHmac, randomInt, randomUUID } from 'node:crypto';
import http = require('node:http');
import https = require('node:https');
import type { DeliveryRecord } from '../lib/fptr/client/api';
import type { Delivery, Operation } from '../lib/fptr/contract';
import { badRequest, notFound } from './errors';
import { entityDefByName } from './schema';
import type { LoggedEvent } from './store';

type Action = Operation;
const ACTIONS: readonly Action[] = ['create', 'update', 'delete', 'revive'];
/** FPTR never sends webhooks for these (docs/fptr-api.md §5.10). */
const UNHOOKABLE = new Set(['ApiUser', 'EventLogEntry']);
const MAX_BATCH = 50;
const MAX_EVENT_BYTES = 1024 * 1024;
const RECORDS_KEPT_PER_HOOK = 10_000;
const DAY_MS = 86_400_000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type EntityTypeSubscriptions = Record<string, Partial<Record<Action, string[]>>>;

/** Create/update body of `/webhook/hooks` (docs/fptr-api.md §4.2). */
export interface HookDefinition {
  url: string;
  token?: string;
  entity_types?: EntityTypeSubscriptions;
  event_type?: string;
  projects?: number[];
  batch_deliveries?: boolean;
  name?: string;
  description?: string;
  validate_ssl_cert?: boolean;
  status?: 'active' | 'disabled';
}

/** A webhook as the REST API shows it (docs/fptr-api.md §4.3); the token is write-only. */
export interface HookRecord {
  id: string;
  url: string;
  entity_types?: EntityTypeSubscriptions;
  event_type?: string;
  status: string;
  projects: number[] | null;
  num_deliveries: number;
  name: string;
  description: string;
  validate_ssl_cert: boolean;
  batch_deliveries: boolean;
  is_token_set: boolean;
}

interface Hook {
  id: string;
  seq: number;
  url: string;
  token: string | undefined;
  entity_types: EntityTypeSubscriptions | undefined;
  event_type: string | undefined;
  projects: number[] | null;
  name: string;
  description: string;
  validate_ssl_cert: boolean;
  batch_deliveries: boolean;
  disabled: boolean;
  num_deliveries: number;
  failures: number[];
  queue: Job[];
  worker: Promise<void> | undefined;
  removed: boolean;
  records: DeliveryEntry[];
}

interface BatchInfo {
  batchId: string;
  size: number;
  index: number;
}

type Job =
  | { kind: 'event'; delivery: Delivery; queuedAt: number; batch: BatchInfo }
  | { kind: 'redeliver'; entry: DeliveryEntry }
  | { kind: 'test' };

interface DeliveryEntry {
  id: string;
  hookId: string;
  event_time: number | null;
  status: 'pending' | 'delivered' | 'failed';
  process_time: number | null;
  response_code: number | null;
  body: string | null;
  acknowledgement: string | null;
  request_headers: Record<string, string>;
  response_headers: Record<string, string>;
  request_body: unknown;
  /** Exact bytes sent (redelivery re-sends them). */
  raw: string;
  batch: BatchInfo;
  eventCount: number;
  /** Creation order across hooks (`deliveries()` lists oldest first). */
  seq: number;
}

/** Every status a hook can show; only `active` and `disabled` are writable over REST. */
export type HookStatus = 'active' | 'unstable' | 'failed' | 'disabled';

/** Query filters of `GET /webhook/hooks/{id}/deliveries` (docs/fptr-api.md §4.1). */
export interface DeliveryFilter {
  status?: string;
  /** Unix seconds, inclusive. */
  from?: number;
  to?: number;
  /** `null`: not acknowledged; `not_null`: acknowledged; any other value: exactly that text. */
  acknowledgement?: string;
  entityType?: string;
  entityId?: number;
}

export interface WebhookOptions {
  batchWindowMs: number;
  timeoutMs: number;
  /** Failed deliveries within 24 h that turn a hook `failed` (the guide says 100; in 2019 it said 10). */
  failedAfter: number;
  allowRemote: boolean;
  siteUrl: () => string;
  log: (line: string) => void;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), the delivery `created_at` format. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');
}

/** Long numeric strings like the real `x-sg-event-batch-id` captures. */
function batchId(): string {
  return `${randomInt(1e9, 1e10 - 1)}${Date.now()}${randomInt(1e9, 1e10 - 1)}`;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function readBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`${key} must be true or false`, 103, { source: { [key]: v } });
  return v;
}

function readString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`${key} must be a string`, 103, { source: { [key]: v } });
  return v;
}

/**
 * Webhooks, their delivery records and the delivery pipeline: matching events to hooks, one
 * request at a time per hook (batched hooks gather events for a window, ≤ 50 per body),
 * signing, timeouts, acknowledgements and redelivery.
 */
export class WebhookService {
  private readonly hooks = new Map<string, Hook>();
  private readonly entries = new Map<string, DeliveryEntry>();
  /** Per-element `delivery_id`s of batched bodies point at the record of their HTTP request. */
  private readonly aliases = new Map<string, string>();
  private readonly workers = new Set<Promise<void>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly requests = new Set<http.ClientRequest>();
  // A fresh connection per delivery: a pooled socket the consumer closed while idle would turn
  // into a spurious failed delivery.
  private readonly httpAgent = new http.Agent({ keepAlive: false });
  private readonly httpsAgent = new https.Agent({ keepAlive: false });
  private nextSeq = 4400;
  private nextEntrySeq = 0;
  private closed = false;

  constructor(private readonly opts: WebhookOptions) {}

  // ---- hooks ------------------------------------------------------------------------------

  create(body: unknown): HookRecord {
    const input = this.requireBody(body);
    const hook: Hook = {
      id: randomUUID(),
      seq: this.nextSeq++,
      url: '',
      token: undefined,
      entity_types: undefined,
      event_type: undefined,
      projects: null,
      name: '',
      description: '',
      validate_ssl_cert: true,
      batch_deliveries: false,
      disabled: false,
      num_deliveries: 0,
      failures: [],
      queue: [],
      worker: undefined,
      removed: false,
      records: [],
    };
    if (input.url === undefined) throw badRequest('url is required', 103, { source: { url: ['is required'] } });
    if ((input.entity_types === undefined) === (input.event_type === undefined)) {
      throw badRequest('Exactly one of entity_types or event_type must be provided', 103, {
        source: { entity_types: input.entity_types ?? null, event_type: input.event_type ?? null },
      });
    }
    this.apply(hook, input);
    this.hooks.set(hook.id, hook);
    return this.view(hook);
  }

  update(id: string, body: unknown): HookRecord {
    const hook = this.hook(id);
    const input = this.requireBody(body);
    if (!Object.keys(input).length) throw badRequest('at least one field must be provided');
    if (input.entity_types !== undefined && input.event_type !== undefined)
      throw badRequest('Only one of entity_types or event_type can be provided');
    this.apply(hook, input);
    return this.view(hook);
  }

  remove(id: string): void {
    const hook = this.hook(id);
    hook.removed = true;
    hook.queue = [];
    for (const e of hook.records) this.forget(e);
    this.hooks.delete(id);
  }

  get(id: string): HookRecord {
    return this.view(this.hook(id));
  }

  list(): HookRecord[] {
    return [...this.hooks.values()].map((h) => this.view(h));
  }

  /**
   * Puts a hook in any status, the system-set ones included, by shaping its failure history:
   * `failed` stops deliveries until someone sets it active again, as after real failures.
   */
  setStatus(id: string, status: HookStatus): HookRecord {
    const hook = this.hook(id);
    const now = Date.now();
    switch (status) {
      case 'active':
        hook.disabled = false;
        hook.failures = [];
        break;
      case 'unstable':
        hook.disabled = false;
        hook.failures = [now];
        break;
      case 'failed':
        hook.disabled = false;
        hook.failures = Array.from({ length: this.opts.failedAfter }, () => now);
        break;
      case 'disabled':
        hook.disabled = true;
        break;
      default:
        throw new RangeError(
          `setHookStatus: status must be one of active, unstable, failed, disabled, got ${String(status)}`,
        );
    }
    return this.view(hook);
  }

  private hook(id: string): Hook {
    if (!UUID_RE.test(id)) throw notFound(`Invalid webhook id '${id}'`, 103);
    const hook = this.hooks.get(id);
    if (!hook) throw notFound(`webhook: ${id} not found`, 104);
    return hook;
  }

  private requireBody(body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('Request body must be a JSON object');
    return body as Record<string, unknown>;
  }

  private apply(hook: Hook, input: Record<string, unknown>): void {
    const next = { ...hook };
    if (input.url !== undefined) next.url = this.checkUrl(input.url);
    if (input.entity_types !== undefined) {
      next.entity_types = this.checkEntityTypes(input.entity_types);
      next.event_type = undefined;
    }
    if (input.event_type !== undefined) {
      const ev = readString(input, 'event_type');
      if (!ev) throw badRequest('event_type must be a non-empty string');
      next.event_type = ev;
      next.entity_types = undefined;
    }
    if (input.projects !== undefined) {
      if (
        input.projects !== null &&
        (!Array.isArray(input.projects) || !input.projects.every((p) => Number.isInteger(p)))
      ) {
        throw badRequest('projects must be an array of project ids', 103, { source: { projects: input.projects } });
      }
      next.projects =
        input.projects === null || !(input.projects as number[]).length ? null : [...(input.projects as number[])];
    }
    if (input.token !== undefined) next.token = readString(input, 'token') || undefined;
    next.name = readString(input, 'name') ?? next.name;
    next.description = readString(input, 'description') ?? next.description;
    next.validate_ssl_cert = readBoolean(input, 'validate_ssl_cert') ?? next.validate_ssl_cert;
    next.batch_deliveries = readBoolean(input, 'batch_deliveries') ?? next.batch_deliveries;
    if (input.status !== undefined) {
      if (input.status !== 'active' && input.status !== 'disabled')
        throw badRequest('status must be one of: active, disabled', 103, { source: { status: input.status } });
      next.disabled = input.status === 'disabled';
      if (!next.disabled) next.failures = [];
    }
    Object.assign(hook, next);
  }

  private checkUrl(value: unknown): string {
    let url: URL;
    try {
      url = new URL(String(value));
    } catch {
      throw badRequest('url must be a valid http(s) URL', 103, { source: { url: value } });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw badRequest('url must be a valid http(s) URL', 103, { source: { url: value } });
    if (!this.opts.allowRemote && !LOOPBACK.test(url.hostname)) {
      throw badRequest(
        'The simulator only delivers to loopback URLs (start it with --allow-remote to change that)',
        103,
        { source: { url: value } },
      );
    }
    return url.toString();
  }

  private checkEntityTypes(value: unknown): EntityTypeSubscriptions {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.keys(value).length) {
      throw badRequest('entity_types must be an object like {"Task": {"update": ["sg_status_list"]}}', 103, {
        source: { entity_types: value },
      });
    }
    const out: EntityTypeSubscriptions = {};
    for (const [type, actions] of Object.entries(value as Record<string, unknown>)) {
      if (!entityDefByName(type) || UNHOOKABLE.has(type))
        throw badRequest(`entity_types: '${type}' is not a valid entity type for webhooks`, 103, {
          source: { entity_types: type },
        });
      if (typeof actions !== 'object' || actions === null || Array.isArray(actions))
        throw badRequest(`entity_types.${type} must map actions to field lists`);
      const subs: Partial<Record<Action, string[]>> = {};
      for (const [action, fields] of Object.entries(actions as Record<string, unknown>)) {
        if (!ACTIONS.includes(action as Action))
          throw badRequest(`entity_types.${type}: '${action}' is not one of: ${ACTIONS.join(', ')}`, 103, {
            source: { entity_types: { [type]: action } },
          });
        if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string'))
          throw badRequest(`entity_types.${type}.${action} must be an array of field names`);
        subs[action as Action] = [...fields];
      }
      out[type] = subs;
    }
    return out;
  }

  private status(hook: Hook): string {
    if (hook.disabled) return 'disabled';
    const since = Date.now() - DAY_MS;
    hook.failures = hook.failures.filter((t) => t > since);
    // The lower-case API spellings of the system-set states are UNCONFIRMED (docs/fptr-api.md §4.3).
    if (hook.failures.length >= this.opts.failedAfter) return 'failed';
    return hook.failures.length ? 'unstable' : 'active';
  }

  private view(hook: Hook): HookRecord {
    const out: HookRecord = {
      id: hook.id,
      url: hook.url,
      status: this.status(hook),
      projects: hook.projects,
      num_deliveries: hook.num_deliveries,
      name: hook.name,
      description: hook.description,
      validate_ssl_cert: hook.validate_ssl_cert,
      batch_deliveries: hook.batch_deliveries,
      is_token_set: hook.token !== undefined,
    };
    if (hook.entity_types) out.entity_types = JSON.parse(JSON.stringify(hook.entity_types));
    else out.event_type = hook.event_type;
    return out;
  }

  // ---- events → queued deliveries ---------------------------------------------------------

  dispatch(events: LoggedEvent[]): void {
    if (this.closed) return;
    for (const hook of this.hooks.values()) {
      const matched = events.filter((ev) => this.matches(hook, ev));
      if (!matched.length) continue;
      const id = batchId();
      matched.forEach((ev, index) =>
        hook.queue.push({
          kind: 'event',
          delivery: this.element(hook, ev),
          queuedAt: Date.now(),
          batch: { batchId: id, size: matched.length, index },
        }),
      );
      this.kick(hook);
    }
  }

  private matches(hook: Hook, ev: LoggedEvent): boolean {
    if (this.status(hook) !== 'active' && this.status(hook) !== 'unstable') return false;
    if (ev.inCreate || UNHOOKABLE.has(ev.entityType)) return false;
    if (hook.projects && !(ev.project && hook.projects.includes(ev.project.id))) return false;
    if (hook.event_type !== undefined) return hook.event_type === ev.event_type;
    const subs = hook.entity_types?.[ev.entityType];
    const fields = subs?.[ev.operation];
    if (!fields) return false;
    return (
      ev.operation !== 'update' || !fields.length || (ev.attribute_name !== null && fields.includes(ev.attribute_name))
    );
  }

  private element(hook: Hook, ev: LoggedEvent): Delivery {
    const delivery: Delivery = {
      id: `${hook.seq}.${ev.id}.0`,
      event_log_entry_id: ev.id,
      event_type: ev.event_type,
      operation: ev.operation,
      delivery_id: randomUUID(),
      session_uuid: ev.session_uuid,
      created_at: microTime(ev.createdMs),
      user: ev.user ? { type: ev.user.type, id: ev.user.id } : null,
      entity: ev.entity ? { type: ev.entity.type, id: ev.entity.id } : null,
      project: ev.project ? { type: ev.project.type, id: ev.project.id } : null,
      attribute_name: ev.attribute_name,
      meta: JSON.parse(JSON.stringify(ev.meta)),
    };
    if (Buffer.byteLength(JSON.stringify(delivery)) > MAX_EVENT_BYTES && delivery.meta) {
      // FPTR drops the values of events over 1 MB and adds a warning; whether the warning sits
      // in `meta` or in the delivery itself is UNCONFIRMED (docs/fptr-api.md §5.6) — we put it in meta.
      delete delivery.meta.old_value;
      delete delivery.meta.new_value;
      delivery.meta.warning = `The event exceeded 1 MB, so new_value and old_value were removed. Read EventLogEntry ${ev.id} for the full values.`;
    }
    return delivery;
  }

  private testElement(hook: Hook): Delivery {
    return {
      id: `${hook.seq}.0.0`,
      event_log_entry_id: 0,
      event_type: 'Test_Connection',
      operation: 'test_connection',
      delivery_id: randomUUID(),
      session_uuid: null,
      created_at: microTime(Date.now()),
      entity: { type: null, id: 0 },
      project: { type: 'Project', id: 0 },
      attribute_name: null,
      meta: { type: 'test_connection', entity_type: 'null', entity_id: 'null', hook_id: hook.id },
    };
  }

  /** Queues the documented Test_Connection delivery; unknown ids are ignored when `lenient` (REST answers 204 regardless). */
  testConnection(hookId: string, lenient = false): void {
    const hook = this.hooks.get(hookId);
    if (!hook) {
      if (lenient) return;
      throw notFound(`webhook: ${hookId} not found`, 104);
    }
    hook.queue.push({ kind: 'test' });
    this.kick(hook);
  }

  // ---- delivery records -------------------------------------------------------------------

  deliveries(hookId?: string): DeliveryRecord[] {
    const hooks = hookId === undefined ? [...this.hooks.values()] : [this.hook(hookId)];
    return hooks
      .flatMap((h) => h.records)
      .sort((a, b) => a.seq - b.seq)
      .map((e) => this.record(e));
  }

  /** Records of one hook for the REST list, oldest first. */
  listDeliveries(hookId: string, filter: DeliveryFilter): DeliveryRecord[] {
    const ack = filter.acknowledgement;
    return this.hook(hookId)
      .records.filter((e) => !filter.status || e.status === filter.status)
      .filter((e) => filter.from === undefined || (e.event_time ?? 0) >= filter.from)
      .filter((e) => filter.to === undefined || (e.event_time ?? 0) <= filter.to)
      .filter(
        (e) =>
          ack === undefined ||
          (ack === 'null'
            ? e.acknowledgement === null
            : ack === 'not_null'
              ? e.acknowledgement !== null
              : e.acknowledgement === ack),
      )
      .filter(
        (e) =>
          (filter.entityType === undefined && filter.entityId === undefined) ||
          this.elements(e).some((d) => {
            const type = d.entity?.type ?? d.meta?.entity_type;
            const id = d.entity?.id ?? d.meta?.entity_id;
            return (
              (filter.entityType === undefined || type === filter.entityType) &&
              (filter.entityId === undefined || id === filter.entityId)
            );
          }),
      )
      .map((e) => this.record(e));
  }

  /** The delivery objects a record's request carried (one, or a batch). */
  private elements(e: DeliveryEntry): Delivery[] {
    const data = (e.request_body as { data?: Delivery | { deliveries?: Delivery[] } }).data;
    if (!data) return [];
    return 'deliveries' in data && Array.isArray(data.deliveries) ? data.deliveries : [data as Delivery];
  }

  delivery(id: string): DeliveryRecord {
    return this.record(this.entry(id));
  }

  acknowledge(id: string, acknowledgement: unknown): DeliveryRecord {
    const entry = this.entry(id);
    if (acknowledgement !== null && typeof acknowledgement !== 'string') {
      throw badRequest('acknowledgement must be a string', 103, { source: { acknowledgement: ['must be a string'] } });
    }
    if (acknowledgement !== null && Buffer.byteLength(acknowledgement, 'utf8') > 4096) {
      throw badRequest('acknowledgement must be 4096 bytes long or less', 103, {
        source: { acknowledgement: ['must be 4096 bytes long or less'] },
      });
    }
    entry.acknowledgement = acknowledgement;
    return this.record(entry);
  }

  redeliver(id: string): void {
    const entry = this.entry(id);
    const hook = this.hooks.get(entry.hookId);
    if (!hook) throw notFound(`delivery: ${id} not found`, 104);
    hook.queue.push({ kind: 'redeliver', entry });
    this.kick(hook);
  }

  private entry(id: string): DeliveryEntry {
    if (!UUID_RE.test(id)) throw notFound(`Invalid delivery id '${id}'`, 103);
    const entry = this.entries.get(id) ?? this.entries.get(this.aliases.get(id) ?? '');
    if (!entry) throw notFound(`delivery: ${id} not found`, 104, `delivery: ${id} not found`);
    return entry;
  }

  private record(e: DeliveryEntry): DeliveryRecord {
    return {
      id: e.id,
      event_time: e.event_time ?? undefined,
      status: e.status,
      process_time: e.process_time ?? undefined,
      response_code: e.response_code ?? undefined,
      body: e.body ?? undefined,
      acknowledgement: e.acknowledgement,
      request_headers: { ...e.request_headers },
      response_headers: { ...e.response_headers },
      request_body: JSON.parse(e.raw),
    };
  }

  private forget(e: DeliveryEntry): void {
    this.entries.delete(e.id);
    for (const d of this.elements(e)) if (d.delivery_id) this.aliases.delete(d.delivery_id);
  }

  // ---- sending ----------------------------------------------------------------------------

  /** Resolves once nothing is queued, waiting for a batch window, or in flight. */
  async settled(): Promise<void> {
    while (this.workers.size) await Promise.allSettled([...this.workers]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
    for (const req of this.requests) req.destroy();
    for (const hook of this.hooks.values()) hook.queue = [];
    await this.settled();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private kick(hook: Hook): void {
    if (hook.worker || this.closed || hook.removed) return;
    const worker: Promise<void> = this.work(hook)
      .catch((err: unknown) => this.opts.log(`webhook ${hook.id}: delivery worker error: ${(err as Error).message}`))
      .finally(() => {
        hook.worker = undefined;
        this.workers.delete(worker);
        if (hook.queue.length) this.kick(hook);
      });
    hook.worker = worker;
    this.workers.add(worker);
  }

  private async work(hook: Hook): Promise<void> {
    while (hook.queue.length && !this.closed && !hook.removed) {
      const job = hook.queue[0];
      if (job.kind === 'event' && hook.batch_deliveries) {
        const wait = job.queuedAt + this.opts.batchWindowMs - Date.now();
        if (wait > 0) await this.sleep(wait);
        if (this.closed || hook.removed) return;
        let n = 0;
        while (n < hook.queue.length && n < MAX_BATCH && hook.queue[n].kind === 'event') n++;
        const jobs = hook.queue.splice(0, n) as Array<Extract<Job, { kind: 'event' }>>;
        if (!this.deliverable(hook)) continue;
        const body = { timestamp: new Date().toISOString(), data: { deliveries: jobs.map((j) => j.delivery) } };
        await this.sendNew(hook, body, jobs.length, { batchId: batchId(), size: jobs.length, index: 0 });
      } else if (job.kind === 'event') {
        hook.queue.shift();
        if (!this.deliverable(hook)) continue;
        await this.sendNew(hook, { data: job.delivery, timestamp: new Date().toISOString() }, 1, job.batch);
      } else if (job.kind === 'redeliver') {
        hook.queue.shift();
        await this.send(hook, job.entry, { ...job.entry.batch, batchId: batchId() });
      } else {
        hook.queue.shift();
        const element = this.testElement(hook);
        const body = hook.batch_deliveries
          ? { timestamp: new Date().toISOString(), data: { deliveries: [element] } }
          : { data: element, timestamp: new Date().toISOString() };
        await this.sendNew(hook, body, 1, { batchId: batchId(), size: 1, index: 0 });
      }
    }
  }

  private deliverable(hook: Hook): boolean {
    const status = this.status(hook);
    return status === 'active' || status === 'unstable';
  }

  private async sendNew(
    hook: Hook,
    body: { timestamp: string; data: Delivery | { deliveries: Delivery[] } },
    eventCount: number,
    batch: BatchInfo,
  ): Promise<void> {
    const single = 'deliveries' in body.data ? undefined : (body.data as Delivery);
    // Un-batched: the element's delivery_id is the record id; batched: elements alias to it.
    const id = single?.delivery_id ?? randomUUID();
    const raw = JSON.stringify(body);
    const entry: DeliveryEntry = {
      id,
      hookId: hook.id,
      event_time: null,
      status: 'pending',
      process_time: null,
      response_code: null,
      body: null,
      acknowledgement: null,
      request_headers: {},
      response_headers: {},
      request_body: body,
      raw,
      batch,
      eventCount,
      seq: this.nextEntrySeq++,
    };
    this.entries.set(id, entry);
    if (!single)
      for (const d of (body.data as { deliveries: Delivery[] }).deliveries)
        if (d.delivery_id) this.aliases.set(d.delivery_id, id);
    hook.records.push(entry);
    hook.num_deliveries++;
    if (hook.records.length > RECORDS_KEPT_PER_HOOK) {
      const old = hook.records.shift();
      if (old) this.forget(old);
    }
    await this.send(hook, entry, batch);
  }

  private headers(hook: Hook, entry: DeliveryEntry, batch: BatchInfo): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json',
      'user-agent': 'SG event-pipeline',
      'x-sg-webhook-id': hook.id,
      'x-sg-delivery-id': entry.id,
      'x-sg-event-batch-id': batch.batchId,
      'x-sg-event-batch-size': String(batch.size),
      'x-sg-event-batch-index': String(batch.index),
      'x-sg-webhook-site-url': `${this.opts.siteUrl()}/`,
    };
    if (hook.token !== undefined)
      headers['x-sg-signature'] = 'sha1=' + createHmac('sha1', hook.token).update(entry.raw, 'utf8').digest('hex');
    return headers;
  }

  private async send(hook: Hook, entry: DeliveryEntry, batch: BatchInfo): Promise<void> {
    const headers = this.headers(hook, entry, batch);
    const started = Date.now();
    // Batched bodies get 1 s per event at the default 6 s timeout (docs/fptr-api.md §5.5), scaled with it.
    const timeoutMs = Math.max(this.opts.timeoutMs, (this.opts.timeoutMs / 6) * entry.eventCount);
    entry.request_headers = headers;
    entry.event_time = Math.floor(started / 1000);
    const result = await this.transmit(hook, headers, entry.raw, timeoutMs);
    entry.process_time = Date.now() - started;
    entry.response_code = result.code;
    entry.body = result.body.slice(0, 100);
    entry.response_headers = result.headers;
    entry.status = result.code > 0 && result.code < 400 ? 'delivered' : 'failed';
    if (entry.status === 'failed') hook.failures.push(Date.now());
    this.opts.log(
      `delivery ${entry.id} → ${hook.url} ${result.code || result.error} ${entry.process_time}ms (${entry.eventCount} event${entry.eventCount === 1 ? '' : 's'})`,
    );
  }

  private transmit(
    hook: Hook,
    headers: Record<string, string>,
    raw: string,
    timeoutMs: number,
  ): Promise<{ code: number; body: string; headers: Record<string, string>; error?: string }> {
    return new Promise((resolve) => {
      const url = new URL(hook.url);
      const isHttps = url.protocol === 'https:';
      const payload = Buffer.from(raw, 'utf8');
      const options: https.RequestOptions = {
        method: 'POST',
        headers: { ...headers, 'content-length': String(payload.length) },
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        rejectUnauthorized: hook.validate_ssl_cert,
      };
      let finished = false;
      const done = (code: number, body: string, resHeaders: Record<string, string>, error?: string): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.requests.delete(req);
        resolve({ code, body, headers: resHeaders, error });
      };
      const req = (isHttps ? https : http).request(url, options, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 100) text += chunk;
        });
        res.on('end', () => {
          const resHeaders: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
          done(res.statusCode ?? 0, text, resHeaders);
        });
        res.on('error', (err) => done(0, '', {}, err.message));
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      this.requests.add(req);
      req.on('error', (err) => done(0, '', {}, err.message));
      req.end(payload);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });
  }
}
