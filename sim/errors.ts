import { randomBytes } from 'node:crypto';
import type { FptrErrorObject } from '../lib/fptr/client/api';

/**
 * An error the simulator answers with FPTR's `errors[]` envelope. Thrown by the data layer too,
 * so direct (non-HTTP) calls from tests fail with the same status/code/title a client would see.
 */
export class SimError extends Error {
  readonly status: number;
  readonly code: number | null;
  readonly detail: string | null;
  readonly source: unknown;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: number | null,
    title: string,
    extra: { detail?: string; source?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(title);
    this.name = 'SimError';
    this.status = status;
    this.code = code;
    this.detail = extra.detail ?? null;
    this.source = extra.source ?? {};
    this.headers = extra.headers ?? {};
  }

  toErrorObject(): FptrErrorObject {
    return {
      id: errorId(),
      status: this.status,
      code: this.code ?? undefined,
      title: this.message,
      detail: this.detail,
      source: this.source,
      meta: null,
    };
  }
}

/** FPTR error ids are 32 hex characters. */
export function errorId(): string {
  return randomBytes(16).toString('hex');
}

export function errorEnvelope(errors: FptrErrorObject[]): { errors: FptrErrorObject[] } {
  return { errors };
}

export function badRequest(title: string, code = 103, extra?: { detail?: string; source?: unknown }): SimError {
  return new SimError(400, code, title, extra);
}

export function notFound(title: string, code = 104, detail?: string): SimError {
  return new SimError(404, code, title, { detail });
}

export function unsupportedType(contentType: string, expected: string): SimError {
  return new SimError(415, 103, `Unsupported Content-Type '${contentType || '(none)'}'`, {
    source: { content_type: `must be ${expected}` },
  });
}
