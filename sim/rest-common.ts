import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthService } from './auth';
import { badRequest, notFound, unsupportedType } from './errors';
import { mediaType, parseJson } from './http-util';
import { planSort, type Predicate } from './query';
import type { EntityDef } from './schema';
import type { Actor, EntityStore, IdRange, StoredRecord } from './store';
import type { StorageService } from './storage';
import type { WebhookService } from './webhooks';

/** Shared pieces of the REST handlers: request context, replies, paging, read options. */

export interface Services {
  store: EntityStore;
  auth: AuthService;
  hooks: WebhookService;
  storage: StorageService;
  /** `http://127.0.0.1:PORT` of the site (absolute links such as upload URLs). */
  siteUrl: () => string;
}

export interface Ctx {
  req: IncomingMessage;
  url: URL;
  params: string[];
  body: Buffer;
  actor: Actor;
}

export interface Reply {
  status: number;
  /** JSON body; none for 204-style answers. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Writes the whole response itself (file bytes), instead of `body`. */
  send?: (res: ServerResponse) => void;
}

export interface Route {
  method: string;
  pattern: RegExp;
  /** Stats key, e.g. `POST /api/v1/entity/{type}/_search`. */
  key: string;
  auth: boolean;
  handle: (ctx: Ctx, s: Services) => Reply;
}

export const ARRAY_TYPE = 'application/vnd+shotgun.api3_array+json';
export const HASH_TYPE = 'application/vnd+shotgun.api3_hash+json';
const DEFAULT_PAGE_SIZE = 500;
const MAX_PAGE_SIZE = 5000;

// ---- shared helpers ---------------------------------------------------------------------

export function requireJson(ctx: Ctx): unknown {
  const type = mediaType(ctx.req);
  if (type !== 'application/json' && !(type === '' && !ctx.body.length))
    throw unsupportedType(type, 'application/json');
  return parseJson(ctx.body);
}

export function objectBody(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('Request body must be a JSON object');
  return value as Record<string, unknown>;
}

export function recordId(raw: string): number {
  if (!/^\d+$/.test(raw)) throw notFound(`Invalid record id '${raw}'`, 103);
  return Number(raw);
}

export function selfLink(ctx: Ctx): string {
  return ctx.url.pathname + ctx.url.search;
}

/** An optional integer parameter; `page` names the group in `source` (`{page: {size: […]}}`). */
export function intParam(value: unknown, name: string, group?: 'page'): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^-?\d+$/.test(String(value)) ? Number(value) : NaN;
  const problem = { [name]: [`${name} must be an integer`] };
  if (!Number.isInteger(n))
    throw badRequest(`${name} must be an integer`, 103, { source: group ? { [group]: problem } : problem });
  return n;
}

export interface Page {
  size: number;
  number: number;
}

export function page(sizeRaw: unknown, numberRaw: unknown): Page {
  const size = intParam(sizeRaw, 'size', 'page') ?? DEFAULT_PAGE_SIZE;
  const number = intParam(numberRaw, 'number', 'page') ?? 1;
  if (size < 1)
    throw badRequest('size must be greater than 0', 103, {
      source: { page: { size: ['size must be greater than 0'] } },
    });
  if (size > MAX_PAGE_SIZE)
    throw badRequest(`size must be less than ${MAX_PAGE_SIZE}`, 103, {
      source: { page: { size: [`size must be less than ${MAX_PAGE_SIZE}`] } },
    });
  if (number < 1)
    throw badRequest('number must be greater than 0', 103, {
      source: { page: { number: ['number must be greater than 0'] } },
    });
  return { size, number };
}

/** `links` of a list response; FPTR includes `next` even on an empty page. */
export function pageLinks(path: string, query: URLSearchParams, p: Page): Record<string, string> {
  const at = (n: number): string => {
    const q = new URLSearchParams(query);
    q.set('page[number]', String(n));
    q.set('page[size]', String(p.size));
    return `${path}?${q.toString()}`;
  };
  const links: Record<string, string> = { self: at(p.number), next: at(p.number + 1) };
  if (p.number > 1) links.prev = at(p.number - 1);
  return links;
}

export interface ReadOptions {
  returnOnly: 'active' | 'retired';
  includeArchived: boolean;
}

export function readOptions(returnOnly: unknown, includeArchived: unknown): ReadOptions {
  if (returnOnly !== undefined && returnOnly !== null && returnOnly !== 'active' && returnOnly !== 'retired') {
    throw badRequest('return_only must be one of: active, retired', 103, {
      source: { options: { return_only: returnOnly } },
    });
  }
  return {
    returnOnly: returnOnly === 'retired' ? 'retired' : 'active',
    includeArchived: includeArchived === true || includeArchived === 'true',
  };
}

export function visible(store: EntityStore, rec: StoredRecord, opts: ReadOptions): boolean {
  if (rec.retired !== (opts.returnOnly === 'retired') || !store.readable(rec)) return false;
  if (opts.includeArchived) return true;
  const project = rec.fields.project as { type: string; id: number } | null | undefined;
  return !project || store.lookup('Project', project.id)?.fields.archived !== true;
}

export function queryFields(url: URL, key: string): string | undefined {
  return url.searchParams.get(key) ?? undefined;
}

/**
 * One page of matching records. In id order (the default, and an event poller's `sort: id`) the
 * walk stops once the page is full, and `range` skips to the first candidate id.
 */
export function listRecords(
  s: Services,
  def: EntityDef,
  predicate: Predicate,
  opts: ReadOptions,
  sort: unknown,
  p: Page,
  range: IdRange = {},
): StoredRecord[] {
  const plan = planSort(s.store, def, sort);
  const keep = (r: StoredRecord): boolean => visible(s.store, r, opts) && predicate(r);
  const skip = (p.number - 1) * p.size;
  if (!plan.byId) return plan.sort([...s.store.scan(def.name, range)].filter(keep)).slice(skip, skip + p.size);
  const out: StoredRecord[] = [];
  let seen = 0;
  for (const r of s.store.scan(def.name, range, plan.reverse)) {
    if (!keep(r) || seen++ < skip) continue;
    out.push(r);
    if (out.length === p.size) break;
  }
  return out;
}

export function writable(def: EntityDef, verb: string): void {
  if (def.readOnly) throw badRequest(`API ${verb}() ${def.name} records cannot be changed by this user.`, 104);
}

const SEG = '([^/]+)';

/** A route for a path template such as `/api/v1/entity/{type}/{id}` (each `{…}` is one segment). */
export function route(method: string, template: string, auth: boolean, handle: Route['handle']): Route {
  const pattern = new RegExp('^' + template.replace(/\{[a-z]+\}/g, SEG).replace(/\//g, '\\/') + '$');
  return { method, pattern, key: `${method} ${template}`, auth, handle };
}
