import type { EntityDef } from './schema';
import type { EntityStore, Link, NamedLink, StoredRecord } from './store';
import { readPath } from './query';

export const API = '/api/v1';

/** One record as the REST API writes it (link names may be null, unlike the client-side type). */
export interface SimJsonApiRecord {
  type: string;
  id: number;
  attributes: Record<string, unknown>;
  relationships: Record<string, { data: NamedLink | NamedLink[] | null; links: Record<string, string> }>;
  links: { self: string };
}

export function recordPath(def: EntityDef, id: number): string {
  return `${API}/entity/${def.plural}/${id}`;
}

/** The create-response quirk of the recordings: `2021-06-16 08:55:53 UTC` instead of ISO. */
function createStyle(value: unknown): unknown {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)
    ? value.replace('T', ' ').replace('Z', ' UTC')
    : value;
}

/**
 * One record in FPTR's JSON:API-like shape (docs/fptr-api.md §2.2): scalars under `attributes`, links under
 * `relationships` as `{data, links}`, dotted paths as literal attribute keys.
 */
export function toJsonApi(
  store: EntityStore,
  rec: StoredRecord,
  fields: string[] | undefined,
  opts: { createResponse?: boolean } = {},
): SimJsonApiRecord {
  const def = store.def(rec.type);
  const self = recordPath(def, rec.id);
  const attributes: Record<string, unknown> = {};
  const relationships: SimJsonApiRecord['relationships'] = {};
  for (const name of fields ?? Object.keys(def.fields)) {
    if (name === 'id') continue;
    const fd = Object.prototype.hasOwnProperty.call(def.fields, name) ? def.fields[name] : undefined;
    if (!fd) {
      const dotted = name.includes('.') ? readPath(store, def, rec, name) : { ok: false as const };
      if (dotted.ok) attributes[name] = dotted.value;
      continue;
    }
    const value = store.fieldValue(rec, name) ?? null;
    if (fd.type === 'entity') {
      const link = value as Link | null;
      const links: Record<string, string> = { self: `${self}/relationships/${name}` };
      if (link) {
        const target = store.def(link.type);
        links.related = recordPath(target, link.id);
      }
      relationships[name] = { data: link ? store.namedLink(link) : null, links };
    } else if (fd.type === 'multi_entity') {
      relationships[name] = {
        data: (value as Link[]).map((l) => store.namedLink(l)),
        links: { self: `${self}/relationships/${name}` },
      };
    } else {
      attributes[name] = opts.createResponse && fd.type === 'date_time' ? createStyle(value) : value;
    }
  }
  return { type: rec.type, id: rec.id, attributes, relationships, links: { self } };
}
