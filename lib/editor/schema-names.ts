import { parseFilters } from '../fptr/actions/find-options';
import type { FilterCondition } from '../fptr/client/api';
import { isObject } from '../util/is-object';

/*
 * What the pickers offer and flag, as plain functions of the text in a field and the names the
 * site's schema knows (schema-pickers.ts puts them into the dialogs). A name the site does not
 * know is only flagged, never refused: sites add entity types, fields and statuses later.
 */

/** One name a picker may offer, with the site's display name when it has one. */
export interface Choice {
  name: string;
  label?: string;
}

/** One completion: the whole new text of the field, and the name it adds. */
export interface Completion {
  value: string;
  name: string;
  label?: string;
}

/** How a field holds its names: one, or a comma-separated list (as the runtime reads them). */
export interface ListShape {
  multi: boolean;
  /** Characters an item may start with that are not part of the name (`-` of a sort key). */
  prefix?: RegExp;
}

const ONE: ListShape = { multi: false };

/** Most completions shown at once: the editor's menu scrolls, but a long list helps no one. */
const MAX_COMPLETIONS = 50;

/**
 * Completions for the item being typed (the last one in a list): every choice whose name or
 * label contains it, those starting with it first. An exact match is offered no more.
 */
export function complete(text: string, choices: readonly Choice[], shape: ListShape = ONE): Completion[] {
  const { head, prefix, word } = lastItem(text, shape);
  const typed = word.toLowerCase();
  const matches = choices.filter((c) => c.name !== word && matchIndex(c, typed) >= 0);
  const starts = (c: Choice) => (c.name.toLowerCase().startsWith(typed) ? 0 : 1);
  return matches
    .sort((a, b) => starts(a) - starts(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, MAX_COMPLETIONS)
    .map((c) => ({ value: head + prefix + c.name, name: c.name, ...(c.label ? { label: c.label } : {}) }));
}

/** The names in the field, as the runtime will read them (trimmed, empty items dropped). */
export function namesIn(text: string, shape: ListShape = ONE): string[] {
  const items = shape.multi ? text.split(',') : [text];
  return items.map((item) => stripPrefix(item.trim(), shape)).filter((name) => name !== '');
}

/**
 * The names in the field the site does not know, each once. Only the part before a dot counts
 * (`entity.Shot.code` names the field `entity`), and names with wildcards are patterns, not names.
 */
export function unknownNames(names: readonly string[], known: readonly string[]): string[] {
  const knownSet = new Set(known);
  const unknown = names
    .map((name) => name.split('.')[0] ?? '')
    .filter((name) => name !== '' && !/[*?]/.test(name) && !knownSet.has(name));
  return [...new Set(unknown)];
}

/** FPTR's event types for an entity type, as the event filter matches them (`Shotgun_Task_Change`). */
const EVENT_SUFFIXES = ['New', 'Change', 'Retirement', 'Revival'] as const;

export function eventTypeChoices(entityTypes: readonly Choice[]): Choice[] {
  return entityTypes.flatMap((t) =>
    EVENT_SUFFIXES.map((suffix) => ({ name: `Shotgun_${t.name}_${suffix}`, ...(t.label ? { label: t.label } : {}) })),
  );
}

/** The entity types that event types name (`Shotgun_Task_Change` → Task); patterns name none. */
export function entityTypesOfEventTypes(eventTypes: readonly string[]): string[] {
  const types = eventTypes.flatMap((e) => {
    const m = /^Shotgun_([A-Za-z][A-Za-z0-9]*)_(New|Change|Retirement|Revival)$/.exec(e);
    return m ? [m[1] as string] : [];
  });
  return [...new Set(types)];
}

/** One field named in a JSON setting, with the values it is compared with or set to. */
export interface FieldUse {
  field: string;
  values: unknown[];
}

/**
 * The fields an fptr-find filter names, with their values (`in` lists spread out). Filters that
 * do not parse name nothing: the dialog's JSON check reports those.
 */
export function fieldsInFilters(json: string): FieldUse[] {
  let filters;
  try {
    filters = parseFilters(json);
  } catch {
    return [];
  }
  const uses: FieldUse[] = [];
  const walk = (condition: FilterCondition): void => {
    if (Array.isArray(condition)) {
      const [field, , value] = condition;
      uses.push({ field, values: Array.isArray(value) ? value : [value] });
    } else condition.conditions.forEach(walk);
  };
  (Array.isArray(filters) ? filters : [filters]).forEach(walk);
  return uses;
}

/**
 * The fields an fptr-update's JSON data sets, with their values. A `{{…}}` template is no value
 * of its own: the message fills it in at run time.
 */
export function fieldsInData(json: string): FieldUse[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  if (!isObject(data)) return [];
  const literal = (value: unknown) => !(typeof value === 'string' && value.includes('{{'));
  return Object.entries(data).map(([field, value]) => ({ field, values: [value].filter(literal) }));
}

/** The text values among `uses` of `field` that are not among `valid`, each once. */
export function unknownValues(uses: readonly FieldUse[], field: string, valid: readonly string[]): string[] {
  const validSet = new Set(valid);
  const values = uses
    .filter((u) => u.field === field)
    .flatMap((u) => u.values)
    .filter((v): v is string => typeof v === 'string' && !validSet.has(v));
  return [...new Set(values)];
}

function lastItem(text: string, shape: ListShape): { head: string; prefix: string; word: string } {
  const cut = shape.multi ? text.lastIndexOf(',') + 1 : 0;
  const item = text.slice(cut);
  const lead = /^\s*/.exec(item)?.[0] ?? '';
  const rest = item.slice(lead.length);
  const prefix = shape.prefix ? (shape.prefix.exec(rest)?.[0] ?? '') : '';
  return { head: text.slice(0, cut) + lead, prefix, word: rest.slice(prefix.length).trim() };
}

function stripPrefix(item: string, shape: ListShape): string {
  return shape.prefix ? item.replace(shape.prefix, '') : item;
}

function matchIndex(choice: Choice, typed: string): number {
  const inName = choice.name.toLowerCase().indexOf(typed);
  return inName >= 0 ? inName : (choice.label ?? '').toLowerCase().indexOf(typed);
}
