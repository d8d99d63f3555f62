import { readOwnPath } from '../../util/own-property';

/** What an input message asks an `fptr-events-in` node to do (issue 14: the payloads are public). */
export type Control = { kind: 'pause' } | { kind: 'resume' } | { kind: 'reset'; to?: number };

/**
 * `"pause"`, `"resume"`, `"reset"` or `{reset: <id>}` (an event id, 0 for the very beginning);
 * undefined for anything else, which the node refuses.
 */
export function parseControl(payload: unknown): Control | undefined {
  if (payload === 'pause' || payload === 'resume' || payload === 'reset') return { kind: payload };
  const to = readOwnPath(payload, ['reset']);
  if (typeof payload === 'object' && !Array.isArray(payload) && Object.keys(payload as object).length === 1) {
    if (typeof to === 'number' && Number.isSafeInteger(to) && to >= 0) return { kind: 'reset', to };
  }
  return undefined;
}
