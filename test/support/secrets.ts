import util = require('node:util');

/** A script key with every character that encodes differently in a form, a URL and JSON. */
export const NASTY_KEY = 'Zq9Xw7kq+/= &%ü"\\\'~*!()<>#?;:@end';
/** A password, for the `password` grant. */
export const NASTY_PASSWORD = 'Pw8Rt6vz %+&=/"\\é~*end';

/** The ways a secret can show up once a server echoes it: raw, URL- or form-encoded, lower-case hex, JSON-escaped. */
export function encodedForms(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const lower = (text: string): string => text.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  return [...new Set([secret, uri, form, lower(uri), lower(form), JSON.stringify(secret).slice(1, -1)])];
}

/** What must not appear: every encoded form, and the first characters alone (a secret cut in half is still a leak). */
export function secretForms(secret: string): string[] {
  return [...encodedForms(secret), secret.slice(0, 6)];
}

/** Every way an error can be shown: message, stack, inspection, JSON. */
export function errorTexts(value: unknown): string[] {
  const texts = [util.inspect(value, { depth: Infinity, showHidden: true }), safeJson(value), String(value)];
  if (value instanceof Error) texts.push(value.message, value.stack ?? '');
  return texts;
}

/** Which forms of which secrets appear in any of `texts`. */
export function leaks(texts: string[], secrets: string[]): string[] {
  return secrets.flatMap(secretForms).filter((form) => texts.some((text) => text.includes(form)));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
