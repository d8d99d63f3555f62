import should = require('should');
import {
  applyMultiEntityMode,
  buildBatch,
  buildOperation,
  OperationError,
  parseOperation,
  parseOperationItem,
  parseTarget,
} from '../../../../lib/fptr/actions/update-ops';

const user = (id: number) => ({ type: 'HumanUser', id });

describe('update-ops: targets and operations', function () {
  it('reads an event entity as the target', function () {
    parseTarget({ type: 'Task', id: 4521 }, 'update').should.eql({ entityType: 'Task', id: 4521 });
    parseTarget({ type: 'Task', id: '4521' }, 'delete').should.eql({ entityType: 'Task', id: 4521 });
  });
  it('needs only a type name to create', function () {
    parseTarget('Note', 'create').should.eql({ entityType: 'Note' });
    parseTarget({ type: 'Note', id: 7 }, 'create').should.eql({ entityType: 'Note' });
  });
  const bad: Array<[string, unknown, 'update' | 'create']> = [
    ['no type', { id: 1 }, 'update'],
    ['no id on update', { type: 'Task' }, 'update'],
    ['zero id', { type: 'Task', id: 0 }, 'update'],
    ['fractional id', { type: 'Task', id: 1.5 }, 'update'],
    ['id text', { type: 'Task', id: 'abc' }, 'update'],
    ['nothing', undefined, 'create'],
    ['a Test_Connection entity', { type: null, id: 0 }, 'update'],
  ];
  for (const [label, target, op] of bad) {
    it(`refuses ${label}`, function () {
      should.throws(() => parseTarget(target, op), OperationError);
    });
  }
  it('accepts the four operations in any case and refuses others', function () {
    parseOperation(' Revive ').should.equal('revive');
    should.throws(() => parseOperation('retire'), /create, update, delete, revive/);
  });
});

describe('update-ops: multi-entity modes', function () {
  const data = {
    task_assignees: [user(1), user(2)],
    tags: [],
    sg_status_list: 'ip',
    sg_keywords: ['a', 'b'],
    notes: { multi_entity_update_mode: 'remove', value: [{ type: 'Note', id: 3 }] },
  };
  it('set leaves plain arrays, which FPTR treats as replace', function () {
    applyMultiEntityMode(data, 'set').should.equal(data);
  });
  for (const mode of ['add', 'remove'] as const) {
    it(`${mode} wraps arrays of links only, and respects a field's own mode`, function () {
      applyMultiEntityMode(data, mode).should.eql({
        task_assignees: { multi_entity_update_mode: mode, value: [user(1), user(2)] },
        tags: { multi_entity_update_mode: mode, value: [] },
        sg_status_list: 'ip',
        sg_keywords: ['a', 'b'],
        notes: { multi_entity_update_mode: 'remove', value: [{ type: 'Note', id: 3 }] },
      });
    });
  }
  it('does not wrap on create (the field starts empty)', function () {
    buildOperation('create', 'Task', { task_assignees: [user(1)] }, 'add').data.should.eql({
      task_assignees: [user(1)],
    });
  });
  it('wraps on update', function () {
    buildOperation('update', { type: 'Task', id: 1 }, { task_assignees: [user(1)] }, 'add').data.should.eql({
      task_assignees: { multi_entity_update_mode: 'add', value: [user(1)] },
    });
  });
});

describe('update-ops: single operations', function () {
  it('refuses an update with no fields and fields that are not an object', function () {
    should.throws(() => buildOperation('update', { type: 'Task', id: 1 }, {}, 'set'), /nothing to update/);
    should.throws(() => buildOperation('update', { type: 'Task', id: 1 }, [1], 'set'), /fields must be an object/);
    should.throws(() => buildOperation('create', 'Task', 'x', 'set'), /fields must be an object/);
  });
  it('ignores fields for delete and revive', function () {
    buildOperation('delete', { type: 'Task', id: 9 }, undefined, 'set').should.eql({
      operation: 'delete',
      entityType: 'Task',
      id: 9,
      data: {},
    });
  });
});

describe('update-ops: keys that are not field names', function () {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    it(`refuses ${key} as a field of a create, an update and a batch item`, function () {
      const fields = JSON.parse(`{"sg_status_list": "fin", "${key}": {"code": "x"}}`) as Record<string, unknown>;
      should.throws(
        () => buildOperation('create', 'Note', fields, 'set'),
        new RegExp(`: fields: "${key}" is not a field name$`),
      );
      should.throws(() => buildOperation('update', { type: 'Task', id: 1 }, fields, 'add'), /is not a field name/);
      should.throws(
        () => buildBatch([{ type: 'Task', id: 1, data: fields }], 'update', 'set'),
        new RegExp(`: payload\\[0\\]\\.data: "${key}" is not a field name$`),
      );
    });
  }
  it('keeps every field an own property when wrapping link lists', function () {
    const out = applyMultiEntityMode(
      JSON.parse('{"tasks": [{"type": "Task", "id": 1}], "__proto__": [{"type": "Task", "id": 2}]}') as Record<
        string,
        unknown
      >,
      'add',
    );
    should(Object.getPrototypeOf(out)).equal(Object.prototype);
    Object.keys(out).should.eql(['tasks', '__proto__']);
  });
});

describe('update-ops: operation arrays', function () {
  it('accepts the node vocabulary and the _batch vocabulary', function () {
    const items = [
      { operation: 'update', entity: { type: 'Task', id: 1 }, fields: { sg_status_list: 'fin' } },
      { request_type: 'update', entity: 'Task', record_id: 2, data: { sg_status_list: 'ip' } },
      { operation: 'create', type: 'Note', data: { subject: 's' } },
      { operation: 'delete', type: 'Version', id: 991 },
      { entity: { type: 'Task', id: 3 }, data: { task_assignees: [user(5)] } },
    ];
    buildBatch(items, 'update', 'add').should.eql([
      { request_type: 'update', entity: 'Task', record_id: 1, data: { sg_status_list: 'fin' } },
      { request_type: 'update', entity: 'Task', record_id: 2, data: { sg_status_list: 'ip' } },
      { request_type: 'create', entity: 'Note', data: { subject: 's' } },
      { request_type: 'delete', entity: 'Version', record_id: 991 },
      {
        request_type: 'update',
        entity: 'Task',
        record_id: 3,
        data: { task_assignees: { multi_entity_update_mode: 'add', value: [user(5)] } },
      },
    ]);
  });
  const bad: Array<[string, unknown[], RegExp]> = [
    ['an empty array', [], /empty array/],
    ['a non-object item', [{ type: 'Task', id: 1, data: { a: 1 } }, 'x'], /payload\[1\] must be an object/],
    [
      'a missing operation without a node default',
      [{ type: 'Task', id: 1, data: { a: 1 } }],
      /payload\[0\]\.operation/,
    ],
    ['a missing id', [{ operation: 'update', type: 'Task', data: { a: 1 } }], /payload\[0\]\.entity\.id/],
    ['missing data on update', [{ operation: 'update', type: 'Task', id: 1 }], /payload\[0\]\.data/],
    ['a revive', [{ operation: 'revive', type: 'Task', id: 1 }], /revive cannot be batched/],
  ];
  for (const [label, items, error] of bad) {
    it(`refuses ${label} before anything is sent`, function () {
      should.throws(
        () => buildBatch(items, label.includes('without a node default') ? undefined : 'update', 'set'),
        error,
      );
    });
  }
  it('uses the node operation as the default', function () {
    parseOperationItem({ type: 'Task', id: 4 }, 0, 'delete', 'set').operation.should.equal('delete');
  });
});
