import { FptrError } from './fptr-error';

/**
 * Which short status badge a failure deserves. Node files turn the kind into a catalog key
 * (`<type>.status.failed-<kind>`); the full message goes to the Catch node.
 */
export type FailureKind = 'http' | 'network' | 'timeout' | 'config' | 'input';

export interface FailureStatus {
  kind: FailureKind;
  /** HTTP status for `http`. */
  status?: number;
}

export function failureStatus(err: unknown): FailureStatus {
  if (err instanceof FptrError) {
    if (err.kind === 'http' && err.status !== undefined) return { kind: 'http', status: err.status };
    if (err.kind === 'timeout') return { kind: 'timeout' };
    if (err.kind === 'network' || err.kind === 'closed') return { kind: 'network' };
    if (err.kind === 'config') return { kind: 'config' };
  }
  return { kind: 'input' };
}
