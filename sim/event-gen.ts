import { seededRandom } from './event-log';
import type { FieldDef } from './schema';
import { isoSeconds, type EntityStore, type Link, type LoggedEvent, type StoredRecord } from './store';

/**
 * Bulk EventLogEntry rows for pollers and benchmarks: status changes (most of them on Tasks),
 * assignee and text changes, and New rows, on existing records of the chosen projects. The rows
 * are synthetic history: the records themselves do not change.
 */

export interface GenerateOptions {
  /** Entity types to write events about; default Task, Shot, Asset, Version, Note. */
  types?: readonly string[];
  /** Project ids whose records the events are about; default every project. */
  projects?: readonly number[];
  /** Users the events are made by; default every HumanUser. */
  users?: readonly Link[];
  /** Same seed, same store: same rows. Default 1. */
  seed?: number;
  /** `created_at` of the first and the last row (spread evenly); default now for both. */
  from?: Date | number;
  to?: Date | number;
  /** Also deliver the events to matching webhooks (default false: benchmarks want the log only). */
  webhooks?: boolean;
}

export interface GenerateResult {
  count: number;
  /** Ids of the first and last row written (ids of other writes never fall in between). */
  firstId: number;
  lastId: number;
}

const DEFAULT_TYPES = ['Task', 'Shot', 'Asset', 'Version', 'Note'] as const;
/** Tasks get about half of all events, as on a production site. */
const TYPE_WEIGHT: Readonly<Record<string, number>> = { Task: 5, Shot: 1.5, Asset: 1, Version: 1.5, Note: 1 };

function ms(value: Date | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = value instanceof Date ? value.getTime() : value;
  if (!Number.isFinite(n))
    throw new RangeError(`generateEvents: from/to must be dates or epoch ms, got ${String(value)}`);
  return n;
}

interface Candidates {
  type: string;
  records: StoredRecord[];
  weight: number;
  status?: FieldDef;
  text?: string;
}

export function generateEvents(store: EntityStore, n: number, opts: GenerateOptions = {}): GenerateResult {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`generateEvents: n must be a whole number, got ${String(n)}`);
  const projects = opts.projects ? new Set(opts.projects) : undefined;
  const pools: Candidates[] = (opts.types ?? DEFAULT_TYPES)
    .map((type) => {
      const def = store.def(type);
      const records = store.all(def.name).filter((r) => {
        if (r.retired) return false;
        const p = def.name === 'Project' ? { id: r.id } : (r.fields.project as Link | null | undefined);
        return !projects || (p !== null && p !== undefined && projects.has(p.id));
      });
      const text = ['description', 'sg_description', 'content'].find((f) => def.fields[f]?.type === 'text');
      return { type: def.name, records, weight: TYPE_WEIGHT[def.name] ?? 1, status: def.fields.sg_status_list, text };
    })
    .filter((c) => c.records.length);
  if (n && !pools.length)
    throw new Error('generateEvents: no records of the chosen types in the chosen projects to write events about');
  const users = opts.users?.length
    ? [...opts.users]
    : store.all('HumanUser').map((u) => ({ type: 'HumanUser', id: u.id }));
  if (n && !users.length) throw new Error('generateEvents: no users to make the events');
  const people = store.all('HumanUser').map((u) => ({ type: 'HumanUser', id: u.id }));
  const userNames = users.map((u) => store.nameOf(u) ?? `${u.type} ${u.id}`);
  const random = seededRandom(opts.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const totalWeight = pools.reduce((sum, p) => sum + p.weight, 0);
  const current = new Map<StoredRecord, string>();
  // Rows share what they can (links, timestamps): 100,000 rows should not mean a million objects.
  const links = new Map<StoredRecord, Link>();
  const names = new Map<StoredRecord, string>();
  let second = NaN,
    stamp = '';
  const now = Date.now();
  const from = ms(opts.from, now),
    to = ms(opts.to, from);
  let first = 0,
    last = 0;

  for (let i = 0; i < n; i++) {
    let w = random() * totalWeight;
    const pool = pools.find((p) => (w -= p.weight) < 0) ?? pools[pools.length - 1];
    const rec = pick(pool.records);
    const u = Math.floor(random() * users.length);
    const user = users[u];
    let entity = links.get(rec);
    if (!entity) {
      entity = { type: rec.type, id: rec.id };
      links.set(rec, entity);
      names.set(rec, store.nameOf(entity) ?? String(rec.id));
    }
    const project = rec.type === 'Project' ? entity : ((rec.fields.project as Link | null | undefined) ?? null);
    const createdMs = n === 1 ? from : Math.round(from + ((to - from) * i) / (n - 1));
    if (Math.floor(createdMs / 1000) !== second) {
      second = Math.floor(createdMs / 1000);
      stamp = isoSeconds(createdMs);
    }
    const name = names.get(rec);
    const kind = random();
    let eventType = `Shotgun_${rec.type}_Change`;
    let attribute: string | null = null;
    let meta: Record<string, unknown>;
    let operation: LoggedEvent['operation'] = 'update';
    if (kind < 0.06) {
      eventType = `Shotgun_${rec.type}_New`;
      operation = 'create';
      meta = { type: 'new_entity', entity_type: rec.type, entity_id: rec.id };
    } else if (pool.status?.values && kind < 0.75) {
      attribute = 'sg_status_list';
      const old = current.get(rec) ?? (rec.fields.sg_status_list as string | null) ?? pool.status.values[0];
      const choices = pool.status.values.filter((v) => v !== old);
      const next = pick(choices);
      current.set(rec, next);
      meta = {
        type: 'attribute_change',
        attribute_name: attribute,
        entity_type: rec.type,
        entity_id: rec.id,
        field_data_type: 'status_list',
        old_value: old,
        new_value: next,
      };
    } else if (rec.type === 'Task' && kind < 0.88 && people.length) {
      attribute = 'task_assignees';
      const added = pick(people);
      meta = {
        type: 'attribute_change',
        attribute_name: attribute,
        entity_type: rec.type,
        entity_id: rec.id,
        field_data_type: 'multi_entity',
        added: [{ ...added, name: store.nameOf(added), status: 'act', valid: 'valid' }],
        removed: [],
      };
    } else {
      attribute = pool.text ?? 'description';
      meta = {
        type: 'attribute_change',
        attribute_name: attribute,
        entity_type: rec.type,
        entity_id: rec.id,
        field_data_type: 'text',
        old_value: null,
        new_value: `generated note ${i + 1}`,
      };
    }
    const description = `${userNames[u]} ${operation === 'create' ? 'created new' : 'changed'} ${rec.type} ${name}${attribute ? `: ${attribute}` : ''}`;
    const fields = {
      event_type: eventType,
      attribute_name: attribute,
      meta,
      project,
      entity,
      user,
      session_uuid: null,
      description,
      created_at: stamp,
      created_by: user,
    };
    const dispatch = opts.webhooks
      ? {
          event_type: eventType,
          attribute_name: attribute,
          meta,
          entity,
          user,
          project,
          session_uuid: null,
          createdMs,
          operation,
          entityType: rec.type,
          inCreate: false,
        }
      : undefined;
    last = store.appendEvent(fields, createdMs, dispatch);
    if (i === 0) first = last;
  }
  return { count: n, firstId: first, lastId: last };
}
