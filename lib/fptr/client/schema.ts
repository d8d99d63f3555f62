/**
 * A site's schema as the editor's pickers need it: entity types, their fields with data types,
 * and the codes a status list accepts (fptr-api.md §6.6). Answers are read defensively: the REST
 * shape of some parts (status-list values above all) is UNCONFIRMED, so whatever cannot be read
 * is left out rather than guessed, and the editor falls back to free text for it.
 */

/** What the schema reads need from a site; `FptrClient` implements it. */
export interface SchemaReads {
  /** `data` of `GET /api/v1/schema`, unread. */
  readSchema(): Promise<unknown>;
  /** `data` of `GET /api/v1/schema/{entityType}/fields`, unread. */
  readSchemaFields(entityType: string): Promise<unknown>;
}

export interface SchemaEntityType {
  /** Schema name, as entity paths, filters and events use it (`Task`, `CustomEntity01`). */
  name: string;
  /** Display name on the site ("Person" for HumanUser); the name when the site gives none. */
  label: string;
  /** False for types the site hides (disabled custom entities); pickers leave them out. */
  visible: boolean;
}

export interface SchemaField {
  /** System name (`sg_status_list`). */
  name: string;
  /** Display name ("Status"); the name when the site gives none. */
  label: string;
  /** `text`, `status_list`, `entity`, …; empty when the site did not say. */
  dataType: string;
  /**
   * Codes a list or status-list field accepts, when the answer names them. Absent means unknown
   * (free text), which is not the same as an empty list.
   */
  validValues?: string[];
  /** Display name of each code (`{wtg: 'Waiting to Start'}`), when the answer has them. */
  displayValues?: Record<string, string>;
  /** Entity types a link field accepts, when the answer names them. */
  validTypes?: string[];
}

/** Caps on what is kept from one answer: a hostile or broken site cannot fill the editor. */
export const SCHEMA_LIMITS = {
  entityTypes: 2000,
  fields: 2000,
  values: 1000,
  nameLength: 200,
  labelLength: 200,
} as const;

/** Names are plain identifiers on FPTR; anything with control characters or no text is dropped. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const BAD_NAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** The entity types of a `GET /api/v1/schema` answer's `data`, sorted by name. */
export function readEntityTypes(data: unknown): SchemaEntityType[] {
  const types: SchemaEntityType[] = [];
  for (const [name, raw] of entries(data, SCHEMA_LIMITS.entityTypes)) {
    if (!isName(name)) continue;
    const info = asObject(raw) ?? {};
    types.push({ name, label: label(attribute(info.name), name), visible: attribute(info.visible) !== false });
  }
  return types.sort(byName);
}

/** The fields of a `GET /api/v1/schema/{type}/fields` answer's `data`, sorted by name. */
export function readFields(data: unknown): SchemaField[] {
  const fields: SchemaField[] = [];
  for (const [name, raw] of entries(data, SCHEMA_LIMITS.fields)) {
    if (!isName(name)) continue;
    const info = asObject(raw) ?? {};
    const dataType = attribute(info.data_type);
    const field: SchemaField = {
      name,
      label: label(attribute(info.name), name),
      dataType: typeof dataType === 'string' && isName(dataType) ? dataType : '',
    };
    const properties = asObject(attribute(info.properties)) ?? {};
    const validValues = names(attribute(properties.valid_values));
    if (validValues) field.validValues = validValues;
    const displayValues = labels(attribute(properties.display_values));
    if (displayValues) field.displayValues = displayValues;
    const validTypes = names(attribute(properties.valid_types));
    if (validTypes) field.validTypes = validTypes;
    fields.push(field);
  }
  return fields.sort(byName);
}

/** The own enumerable entries of a plain object answer, at most `max`; none for anything else. */
function entries(data: unknown, max: number): Array<[string, unknown]> {
  const object = asObject(data);
  return object ? Object.entries(object).slice(0, max) : [];
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Schema attributes come as `{value, editable}`; a bare value is taken as it is. */
function attribute(value: unknown): unknown {
  const object = asObject(value);
  return object && Object.prototype.hasOwnProperty.call(object, 'value') ? object.value : value;
}

function isName(value: string): boolean {
  return value.trim() !== '' && value.length <= SCHEMA_LIMITS.nameLength && !BAD_NAME.test(value);
}

function label(value: unknown, fallback: string): string {
  if (typeof value !== 'string') return fallback;
  const text = value.replace(new RegExp(BAD_NAME, 'g'), ' ').trim();
  return text === '' ? fallback : text.slice(0, SCHEMA_LIMITS.labelLength);
}

/** A list of names, duplicates dropped; undefined unless the value is an array. */
function names(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const kept = value.filter((v): v is string => typeof v === 'string' && isName(v));
  return [...new Set(kept)].slice(0, SCHEMA_LIMITS.values);
}

/** `{code: label}`; undefined unless it is an object with at least one readable pair. */
function labels(value: unknown): Record<string, string> | undefined {
  const found: Array<[string, string]> = [];
  for (const [code, text] of entries(value, SCHEMA_LIMITS.values)) {
    if (isName(code) && typeof text === 'string') found.push([code, label(text, code)]);
  }
  // A null-prototype object: a code named `__proto__` must stay an ordinary key.
  return found.length > 0
    ? Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(found))
    : undefined;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
