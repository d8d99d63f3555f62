import type { FlatRecord } from '../lib/fptr/client/api';
import { ENTITY_DEFS, entityDefForPath, type EntityDef, type FieldDef } from './schema';
import { SimError, badRequest, notFound } from './errors';
import { EventLogPolicy } from './event-log';
import type { Operation } from '../lib/fptr/contract';

/** A link as stored: `{type, id}`; names are resolved when a record is read. */
export interface Link {
  type: string;
  id: number;
}

/** A link as reads return it. */
export interface NamedLink extends Link {
  name: string | null;
}

export interface StoredRecord {
  type: string;
  id: number;
  fields: Record<string, unknown>;
  retired: boolean;
  /** EventLogEntry rows: `created_at` in epoch ms (retention checks without parsing). */
  createdMs?: number;
}

/** Inclusive id bounds a filter implies (used to scan the event log from an id on). */
export interface IdRange {
  min?: number;
  max?: number;
}

/** A field value of a file (`url`) field as reads return it (docs/fptr-api.md §2.12). */
export interface FileValue {
  url?: string;
  name?: string | null;
  content_type?: string | null;
  link_type: 'upload' | 'web';
  type?: 'Attachment';
  id?: number;
}

/** One EventLogEntry as written, plus what the webhook dispatcher needs to match it. */
export interface LoggedEvent {
  id: number;
  event_type: string;
  attribute_name: string | null;
  meta: Record<string, unknown>;
  entity: Link | null;
  user: Link | null;
  project: Link | null;
  session_uuid: string | null;
  /** Milliseconds since the epoch (deliveries print microseconds). */
  createdMs: number;
  operation: Operation;
  entityType: string;
  inCreate: boolean;
}

/** Who makes a change: the token's user, and the script behind it when impersonating. */
export interface Actor {
  user: Link;
  sudoActualUser?: Link;
}

type WriteVerb = 'create' | 'update' | 'read';

interface FieldChange {
  field: string;
  def: FieldDef;
  oldValue: unknown;
  newValue: unknown;
  added?: Link[];
  removed?: Link[];
}

/** ISO-8601 without milliseconds, as FPTR returns date_time values on reads. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isLink(v: unknown): v is Link {
  return (
    typeof v === 'object' && v !== null && typeof (v as Link).type === 'string' && Number.isInteger((v as Link).id)
  );
}

function sameLink(a: Link, b: Link): boolean {
  return a.type === b.type && a.id === b.id;
}

/** What a `_batch` rolls back when one of its entries fails. */
interface Transaction {
  created: Set<StoredRecord>;
  saved: Map<StoredRecord, { fields: Record<string, unknown>; retired: boolean }>;
  nextEntityId: number;
  nextEventId: number;
  events: LoggedEvent[][];
}

/**
 * Records of every entity type plus the event log. Every write through create/update/retire/
 * revive writes EventLogEntry rows like FPTR and hands them to `onEvents` (webhook dispatch);
 * `insert` is the quiet path for seeding.
 */
export class EntityStore {
  private readonly tables = new Map<string, Map<number, StoredRecord>>();
  /** EventLogEntry rows in id order, for range scans of large logs. */
  private eventRows: StoredRecord[] = [];
  private nextEntityId = 1;
  private nextEventId = 1;
  private tx: Transaction | undefined;
  onEvents: ((events: LoggedEvent[]) => void) | undefined;
  /** Which rows reads may see (held back, past retention). */
  readonly eventLog: EventLogPolicy;

  constructor(private readonly now: () => number = Date.now) {
    for (const def of ENTITY_DEFS) this.tables.set(def.name, new Map());
    this.eventLog = new EventLogPolicy(now);
  }

  /** The schema entry for a path segment or type name; 404 like FPTR when unknown. */
  def(typeName: string): EntityDef {
    const def = entityDefForPath(typeName);
    if (!def) throw notFound(`Entity type '${typeName}' does not exist.`, 103);
    return def;
  }

