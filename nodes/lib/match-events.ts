/**
 * The shotgunEvents plugin form `matchEvents = {'Shotgun_Task_Change': ['sg_status_list'], ...}`:
 * event type pattern → attribute names. Users paste it from their Python plugins, so the text may
 * be JSON or a Python literal (single quotes, None, tuples, trailing commas, # comments).
 */

/** Attribute list per event type pattern; `null` = any attribute (Python `None`). */
export type MatchEventsMap = Record<string, readonly string[] | string | null>;

type Literal = string | null | Literal[] | { [key: string]: Literal };

export class MatchEventsSyntaxError extends Error {
  override name = 'MatchEventsSyntaxError';
}

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): Literal {
    const value = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected text after the end');
    return value;
  }

  private fail(what: string): never {
    throw new MatchEventsSyntaxError(`matchEvents: ${what} at character ${this.pos + 1}`);
  }

  private skipSpace(): void {
    for (;;) {
      const rest = /^(?:\s+|#[^\n]*)/.exec(this.text.slice(this.pos));
      if (!rest) return;
      this.pos += rest[0].length;
    }
  }

  private value(): Literal {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '{') return this.dict();
    if (ch === '[') return this.list(']');
    if (ch === '(') return this.list(')');
    if (ch === '"' || ch === "'") return this.string(ch);
    const word = /^[A-Za-z_]+/.exec(this.text.slice(this.pos))?.[0];
    if (word === 'None' || word === 'null') {
      this.pos += word.length;
      return null;
    }
    return this.fail(ch === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(word ?? ch)}`);
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

  private list(close: string): Literal[] {
    const out: Literal[] = [];
    this.items(close, () => out.push(this.value()));
    return out;
  }

  private dict(): { [key: string]: Literal } {
    const out: { [key: string]: Literal } = {};
    this.items('}', () => {
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") this.fail('expected a quoted event type');
      const key = this.string(quote);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      out[key] = this.value();
    });
    return out;
  }
}

/** Parses and checks the map; throws `MatchEventsSyntaxError` with a plain description. */
export function parseMatchEvents(text: string): MatchEventsMap {
  const doc = new LiteralParser(text).parseDocument();
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new MatchEventsSyntaxError('matchEvents: expected a {"event type": [attribute names]} map');
  }
  const map: MatchEventsMap = {};
  for (const [eventType, attrs] of Object.entries(doc)) {
    if (attrs !== null && typeof attrs !== 'string' && !(Array.isArray(attrs) && attrs.every((a) => typeof a === 'string'))) {
      throw new MatchEventsSyntaxError(`matchEvents: "${eventType}" must map to a list of attribute names, "*" or None`);
    }
    map[eventType] = attrs as readonly string[] | string | null;
  }
  return map;
}
