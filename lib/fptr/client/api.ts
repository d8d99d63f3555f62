import type { IncomingHttpHeaders } from 'node:http';
import type { PushBack } from './adaptive-limit';
import type { EntityRef } from '../contract';
import type { ByteSource } from './byte-source';
import type { UrlAnswer, UrlRequest } from './url-request';
import type { WebhookAdminApi } from './webhook-record';

/**
 * The REST API as the nodes see it (`FptrApi`) and the shapes it reads and writes. Field names
 * follow FPTR's own JSON (snake_case) so records pass through untouched.
 */

/** A record flattened like the Python API: `{type, id, ...attributes, links as {type,id,name}}`. */
export interface FlatRecord {
  type: string;
  id: number;
  [field: string]: unknown;
}

/** One JSON:API-style record as the REST API returns it. */
export interface JsonApiRecord {
  type: string;
  id: number;
  attributes?: Record<string, unknown>;
  relationships?: Record<string, { data: EntityRef | EntityRef[] | null; links?: Record<string, string> }>;
  links?: Record<string, string>;
}

/** One entry of FPTR's `errors[]` envelope. */
export interface FptrErrorObject {
  id?: string;
  status?: number;
  code?: number;
  title?: string;
  detail?: string | null;
  source?: unknown;
  meta?: unknown;
}

/** Array filters (`[[field, relation, value], …]`) or the hash form with a logical operator. */
export type FilterCondition = [string, string, unknown] | FilterGroup;
export interface FilterGroup {
  logical_operator: 'and' | 'or';
  conditions: FilterCondition[];
}
export type Filters = Array<[string, string, unknown]> | FilterGroup;

export interface SearchOptions {
  filters?: Filters;
  fields?: string[];
  /** FPTR sort string, e.g. `"-updated_at,id"`. */
  sort?: string;
  /** Stop after this many records; all pages when absent. */
  limit?: number;
  pageSize?: number;
  returnOnly?: 'active' | 'retired';
  includeArchivedProjects?: boolean;
}

export type BatchRequest =
  | { request_type: 'create'; entity: string; data: Record<string, unknown>; options?: { fields?: string[] } }
  | {
      request_type: 'update';
      entity: string;
      record_id: number;
      data: Record<string, unknown>;
      options?: { fields?: string[] };
    }
  | { request_type: 'delete'; entity: string; record_id: number };

/** A delivery record from the webhook deliveries API (docs/fptr-api.md §4.4). */
export interface DeliveryRecord {
  id: string;
  event_time?: number;
  status?: string;
  process_time?: number;
  response_code?: number;
  body?: string;
  acknowledgement?: string | null;
  request_headers?: Record<string, string>;
  response_headers?: Record<string, string>;
  request_body?: unknown;
  [key: string]: unknown;
}

export interface ListDeliveriesOptions {
  status?: 'delivered' | 'failed';
  /** Unix seconds. */
  from?: number;
  /** Unix seconds. */
  to?: number;
  /** `null`: not acknowledged, `not_null`: acknowledged (UNCONFIRMED: docs/fptr-api.md §4.1; check the rows). */
  acknowledgement?: 'null' | 'not_null';
  pageSize?: number;
}

/**
 * What nodes need from a site: implemented by `FptrClient` (nodes/lib/fptr-client.ts) and
 * handed out by the `fptr-site` config node. Every method rejects with an `FptrError`.
 */
/** Any request below `/api/v1` of the site (fptr-request, the file transfers). */
export interface SiteRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below `/api/v1`, starting with `/` (or empty); a query may follow `?` and is sent as written. */
  path: string;
  json?: unknown;
  /** Raw bytes instead of JSON (sg storage takes uploaded files on the site). */
  bytes?: ByteSource;
  contentType?: string;
  /** Safe to send twice; other requests are repeated only when FPTR certainly did not act. */
  idempotent: boolean;
  /** Answer a redirect instead of failing on it (downloads redirect to the file). */
  redirects?: 'answer';
  signal?: AbortSignal;
}

export interface SiteAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON; undefined when the answer is empty. */
  body: unknown;
}

export interface FptrApi extends WebhookAdminApi {
  readonly siteUrl: string;
  serverInfo(): Promise<Record<string, unknown>>;
  /** The ApiUser (script) or HumanUser the credentials log in as; cached. */
  currentUser(): Promise<EntityRef | null>;
  read(
    entityType: string,
    id: number,
    options?: { fields?: string[]; returnOnly?: 'active' | 'retired' },
  ): Promise<FlatRecord>;
  search(entityType: string, options?: SearchOptions): Promise<FlatRecord[]>;
  create(entityType: string, data: Record<string, unknown>, options?: { fields?: string[] }): Promise<FlatRecord>;
  update(
    entityType: string,
    id: number,
    data: Record<string, unknown>,
    options?: { fields?: string[] },
  ): Promise<FlatRecord>;
  delete(entityType: string, id: number): Promise<void>;
  revive(entityType: string, id: number): Promise<boolean>;
  /** One `_batch` request per chunk (`chunkSize` default 200); results in request order. */
  batch(
    requests: BatchRequest[],
    options?: { chunkSize?: number },
  ): Promise<Array<FlatRecord | { type: string; id: number; deleted: true }>>;
  listDeliveries(hookId: string, options?: ListDeliveriesOptions): Promise<DeliveryRecord[]>;
  readDelivery(deliveryId: string): Promise<DeliveryRecord>;
  acknowledge(deliveryId: string, acknowledgement: string): Promise<void>;
  redeliver(deliveryId: string): Promise<void>;
  /** With the site's token, retries and error mapping: the token goes to the site's own origin only. */
  siteRequest(request: SiteRequest): Promise<SiteAnswer>;
  /** To a URL FPTR handed out (signed storage URLs), never with the site's credentials. */
  requestUrl(request: UrlRequest): Promise<UrlAnswer>;
  /**
   * `task`, with the client kept open until it settles should the client be closed meanwhile
   * (for a few seconds at most): work that must clean up on the site when its node stops, such as
   * aborting a multipart upload, still has the connections and the token to do so.
   */
  finishBeforeClose<T>(task: Promise<T>): Promise<T>;
  /**
   * Calls `listener` whenever the site pushes back (429/503: fewer requests at a time, or a
   * pause it asked for) and when it is back to full speed; returns the unsubscribe function.
   * Absent where there is no live site.
   */
  onPushBack?(listener: (state: PushBack) => void): () => void;
}
