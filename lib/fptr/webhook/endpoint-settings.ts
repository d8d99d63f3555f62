import { parseByteSize } from '../../util/byte-size';
import { CidrList } from '../../util/cidr';

/*
 * The settings of one fptr-webhook-in, as the editor saves them and settings.js adds to them,
 * turned into what the receiver needs. Each rule the editor checks is one of the functions
 * below; lib/editor hands the very same functions to the dialog.
 */

/** The node's own settings as saved in the flow. */
export interface EndpointConfig {
  url?: unknown;
  maxBodySize?: unknown;
  dedupWindow?: unknown;
  allowList?: unknown;
  trustProxy?: unknown;
  proxies?: unknown;
}

/** What settings.js may say about every fptr-webhook-in (and Node-RED's own body limit). */
export interface EndpointRuntimeSettings {
  fptrWebhookInMaxBodySize?: unknown;
  apiMaxLength?: unknown;
  fptrWebhookInMaxPending?: unknown;
  /** How long a request body may take to arrive, in ms. */
  fptrWebhookInReadTimeout?: unknown;
}

export interface EndpointSettings {
  /** The node's path below httpNodeRoot, starting with `/`. */
  path: string;
  maxBytes: number;
  /** Empty: every source is allowed. */
  allowList: CidrList;
  /** Peers whose X-Forwarded-For is believed; absent unless the node trusts a proxy. */
  proxies?: CidrList;
  /** 0: duplicates are not looked for. */
  dedupWindowMs: number;
  readTimeoutMs: number;
  maxPending: number;
}

/** A setting the node cannot work with: the catalog name of its error and badge, and what to quote. */
export interface SettingsProblem {
  key: 'invalid-path' | 'invalid-size' | 'invalid-allow-list' | 'invalid-proxies' | 'invalid-dedup-window';
  params: Record<string, string>;
}

/** Worth a warning, but the node works (with the default). */
export interface SettingsWarning {
  key: 'invalid-read-timeout';
  params: Record<string, string>;
}

export type SettingsResult =
  { ok: true; settings: EndpointSettings; warnings: SettingsWarning[] } | { ok: false; problem: SettingsProblem };

/** Plain paths only: express patterns (`:id`, `*`, `(…)`) would route requests the raw capture never keys. */
const PATH_PATTERN = /^\/[A-Za-z0-9._~/-]*$/;
/** `.` and `..` segments: clients resolve them before sending, so such a path can never be reached. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;
const DEFAULT_MAX_BODY = '5mb';
const DEFAULT_DEDUP_WINDOW_S = 600;
/** FPTR gives up on a delivery after 6 s; a body still arriving long after that is a stuck or hostile sender. */
const READ_TIMEOUT_MS = 15_000;
/** Default backlog (messages not yet sent on) above which requests are answered 503. */
const MAX_PENDING = 10_000;
const LOOPBACK_PROXIES = ['127.0.0.0/8', '::1'];

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

/** The webhook's path, with the leading `/` the editor lets users leave out; undefined when it is not a usable path. */
export function webhookPath(value: unknown): string | undefined {
  let path = text(value);
  if (path && !path.startsWith('/')) path = '/' + path;
  return path && PATH_PATTERN.test(path) && !DOT_SEGMENT.test(path) ? path : undefined;
}

/** The node's "Max body size": empty leaves it to settings.js; otherwise a size such as `2mb`. */
export function bodySizeSetting(value: unknown): boolean {
  return text(value) === '' || parseByteSize(text(value)) !== undefined;
}

/** Seconds a delivery counts as seen: a whole number, 0 turning duplicate detection off; absent = 600. */
export function dedupWindowSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null) return DEFAULT_DEDUP_WINDOW_S;
  const raw = text(value);
  if (!/^\d+$/.test(raw)) return undefined;
  const seconds = Number(raw);
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** An allow-list or proxy list as saved: an array of entries, or text separated by commas or spaces. */
function addressEntries(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string');
  return typeof value === 'string' ? value.split(/[\s,]+/) : [];
}

/** The entries that are neither an address nor a CIDR network (blank ones are skipped). */
export function invalidAddresses(value: unknown): string[] {
  return CidrList.parse(addressEntries(value)).invalid;
}

/** Reads the node's settings; the first unusable one is named in `problem`. */
export function endpointSettings(config: EndpointConfig, runtime: EndpointRuntimeSettings): SettingsResult {
  const fail = (key: SettingsProblem['key'], params: Record<string, string>): SettingsResult => ({
    ok: false,
    problem: { key, params },
  });
  const path = webhookPath(config.url);
  if (path === undefined) return fail('invalid-path', { path: webhookPathAsTyped(config.url) });
  const maxBytes = parseByteSize(
    text(config.maxBodySize) || runtime.fptrWebhookInMaxBodySize || runtime.apiMaxLength || DEFAULT_MAX_BODY,
  );
  if (maxBytes === undefined) return fail('invalid-size', { size: text(config.maxBodySize) });
  const dedupSeconds = dedupWindowSeconds(config.dedupWindow);
  if (dedupSeconds === undefined) return fail('invalid-dedup-window', { value: text(config.dedupWindow) });
  const allow = CidrList.parse(addressEntries(config.allowList));
  if (allow.invalid.length > 0) return fail('invalid-allow-list', { entries: allow.invalid.join(', ') });
  let proxies: CidrList | undefined;
  if (config.trustProxy === true) {
    const entries = addressEntries(config.proxies).filter((entry) => entry.trim() !== '');
    const parsed = CidrList.parse(entries.length > 0 ? entries : LOOPBACK_PROXIES);
    if (parsed.invalid.length > 0) return fail('invalid-proxies', { entries: parsed.invalid.join(', ') });
    proxies = parsed.list;
  }
  const warnings: SettingsWarning[] = [];
  let readTimeoutMs = READ_TIMEOUT_MS;
  if (runtime.fptrWebhookInReadTimeout !== undefined) {
    const value = Number(runtime.fptrWebhookInReadTimeout);
    if (Number.isFinite(value) && value > 0) readTimeoutMs = value;
    else warnings.push({ key: 'invalid-read-timeout', params: { value: String(runtime.fptrWebhookInReadTimeout) } });
  }
  const pending = Number(runtime.fptrWebhookInMaxPending ?? MAX_PENDING);
  const settings: EndpointSettings = {
    path,
    maxBytes,
    allowList: allow.list,
    dedupWindowMs: dedupSeconds * 1000,
    readTimeoutMs,
    maxPending: Number.isFinite(pending) && pending > 0 ? pending : MAX_PENDING,
  };
  if (proxies) settings.proxies = proxies;
  return { ok: true, settings, warnings };
}

/** The path as the refusal quotes it: trimmed, with the leading `/` added. */
function webhookPathAsTyped(value: unknown): string {
  const path = text(value);
  return path && !path.startsWith('/') ? '/' + path : path;
}
