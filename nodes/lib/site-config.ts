import type { FptrClientOptions } from './fptr-client';
import { FptrError } from './fptr-error';

/** What the fptr-site dialog holds: properties plus credentials, as strings from the editor. */
export interface SiteSettings {
  url?: unknown;
  authType?: unknown;
  scriptName?: unknown;
  scriptKey?: unknown;
  login?: unknown;
  password?: unknown;
  sudoAs?: unknown;
  /** Requests in flight; empty = default. */
  maxConcurrency?: unknown;
  /** Per-request timeout in seconds; empty = default. */
  timeout?: unknown;
}

const MAX_CONCURRENCY_LIMIT = 64;

/** fptr-site settings → client options; an FptrError (kind `config`) names the first problem. */
export function siteClientOptions(s: SiteSettings): FptrClientOptions {
  const url = text(s.url);
  if (!url) throw invalid('Site URL is required');
  const authType = text(s.authType) || 'script';
  let auth: FptrClientOptions['auth'];
  if (authType === 'script') {
    auth = { grant: 'client_credentials', scriptName: text(s.scriptName), scriptKey: secret(s.scriptKey) };
  } else if (authType === 'user') {
    auth = { grant: 'password', login: text(s.login), password: secret(s.password) };
  } else {
    throw invalid(`Unknown authentication type "${authType}" (expected "script" or "user")`);
  }
  const options: FptrClientOptions = { url, auth };
  const sudoAs = text(s.sudoAs);
  if (sudoAs) options.sudoAs = sudoAs;
  const maxConcurrency = optionalNumber(s.maxConcurrency, 'Concurrency');
  if (maxConcurrency !== undefined) {
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > MAX_CONCURRENCY_LIMIT) {
      throw invalid(`Concurrency must be a whole number from 1 to ${MAX_CONCURRENCY_LIMIT}`);
    }
    options.maxConcurrency = maxConcurrency;
  }
  const timeout = optionalNumber(s.timeout, 'Timeout');
  if (timeout !== undefined) {
    if (timeout <= 0 || timeout > 600) throw invalid('Timeout must be more than 0 and at most 600 seconds');
    options.timeoutMs = timeout * 1000;
  }
  return options;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

/** Secrets are used exactly as typed: spaces may be part of a password. */
function secret(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function optionalNumber(value: unknown, what: string): number | undefined {
  const raw = text(value);
  if (raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw invalid(`${what} must be a number`);
  return n;
}

function invalid(message: string): FptrError {
  return new FptrError(message, { kind: 'config' });
}
