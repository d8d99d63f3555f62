import { FptrError } from '../../lib/fptr/client/fptr-error';

/** How one call ended, in a form two runs can be compared by: its value, or what its error says. */
export type Settled =
  | { ok: unknown }
  | { error: { name: string; message: string; kind?: string; status?: number; request?: string; errors?: unknown[] } };

/** Fields the server stamps with the clock: two runs never agree on them. */
const CLOCK_FIELDS = new Set(['created_at', 'updated_at']);

/** `value` without the server's timestamps, at any depth. */
export function withoutClock(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutClock);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !CLOCK_FIELDS.has(k))
      .map(([k, v]) => [k, withoutClock(v)]),
  );
}

export async function settled(call: Promise<unknown>): Promise<Settled> {
  try {
    return { ok: withoutClock(await call) };
  } catch (err) {
    if (err instanceof FptrError) {
      // FPTR's error objects in full, but for their ids: random per answer.
      const errors = err.errors.map(({ id: _id, ...rest }) => rest);
      return {
        error: {
          name: err.name,
          message: err.message,
          kind: err.kind,
          status: err.status,
          request: err.request,
          errors,
        },
      };
    }
    const e = err instanceof Error ? err : new Error(String(err));
    return { error: { name: e.name, message: e.message } };
  }
}
