import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SimError, badRequest } from './errors';
import type { Actor, Link } from './store';

interface Credential {
  secret: string;
  ref: Link;
}

interface Grant {
  actor: Actor;
  expiresAt: number;
}

export interface TokenResponse {
  token_type: 'Bearer';
  access_token: string;
  expires_in: number;
  refresh_token: string;
}

const REFRESH_TTL_MS = 24 * 3_600_000;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a),
    y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Script keys, user passwords and the opaque bearer/refresh tokens issued for them. */
export class AuthService {
  private readonly scripts = new Map<string, Credential>();
  private readonly humans = new Map<string, Credential>();
  private readonly access = new Map<string, Grant>();
  private readonly refresh = new Map<string, Grant>();

  constructor(private readonly ttlSeconds: number) {}

  addScript(name: string, key: string, ref: Link): void {
    this.scripts.set(name, { secret: key, ref });
  }

  addHuman(login: string, password: string, ref: Link): void {
    this.humans.set(login, { secret: password, ref });
  }

  humanByLogin(login: string): Link | undefined {
    return this.humans.get(login)?.ref;
  }

  /** Every issued access token stops working (refresh tokens keep theirs, as after a natural expiry). */
  expireAll(): void {
    this.access.clear();
  }

  /** `POST /auth/access_token` with the already-merged query/form parameters. */
  issue(params: URLSearchParams): TokenResponse {
    const grant = params.get('grant_type');
    let actor: Actor;
    switch (grant) {
      case 'client_credentials': {
        const name = params.get('client_id'),
          key = params.get('client_secret');
        if (!name || !key) throw badRequest('Missing or invalid authentication arguments', 102);
        const script = this.scripts.get(name);
        if (!script || !sameSecret(script.secret, key)) throw badRequest(`Can't authenticate script '${name}'`, 102);
        actor = { user: script.ref };
        break;
      }
      case 'password': {
        const login = params.get('username'),
          password = params.get('password');
        if (!login || !password) throw badRequest('Missing or invalid authentication arguments', 102);
        const human = this.humans.get(login);
        if (!human || !sameSecret(human.secret, password)) throw badRequest(`Can't authenticate user '${login}'`, 102);
        actor = { user: human.ref };
        break;
      }
      case 'refresh_token': {
        const token = params.get('refresh_token') ?? '';
        const found = this.live(this.refresh, token);
        if (!found) throw new SimError(401, 102, 'Invalid refresh token');
        return this.grant(found.actor);
      }
      case null:
      case '':
        throw badRequest('Missing or invalid authentication arguments', 102);
      default:
        throw badRequest('Unsupported grant_type', 103, { source: { grant_type: grant } });
    }
    const scope = params.get('scope');
    const sudo = scope?.match(/^sudo_as_login:(.+)$/);
    if (sudo) {
      const target = this.humans.get(sudo[1]);
      if (!target) throw badRequest(`Could not find a valid user to sudo as with login '${sudo[1]}'`, 102);
      actor = { user: target.ref, sudoActualUser: actor.user };
    }
    return this.grant(actor);
  }

  /** The actor behind `Authorization: Bearer …`, or a 401. */
  authenticate(header: string | undefined): Actor {
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const found = token ? this.live(this.access, token) : undefined;
    if (!found) {
      throw new SimError(401, 102, 'Unauthorized', {
        detail: token
          ? 'The access token is invalid or expired.'
          : 'An Authorization: Bearer <access_token> header is required.',
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    return found.actor;
  }

  private grant(actor: Actor): TokenResponse {
    const now = Date.now();
    this.prune(now);
    const accessToken = newToken(),
      refreshToken = newToken();
    this.access.set(accessToken, { actor, expiresAt: now + this.ttlSeconds * 1000 });
    this.refresh.set(refreshToken, { actor, expiresAt: now + Math.max(REFRESH_TTL_MS, this.ttlSeconds * 1000) });
    return {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: this.ttlSeconds,
      refresh_token: refreshToken,
    };
  }

  private live(map: Map<string, Grant>, token: string): Grant | undefined {
    const grant = map.get(token);
    if (grant && grant.expiresAt <= Date.now()) {
      map.delete(token);
      return undefined;
    }
    return grant;
  }

  /** Long benchmark runs request many tokens; drop dead ones so memory stays flat. */
  private prune(now: number): void {
    if (this.access.size + this.refresh.size < 10_000) return;
    for (const map of [this.access, this.refresh]) {
      for (const [token, grant] of map) if (grant.expiresAt <= now) map.delete(token);
    }
  }
}
