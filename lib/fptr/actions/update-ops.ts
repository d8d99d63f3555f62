import { describeValue } from '../../util/describe-value';
import type { BatchRequest } from '../client/api';
import { InputError } from '../../util/errors';
import { isObject } from '../../util/is-object';
import { entityId, OPERATIONS, type Operation } from '../contract';

/**
 * Turns what a flow hands to `fptr-update` (one entity + fields, or an array of operation objects)
 * into validated FPTR writes. Errors name the offending input so the user can find it.
 */

/** How array values of link fields are applied on update (docs/fptr-api.md §2.7). */
export const MULTI_ENTITY_MODES = ['set', 'add', 'remove'] as const;
export type MultiEntityMode = (typeof MULTI_ENTITY_MODES)[number];

export class OperationError extends InputError {}

export interface EntityOperation {
  operation: Operation;
  entityType: string;
  /** Absent only for create. */
  id?: number;
  data: Record<string, unknown>;
}

export function parseOperation(value: unknown, where = 'operation'): Operation {
  const op = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof op === 'string' && (OPERATIONS as readonly string[]).includes(op)) return op as Operation;
  throw new OperationError(`${where} must be one of ${OPERATIONS.join(', ')} (got ${describe(value)})`);
}

export function parseMultiEntityMode(value: unknown): MultiEntityMode {
  if (typeof value === 'string' && (MULTI_ENTITY_MODES as readonly string[]).includes(value))
    return value as MultiEntityMode;
  throw new OperationError(
    `multi-entity mode must be one of ${MULTI_ENTITY_MODES.join(', ')} (got ${describe(value)})`,
  );
}

/** A missing value reads as "nothing" here: the user left out a part of the operation. */
function describe(value: unknown): string {
  return value === undefined ? 'nothing' : describeValue(value);
}

function parseId(value: unknown, where: string): number {
  const id = entityId(value);
  if (id === undefined) throw new OperationError(`${where} must be a positive whole number (got ${describe(value)})`);
  return id;
}

/**
 * The entity an operation targets: an `{type, id}` link (e.g. `msg.payload.entity` of an event) or,
 * for create, just the type name as a string or `{type}`.
 */
export function parseTarget(
  value: unknown,
  operation: Operation,
  where = 'entity',
): { entityType: string; id?: number } {
  let type: unknown;
  let id: unknown;
  if (typeof value === 'string') type = value;
  else if (isObject(value)) ({ type, id } = value);
  if (typeof type !== 'string' || type.trim() === '') {
    throw new OperationError(`${where} must be an entity type name or {type, id} (got ${describe(value)})`);
  }
  const entityType = type.trim();
  if (operation === 'create') return { entityType };
  return { entityType, id: parseId(id, `${where}.id`) };
}

function isLink(value: unknown): boolean {
  return isObject(value) && typeof value.type === 'string' && typeof value.id === 'number';
}

/**
 * Under `add`/`remove`, wraps every array of links into FPTR's
 * `{multi_entity_update_mode, value}` form; values already in that form are left as written, so a
 * field can pick its own mode. `set` leaves plain arrays, which FPTR treats as replace.
 */
export function applyMultiEntityMode(data: Record<string, unknown>, mode: MultiEntityMode): Record<string, unknown> {
  if (mode === 'set') return data;
  return Object.fromEntries(
    Object.entries(data).map(([field, value]) => [
      field,
      Array.isArray(value) && value.every(isLink) ? { multi_entity_update_mode: mode, value } : value,
    ]),
  );
}

/**
 * Names no FPTR entity has, which in a JavaScript object mean its prototype machinery: a
 * `{"__proto__": {...}}` object from JSON would otherwise write nothing, or write fields it
 * merely inherits. Refused rather than sent, so the user sees which key is wrong.
 */
const NOT_FIELD_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function checkFieldNames(fields: Record<string, unknown>, where: string): void {
  for (const field of Object.keys(fields)) {
    if (NOT_FIELD_NAMES.has(field)) throw new OperationError(`${where}: ${JSON.stringify(field)} is not a field name`);
  }
}

export function buildOperation(
  operation: Operation,
  target: unknown,
  fields: unknown,
  mode: MultiEntityMode,
  where = { entity: 'entity', fields: 'fields' },
): EntityOperation {
  const { entityType, id } = parseTarget(target, operation, where.entity);
  if (operation === 'delete' || operation === 'revive') return { operation, entityType, id: id as number, data: {} };
  if (!isObject(fields)) {
    throw new OperationError(`${where.fields} must be an object of field values (got ${describe(fields)})`);
  }
  checkFieldNames(fields, where.fields);
  if (operation === 'create') return { operation, entityType, data: fields };
  if (Object.keys(fields).length === 0) throw new OperationError(`${where.fields} is empty: nothing to update`);
  return { operation, entityType, id: id as number, data: applyMultiEntityMode(fields, mode) };
}

/**
 * One element of an operations array. Accepts the node's own vocabulary and FPTR's `_batch` one:
 * `{operation | request_type, entity: {type,id} | "Type" | type, id | record_id, data | fields}`.
 */
export function parseOperationItem(
  item: unknown,
  index: number,
  fallback: Operation | undefined,
  mode: MultiEntityMode,
): EntityOperation {
  const where = `payload[${index}]`;
  if (!isObject(item)) throw new OperationError(`${where} must be an object (got ${describe(item)})`);
  const rawOp = item.operation ?? item.request_type ?? fallback;
  const operation = parseOperation(rawOp, `${where}.operation`);
  const ref = isObject(item.entity) ? item.entity : { type: item.entity ?? item.type };
  const target = { type: ref.type, id: ref.id ?? item.id ?? item.record_id };
  return buildOperation(operation, target, item.data ?? item.fields, mode, {
    entity: `${where}.entity`,
    fields: `${where}.data`,
  });
}

/** `_batch` takes create/update/delete only; revive must be sent on its own. */
export function toBatchRequest(op: EntityOperation, index: number): BatchRequest {
  switch (op.operation) {
    case 'create':
      return { request_type: 'create', entity: op.entityType, data: op.data };
    case 'update':
      return { request_type: 'update', entity: op.entityType, record_id: op.id as number, data: op.data };
    case 'delete':
      return { request_type: 'delete', entity: op.entityType, record_id: op.id as number };
    case 'revive':
      throw new OperationError(
        `payload[${index}]: revive cannot be batched (FPTR _batch runs create, update and delete); send revives one message each`,
      );
  }
}

/** Validates a whole array before anything is sent, so a bad item never leaves half a batch applied. */
export function buildBatch(items: unknown[], fallback: Operation | undefined, mode: MultiEntityMode): BatchRequest[] {
  if (items.length === 0) throw new OperationError('payload is an empty array: nothing to write');
  return items.map((item, index) => toBatchRequest(parseOperationItem(item, index, fallback, mode), index));
}
