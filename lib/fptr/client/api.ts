/**
 * Shapes shared by the FPTR client, the simulator and the nodes.
 * Field names follow FPTR's own JSON (snake_case) so payloads pass through untouched.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A link to an entity as FPTR writes it: `{type, id}` plus `name` where the server adds it. */
export interface EntityRef {
  type: string;
  id: number;
  name?: string;
}

/** `meta` of an EventLogEntry / webhook delivery; only `type` and the entity keys are common to all kinds. */
export interface DeliveryMeta {
  type?: string;
  entity_type?: string;
  entity_id?: number | string;
  attribute_name?: string;
  field_data_type?: string;
  old_value?: JsonValue;
  new_value?: JsonValue;
  added?: EntityRef[];
  removed?: EntityRef[];
  in_create?: boolean;
  warning?: string;
  [key: string]: JsonValue | EntityRef[] | undefined;
}

/** One delivery (`data`, or one element of `data.deliveries[]`) exactly as FPTR sends it. */
export interface Delivery {
  id?: string;
  event_log_entry_id?: number;
  event_type: string;
  operation?: string;
  delivery_id?: string;
  session_uuid?: string | null;
  created_at?: string;
  user?: EntityRef | null;
  entity?: EntityRef | { type: string | null; id: number } | null;
  project?: EntityRef | null;
  attribute_name?: string | null;
  meta?: DeliveryMeta;
  [key: string]: unknown;
}

/** `msg.fptr` on every message that carries an FPTR event (design.md § Message contract). */
export interface FptrMsgInfo {
  source: 'webhook' | 'event-log';
  webhookId?: string;
  deliveryId?: string;
  siteUrl?: string;
  /** ISO timestamp of the request body (`timestamp`) or of the event. */
  timestamp?: string;
  /** ISO time this package received it. */
  receivedAt: string;
  batch: { size: number; index: number };
  /** True when FPTR stripped `new_value`/`old_value` from a >1 MB event and added a `warning`. */
  truncated?: boolean;
}

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
  | { request_type: 'update'; entity: string; record_id: number; data: Record<string, unknown>; options?: { fields?: string[] } }
  | { request_type: 'delete'; entity: string; record_id: number };

/** A delivery record from the webhook deliveries API (fptr-api.md §4.4). */
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
  pageSize?: number;
}

/**
 * What nodes need from a site: implemented by `FptrClient` (nodes/lib/fptr-client.ts) and
 * handed out by the `fptr-site` config node. Every method rejects with an `FptrError`.
 */
export interface FptrApi {
  readonly siteUrl: string;
  serverInfo(): Promise<Record<string, unknown>>;
  /** The ApiUser (script) or HumanUser the credentials log in as; cached. */
  currentUser(): Promise<EntityRef | null>;
  read(entityType: string, id: number, options?: { fields?: string[]; returnOnly?: 'active' | 'retired' }): Promise<FlatRecord>;
  search(entityType: string, options?: SearchOptions): Promise<FlatRecord[]>;
  create(entityType: string, data: Record<string, unknown>, options?: { fields?: string[] }): Promise<FlatRecord>;
  update(entityType: string, id: number, data: Record<string, unknown>, options?: { fields?: string[] }): Promise<FlatRecord>;
  delete(entityType: string, id: number): Promise<void>;
  revive(entityType: string, id: number): Promise<boolean>;
  /** One `_batch` request per chunk (`chunkSize` default 200); results in request order. */
  batch(requests: BatchRequest[], options?: { chunkSize?: number }): Promise<Array<FlatRecord | { type: string; id: number; deleted: true }>>;
  listDeliveries(hookId: string, options?: ListDeliveriesOptions): Promise<DeliveryRecord[]>;
  readDelivery(deliveryId: string): Promise<DeliveryRecord>;
  acknowledge(deliveryId: string, acknowledgement: string): Promise<void>;
  redeliver(deliveryId: string): Promise<void>;
}
