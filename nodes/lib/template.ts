/**
 * `{{ path }}` placeholders filled from a message, for node-authored text and JSON.
 *
 * A string that is exactly one placeholder takes the referenced value itself (number, object,
 * link…), so `{"sg_sequence": "{{payload.entity}}"}` writes a link, not the text "[object Object]".
 * Anywhere else a placeholder becomes text (objects as JSON). JSON templates are parsed before
 * substitution, so quotes or newlines in message values can never break the document.
 */

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * What to do with a placeholder whose path has no value in the message: `error` refuses (writes
 * to FPTR should not silently blank a field), `empty` renders nothing (free text such as an
 * acknowledgement).
 */
export type MissingPolicy = 'error' | 'empty';

/** `payload.user.id`, `payload.items[0].code`, `payload["odd key"]`, with an optional `msg.` prefix. */
export function parsePath(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  const source = path.startsWith('msg.') ? path.slice(4) : path;
  const token = /([^.[\]]+)|\[(\d+)\]|\[\s*(["'])(.*?)\3\s*\]/g;
  let consumed = 0;
  for (let m = token.exec(source); m !== null; m = token.exec(source)) {
    const gap = source.slice(consumed, m.index);
    if (gap !== '' && gap !== '.') break;
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(m[4] ?? '');
    consumed = token.lastIndex;
  }
  if (parts.length === 0 || consumed !== source.length) {
    throw new TemplateError(`"{{${path}}}" is not a message property path`);
  }
  return parts;
}

export function lookup(context: unknown, path: string): unknown {
  let value: unknown = context;
  for (const part of parsePath(path)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function resolve(context: unknown, path: string, missing: MissingPolicy): unknown {
  const value = lookup(context, path);
  if (value === undefined && missing === 'error') {
    throw new TemplateError(`"{{${path}}}" has no value in the message`);
  }
  return value;
}

/** Fills every placeholder in a piece of text. */
export function renderText(template: string, context: unknown, missing: MissingPolicy): string {
  return template.replace(PLACEHOLDER, (_all, path: string) => asText(resolve(context, path, missing)));
}

/**
 * Fills placeholders in every string of a JSON value (keys stay literal). A string that is one
 * whole placeholder becomes the referenced value, typed; a missing one becomes null under `empty`.
 */
export function renderJson(template: unknown, context: unknown, missing: MissingPolicy): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return resolve(context, whole[1] ?? '', missing) ?? null;
    return renderText(template, context, missing);
  }
  if (Array.isArray(template)) return template.map((item) => renderJson(item, context, missing));
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) out[key] = renderJson(value, context, missing);
    return out;
  }
  return template;
}
