/**
 * Reading message data by name without reaching what every object inherits: a path such as
 * `payload.constructor` or `payload.__proto__` names nothing the sender put there, so it reads as
 * missing instead of handing out `Object` or `Object.prototype`.
 */

/** `holder[key]` when it is the holder's own property; undefined for scalars and anything inherited. */
function ownValue(holder: unknown, key: string | number): unknown {
  if (holder === null || typeof holder !== 'object') return undefined;
  return Object.hasOwn(holder, key) ? (holder as Record<string | number, unknown>)[key] : undefined;
}

/** Follows a path of own properties; undefined as soon as one is missing. */
export function readOwnPath(root: unknown, parts: ReadonlyArray<string | number>): unknown {
  let value = root;
  for (const part of parts) {
    value = ownValue(value, part);
    if (value === undefined) return undefined;
  }
  return value;
}
