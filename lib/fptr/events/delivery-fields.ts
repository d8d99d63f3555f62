import type { Delivery, EntityRef } from '../contract';
import { isObject } from '../../util/is-object';

/**
 * Reading the entity, actor and change details of a delivery without trusting its shape:
 * FPTR sends several kinds (Test_Connection, Webhook_Status_Change, custom events) whose
 * fields are missing, null, or the string "null".
 */

/** A link `{type, id}`; FPTR writes `{type: null, id: 0}` and `"null"` for "no entity". */
export function asEntityRef(value: unknown): EntityRef | undefined {
  if (!isObject(value)) return undefined;
  const { type, id } = value;
  if (typeof type !== 'string' || type === '' || type === 'null') return undefined;
  if (typeof id !== 'number') return undefined;
  return value as unknown as EntityRef;
}

function nonNullName(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && value !== 'null' ? value : undefined;
}

/**
 * `entity.type`, or `meta.entity_type` when the entity is gone (retirements log `entity: null`).
 * Test_Connection's `{type: null}` / `"null"` count as no entity.
 */
export function entityTypeOf(delivery: Delivery): string | undefined {
  const entity = delivery.entity;
  if (isObject(entity)) {
    const type = nonNullName(entity.type);
    if (type) return type;
  }
  return isObject(delivery.meta) ? nonNullName(delivery.meta.entity_type) : undefined;
}

/** The changed field: top-level `attribute_name`, else `meta.attribute_name`. */
export function attributeNameOf(delivery: Delivery): string | undefined {
  const top = nonNullName(delivery.attribute_name);
  if (top) return top;
  return isObject(delivery.meta) ? nonNullName(delivery.meta.attribute_name) : undefined;
}

export function projectIdOf(delivery: Delivery): number | undefined {
  const project = delivery.project;
  return isObject(project) && typeof project.id === 'number' ? project.id : undefined;
}

/** The user the event is logged under, and the script that really acted when it used sudo. */
export function actorsOf(delivery: Delivery): { user?: EntityRef; sudoActualUser?: EntityRef } {
  const meta = isObject(delivery.meta) ? delivery.meta : undefined;
  return { user: asEntityRef(delivery.user), sudoActualUser: asEntityRef(meta?.sudo_actual_user) };
}

export function metaOf(delivery: Delivery): Record<string, unknown> | undefined {
  return isObject(delivery.meta) ? delivery.meta : undefined;
}
