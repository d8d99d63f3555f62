import type { FlatRecord, JsonApiRecord } from './api';

/**
 * JSON:API-style record → the flat shape Python API users know:
 * `{type, id, ...attributes, <link field>: {type,id,name} | [...] | null}`.
 * Dotted attributes (`"sg_sequence.Sequence.code"`) keep their literal key.
 */
export function flattenRecord(record: JsonApiRecord): FlatRecord {
  const fields: Array<[string, unknown]> = Object.entries(record.attributes ?? {});
  for (const [field, rel] of Object.entries(record.relationships ?? {})) {
    // A relationship without `data` (links only) says nothing about the value, so it is left out.
    if (rel && typeof rel === 'object' && 'data' in rel) fields.push([field, rel.data]);
  }
  // fromEntries defines own properties, so a field named "__proto__" in a response stays a field
  // instead of becoming the record's prototype. `type` and `id` come first and name the record
  // itself: a field of the same name must not replace them (a repeated key keeps its place, takes the last value).
  const self: Array<[string, unknown]> = [
    ['type', record.type],
    ['id', record.id],
  ];
  return Object.fromEntries([...self, ...fields, ...self]) as FlatRecord;
}

export function isJsonApiRecord(value: unknown): value is JsonApiRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as { type?: unknown; id?: unknown };
  return typeof r.type === 'string' && typeof r.id === 'number';
}
