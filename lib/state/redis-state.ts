import { EventEmitter } from 'node:events';
import { createClient, defineScript, type CommandParser } from '@redis/client';
import {
  StateUnavailableError,
  valueText,
  wholeMs,
  type Fence,
  type FencedValue,
  type Health,
  type LeaseState,
  type SharedState,
} from './shared-state';

export interface RedisStateOptions {
  /** redis:// or rediss:// (checked by redisUrlProblem first). */
  url: string;
  password?: string;
  /** Put in front of every key, so several sites or installs can share one server. */
  prefix: string;
  /** Who this process is, stored with what it claims (for people reading the keys). */
  instanceId: string;
  /** How long a TCP (and TLS) connect may take, in ms. */
  connectTimeoutMs?: number;
  /** How long one operation may wait for its answer, in ms; then it fails and health turns degraded. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts, and between health probes while degraded, in ms. */
  maxRetryDelayMs?: number;
}

const CONNECT_TIMEOUT_MS = 2_000;
const COMMAND_TIMEOUT_MS = 1_000;
const MAX_RETRY_DELAY_MS = 2_000;
const FIRST_RETRY_DELAY_MS = 50;
/** The probe writes a key of its own, so a server that answers PING but refuses writes (a read-only replica, out of memory) does not count as up. */
const PROBE_TTL_MS = 60_000;

/** What a given-back claim key holds; a holder is an instance id (host:pid:hex), never this. */
const RELEASED = '(released)';

/**
 * Claim: KEYS = claim keys; ARGV = holder, ttl, and optionally one 0/1 per key (1: the caller saw
 * it itself). A key given back by UNCLAIM holds RELEASED. 1 where the caller won the key, 0 where
 * not; every key not held by someone else ends up held by the caller. A new key costs one
 * SET NX, as the common case should.
 */
const CLAIM = defineScript({
  SCRIPT: `
local out = {}
local seen = ARGV[3] or ''
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    if string.byte(seen, i) == 49 then out[i] = 0 else out[i] = 1 end
  elseif redis.call('GET', key) == '${RELEASED}' then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out`,
  parseCommand(parser: CommandParser, keys: string[], holder: string, ttlMs: number, seenHere?: string) {
    parser.pushKeysLength(keys);
    parser.push(holder, String(ttlMs));
    if (seenHere !== undefined) parser.push(seenHere);
  },
  transformReply: undefined as unknown as () => number[],
});

/** Unclaim: KEYS = claim keys; ARGV = ttl. */
const UNCLAIM = defineScript({
  SCRIPT: `
for _, key in ipairs(KEYS) do redis.call('SET', key, '${RELEASED}', 'PX', ARGV[1]) end
return #KEYS`,
  parseCommand(parser: CommandParser, keys: string[], ttlMs: number) {
    parser.pushKeysLength(keys);
    parser.push(String(ttlMs));
  },
  transformReply: undefined as unknown as () => number,
});

/**
 * Acquire or renew: KEYS = lease hash, fencing counter; ARGV = holder, ttl.
 * Returns {held 0/1, token, ttl left, holder}. A new token is above the last one and at least
 * the server's clock in ms: the counter never expires, and should the server lose it (a restart
 * without persistence) new tokens still beat those handed out before, so a new leader's writes
 * are not refused in favour of a stale one's.
 */
const LEASE = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, tonumber(redis.call('HGET', KEYS[1], 'token')), tonumber(ARGV[2]), holder}
end
if holder then
  return {0, tonumber(redis.call('HGET', KEYS[1], 'token')), redis.call('PTTL', KEYS[1]), holder}
