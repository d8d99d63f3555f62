import { FptrError } from './fptr-error';

/** A bearer token and when to stop using it (monotonic clock, ms). */
export interface AccessToken {
  readonly header: string;
  readonly refreshAt: number;
}

/** The fields of FPTR's access-token answer this package uses (docs/fptr-api.md §1.3). */
export interface TokenResponse {
  token_type?: unknown;
  access_token?: unknown;
  expires_in?: unknown;
}

/** FPTR's recorded default lifetime, used if a site ever omits `expires_in`. */
const DEFAULT_LIFETIME_S = 600;

/** After credentials are refused, no new token is asked for this long, doubling per refusal up to the cap. */
export const REFUSAL_PAUSE_MS = 1_000;
export const MAX_REFUSAL_PAUSE_MS = 60_000;

/**
 * Caches one access token and refreshes it shortly before it expires. Only one token request is
 * ever in flight: concurrent callers share its promise, so 50 parallel calls cost one auth call.
 *
 * When FPTR refuses the credentials, the refusal is remembered for a pause that doubles with
 * each refusal in a row: calls meanwhile fail at once with the same error instead of asking again,
 * so a wrong key or password does not turn every message into a login attempt (which could lock
 * a person's account). A token obtained again ends the pauses; a redeploy builds a new source.
 */
export class TokenSource {
  #current: AccessToken | undefined;
  #pending: Promise<AccessToken> | undefined;
  #refusal: { error: unknown; until: number } | undefined;
  #refusals = 0;

  constructor(
    private readonly fetchToken: () => Promise<TokenResponse>,
    private readonly marginSeconds: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<AccessToken> {
    const current = this.#current;
    if (current && this.now() < current.refreshAt) return Promise.resolve(current);
    if (this.#refusal && this.now() < this.#refusal.until) return Promise.reject(this.#refusal.error);
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /**
   * Drops `token` after FPTR refused it. A token that was already replaced is left alone, so a
   * burst of 401s for the same stale token leads to a single new token request.
   */
  invalidate(token: AccessToken): void {
    if (this.#current === token) this.#current = undefined;
  }

  /** FPTR refused `token` right after issuing it: the credentials are not accepted, so pause like a refused login. */
  refused(token: AccessToken, error: unknown): void {
    if (this.#current !== token) return;
    this.#current = undefined;
    this.#refuse(error);
  }

  async #fetch(): Promise<AccessToken> {
    const started = this.now();
    let res: TokenResponse;
    try {
      res = await this.fetchToken();
    } catch (err) {
      // Passing troubles (outage, timeout, closing) were already retried by the caller; a final
      // answer such as "can't authenticate" will not change by asking again at once.
      if (err instanceof FptrError && !err.retryable && err.kind === 'http') this.#refuse(err);
      throw err;
    }
    if (typeof res.access_token !== 'string' || res.access_token === '') {
      const err = new FptrError('FPTR answered the token request without an access_token', { kind: 'http' });
      this.#refuse(err);
      throw err;
    }
    const lifetime = typeof res.expires_in === 'number' && res.expires_in > 0 ? res.expires_in : DEFAULT_LIFETIME_S;
    // Never spend more than half the lifetime on the margin, or short-lived tokens would be
    // refreshed on every call.
    const margin = Math.min(this.marginSeconds, lifetime / 2);
    const type =
      typeof res.token_type === 'string' && res.token_type.toLowerCase() !== 'bearer' ? res.token_type : 'Bearer';
    const token: AccessToken = {
      header: `${type} ${res.access_token}`,
      refreshAt: started + (lifetime - margin) * 1000,
    };
    this.#current = token;
    this.#refusals = 0;
    this.#refusal = undefined;
    return token;
  }

  #refuse(error: unknown): void {
    const pause = Math.min(MAX_REFUSAL_PAUSE_MS, REFUSAL_PAUSE_MS * 2 ** this.#refusals);
    this.#refusals++;
    this.#refusal = { error, until: this.now() + pause };
  }
}
