import should = require('should');
import { compileEntityRoutes } from '../../../../lib/fptr/events/entity-route';
import type { Delivery } from '../../../../lib/fptr/contract';

function change(type: string, id = 1): Delivery {
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

const retiredShot: Delivery = {
  event_type: 'Shotgun_Shot_Retirement',
  operation: 'delete',
  user: { type: 'HumanUser', id: 88 },
  entity: null,
  project: { type: 'Project', id: 122 },
  meta: { type: 'entity_retirement', entity_type: 'Shot', entity_id: 1274, id: 1274, class_name: 'Shot' },
};

const testConnection: Delivery = {
  event_type: 'Test_Connection',
  operation: 'test_connection',
  entity: { type: null, id: 0 },
  project: { type: 'Project', id: 0 },
  meta: { type: 'test_connection', entity_type: 'null', entity_id: 'null' },
};

describe('entity-route', () => {
  const route = compileEntityRoutes(['Shot', 'Task', 'CustomEntity*', 'Shot']);
  const cases: Array<[string, unknown, number | undefined]> = [
    ['entity.type', change('Task'), 1],
    ['the first of two rows with the same type', change('Shot'), 0],
    ['a retired entity by meta.entity_type', retiredShot, 0],
    ['a wildcard row', change('CustomEntity03'), 2],
    ['an unlisted type', change('Version'), undefined],
    ['a type differing in case', change('shot'), undefined],
    ['Test_Connection (type null, meta "null")', testConnection, undefined],
    [
      'Webhook_Status_Change (no entity)',
      { event_type: 'Webhook_Status_Change', meta: { type: 'webhook_status_change' } },
      undefined,
    ],
    ['a batch array', [change('Shot')], undefined],
    ['a string', 'Shot', undefined],
    ['null', null, undefined],
    ['a record without event fields', { type: 'Shot', id: 1 }, undefined],
    ['entity.type that is not a string', { entity: { type: 7, id: 1 } }, undefined],
  ];
  for (const [name, payload, expected] of cases) {
    it(`routes ${name} to ${expected === undefined ? 'otherwise' : `row ${expected}`}`, () => {
      should(route(payload)).equal(expected);
    });
  }
});