  lookup(typeName: string, id: number): StoredRecord | undefined {
    return this.tables.get(this.def(typeName).name)?.get(id);
  }

  /** Active record or 404 code 104 (FPTR's update wording). */
  active(typeName: string, id: number): StoredRecord {
    const def = this.def(typeName);
    const rec = this.tables.get(def.name)?.get(id);
    if (!rec || rec.retired)
      throw notFound(`Entity of type [${def.name}] with id=${id} does not exist.`, 104, `${def.name}: ${id} not found`);
    return rec;
  }

  /** Every record of a type, in id order. */
  all(typeName: string): StoredRecord[] {
    return [...(this.tables.get(this.def(typeName).name)?.values() ?? [])];
  }

  /**
   * The records of a type within an id range, in id order (or reversed), lazily: a poller
   * reading the event log from an id on touches only the rows it returns.
   */
  *scan(typeName: string, range: IdRange, descending = false): Generator<StoredRecord> {
    const def = this.def(typeName);
    const min = range.min ?? -Infinity,
      max = range.max ?? Infinity;
    if (def.name !== 'EventLogEntry') {
      const rows = this.all(def.name).filter((r) => r.id >= min && r.id <= max);
      yield* descending ? rows.reverse() : rows;
      return;
    }
    const rows = this.eventRows;
    // First index whose id is above `bound` (or at least `bound` when `inclusive`).
    const search = (bound: number, inclusive: boolean): number => {
      let lo = 0,
        hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (inclusive ? rows[mid].id < bound : rows[mid].id <= bound) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const start = search(min, true),
      end = search(max, false);
    if (descending) for (let i = end - 1; i >= start; i--) yield rows[i];
    else for (let i = start; i < end; i++) yield rows[i];
  }

  /** False for event-log rows that are held back or past the retention period. */
  readable(rec: StoredRecord): boolean {
    return rec.type !== 'EventLogEntry' || this.eventLog.readable(rec.id, rec.createdMs ?? 0);
  }

  /**
   * A stored field as reads see it. An EventLogEntry's `entity` reads as null while that record
   * is in the trash: FPTR drops the link from earlier rows once the entity is retired.
   */
  fieldValue(rec: StoredRecord, field: string): unknown {
    const value = rec.fields[field];
    if (rec.type === 'EventLogEntry' && field === 'entity' && isLink(value)) {
      const target = this.tables.get(value.type)?.get(value.id);
      if (!target || target.retired) return null;
    }
    return value;
  }

  /** Removes event-log rows for good; returns how many went. */
  pruneEvents(drop: (rec: StoredRecord) => boolean): number {
    const table = this.tables.get('EventLogEntry');
    const kept: StoredRecord[] = [];
    for (const rec of this.eventRows) {
      if (drop(rec)) table?.delete(rec.id);
      else kept.push(rec);
    }
    const removed = this.eventRows.length - kept.length;
    this.eventRows = kept;
    return removed;
  }

  nameOf(link: Link): string | null {
    const def = entityDefForPath(link.type);
    const rec = def ? this.tables.get(def.name)?.get(link.id) : undefined;
    if (!def || !rec) return null;
    const name = rec.fields[def.nameField];
    return typeof name === 'string' ? name : null;
  }

  /** `{type, id, name}` as reads return links. */
  namedLink(link: Link): NamedLink {
    return { type: link.type, id: link.id, name: this.nameOf(link) };
  }

  /** A field value as reads return it (links named). */
  present(value: unknown, fd: FieldDef): unknown {
    if (fd.type === 'multi_entity' && Array.isArray(value))
      return value.map((v) => (isLink(v) ? this.namedLink(v) : v));
    if (fd.type === 'entity' && isLink(value)) return this.namedLink(value);
    return value;
  }

  flatten(rec: StoredRecord, fields?: readonly string[]): FlatRecord {
    const def = this.def(rec.type);
    const out: FlatRecord = { type: rec.type, id: rec.id };
    for (const name of fields ?? Object.keys(def.fields)) {
      if (name === 'id' || !(name in def.fields)) continue;
      out[name] = this.present(this.fieldValue(rec, name) ?? null, def.fields[name]);
    }
    return out;
  }

  // ---- transactions -----------------------------------------------------------------------

  /**
   * Runs `fn` all-or-nothing: when it throws, every record it created, changed, retired or
   * revived is restored, its event-log rows vanish (ids are reused) and no webhook fires.
   * Events of a successful run are dispatched afterwards, one group per write as usual.
   */
  atomically<T>(fn: () => T): T {
    if (this.tx) return fn();
    const tx: Transaction = {
      created: new Set(),
      saved: new Map(),
      nextEntityId: this.nextEntityId,
      nextEventId: this.nextEventId,
      events: [],
    };
    this.tx = tx;
    let out: T;
    try {
      out = fn();
    } catch (err) {
      this.tx = undefined;
      this.rollback(tx);
      throw err;
    }
    this.tx = undefined;
    for (const group of tx.events) this.emit(group);
    return out;
  }

  private rollback(tx: Transaction): void {
    for (const [rec, saved] of tx.saved) {
      rec.fields = saved.fields;
      rec.retired = saved.retired;
    }
    for (const rec of tx.created) {
      this.tables.get(rec.type)?.delete(rec.id);
      if (rec.type === 'EventLogEntry') this.eventLog.forget(rec.id);
    }
    this.eventRows = this.eventRows.filter((r) => !tx.created.has(r));
    this.nextEntityId = tx.nextEntityId;
    this.nextEventId = tx.nextEventId;
  }

  /** Remembers a record's state before a transaction changes it. */
  private touch(rec: StoredRecord): void {
    const tx = this.tx;
    if (tx && !tx.created.has(rec) && !tx.saved.has(rec))
      tx.saved.set(rec, { fields: { ...rec.fields }, retired: rec.retired });
  }

  /**
   * Whether a write by this actor is logged. An ApiUser logs only with generate_event_log_entries
   * on (FPTR's default is off, docs/fptr-api.md §6.5); while impersonating, the script's flag decides.
   */
  private logs(actor: Actor): boolean {
    const who = actor.sudoActualUser ?? actor.user;
    if (who.type !== 'ApiUser') return true;
    return this.tables.get('ApiUser')?.get(who.id)?.fields.generate_event_log_entries === true;
  }

  // ---- writes -----------------------------------------------------------------------------

  /** Create without events or webhooks (seeding, bulk test data). */
  insert(typeName: string, data: Record<string, unknown>, actor?: Actor): StoredRecord {
    const def = this.def(typeName);
    const values = this.validateCreate(def, data);
    return this.put(def, values, actor);
  }

  /**
   * `serverSet` adds values the server decides once the id is known (an Attachment's own file);
   * they are stored unvalidated and logged like the rest.
   */
  create(
    typeName: string,
    data: Record<string, unknown>,
    actor: Actor,
    serverSet?: (rec: StoredRecord) => Record<string, unknown>,
  ): StoredRecord {
    const def = this.def(typeName);
    const values = this.validateCreate(def, data);
    const rec = this.put(def, values, actor);
    if (serverSet) {
      const extra = serverSet(rec);
      Object.assign(rec.fields, extra);
      Object.assign(values, extra);
    }
    if (!this.logs(actor)) return rec;
    const at = this.now();
    const project = this.projectOf(rec);
    const events: LoggedEvent[] = [
      this.log(
        at,
        actor,
        rec,
        project,
        'create',
        `Shotgun_${def.name}_New`,
        null,
        { type: 'new_entity', entity_type: def.name, entity_id: rec.id },
        false,
      ),
    ];
    for (const field of Object.keys(values)) {
      const fd = def.fields[field];
      const change: FieldChange =
        fd.type === 'multi_entity'
          ? { field, def: fd, oldValue: [], newValue: values[field], added: values[field] as Link[], removed: [] }
          : { field, def: fd, oldValue: null, newValue: values[field] };
      events.push(this.logChange(at, actor, rec, project, change, true));
    }
    this.emit(events);
    return rec;
  }

  update(typeName: string, id: number, data: Record<string, unknown>, actor: Actor): StoredRecord {
    const def = this.def(typeName);
    const rec = this.active(def.name, id);
    const changes = this.validateUpdate(def, rec, data);
    const at = this.now();
    this.touch(rec);
    for (const c of changes) rec.fields[c.field] = c.newValue;
    rec.fields.updated_at = isoSeconds(at);
    rec.fields.updated_by = actor.user;
    if (!this.logs(actor)) return rec;
    const project = this.projectOf(rec);
    this.emit(changes.map((c) => this.logChange(at, actor, rec, project, c, false)));
    return rec;
  }

  retire(typeName: string, id: number, actor: Actor): void {
    const def = this.def(typeName);
    const rec = this.active(def.name, id);
    this.touch(rec);
    rec.retired = true;
    if (!this.logs(actor)) return;
    const at = this.now();
    const meta = {
      type: 'entity_retirement',
      entity_type: def.name,
      entity_id: rec.id,
      id: rec.id,
      class_name: def.name,
      display_name: this.nameOf(rec),
      retirement_date: new Date(at)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, ' UTC'),
    };
    // FPTR nulls the log row's entity once the record is in the trash; meta keeps the id.
    this.emit([
      this.log(
        at,
        actor,
        null,
        this.projectOf(rec),
        'delete',
        `Shotgun_${def.name}_Retirement`,
        null,
        meta,
        false,
        rec,
      ),
    ]);
  }

