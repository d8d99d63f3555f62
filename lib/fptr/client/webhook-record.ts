/**
 * Webhooks as the REST webhook endpoints show them (fptr-api.md §4.3) and the bodies they take
 * (§4.2). Field names are FPTR's own. Reads are checked for the few fields this package relies
 * on; everything else passes through untouched.
 */

export type HookAction = 'create' | 'update' | 'delete' | 'revive';
export const HOOK_ACTIONS: readonly HookAction[] = ['create', 'update', 'delete', 'revive'];

/** `{Task: {create: [], update: ['sg_status_list']}}`: per entity type, the actions and (for update) the fields. */
export type EntityTypeSubscriptions = Record<string, Partial<Record<HookAction, string[]>>>;

export interface WebhookRecord {
  id: string;
  url: string;
  /** As FPTR wrote it; `hookStatus()` reads it. */
  status: string;
  entity_types?: EntityTypeSubscriptions;
  event_type?: string;
  projects?: number[] | null;
  name?: string;
  description?: string;
  batch_deliveries?: boolean;
  validate_ssl_cert?: boolean;
  /** Observed on real sites, not in the spec (fptr-api.md §4.3). */
  is_token_set?: boolean;
  num_deliveries?: number;
  [key: string]: unknown;
}

/** Body of `POST/PUT /webhook/hooks…`; `token` is write-only. */
export interface WebhookBody {
  url?: string;
  entity_types?: EntityTypeSubscriptions;
  event_type?: string;
  projects?: number[] | null;
  token?: string;
  name?: string;
  description?: string;
  batch_deliveries?: boolean;
  validate_ssl_cert?: boolean;
  status?: 'active' | 'disabled';
}

export interface ListHooksOptions {
  /** FPTR's `url` query filter; the answer is filtered again locally. */
  url?: string;
  pageSize?: number;
}

/** A webhook object, or undefined when the value lacks the string `id`, `url` and `status` every use needs. */
export function toWebhookRecord(value: unknown): WebhookRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const row = value as { attributes?: unknown };
  // A JSON:API-style `{id, attributes}` is accepted too, as for deliveries.
  const attributes = typeof row.attributes === 'object' && row.attributes !== null ? row.attributes : {};
  const merged = { ...row, ...attributes } as Record<string, unknown>;
  delete merged.attributes;
  const { id, url, status } = merged;
  if (typeof id !== 'string' || id === '' || typeof url !== 'string' || typeof status !== 'string') return undefined;
  return merged as WebhookRecord;
}

/** The webhook endpoints a site offers (fptr-api.md §4.1); every method rejects with an FptrError. */
export interface WebhookAdminApi {
  readonly siteUrl: string;
  /** Every webhook of the site (all pages), or those FPTR reports for `url`. */
  listHooks(options?: ListHooksOptions): Promise<WebhookRecord[]>;
  readHook(hookId: string): Promise<WebhookRecord>;
  createHook(body: WebhookBody): Promise<WebhookRecord>;
  updateHook(hookId: string, body: WebhookBody): Promise<WebhookRecord>;
  /** Asks FPTR to send the hook a Test_Connection delivery (answered 204 even for unknown ids). */
  testConnection(hookId: string): Promise<void>;
}
