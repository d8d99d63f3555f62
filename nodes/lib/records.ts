import type { FlatRecord, JsonApiRecord } from './types';

/**
 * JSON:API-style record → the flat shape Python API users know:
 * `{type, id, ...attributes, <link field>: {type,id,name} | [...] | null}`.
 * Dotted attributes (`"sg_sequence.Sequence.code"`) keep their literal key.
 */
export function flattenRecord(record: JsonApiRecord): FlatRecord {
  const flat: FlatRecord = { type: record.type, id: record.id };
  for (const [field, value] of Object.entries(record.attributes ?? {})) {
    flat[field] = value;
  }
  for (const [field, rel] of Object.entries(record.relationships ?? {})) {
    // A relationship without `data` (links only) says nothing about the value, so it is left out.
    if (rel && typeof rel === 'object' && 'data' in rel) flat[field] = rel.data;
  }
  // `type` and `id` name the record itself; a field of the same name must not replace them.
  flat.type = record.type;
  flat.id = record.id;
  return flat;
}

export function isJsonApiRecord(value: unknown): value is JsonApiRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as { type?: unknown; id?: unknown };
  return typeof r.type === 'string' && typeof r.id === 'number';
}
