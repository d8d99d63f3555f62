/**
 * The short, JSON-like form of a value that reasons and error messages quote. It never throws:
 * the values come from messages, which may be circular, hold a BigInt or be nested too deeply
 * for JSON, and an error message must not turn into a second error.
 */
export function describeValue(value: unknown, maxLength = 80): string {
  if (value === undefined) return 'undefined';
  let text: string;
  if (typeof value === 'string') {
    // Only the start is shown, so a huge string is not copied whole into JSON first.
    text = JSON.stringify(value.slice(0, maxLength));
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch (err) {
      if (typeof value !== 'object' || value === null) return String(value);
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      return `${Array.isArray(value) ? 'an array' : 'an object'} that cannot be shown (${reason})`;
    }
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}
