import should = require('should');
import {
  compileConditions,
  ConditionError,
  operationOf,
  type EventConditions,
  type MatchContext,
} from '../../../../lib/fptr/events/conditions';
import { parseMatchEvents } from '../../../../lib/fptr/events/match-events';
import { entityTypeOf } from '../../../../lib/fptr/events/delivery-fields';
import type { Delivery } from '../../../../lib/fptr/contract';
import { taskStatusChange } from '../../../support/webhook-fixtures';
import { thrownBy } from '../../../support/thrown';

const shotNew: Delivery = {
  event_type: 'Shotgun_Shot_New',
  operation: 'create',
  user: { type: 'HumanUser', id: 88 },
  entity: { type: 'Shot', id: 1201 },
  project: { type: 'Project', id: 122 },
  attribute_name: null,
  meta: { type: 'new_entity', entity_type: 'Shot', entity_id: 1201 },
};

/** Retirement as logged: entity null, type only in meta; event log rows carry no `operation`. */
const shotRetired: Delivery = {
  event_type: 'Shotgun_Shot_Retirement',
  user: { type: 'HumanUser', id: 88 },
  entity: null,
  project: { type: 'Project', id: 122 },
  attribute_name: null,
  meta: { type: 'entity_retirement', entity_type: 'Shot', entity_id: 1274, id: 1274, class_name: 'Shot' },
};

const taskRevived: Delivery = {
  event_type: 'Shotgun_Task_Revival',
  user: { type: 'HumanUser', id: 88 },
  entity: { type: 'Task', id: 67531 },
  project: { type: 'Project', id: 122 },
  meta: { entity_type: 'Task', entity_id: 67531 },
};

const assigneesChange: Delivery = taskStatusChange(
  { attribute_name: 'task_assignees' },
  {
    attribute_name: 'task_assignees',
    field_data_type: 'multi_entity',
    old_value: undefined,
    new_value: undefined,
    added: [{ type: 'HumanUser', id: 88, name: 'Jane Artist', status: 'act', valid: 'valid' }],
    removed: [{ type: 'Group', id: 7, name: 'Lighting' }],
  },
);

const testConnection: Delivery = {
  event_type: 'Test_Connection',
  operation: 'test_connection',
  entity: { type: null, id: 0 },
  project: { type: 'Project', id: 0 },
  meta: { type: 'test_connection', entity_type: 'null', entity_id: 'null', hook_id: 'b0c1' },
  attribute_name: null,
  session_uuid: null,
  event_log_entry_id: 1,
  delivery_id: 'd1',
};

const webhookStatusChange: Delivery = {
  id: '0',
  event_type: 'Webhook_Status_Change',
  event_log_entry_id: 0,
  webhook_status: 'disabled',
  previous_webhook_status: 'active',
  meta: { type: 'webhook_status_change', source: 'client', old_value: 'active', new_value: 'disabled' },
};

const script = { type: 'ApiUser', id: 5 };
const byScript = taskStatusChange({ user: script });
const byOtherScript = taskStatusChange({ user: { type: 'ApiUser', id: 6 } });
/** A script writing with sudo_as_login: logged under the person, the script in meta. */
const scriptAsJane = taskStatusChange({}, { sudo_actual_user: { type: 'ApiUser', id: 5, name: 'node_red_bridge' } });

interface Row {
  name: string;
  conditions: EventConditions;
  event: Delivery;
  matched: boolean;
  ctx?: MatchContext;
  reason?: RegExp;
}

function runTable(rows: Row[]): void {
  for (const row of rows) {
    it(`${row.matched ? 'passes' : 'drops'} ${row.name}`, () => {
      const result = compileConditions(row.conditions).match(row.event, row.ctx);
      should(result.matched).equal(row.matched, JSON.stringify(result));
      if (row.matched) should(result.reason).be.undefined();
      else
        should(result.reason)
          .be.a.String()
          .and.match(row.reason ?? /./);
    });
  }
}

