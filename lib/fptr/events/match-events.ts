import { describeValue } from '../../util/describe-value';
import { InputError } from '../../util/errors';

/**
 * The shotgunEvents plugin form `matchEvents = {'Shotgun_Task_Change': ['sg_status_list'], ...}`:
 * event type pattern → attribute names. Users paste it from their Python plugins, so the text may
 * be JSON or a Python literal (single quotes, None, tuples, trailing commas, # comments).
 */

/** Attribute list per event type pattern; `null` = any attribute (Python `None`). */
export type MatchEventsMap = Record<string, readonly string[] | string | null>;

/**
 * Keys that name no event type but, in a JavaScript object, its prototype machinery: a map whose
 * only key was `__proto__` used to come out empty, and an empty map matches every event.
 */
export const NOT_EVENT_TYPES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A real map is two levels deep (dict of lists); anything far deeper is a mistake, and unbounded depth would exhaust the stack. */
const MAX_DEPTH = 16;

type Literal = string | null | Literal[] | Dict;
type Dict = Map<string, Literal>;

const SPACE = /(?:\s|#[^\n]*)+/y;
const WORD = /[A-Za-z_]+/y;

export class MatchEventsSyntaxError extends InputError {}

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): Literal {
    const value = this.value(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected text after the end');
    return value;
  }

  private fail(what: string): never {
    throw new MatchEventsSyntaxError(`matchEvents: ${what} at character ${this.pos + 1}`);
  }

  /** Whitespace and `#` comments, read in place by a sticky regex. */
  private skipSpace(): void {
    SPACE.lastIndex = this.pos;
    if (SPACE.test(this.text)) this.pos = SPACE.lastIndex;
  }

  private value(depth: number): Literal {
    if (depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`);
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '{') return this.dict(depth);
    if (ch === '[') return this.list(']', depth);
    if (ch === '(') return this.list(')', depth);
    if (ch === '"' || ch === "'") return this.string(ch);
    WORD.lastIndex = this.pos;
    const word = WORD.exec(this.text)?.[0];
    if (word === 'None' || word === 'null') {
      this.pos += word.length;
      return null;
    }
    return this.fail(ch === undefined ? 'unexpected end' : `unexpected ${describeValue(word ?? ch, 40)}`);
  }

  private string(quote: string): string {
    let out = '';
    this.pos++;
    for (;;) {
      const ch = this.text[this.pos++];
      if (ch === undefined || ch === '\n') this.fail('unterminated string');
      if (ch === quote) return out;
      if (ch === '\\') {
        const esc = this.text[this.pos++];
        out += esc === 'n' ? '\n' : esc === 't' ? '\t' : (esc ?? '');
      } else {
        out += ch;
      }
    }
  }

  /** Comma-separated items up to `close`; a trailing comma is allowed, as in Python and not JSON. */
  private items(close: string, item: () => void): void {
    this.pos++;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return;
      }
      item();
      this.skipSpace();
      const ch = this.text[this.pos];
      if (ch === ',') this.pos++;
      else if (ch !== close) this.fail(`expected "," or "${close}"`);
    }
  }

  private list(close: string, depth: number): Literal[] {
    const out: Literal[] = [];
    this.items(close, () => out.push(this.value(depth + 1)));
    return out;
  }

  /** As in Python, a repeated key keeps its last value. */
  private dict(depth: number): Dict {
    const out: Dict = new Map();
    this.items('}', () => {
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") this.fail('expected a quoted event type');
      const key = this.string(quote);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      out.set(key, this.value(depth + 1));
    });
    return out;
  }
}

/** Parses and checks the map; throws `MatchEventsSyntaxError` with a plain description. */
export function parseMatchEvents(text: string): MatchEventsMap {
  const doc = new LiteralParser(text).parseDocument();
  if (!(doc instanceof Map)) {
    throw new MatchEventsSyntaxError('matchEvents: expected a {"event type": [attribute names]} map');
  }
  for (const [eventType, attrs] of doc) {
    if (NOT_EVENT_TYPES.has(eventType))
      throw new MatchEventsSyntaxError(`matchEvents: ${JSON.stringify(eventType)} is not an event type`);
    if (
      attrs !== null &&
      typeof attrs !== 'string' &&
      !(Array.isArray(attrs) && attrs.every((a) => typeof a === 'string'))
    ) {
      throw new MatchEventsSyntaxError(
        `matchEvents: ${describeValue(eventType)} must map to a list of attribute names, "*" or None`,
      );
    }
  }
  return Object.fromEntries(doc) as MatchEventsMap;
}
