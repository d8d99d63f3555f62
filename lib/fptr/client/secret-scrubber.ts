export const REDACTED = '[redacted]';

/** Tokens kept for scrubbing: the current one and a few that answers may still echo. */
const MAX_TOKENS = 4;

/**
 * Removes the client's secrets (script key or password, and the access tokens it was given) from
 * text a server sent back. A server that echoes a request may return a secret raw, form- or
 * URL-encoded (any mix of `%XX` in either case, `+` for a space) or JSON-escaped (`\"`, `\/`,
 * `\uXXXX`, or escaped twice when JSON is quoted inside JSON), so each character of a secret is
 * matched in all of those forms.
 */
export class SecretScrubber {
  readonly #fixed: string[];
  #tokens: string[] = [];
  /** One pattern per level of JSON escaping: each level has one way to write a backslash, so matching never guesses between them. */
  #patterns: RegExp[] = [];

  constructor(secrets: string[]) {
    this.#fixed = secrets.filter((s) => s !== '');
    this.#build();
  }

  /** Scrubs `token` from now on (the oldest ones are forgotten). */
  addToken(token: string): void {
    if (token === '' || this.#tokens.includes(token)) return;
    this.#tokens = [token, ...this.#tokens].slice(0, MAX_TOKENS);
    this.#build();
  }

  scrub(text: string): string {
    return this.#patterns.reduce((out, pattern) => out.replace(pattern, REDACTED), text);
  }

  /**
   * Scrubs, then cuts to `max` characters. Always in that order, and over the whole text: cutting
   * first could leave the start of a secret that no longer matches.
   */
  scrubAndCut(text: string, max: number): string {
    const scrubbed = this.scrub(text);
    return scrubbed.length > max ? `${scrubbed.slice(0, max)}…` : scrubbed;
  }

  #build(): void {
    const secrets = [...this.#fixed, ...this.#tokens].sort((a, b) => b.length - a.length);
    this.#patterns =
      secrets.length === 0
        ? []
        : JSON_LEVELS.map(
            (level) =>
              new RegExp(
                secrets.map((secret) => [...secret].map((char) => charPattern(char, level)).join('')).join('|'),
                'g',
              ),
          );
  }
}

/** Raw, JSON-escaped once, and twice. */
const JSON_LEVELS = [0, 1, 2];

/** One character of a secret at one level of JSON escaping, as a regular expression. */
function charPattern(char: string, level: number): string {
  let forms = [char];
  for (let i = 0; i < level; i++) {
    forms = forms.flatMap((form) =>
      i === 0 ? [jsonEscape(form), unicodeEscape(form), ...(form === '/' ? ['\\/'] : [])] : [jsonEscape(form)],
    );
  }
  const patterns = new Set(
    forms.map((form) =>
      escapeRegExp(form).replace(/\\\\u([0-9a-f]{4})/gi, (m, hex: string) => m.slice(0, -4) + anyCaseHex(hex)),
    ),
  );
  patterns.add(percentEncoded(char));
  if (char === ' ') patterns.add('\\+');
  return `(?:${[...patterns].join('|')})`;
}

function jsonEscape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function unicodeEscape(char: string): string {
  let out = '';
  for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

function percentEncoded(char: string): string {
  return [...Buffer.from(char, 'utf8')].map((byte) => `%${anyCaseHex(byte.toString(16).padStart(2, '0'))}`).join('');
}

function anyCaseHex(hex: string): string {
  return hex.replace(/[a-f]/gi, (d) => `[${d.toLowerCase()}${d.toUpperCase()}]`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