  /** True when the record was in the trash and is now back (FPTR's `did_revive`). */
  revive(typeName: string, id: number, actor: Actor): boolean {
    const def = this.def(typeName);
    const rec = this.lookup(def.name, id);
    if (!rec)
      throw notFound(`Entity of type [${def.name}] with id=${id} does not exist.`, 104, `${def.name}: ${id} not found`);
    if (!rec.retired) return false;
    this.touch(rec);
    rec.retired = false;
    if (!this.logs(actor)) return true;
    const meta = {
      type: 'entity_revival',
      entity_type: def.name,
      entity_id: rec.id,
      id: rec.id,
      class_name: def.name,
      display_name: this.nameOf(rec),
    };
    this.emit([
      this.log(this.now(), actor, rec, this.projectOf(rec), 'revive', `Shotgun_${def.name}_Revival`, null, meta, false),
    ]);
    return true;
  }

  // ---- validation -------------------------------------------------------------------------

  /** Normalised field values for a create; throws the 400 FPTR would answer. */
  validateCreate(def: EntityDef, data: Record<string, unknown>): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [field, raw] of Object.entries(this.requireObject(data, 'create'))) {
      if (field === 'type' || field === 'id') continue;
      const fd = this.fieldDef(def, field, 'create');
      if (fd.readOnly) throw badRequest(`API create() ${def.name}.${field} is not editable.`);
      const value = fd.type === 'multi_entity' && isUpdateMode(raw) ? raw.value : raw;
      values[field] = this.normalise(def, field, fd, value, 'create');
    }
    return values;
  }

  /** The field changes an update would make (unchanged values dropped). */
  validateUpdate(def: EntityDef, rec: StoredRecord, data: Record<string, unknown>): FieldChange[] {
    const changes: FieldChange[] = [];
    for (const [field, raw] of Object.entries(this.requireObject(data, 'update'))) {
      if (field === 'type' || field === 'id') continue;
      const fd = this.fieldDef(def, field, 'update');
      if (fd.readOnly) throw badRequest(`API update() ${def.name}.${field} is not editable.`);
      const oldValue = rec.fields[field] ?? (fd.type === 'multi_entity' ? [] : null);
      if (fd.type === 'multi_entity') {
        const before = oldValue as Link[];
        const after = this.multiUpdate(def, field, fd, before, raw);
        const added = after.filter((l) => !before.some((b) => sameLink(b, l)));
        const removed = before.filter((b) => !after.some((l) => sameLink(b, l)));
        if (added.length || removed.length)
          changes.push({ field, def: fd, oldValue: before, newValue: after, added, removed });
        continue;
      }
      const newValue = this.normalise(def, field, fd, raw, 'update');
      if (JSON.stringify(newValue) !== JSON.stringify(oldValue)) changes.push({ field, def: fd, oldValue, newValue });
    }
    return changes;
  }

  /** Field definition for filters/sorts: 400 code 103 `API read() Type.field doesn't exist.` */
  fieldDef(def: EntityDef, field: string, verb: WriteVerb): FieldDef {
    const fd = Object.prototype.hasOwnProperty.call(def.fields, field) ? def.fields[field] : undefined;
    if (!fd) throw badRequest(`API ${verb}() ${def.name}.${field} doesn't exist.`);
    return fd;
  }

  private requireObject(data: unknown, verb: WriteVerb): Record<string, unknown> {
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw badRequest(`API ${verb}() expects an object of field values.`);
    return data as Record<string, unknown>;
  }

  private multiUpdate(def: EntityDef, field: string, fd: FieldDef, before: Link[], raw: unknown): Link[] {
    if (!isUpdateMode(raw)) return this.normalise(def, field, fd, raw, 'update') as Link[];
    const value = this.normalise(def, field, fd, raw.value, 'update') as Link[];
    switch (raw.multi_entity_update_mode) {
      case 'set':
        return value;
      case 'add':
        return [...before, ...value.filter((l) => !before.some((b) => sameLink(b, l)))];
      case 'remove':
        return before.filter((b) => !value.some((l) => sameLink(b, l)));
      default:
        throw badRequest(
          `API update() ${def.name}.${field}: multi_entity_update_mode must be one of: add, remove, set.`,
        );
    }
  }

  private normalise(def: EntityDef, field: string, fd: FieldDef, value: unknown, verb: WriteVerb): unknown {
    const fail = (why: string): SimError => badRequest(`API ${verb}() ${def.name}.${field} ${why}`);
    if (value === null || value === undefined) {
      if (fd.type === 'multi_entity') return [];
      if (fd.type === 'checkbox') return false;
      return null;
    }
    switch (fd.type) {
      case 'text':
      case 'list':
        if (typeof value !== 'string') throw fail(`expects a string, got ${JSON.stringify(value)}.`);
        return value;
      case 'url':
        return this.fileValue(value, fail);
      case 'status_list':
        if (typeof value !== 'string' || (fd.values && !fd.values.includes(value))) {
          throw fail(`value ${JSON.stringify(value)} is not a valid status (${(fd.values ?? []).join(', ')}).`);
        }
        return value;
      case 'number':
        if (!Number.isInteger(value)) throw fail(`expects an integer, got ${JSON.stringify(value)}.`);
        return value;
      case 'float':
        if (typeof value !== 'number' || !Number.isFinite(value))
          throw fail(`expects a number, got ${JSON.stringify(value)}.`);
        return value;
      case 'checkbox':
        if (typeof value !== 'boolean') throw fail(`expects true or false, got ${JSON.stringify(value)}.`);
        return value;
      case 'date':
        if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
          throw fail(`expects a date YYYY-MM-DD, got ${JSON.stringify(value)}.`);
        }
        return value;
      case 'date_time': {
        const ms = typeof value === 'string' ? Date.parse(value.replace(/ UTC$/, 'Z')) : NaN;
        if (Number.isNaN(ms)) throw fail(`expects an ISO-8601 date and time, got ${JSON.stringify(value)}.`);
        return isoSeconds(ms);
      }
      case 'entity':
        return this.checkLink(fd, value, fail);
      case 'multi_entity':
        if (!Array.isArray(value)) throw fail('expects an array of entity links.');
        return value
          .map((v) => this.checkLink(fd, v, fail))
          .filter((l, i, all) => all.findIndex((o) => sameLink(o, l)) === i);
      case 'serializable':
        return JSON.parse(JSON.stringify(value));
    }
  }

  /**
   * A file field takes a string, a web link `{url, name?}`, or an uploaded Attachment
   * (`{type: 'Attachment', id}`, which reads back as that Attachment's file).
   */
  private fileValue(value: unknown, fail: (why: string) => SimError): unknown {
    if (typeof value === 'string') return value;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw fail(`expects a string or a file link object, got ${JSON.stringify(value)}.`);
    const v = value as Record<string, unknown>;
    if (v.link_type === 'upload' || v.type === 'Attachment') {
      const attachment = Number.isInteger(v.id) ? this.tables.get('Attachment')?.get(v.id as number) : undefined;
      const file = attachment && !attachment.retired ? attachment.fields.this_file : undefined;
      if (!file || typeof file !== 'object')
        throw fail(`links to Attachment ${JSON.stringify(v.id ?? null)}, which holds no uploaded file.`);
      return { ...(file as FileValue) };
    }
    if (
      (v.link_type === undefined || v.link_type === 'web') &&
      typeof v.url === 'string' &&
      /^https?:\/\//i.test(v.url)
    ) {
      const link: FileValue = {
        url: v.url,
        name: typeof v.name === 'string' ? v.name : v.url,
        content_type: null,
        link_type: 'web',
      };
      return link;
    }
    throw fail(
      `expects a web link {url: "http(s)://…", name?} or an uploaded Attachment, got ${JSON.stringify(value)}.`,
    );
  }

  private checkLink(fd: FieldDef, value: unknown, fail: (why: string) => SimError): Link {
    if (!isLink(value)) throw fail(`expects an entity link {type, id}, got ${JSON.stringify(value)}.`);
    if (fd.linkTypes && !fd.linkTypes.includes(value.type))
      throw fail(`does not accept links to ${value.type} (valid: ${fd.linkTypes.join(', ')}).`);
    const target = entityDefForPath(value.type);
    const rec = target && target.name === value.type ? this.tables.get(target.name)?.get(value.id) : undefined;
    if (!rec || rec.retired) throw fail(`links to ${value.type} ${value.id}, which does not exist.`);
    return { type: value.type, id: value.id };
  }

  // ---- internals --------------------------------------------------------------------------

  private put(def: EntityDef, values: Record<string, unknown>, actor?: Actor): StoredRecord {
    const at = this.now();
    const id = def.name === 'EventLogEntry' ? this.nextEventId++ : this.nextEntityId++;
    const fields: Record<string, unknown> = {};
    for (const [name, fd] of Object.entries(def.fields)) {
      if (name === 'id') continue;
      fields[name] = fd.default ?? (fd.type === 'multi_entity' ? [] : fd.type === 'checkbox' ? false : null);
    }
    Object.assign(fields, values);
    fields.created_at = (values.created_at as string | undefined) ?? isoSeconds(at);
    fields.updated_at = isoSeconds(at);
    fields.created_by = (values.created_by as Link | undefined) ?? actor?.user ?? null;
    fields.updated_by = actor?.user ?? null;
    const rec: StoredRecord = { type: def.name, id, fields, retired: false };
    this.tables.get(def.name)?.set(id, rec);
    this.tx?.created.add(rec);
    return rec;
  }

  private projectOf(rec: StoredRecord): Link | null {
    if (rec.type === 'Project') return { type: 'Project', id: rec.id };
    const p = rec.fields.project;
    return isLink(p) ? p : null;
  }

  private logChange(
    at: number,
    actor: Actor,
    rec: StoredRecord,
    project: Link | null,
    c: FieldChange,
    inCreate: boolean,
  ): LoggedEvent {
    const meta: Record<string, unknown> = {
      type: 'attribute_change',
      attribute_name: c.field,
      entity_type: rec.type,
      entity_id: rec.id,
      field_data_type: c.def.type,
    };
    if (c.def.type === 'multi_entity') {
      meta.added = (c.added ?? []).map((l) => this.namedLink(l));
      meta.removed = (c.removed ?? []).map((l) => this.namedLink(l));
    } else {
      meta.old_value = this.present(c.oldValue, c.def);
      meta.new_value = this.present(c.newValue, c.def);
    }
    if (inCreate) meta.in_create = true;
    return this.log(
      at,
      actor,
      rec,
      project,
      inCreate ? 'create' : 'update',
      `Shotgun_${rec.type}_Change`,
      c.field,
      meta,
      inCreate,
    );
  }

  private log(
    at: number,
    actor: Actor,
    rec: StoredRecord | null,
    project: Link | null,
    operation: Operation,
    eventType: string,
    attribute: string | null,
    meta: Record<string, unknown>,
    inCreate: boolean,
    subject: StoredRecord | null = rec,
  ): LoggedEvent {
    if (actor.sudoActualUser) meta.sudo_actual_user = this.namedLink(actor.sudoActualUser);
    const entityType = subject?.type ?? '';
    const description =
      `${this.nameOf(actor.user) ?? actor.user.type} ${describe(operation, inCreate)} ${entityType} ${subject ? (this.nameOf(subject) ?? subject.id) : ''}`.trim();
    const row = this.put(
      this.def('EventLogEntry'),
      {
        event_type: eventType,
        attribute_name: attribute,
        meta,
        project,
        entity: rec ? { type: rec.type, id: rec.id } : null,
        user: actor.user,
        session_uuid: null,
        description: attribute ? `${description}: ${attribute}` : description,
        created_at: isoSeconds(at),
      },
      actor,
    );
    this.logged(row, at);
    return {
      id: row.id,
      event_type: eventType,
      attribute_name: attribute,
      meta,
      entity: rec ? { type: rec.type, id: rec.id } : null,
      user: actor.user,
      project,
      session_uuid: null,
      createdMs: at,
      operation,
      entityType,
      inCreate,
    };
  }

  /** Files a new EventLogEntry row in the id-ordered log. */
  private logged(row: StoredRecord, createdMs: number): void {
    row.createdMs = createdMs;
    this.eventRows.push(row);
    this.eventLog.written(row.id);
  }

  /**
   * Files one EventLogEntry row without validation or copying (bulk generation): `fields` become
   * the row as given (with `created_at`). It reaches webhooks only when `dispatch` is set.
   */
  appendEvent(fields: Record<string, unknown>, createdMs: number, dispatch?: Omit<LoggedEvent, 'id'>): number {
    const id = this.nextEventId++;
    const rec: StoredRecord = { type: 'EventLogEntry', id, retired: false, fields };
    this.tables.get('EventLogEntry')?.set(id, rec);
    this.tx?.created.add(rec);
    this.logged(rec, createdMs);
    if (dispatch) this.emit([{ ...dispatch, id }]);
    return id;
  }

  private emit(events: LoggedEvent[]): void {
    if (!events.length) return;
    if (this.tx) this.tx.events.push(events);
    else this.onEvents?.(events);
  }
}

function describe(operation: Operation, inCreate: boolean): string {
  if (inCreate) return 'set on new';
  return { create: 'created new', update: 'changed', delete: 'retired', revive: 'revived' }[operation];
}

function isUpdateMode(v: unknown): v is { multi_entity_update_mode: string; value: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'multi_entity_update_mode' in v;
}
