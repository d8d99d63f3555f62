import { FptrError } from './fptr-error';

/** A bearer token and when to stop using it (monotonic clock, ms). */
export interface AccessToken {
  readonly header: string;
  readonly refreshAt: number;
}

/** The fields of FPTR's access-token answer this package uses (fptr-api.md §1.3). */
export interface TokenResponse {
  token_type?: unknown;
  access_token?: unknown;
  expires_in?: unknown;
}

/** FPTR's recorded default lifetime, used if a site ever omits `expires_in`. */
const DEFAULT_LIFETIME_S = 600;

/**
 * Caches one access token and refreshes it shortly before it expires. Only one token request is
 * ever in flight: concurrent callers share its promise, so 50 parallel calls cost one auth call.
 */
export class TokenSource {
  #current: AccessToken | undefined;
  #pending: Promise<AccessToken> | undefined;

  constructor(
    private readonly fetchToken: () => Promise<TokenResponse>,
    private readonly marginSeconds: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<AccessToken> {
    const current = this.#current;
    if (current && this.now() < current.refreshAt) return Promise.resolve(current);
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

  async #fetch(): Promise<AccessToken> {
    const started = this.now();
    const res = await this.fetchToken();
    if (typeof res.access_token !== 'string' || res.access_token === '') {
      throw new FptrError('FPTR answered the token request without an access_token', { kind: 'http' });
    }
    const lifetime = typeof res.expires_in === 'number' && res.expires_in > 0 ? res.expires_in : DEFAULT_LIFETIME_S;
    // Never spend more than half the lifetime on the margin, or short-lived tokens would be
    // refreshed on every call.
    const margin = Math.min(this.marginSeconds, lifetime / 2);
    const type = typeof res.token_type === 'string' && res.token_type.toLowerCase() !== 'bearer' ? res.token_type : 'Bearer';
    const token: AccessToken = { header: `${type} ${res.access_token}`, refreshAt: started + (lifetime - margin) * 1000 };
    this.#current = token;
    return token;
  }
}