describe('event-match', () => {
  describe('event types', () => {
    runTable([
      {
        name: 'an exact event type',
        conditions: { eventTypes: ['Shotgun_Task_Change'] },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'another exact type',
        conditions: { eventTypes: ['Shotgun_Task_New'] },
        event: taskStatusChange(),
        matched: false,
        reason: /event type "Shotgun_Task_Change" is not Shotgun_Task_New/,
      },
      {
        name: 'a trailing wildcard',
        conditions: { eventTypes: ['Shotgun_Task_*'] },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'a leading wildcard',
        conditions: { eventTypes: ['*_Change'] },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'a middle wildcard',
        conditions: { eventTypes: ['Shotgun_*_Change'] },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'a wildcard of another entity',
        conditions: { eventTypes: ['Shotgun_Shot_*'] },
        event: taskStatusChange(),
        matched: false,
      },
      {
        name: 'a prefix without wildcard (names match whole)',
        conditions: { eventTypes: ['Shotgun_Task'] },
        event: taskStatusChange(),
        matched: false,
      },
      {
        name: 'any of several types',
        conditions: { eventTypes: ['Shotgun_Shot_New', 'Shotgun_Task_Change'] },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'regex specials taken literally',
        conditions: { eventTypes: ['Shotgun_Task_Chang.'] },
        event: taskStatusChange(),
        matched: false,
      },
      {
        name: 'case differences',
        conditions: { eventTypes: ['shotgun_task_change'] },
        event: taskStatusChange(),
        matched: false,
      },
    ]);
  });

  describe('operations', () => {
    it('derives the operation from the event type when `operation` is missing', () => {
      should(operationOf(shotRetired)).equal('delete');
      should(operationOf(taskRevived)).equal('revive');
      should(operationOf({ event_type: 'Shotgun_Shot_New' })).equal('create');
      should(operationOf({ event_type: 'Shotgun_Shot_Change' })).equal('update');
      should(operationOf({ event_type: 'Shotgun_User_Login' })).be.undefined();
      should(operationOf({ event_type: 'Webhook_Status_Change' })).be.undefined();
      should(operationOf({ event_type: 'Shotgun_Shot_Changes' })).be.undefined();
      should(operationOf(testConnection)).equal('test_connection');
    });
    runTable([
      {
        name: 'update by `operation`',
        conditions: { operations: ['update'] },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'create when update is wanted',
        conditions: { operations: ['update'] },
        event: shotNew,
        matched: false,
        reason: /operation create is not update/,
      },
      {
        name: 'a retirement without `operation` as delete',
        conditions: { operations: ['delete'] },
        event: shotRetired,
        matched: true,
      },
      {
        name: 'a revival without `operation` as revive',
        conditions: { operations: ['create', 'revive'] },
        event: taskRevived,
        matched: true,
      },
      {
        name: 'an event with no operation',
        conditions: { operations: ['update'] },
        event: { event_type: 'Shotgun_User_Login' },
        matched: false,
        reason: /operation unknown/,
      },
    ]);
    it('refuses an unknown operation at compile time', () => {
      should.throws(() => compileConditions({ operations: ['retire'] }), ConditionError);
    });
  });

  describe('entity types', () => {
    it('falls back to meta.entity_type for retired entities and ignores "null"', () => {
      should(entityTypeOf(shotRetired)).equal('Shot');
      should(entityTypeOf(taskStatusChange())).equal('Task');
      should(entityTypeOf(testConnection)).be.undefined();
      should(entityTypeOf({ event_type: 'X' })).be.undefined();
    });
    runTable([
      { name: 'entity.type', conditions: { entityTypes: ['Task'] }, event: taskStatusChange(), matched: true },
      {
        name: 'another entity type',
        conditions: { entityTypes: ['Shot', 'Asset'] },
        event: taskStatusChange(),
        matched: false,
        reason: /entity type Task is not Shot, Asset/,
      },
      {
        name: 'a retired entity by meta.entity_type',
        conditions: { entityTypes: ['Shot'] },
        event: shotRetired,
        matched: true,
      },
      {
        name: 'a retired entity of another type',
        conditions: { entityTypes: ['Task'] },
        event: shotRetired,
        matched: false,
      },
      {
        name: 'a wildcard type',
        conditions: { entityTypes: ['CustomEntity*'] },
        event: taskStatusChange({ entity: { type: 'CustomEntity03', id: 1 } }),
        matched: true,
      },
      {
        name: 'Test_Connection (type null, meta "null")',
        conditions: { entityTypes: ['null'] },
        event: testConnection,
        matched: false,
        reason: /entity type unknown/,
      },
    ]);
  });

  describe('projects', () => {
    runTable([
      { name: 'a listed project', conditions: { projectIds: [121, 122] }, event: taskStatusChange(), matched: true },
      {
        name: 'another project',
        conditions: { projectIds: [121] },
        event: taskStatusChange(),
        matched: false,
        reason: /project 122 is not 121/,
      },
      {
        name: 'an event without project',
        conditions: { projectIds: [122] },
        event: taskStatusChange({ project: null }),
        matched: false,
        reason: /project none/,
      },
    ]);
    it('refuses a project id that is not a number', () => {
      should.throws(() => compileConditions({ projectIds: [Number.NaN] }), ConditionError);
    });
  });

  describe('attribute names', () => {
    runTable([
      {
        name: 'the exact field',
        conditions: { attributeNames: ['sg_status_list'] },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'a prefix of the field (sg_status vs sg_status_list)',
        conditions: { attributeNames: ['sg_status'] },
        event: taskStatusChange(),
        matched: false,
        reason: /field sg_status_list is not sg_status/,
      },
      {
        name: 'a longer name containing the field',
        conditions: { attributeNames: ['sg_status_list_old'] },
        event: taskStatusChange(),
        matched: false,
      },
      { name: 'any field with *', conditions: { attributeNames: ['*'] }, event: taskStatusChange(), matched: true },
      { name: 'a New event (no field) with *', conditions: { attributeNames: ['*'] }, event: shotNew, matched: true },
      {
        name: 'a New event (no field) for a named field',
        conditions: { attributeNames: ['code'] },
        event: shotNew,
        matched: false,
        reason: /field none/,
      },
      {
        name: 'the field from meta when attribute_name is absent',
        conditions: { attributeNames: ['sg_status_list'] },
        event: taskStatusChange({ attribute_name: undefined }),
        matched: true,
      },
    ]);
  });

  describe('matchEvents map (shotgunEvents form)', () => {
    const daemonMap = parseMatchEvents("{'Shotgun_Task_Change': ['sg_status_list'], 'Shotgun_Shot_*': ['*']}");
    runTable([
      {
        name: 'a listed event type and field',
        conditions: { matchEvents: daemonMap },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'a listed type with another field',
        conditions: { matchEvents: daemonMap },
        event: assigneesChange,
        matched: false,
        reason: /field task_assignees is not listed for Shotgun_Task_Change/,
      },
      { name: 'a wildcard type with any field', conditions: { matchEvents: daemonMap }, event: shotNew, matched: true },
      {
        name: 'a wildcard type for a retirement',
        conditions: { matchEvents: daemonMap },
        event: shotRetired,
        matched: true,
      },
      {
        name: 'an unlisted event type',
        conditions: { matchEvents: daemonMap },
        event: taskRevived,
        matched: false,
        reason: /event type "Shotgun_Task_Revival" is not listed/,
      },
      {
        name: 'a field named by prefix only (no substring match)',
        conditions: { matchEvents: { Shotgun_Task_Change: ['sg_status'] } },
        event: taskStatusChange(),
        matched: false,
      },
      {
        name: 'a bare-string field list as one exact name',
        conditions: { matchEvents: { Shotgun_Task_Change: 'sg_status' } },
        event: taskStatusChange(),
        matched: false,
      },
      {
        name: 'a bare-string field list naming the field',
        conditions: { matchEvents: { Shotgun_Task_Change: 'sg_status_list' } },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'None as any field',
        conditions: { matchEvents: { Shotgun_Task_Change: null } },
        event: assigneesChange,
        matched: true,
      },
      {
        name: 'a type listed twice where the second entry has the field',
        conditions: { matchEvents: { 'Shotgun_Task_*': ['content'], '*_Change': ['sg_status_list'] } },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'both map and a plain condition (AND-ed)',
        conditions: { matchEvents: daemonMap, projectIds: [1] },
        event: taskStatusChange(),
        matched: false,
        reason: /project/,
      },
    ]);
    it('refuses an empty field list', () => {
      should.throws(() => compileConditions({ matchEvents: { Shotgun_Task_Change: [] } }), /lists no fields/);
    });
    it('takes an empty map as no condition, as shotgunEvents does', () => {
      should(compileConditions({ matchEvents: {} }).match(assigneesChange)).eql({ matched: true });
    });
    it('refuses a map whose entries are only in its prototype, or an own __proto__ key', () => {
      const inherited = Object.create({ Shotgun_Shot_New: null }) as Record<string, null>;
      should(thrownBy(() => compileConditions({ matchEvents: inherited })))
        .be.instanceOf(ConditionError)
        .and.have.property('message')
        .match(/expected a plain/);
      const ownProto = JSON.parse('{"__proto__": ["sg_status_list"]}') as Record<string, string[]>;
      should(thrownBy(() => compileConditions({ matchEvents: ownProto })))
        .be.instanceOf(ConditionError)
        .and.have.property('message', 'matchEvents: "__proto__" is not an event type');
    });
  });

  describe('value conditions', () => {
    const nv = (value: unknown, old: unknown = 'ip') => taskStatusChange({}, { new_value: value, old_value: old });
    runTable([
      {
        name: 'new equals',
        conditions: { values: [{ op: 'new-equals', value: 'fin' }] },
        event: nv('fin'),
        matched: true,
      },
      {
        name: 'new equals another value',
        conditions: { values: [{ op: 'new-equals', value: 'rev' }] },
        event: nv('fin'),
        matched: false,
        reason: /value condition 1 \(new-equals\): old "ip", new "fin"/,
      },
      {
        name: 'old equals',
        conditions: { values: [{ op: 'old-equals', value: 'ip' }] },
        event: nv('fin'),
        matched: true,
      },
      {
        name: 'new one of (array)',
        conditions: { values: [{ op: 'new-in', value: ['rev', 'fin'] }] },
        event: nv('fin'),
        matched: true,
      },
      {
        name: 'new one of (comma text)',
        conditions: { values: [{ op: 'new-in', value: 'rev, fin' }] },
        event: nv('fin'),
        matched: true,
      },
      {
        name: 'new not one of',
        conditions: { values: [{ op: 'new-in', value: 'rev,hld' }] },
        event: nv('fin'),
        matched: false,
      },
      {
        name: 'old one of',
        conditions: { values: [{ op: 'old-in', value: ['ip', 'wtg'] }] },
        event: nv('fin'),
        matched: true,
      },
      {
        name: 'changed to',
        conditions: { values: [{ op: 'changed-to', value: 'fin' }] },
        event: nv('fin', 'ip'),
        matched: true,
      },
      {
        name: 'changed to when it already was (fin → fin)',
        conditions: { values: [{ op: 'changed-to', value: 'fin' }] },
        event: nv('fin', 'fin'),
        matched: false,
      },
      {
        name: 'changed to another value',
        conditions: { values: [{ op: 'changed-to', value: 'rev' }] },
        event: nv('fin'),
        matched: false,
      },
      {
        name: 'changed from',
        conditions: { values: [{ op: 'changed-from', value: 'ip' }] },
        event: nv('fin', 'ip'),
        matched: true,
      },
      {
        name: 'changed from when it stays (ip → ip)',
        conditions: { values: [{ op: 'changed-from', value: 'ip' }] },
        event: nv('ip', 'ip'),
        matched: false,
      },
      {
        name: 'changed from null (first value set)',
        conditions: { values: [{ op: 'changed-from', value: null }] },
        event: nv('fin', null),
        matched: true,
      },
      {
        name: 'changed to null (cleared)',
        conditions: { values: [{ op: 'changed-to', value: null }] },
        event: nv(null, 'fin'),
        matched: true,
      },
      {
        name: 'a number equal to a numeric string',
        conditions: { values: [{ op: 'new-equals', value: '42' }] },
        event: nv(42, 1),
        matched: true,
      },
      {
        name: 'a numeric string equal to a number',
        conditions: { values: [{ op: 'new-equals', value: 42 }] },
        event: nv('42', '1'),
        matched: true,
      },
      {
        name: 'a number against another number',
        conditions: { values: [{ op: 'new-equals', value: 43 }] },
        event: nv(42, 1),
        matched: false,
      },
      {
        name: 'a boolean against "true"',
        conditions: { values: [{ op: 'new-equals', value: 'true' }] },
        event: nv(true, false),
        matched: true,
      },
      {
        name: 'a boolean against false',
        conditions: { values: [{ op: 'new-equals', value: false }] },
        event: nv(true, false),
        matched: false,
      },
      {
        name: 'null only equals null',
        conditions: { values: [{ op: 'new-equals', value: null }] },
        event: nv('', 'x'),
        matched: false,
      },
      {
        name: 'a string not equal to a number-like expected',
        conditions: { values: [{ op: 'new-equals', value: 1 }] },
        event: nv('one'),
        matched: false,
      },
      {
        name: 'a link by type and id (name ignored)',
        conditions: { values: [{ op: 'new-equals', value: { type: 'Shot', id: 7 } }] },
        event: nv({ type: 'Shot', id: 7, name: 'sh010' }, null),
        matched: true,
      },
      {
        name: 'a link of another type',
        conditions: { values: [{ op: 'new-equals', value: { type: 'Asset', id: 7 } }] },
        event: nv({ type: 'Shot', id: 7 }, null),
        matched: false,
      },
      {
        name: 'a link by bare id',
        conditions: { values: [{ op: 'changed-to', value: 7 }] },
        event: nv({ type: 'Shot', id: 7 }, { type: 'Shot', id: 6 }),
        matched: true,
      },
      {
        name: 'a link against a name',
        conditions: { values: [{ op: 'new-equals', value: 'sh010' }] },
        event: nv({ type: 'Shot', id: 7, name: 'sh010' }, null),
        matched: false,
      },
      {
        name: 'a list value element-wise',
        conditions: { values: [{ op: 'new-equals', value: ['a', 'b'] }] },
        event: nv(['a', 'b'], []),
        matched: true,
      },
      {
        name: 'a list value in another order',
        conditions: { values: [{ op: 'new-equals', value: ['b', 'a'] }] },
        event: nv(['a', 'b'], []),
        matched: false,
      },
      {
        name: 'a missing new_value (New event)',
        conditions: { values: [{ op: 'new-equals', value: null }] },
        event: shotNew,
        matched: false,
      },
      {
        name: 'values stripped from a >1 MB event',
        conditions: { values: [{ op: 'new-equals', value: 'x' }] },
        event: taskStatusChange({}, { new_value: undefined, old_value: undefined, warning: 'too big' }),
        matched: false,
        reason: /values removed by FPTR/,
      },
      {
        name: 'two value conditions AND-ed',
        conditions: {
          values: [
            { op: 'old-equals', value: 'ip' },
            { op: 'new-equals', value: 'rev' },
          ],
        },
        event: nv('fin'),
        matched: false,
        reason: /value condition 2/,
      },
    ]);
  });

  describe('multi-entity added / removed', () => {
    runTable([
      {
        name: 'added contains a link',
        conditions: { values: [{ op: 'added-contains', value: { type: 'HumanUser', id: 88 } }] },
        event: assigneesChange,
        matched: true,
      },
      {
        name: 'added contains an id',
        conditions: { values: [{ op: 'added-contains', value: 88 }] },
        event: assigneesChange,
        matched: true,
      },
      {
        name: 'added contains an id as text',
        conditions: { values: [{ op: 'added-contains', value: '88' }] },
        event: assigneesChange,
        matched: true,
      },
      {
        name: 'added contains a link with another type',
        conditions: { values: [{ op: 'added-contains', value: { type: 'Group', id: 88 } }] },
        event: assigneesChange,
        matched: false,
        reason: /added was \[/,
      },
      {
        name: 'added contains what was removed',
        conditions: { values: [{ op: 'added-contains', value: 7 }] },
        event: assigneesChange,
        matched: false,
      },
      {
        name: 'removed contains a link',
        conditions: { values: [{ op: 'removed-contains', value: { type: 'Group', id: 7 } }] },
        event: assigneesChange,
        matched: true,
      },
      {
        name: 'removed contains without an added/removed list',
        conditions: { values: [{ op: 'removed-contains', value: 7 }] },
        event: taskStatusChange(),
        matched: false,
        reason: /removed was undefined/,
      },
      {
        name: 'added not being a list',
        conditions: { values: [{ op: 'added-contains', value: 7 }] },
        event: taskStatusChange({}, { added: 'x' }),
        matched: false,
      },
    ]);
    it('refuses a value that is neither a link nor an id', () => {
      should.throws(
        () => compileConditions({ values: [{ op: 'added-contains', value: 'Jane' }] }),
        /neither a link \{type, id\} nor an id/,
      );
      should.throws(() => compileConditions({ values: [{ op: 'removed-contains', value: true }] }), ConditionError);
    });
    it('refuses missing values and unknown operators', () => {
      should.throws(
        () => compileConditions({ values: [{ op: 'new-equals' }] }),
        /value condition 1 \(new-equals\): no value given/,
      );
      should.throws(() => compileConditions({ values: [{ op: 'new-in', value: '' }] }), /an empty list/);
      should.throws(
        () => compileConditions({ values: [{ op: 'bigger' as 'new-equals', value: 1 }] }),
        /unknown operator/,
      );
    });
  });

  describe('dynamic values', () => {
    const matcher = compileConditions({
      values: [
        { op: 'old-equals', value: 'ip' },
        { op: 'changed-to', dynamic: true, source: 'msg.wanted' },
      ],
    });
    it('lists the conditions whose value the caller supplies', () =>
      should(matcher.dynamicValueIndexes).deepEqual([1]));
    it('uses the value given per event', () => {
      should(matcher.match(taskStatusChange(), { values: [undefined, 'fin'] }).matched).be.true();
      should(matcher.match(taskStatusChange(), { values: [undefined, 'rev'] }).matched).be.false();
    });
    it('does not match when the value is missing, and says where it came from', () => {
      const result = matcher.match(taskStatusChange(), { values: [] });
      should(result).deepEqual({ matched: false, reason: 'value condition 2 (changed-to msg.wanted): no value given' });
    });
  });

  describe('users', () => {
    runTable([
      {
        name: 'a person with "ignore API users"',
        conditions: { ignoreApiUsers: true },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'a script with "ignore API users"',
        conditions: { ignoreApiUsers: true },
        event: byScript,
        matched: false,
        reason: /made by a script \(ApiUser 5\)/,
      },
      {
        name: 'a script acting as a person with "ignore API users"',
        conditions: { ignoreApiUsers: true },
        event: scriptAsJane,
        matched: false,
        reason: /ApiUser 5\) acting as HumanUser 88/,
      },
      {
        name: 'the ignored script',
        conditions: { ignoreScriptIds: [5] },
        event: byScript,
        matched: false,
        reason: /ignored script ApiUser 5/,
      },
      {
        name: 'the ignored script via sudo',
        conditions: { ignoreScriptIds: [5] },
        event: scriptAsJane,
        matched: false,
      },
      {
        name: 'another script than the ignored one',
        conditions: { ignoreScriptIds: [5] },
        event: byOtherScript,
        matched: true,
      },
      {
        name: 'a person whose id equals the ignored script id',
        conditions: { ignoreScriptIds: [88] },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'a person with "only humans"',
        conditions: { onlyHumans: true },
        event: taskStatusChange(),
        matched: true,
      },
      {
        name: 'a script with "only humans"',
        conditions: { onlyHumans: true },
        event: byScript,
        matched: false,
        reason: /not made by a person \(ApiUser 5\)/,
      },
      {
        name: 'a script acting as a person with "only humans"',
        conditions: { onlyHumans: true },
        event: scriptAsJane,
        matched: false,
      },
      {
        name: 'an event without user with "only humans"',
        conditions: { onlyHumans: true },
        event: webhookStatusChange,
        matched: false,
        reason: /nobody/,
      },
      {
        name: 'the ignored person',
        conditions: { ignoreUserIds: [88] },
        event: taskStatusChange(),
        matched: false,
        reason: /ignored user HumanUser 88/,
      },
      {
        name: 'a script whose id equals the ignored person id',
        conditions: { ignoreUserIds: [5] },
        event: byScript,
        matched: true,
      },
    ]);
  });

  describe('in_create', () => {
    const inCreate = taskStatusChange({}, { in_create: true, old_value: null });
    runTable([
      { name: 'an in_create change by default', conditions: {}, event: inCreate, matched: true },
      {
        name: 'an in_create change when ignoring them',
        conditions: { ignoreInCreate: true },
        event: inCreate,
        matched: false,
        reason: /in_create/,
      },
      {
        name: 'a later change when ignoring in_create',
        conditions: { ignoreInCreate: true },
        event: taskStatusChange(),
        matched: true,
      },
    ]);
  });

  describe('loop guard', () => {
    const own = { loopGuard: { user: script } };
    const anyScript = { loopGuard: { anyApiUser: true as const } };
    runTable([
      {
        name: "the site's own script",
        conditions: {},
        ctx: own,
        event: byScript,
        matched: false,
        reason: /loop guard: made by this site's own user \(ApiUser 5\)/,
      },
      {
        name: "the site's own script acting as a person (sudo_actual_user)",
        conditions: {},
        ctx: own,
        event: scriptAsJane,
        matched: false,
        reason: /loop guard/,
      },
      { name: 'another script', conditions: {}, ctx: own, event: byOtherScript, matched: true },
      { name: 'a person', conditions: {}, ctx: own, event: taskStatusChange(), matched: true },
      {
        name: 'a HumanUser with the same id as the script',
        conditions: {},
        ctx: own,
        event: taskStatusChange({ user: { type: 'HumanUser', id: 5 } }),
        matched: true,
      },
      {
        name: 'any script while the own user is unknown',
        conditions: {},
        ctx: anyScript,
        event: byOtherScript,
        matched: false,
        reason: /own user is unknown/,
      },
      {
        name: 'sudo by any script while the own user is unknown',
        conditions: {},
        ctx: anyScript,
        event: scriptAsJane,
        matched: false,
      },
      {
        name: 'a person while the own user is unknown',
        conditions: {},
        ctx: anyScript,
        event: taskStatusChange(),
        matched: true,
      },
      { name: 'a script when no guard is given', conditions: {}, event: byScript, matched: true },
    ]);
  });

  describe('odd deliveries never throw', () => {
    const odd: Array<[string, Delivery]> = [
      ['Test_Connection', testConnection],
      ['Webhook_Status_Change', webhookStatusChange],
      ['an unknown custom event', { event_type: 'Shotgun_User_Login', user: { type: 'HumanUser', id: 1 } }],
      ['a bare event type', { event_type: 'Shotgun_Task_Change' }],
      [
        'null fields everywhere',
        {
          event_type: 'Shotgun_Task_Change',
          user: null,
          entity: null,
          project: null,
          meta: null as unknown as undefined,
          attribute_name: null,
        },
      ],
      [
        'wrongly typed fields',
        {
          event_type: 'Shotgun_Task_Change',
          user: 'x' as unknown as null,
          entity: 3 as unknown as null,
          project: [] as unknown as null,
          meta: 'm' as unknown as undefined,
          operation: 7 as unknown as string,
        },
      ],
      ['a non-string event type', { event_type: 12 as unknown as string }],
    ];
    const everything: EventConditions = {
      eventTypes: ['Shotgun_*'],
      operations: ['update'],
      entityTypes: ['Task'],
      projectIds: [122],
      attributeNames: ['sg_status_list'],
      matchEvents: { 'Shotgun_*': ['sg_status_list'] },
      values: [
        { op: 'changed-to', value: 'fin' },
        { op: 'added-contains', value: 1 },
        { op: 'new-in', value: 'a,b' },
      ],
      ignoreApiUsers: true,
      ignoreScriptIds: [5],
      onlyHumans: true,
      ignoreUserIds: [1],
      ignoreInCreate: true,
    };
    /** Conditions that need fields none of these deliveries carry. */
    const needingFields: EventConditions[] = [
      { entityTypes: ['Task'] },
      { projectIds: [122] },
      { attributeNames: ['sg_status_list'] },
      { values: [{ op: 'changed-to', value: 'fin' }] },
      { values: [{ op: 'added-contains', value: 1 }] },
      { values: [{ op: 'new-in', value: 'a,b' }] },
    ];
    for (const [name, event] of odd) {
      it(`${name}: no condition throws, conditions needing absent fields do not match, no conditions match`, () => {
        for (const [key, value] of Object.entries(everything)) {
          const result = compileConditions({ [key]: value }).match(event, { loopGuard: { user: script } });
          should(result.matched).be.a.Boolean();
          if (!result.matched) should(result.reason).be.a.String();
        }
        for (const conditions of needingFields) {
          should(compileConditions(conditions).match(event).matched).be.false(JSON.stringify(conditions));
        }
        should(compileConditions(everything).match(event, { loopGuard: { user: script } }).matched).be.false();
        should(compileConditions({}).match(event, { loopGuard: { anyApiUser: true } })).deepEqual({ matched: true });
      });
    }
    it('Test_Connection passes the "ignore" conditions, which are vacuous for it', () => {
      const ignoring = compileConditions({
        ignoreApiUsers: true,
        ignoreScriptIds: [5],
        ignoreUserIds: [1],
        ignoreInCreate: true,
      });
      should(ignoring.match(testConnection).matched).be.true();
    });
  });
});
