import { randomUUID } from 'node:crypto';
import type { Delivery } from '../../lib/fptr/contract';

/** A Task status change shaped like docs/fptr-api.md §5.1, distinct per `n`. */
export function taskChange(n: number, overrides: Partial<Delivery> = {}): Delivery {
  return {
    id: `170.141.${n}`,
    event_log_entry_id: 812_000 + n,
    event_type: 'Shotgun_Task_Change',
    operation: 'update',
    delivery_id: randomUUID(),
    session_uuid: null,
    created_at: '2024-05-02 10:11:11.908812',
    user: { type: 'HumanUser', id: 88 },
    entity: { type: 'Task', id: 4_000 + n },
    project: { type: 'Project', id: 122 },
    attribute_name: 'sg_status_list',
    meta: {
      type: 'attribute_change',
      entity_type: 'Task',
      entity_id: 4_000 + n,
      attribute_name: 'sg_status_list',
      field_data_type: 'status_list',
      old_value: 'ip',
      new_value: 'fin',
    },
    ...overrides,
  };
}

/** A Task status change by a person, as FPTR delivers it (docs/fptr-api.md §5.1), always the same. */
export function taskStatusChange(overrides: Partial<Delivery> = {}, meta: Record<string, unknown> = {}): Delivery {
  const base = taskChange(0);
  return {
    ...base,
    id: '15231.4410.0',
    event_log_entry_id: 812334,
    delivery_id: '6b0a3c1e-4e33-4d8b-9f2a-1d3c9b8f0a11',
    entity: { type: 'Task', id: 4521 },
    meta: { ...base.meta, entity_id: 4521, ...meta },
    ...overrides,
  };
}

/** A change of `sg_status_list` on an entity of any type (no ids for dedup). */
export function entityChange(type: string, id = 1): Delivery {
  return {
    event_type: `Shotgun_${type}_Change`,
    operation: 'update',
    user: { type: 'HumanUser', id: 88 },
    entity: { type, id },
    project: { type: 'Project', id: 122 },
    attribute_name: 'sg_status_list',
    meta: {
      type: 'attribute_change',
      entity_type: type,
      entity_id: id,
      attribute_name: 'sg_status_list',
      old_value: 'ip',
      new_value: 'fin',
    },
  };
}

/** A retired Shot: no entity any more, its type in `meta`. */
export const retiredShot: Delivery = {
  event_type: 'Shotgun_Shot_Retirement',
  operation: 'delete',
  user: { type: 'HumanUser', id: 88 },
  entity: null,
  project: { type: 'Project', id: 122 },
  meta: { type: 'entity_retirement', entity_type: 'Shot', entity_id: 1274, id: 1274, class_name: 'Shot' },
};

/** FPTR's "Test Connection" delivery (docs/fptr-api.md §5.9). */
export const testConnectionDelivery: Delivery = {
  event_type: 'Test_Connection',
  operation: 'test_connection',
  entity: { type: null, id: 0 },
  project: { type: 'Project', id: 0 },
  meta: { type: 'test_connection', entity_type: 'null', entity_id: 'null' },
};

export const TIMESTAMP = '2024-05-02T10:11:12.340Z';

/** Non-batched body: `{data: delivery, timestamp}`. */
export function singleBody(delivery: Delivery): string {
  return JSON.stringify({ data: delivery, timestamp: TIMESTAMP });
}

/** Batched body: `{timestamp, data: {deliveries}}`. */
export function batchBody(deliveries: Delivery[]): string {
  return JSON.stringify({ timestamp: TIMESTAMP, data: { deliveries } });
}

/** The `x-sg-*` headers FPTR sends with a delivery (docs/fptr-api.md §5.3), without the signature. */
export function sgHeaders(hookId = 'b7c1a2e4-0000-4000-8000-00000000hook'): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    accept: 'application/json',
    'user-agent': 'SG event-pipeline',
    'x-sg-webhook-id': hookId,
    'x-sg-delivery-id': randomUUID(),
    'x-sg-event-batch-id': '49598489001917805627563987691110856662646952884824965490',
    'x-sg-event-batch-size': '1',
    'x-sg-event-batch-index': '0',
    'x-sg-webhook-site-url': 'https://studio.shotgrid.autodesk.com/',
  };
}

/** The Test_Connection delivery of a batching hook, exactly as docs/fptr-api.md §5.9 lists it. */
export function testConnectionBody(hookId: string): string {
  return batchBody([
    {
      id: '0.0.0',
      event_log_entry_id: 0,
      event_type: 'Test_Connection',
      operation: 'test_connection',
      delivery_id: randomUUID(),
      session_uuid: null,
      created_at: '2024-05-02 10:11:11.908812',
      user: { type: 'HumanUser', id: 88 },
      entity: { type: null, id: 0 },
      project: { type: 'Project', id: 0 },
      attribute_name: null,
      meta: { type: 'test_connection', entity_type: 'null', entity_id: 'null', hook_id: hookId },
    },
  ]);
}
