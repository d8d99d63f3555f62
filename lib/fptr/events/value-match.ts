import { isObject } from '../../util/is-object';
import { asEntityRef } from './delivery-fields';

/**
 * Comparing FPTR field values with values a user typed in the editor or took from msg/flow/env:
 * "42" equals 42, "true" equals true, a link equals a link with the same type and id (its
 * `name` and other keys are ignored) and a bare id equals any link with that id.
 */

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** `{type?, id}` the user wrote, or a bare id; undefined when it is neither. */
export interface LinkPattern {
  type?: string;
  id: number;
}

export function asLinkPattern(expected: unknown): LinkPattern | undefined {
  if (isObject(expected)) {
    const id = asNumber(expected.id);
    if (id === undefined) return undefined;
    return typeof expected.type === 'string' && expected.type !== '' ? { type: expected.type, id } : { id };
  }
  const id = typeof expected === 'boolean' ? undefined : asNumber(expected);
  return id === undefined ? undefined : { id };
}

export function linkMatches(actual: unknown, pattern: LinkPattern): boolean {
  const ref = asEntityRef(actual);
  return ref !== undefined && ref.id === pattern.id && (pattern.type === undefined || pattern.type === ref.type);
}

/** FPTR values are a few levels deep at most; deeper (or circular) message data equals nothing. */
const MAX_DEPTH = 32;

/** Whether an FPTR value (never `undefined`: a missing value matches nothing) equals `expected`. */
export function valuesEqual(actual: unknown, expected: unknown, depth = 0): boolean {
  if (actual === undefined || expected === undefined || depth > MAX_DEPTH) return false;
  if (actual === expected) return true;
  if (actual === null || expected === null) return actual === expected;
  if (asEntityRef(actual)) {
    const pattern = asLinkPattern(expected);
    return pattern !== undefined && linkMatches(actual, pattern);
  }
  if (Array.isArray(actual)) {
    return (
      Array.isArray(expected) &&
      actual.length === expected.length &&
      actual.every((a, i) => valuesEqual(a, expected[i], depth + 1))
    );
  }
  switch (typeof actual) {
    case 'number':
      return asNumber(expected) === actual;
    case 'boolean':
      return expected === actual || (typeof expected === 'string' && expected.trim().toLowerCase() === String(actual));
    case 'string':
      if (typeof expected === 'string') return expected === actual;
      if (typeof expected === 'number' || typeof expected === 'boolean') return valuesEqual(expected, actual, depth);
      return false;
    default:
      if (!isObject(actual) || !isObject(expected)) return false;
      return (
        sameKeys(actual, expected) && Object.keys(actual).every((k) => valuesEqual(actual[k], expected[k], depth + 1))
      );
  }
}

function sameKeys(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k));
}

/** A "one of" list: an array, or a comma-separated string as typed into a text field. */
export function asOneOfList(expected: unknown): unknown[] | undefined {
  if (Array.isArray(expected)) return expected;
  if (typeof expected === 'string')
    return expected
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (expected === undefined) return undefined;
  return [expected];
}
