/** An object with string keys: not null, not an array (what JSON calls an object). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
