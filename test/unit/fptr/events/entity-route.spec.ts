import should = require('should');
import { compileEntityRoutes } from '../../../../lib/fptr/events/entity-route';
import { entityChange, retiredShot, testConnectionDelivery } from '../../../support/webhook-fixtures';

describe('entity-route', () => {
  const route = compileEntityRoutes(['Shot', 'Task', 'CustomEntity*', 'Shot']);
  const cases: Array<[string, unknown, number | undefined]> = [
    ['entity.type', entityChange('Task'), 1],
    ['the first of two rows with the same type', entityChange('Shot'), 0],
    ['a retired entity by meta.entity_type', retiredShot, 0],
    ['a wildcard row', entityChange('CustomEntity03'), 2],
    ['an unlisted type', entityChange('Version'), undefined],
    ['a type differing in case', entityChange('shot'), undefined],
    ['Test_Connection (type null, meta "null")', testConnectionDelivery, undefined],
    [
      'Webhook_Status_Change (no entity)',
      { event_type: 'Webhook_Status_Change', meta: { type: 'webhook_status_change' } },
      undefined,
    ],
    ['a batch array', [entityChange('Shot')], undefined],
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
