import { FptrError } from './fptr-error';

/**
 * Which short status badge a failure deserves: `fptr.status.failed-<kind>` in the shared
 * catalog; the full message goes to the Catch node.
 */
export type Failure = { kind: 'http'; status: number } | { kind: 'network' | 'timeout' | 'config' | 'input' };

export function failureKind(err: unknown): Failure {
  if (err instanceof FptrError) {
    if (err.kind === 'http' && err.status !== undefined) return { kind: 'http', status: err.status };
    if (err.kind === 'timeout') return { kind: 'timeout' };
    if (err.kind === 'network' || err.kind === 'closed') return { kind: 'network' };
    if (err.kind === 'config') return { kind: 'config' };
  }
  return { kind: 'input' };
}