end
local now = redis.call('TIME')
local token = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))
redis.call('SET', KEYS[2], token)
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, token, tonumber(ARGV[2]), ARGV[1]}`,
  parseCommand(parser: CommandParser, lease: string, fence: string, holder: string, ttlMs: number) {
    parser.pushKey(lease);
    parser.pushKey(fence);
    parser.push(holder, String(ttlMs));
  },
  transformReply: undefined as unknown as () => [number, number, number, string],
});

const RELEASE = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  parseCommand(parser: CommandParser, lease: string, holder: string) {
    parser.pushKey(lease);
    parser.push(holder);
  },
  transformReply: undefined as unknown as () => number,
});

/** Guarded write: KEYS = value hash, fencing counter; ARGV = JSON, token. 0 = refused as stale. */
const SET_FENCED = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `
local token = tonumber(ARGV[2])
if token < tonumber(redis.call('GET', KEYS[2]) or '0') then return 0 end
if token < tonumber(redis.call('HGET', KEYS[1], 'token') or '0') then return 0 end
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'token', ARGV[2])
return 1`,
  parseCommand(parser: CommandParser, key: string, fence: string, text: string, token: number) {
    parser.pushKey(key);
    parser.pushKey(fence);
    parser.push(text, String(token));
  },
  transformReply: undefined as unknown as () => number,
});

const SCRIPTS = { claimKeys: CLAIM, unclaimKeys: UNCLAIM, takeLease: LEASE, dropLease: RELEASE, setFenced: SET_FENCED };

function newClient(options: RedisStateOptions, onRetry: (delay: number) => void) {
  const maxDelay = options.maxRetryDelayMs ?? MAX_RETRY_DELAY_MS;
  return createClient({
    url: options.url,
    password: options.password || undefined,
    // RESP2: no HELLO at connect, so Redis 5 and later (and compatible servers) will do.
    RESP: 2,
    scripts: SCRIPTS,
    // A command sent while disconnected fails at once instead of waiting for the reconnect.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => {
        const delay = Math.round(Math.min(FIRST_RETRY_DELAY_MS * 2 ** retries, maxDelay) * (0.5 + Math.random() / 2));
        onRetry(delay);
        return delay;
      },
    },
  });
}

type Client = ReturnType<typeof newClient>;

function keysIn(prefix: string, kind: string, names: readonly string[]): string[] {
  return names.map((name) => `${prefix}${kind}:${name}`);
}

/**
 * Shared state on a Redis server (through the official client's core, `@redis/client`).
 *
 * Nothing waits on an outage: commands are never queued while disconnected, every operation
 * has a deadline, and once one fails the state is `degraded` and further operations fail at
 * once (no round trip) until a probe succeeds. Probes run with backoff while degraded; the
 * client reconnects by itself; a connection that stays open but answers nothing (a hung server)
 * is dropped and made anew. Errors never carry the password.
 */
export class RedisState extends EventEmitter implements SharedState {
  readonly kind = 'redis';
  private state: Health = 'connecting';
  private client: Client;
  private closed = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelay = FIRST_RETRY_DELAY_MS;
  private probing = false;
  private readonly commandTimeoutMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(private readonly options: RedisStateOptions) {
    super();
    this.commandTimeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? MAX_RETRY_DELAY_MS;
    this.client = this.connect();
  }

  get health(): Health {
    return this.state;
  }

  async claim(keys: readonly string[], ttlMs: number, seenHere?: readonly boolean[]): Promise<boolean[]> {
    const ttl = wholeMs(ttlMs);
    if (keys.length === 0) return [];
    const { prefix, instanceId } = this.options;
    const seen = seenHere?.some(Boolean) ? keys.map((_, i) => (seenHere[i] ? '1' : '0')).join('') : undefined;
    const reply = await this.run((client) => client.claimKeys(keysIn(prefix, 'claim', keys), instanceId, ttl, seen));
    return reply.map((set) => Number(set) === 1);
  }

  async unclaim(keys: readonly string[], ttlMs: number): Promise<void> {
    const ttl = wholeMs(ttlMs);
    if (keys.length === 0) return;
    await this.run((client) => client.unclaimKeys(keysIn(this.options.prefix, 'claim', keys), ttl));
  }

  async lease(name: string, holderId: string, ttlMs: number): Promise<LeaseState> {
    const ttl = wholeMs(ttlMs);
    const [lease, fence] = [
      ...keysIn(this.options.prefix, 'lease', [name]),
      ...keysIn(this.options.prefix, 'fence', [name]),
    ];
    const [held, token, left, holder] = await this.run((client) => client.takeLease(lease, fence, holderId, ttl));
    return Number(held) === 1
      ? { held: true, token: Number(token), ttlMs: Number(left) }
      : { held: false, holder: String(holder), token: Number(token), ttlMs: Math.max(0, Number(left)) };
  }

  async release(name: string, holderId: string): Promise<void> {
    const [lease] = keysIn(this.options.prefix, 'lease', [name]);
    await this.run((client) => client.dropLease(lease, holderId));
  }

  async get(key: string): Promise<FencedValue | undefined> {
    const [valueKey] = keysIn(this.options.prefix, 'value', [key]);
    const [text, token] = await this.run((client) => client.hmGet(valueKey, ['value', 'token']));
    if (typeof text !== 'string' || token === null || token === undefined) return undefined;
    return { value: JSON.parse(text) as unknown, token: Number(token) };
  }

  async set(key: string, value: unknown, fence: Fence): Promise<boolean> {
    const text = valueText(value);
    const [valueKey] = keysIn(this.options.prefix, 'value', [key]);
    const [fenceKey] = keysIn(this.options.prefix, 'fence', [fence.lease]);
    const stored = await this.run((client) => client.setFenced(valueKey, fenceKey, text, fence.token));
    return Number(stored) === 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.probeTimer);
    const client = this.client;
    if (client.isReady) await withDeadline(client.close(), this.commandTimeoutMs).catch(() => undefined);
    if (client.isOpen) client.destroy();
  }

  private connect(): Client {
    // A replaced client may still report its end; only the current one speaks for the health.
    const current = (): boolean => client === this.client;
    const client: Client = newClient(this.options, () => current() && this.degrade('reconnecting'));
    client.on('error', (err: unknown) => current() && this.degrade(this.describe(err)));
    client.on('end', () => current() && this.degrade('connection closed'));
    client.on('ready', () => current() && this.probeSoon(0));
    // Resolves once connected (it retries by itself); rejects only if closed first.
    client.connect().catch(() => undefined);
    return client;
  }

  /** One operation: at once a failure when not `up`, else the client's answer within the deadline. */
  private async run<T>(operation: (client: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new StateUnavailableError('closed');
    if (this.state !== 'up')
      throw new StateUnavailableError(this.state === 'connecting' ? 'not connected yet' : 'degraded');
    try {
      return await withDeadline(operation(this.client), this.commandTimeoutMs);
    } catch (err) {
      const reason = this.describe(err);
      this.degrade(reason);
      throw new StateUnavailableError(reason);
    }
  }

  private setHealth(next: Health, reason?: string): void {
    if (this.state === next || this.closed) return;
    this.state = next;
    this.emit('health', next, reason);
  }

  private degrade(reason: string): void {
    if (this.closed) return;
    this.setHealth('degraded', reason);
    this.probeSoon(this.probeDelay);
  }

  private probeSoon(delay: number): void {
    if (this.closed || this.probing) return;
    if (this.probeTimer && delay > 0) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.probe(), delay);
  }

  /** Writes the probe key; success makes the state `up`, a timeout on an open connection replaces the client. */
  private async probe(): Promise<void> {
    this.probeTimer = undefined;
    if (this.closed) return;
    const client = this.client;
    if (!client.isReady) return this.retryProbe();
    this.probing = true;
    try {
      const [key] = keysIn(this.options.prefix, 'probe', [this.options.instanceId]);
      await withDeadline(
        client.set(key, String(Date.now()), { expiration: { type: 'PX', value: PROBE_TTL_MS } }),
        this.commandTimeoutMs,
      );
      this.probing = false;
      this.probeDelay = FIRST_RETRY_DELAY_MS;
      this.setHealth('up');
    } catch (err) {
      this.probing = false;
      if (this.closed) return;
      if (err instanceof DeadlineError && client === this.client && client.isReady) {
        // Connected but silent: commands sent on it would only time out. Start a fresh connection.
        this.client = this.connect();
        client.destroy();
      }
      this.setHealth('degraded', this.describe(err));
      this.retryProbe();
    }
  }

  private retryProbe(): void {
    this.probeDelay = Math.min(this.probeDelay * 2, this.maxRetryDelayMs);
    this.probeSoon(this.probeDelay);
  }

  /** A short reason for logs and events, with the password (if it ever appears) cut out. */
  private describe(err: unknown): string {
    let text = err instanceof Error ? err.message || err.name : String(err);
    const { password } = this.options;
    if (password) text = text.split(password).join('***');
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
}

class DeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
