import { readOwnPath } from '../../util/own-property';
import { InputError } from '../../util/errors';

/**
 * `{{ path }}` placeholders filled from a message, for node-authored text and JSON.
 *
 * A string that is exactly one placeholder takes the referenced value itself (number, object,
 * link…), so `{"sg_sequence": "{{payload.entity}}"}` writes a link, not the text "[object Object]".
 * Anywhere else a placeholder becomes text (objects as JSON). JSON templates are parsed before
 * substitution, so quotes or newlines in message values can never break the document.
 *
 * Templates and paths are read by hand in one pass: the regexes they replace backtracked
 * polynomially (`{{` and a few thousand spaces took seconds). Paths read own properties only.
 */

export class TemplateError extends InputError {}

/**
 * What to do with a placeholder whose path has no value in the message: `error` refuses (writes
 * to FPTR should not silently blank a field), `empty` renders nothing (free text such as an
 * acknowledgement).
 */
export type MissingPolicy = 'error' | 'empty';

/** A template cut into literal text and placeholder paths (trimmed, not yet parsed). */
type Piece = { text: string } | { path: string };

/** `{{`, then anything but braces, then `}}`; a `{{` that does not close that way is text. */
function scan(template: string): Piece[] {
  const pieces: Piece[] = [];
  let literalFrom = 0;
  let from = 0;
  for (let open = template.indexOf('{{', from); open !== -1; open = template.indexOf('{{', from)) {
    let end = open + 2;
    while (end < template.length && template[end] !== '{' && template[end] !== '}') end++;
    if (template.startsWith('}}', end)) {
      if (open > literalFrom) pieces.push({ text: template.slice(literalFrom, open) });
      pieces.push({ path: template.slice(open + 2, end).trim() });
      from = literalFrom = end + 2;
    } else {
      // Between open + 2 and end there is no brace, so the next "{{" can start at open + 1 only
      // when the brace that stopped the scan follows at once ("{{{").
      from = end === open + 2 ? open + 1 : end;
    }
  }
  if (literalFrom < template.length) pieces.push({ text: template.slice(literalFrom) });
  return pieces;
}

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && ch.trim() === '';
}

function isLineBreak(ch: string | undefined): boolean {
  return ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029';
}

/** A `["key"]` / `['key']` part starting at `at` (the `[`): the key and where it ends, or undefined. */
function quotedKey(source: string, at: number): { key: string; next: number } | undefined {
  let i = at + 1;
  while (isSpace(source[i])) i++;
  const quote = source[i];
  if (quote !== '"' && quote !== "'") return undefined;
  const keyFrom = i + 1;
  // The key ends at the first matching quote followed by optional spaces and "]".
  for (let k = keyFrom; k < source.length && !isLineBreak(source[k]); k++) {
    if (source[k] !== quote) continue;
    let close = k + 1;
    while (isSpace(source[close])) close++;
    if (source[close] === ']') return { key: source.slice(keyFrom, k), next: close + 1 };
  }
  return undefined;
}

/** `payload.user.id`, `payload.items[0].code`, `payload["odd key"]`, with an optional `msg.` prefix. */
export function parsePath(path: string): Array<string | number> {
  const fail = (): never => {
    throw new TemplateError(`"{{${path}}}" is not a message property path`);
  };
  const source = path.startsWith('msg.') ? path.slice(4) : path;
  const parts: Array<string | number> = [];
  let i = 0;
  while (i < source.length) {
    // One dot may stand before any part, brackets need none.
    if (source[i] === '.') i++;
    const ch = source[i];
    if (ch === undefined || ch === '.' || ch === ']') return fail();
    if (ch !== '[') {
      let end = i;
      while (end < source.length && source[end] !== '.' && source[end] !== '[' && source[end] !== ']') end++;
      parts.push(source.slice(i, end));
      i = end;
      continue;
    }
    let digitsEnd = i + 1;
    while (source[digitsEnd] !== undefined && source[digitsEnd]! >= '0' && source[digitsEnd]! <= '9') digitsEnd++;
    if (digitsEnd > i + 1 && source[digitsEnd] === ']') {
      parts.push(Number(source.slice(i + 1, digitsEnd)));
      i = digitsEnd + 1;
      continue;
    }
    const quoted = quotedKey(source, i) ?? fail();
    parts.push(quoted.key);
    i = quoted.next;
  }
  if (parts.length === 0) fail();
  return parts;
}

/** The value at `path` in `context`, through own properties only (`payload.constructor` is missing). */
export function lookup(context: unknown, path: string): unknown {
  return readOwnPath(context, parsePath(path));
}

function asText(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch (err) {
    // A circular or BigInt-holding value: say which placeholder, not just "Converting circular structure".
    throw new TemplateError(
      `"{{${path}}}" cannot be written as text: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function resolve(context: unknown, path: string, missing: MissingPolicy): unknown {
  const value = lookup(context, path);
  if (value === undefined && missing === 'error') {
    throw new TemplateError(`"{{${path}}}" has no value in the message`);
  }
  return value;
}

function fill(pieces: Piece[], context: unknown, missing: MissingPolicy): string {
  return pieces
    .map((piece) => ('text' in piece ? piece.text : asText(resolve(context, piece.path, missing), piece.path)))
    .join('');
}

/** Fills every placeholder in a piece of text. */
export function renderText(template: string, context: unknown, missing: MissingPolicy): string {
  return fill(scan(template), context, missing);
}

/**
 * Fills placeholders in every string of a JSON value (keys stay literal). A string that is one
 * whole placeholder becomes the referenced value, typed; a missing one becomes null under `empty`.
 */
export function renderJson(template: unknown, context: unknown, missing: MissingPolicy): unknown {
  if (typeof template === 'string') {
    const pieces = scan(template);
    const only = pieces.length === 1 ? pieces[0] : undefined;
    if (only !== undefined && 'path' in only) return resolve(context, only.path, missing) ?? null;
    return fill(pieces, context, missing);
  }
  if (Array.isArray(template)) return template.map((item) => renderJson(item, context, missing));
  if (template !== null && typeof template === 'object') {
    // fromEntries defines each key as an own property, so a "__proto__" key stays a key instead
    // of replacing the prototype of the result (and hiding the field from JSON).
    return Object.fromEntries(
      Object.entries(template).map(([key, value]) => [key, renderJson(value, context, missing)]),
    );
  }
  return template;
}
