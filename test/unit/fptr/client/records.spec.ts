import should = require('should');
import { flattenRecord } from '../../../../lib/fptr/client/records';
import type { JsonApiRecord } from '../../../../lib/fptr/client/api';

describe('flattenRecord (JSON:API → flat record)', () => {
  const cases: Array<{ name: string; record: JsonApiRecord; flat: Record<string, unknown> }> = [
    {
      name: 'attributes only',
      record: {
        type: 'Asset',
        id: 1484,
        attributes: { code: 'tree', description: null },
        links: { self: '/api/v1/entity/assets/1484' },
      },
      flat: { type: 'Asset', id: 1484, code: 'tree', description: null },
    },
    {
      name: 'single-entity link',
      record: {
        type: 'Task',
        id: 4521,
        attributes: { content: 'Animation' },
        relationships: {
          entity: { data: { type: 'Shot', id: 1201, name: 'sh010' }, links: { related: '/api/v1/entity/shots/1201' } },
        },
      },
      flat: { type: 'Task', id: 4521, content: 'Animation', entity: { type: 'Shot', id: 1201, name: 'sh010' } },
    },
    {
      name: 'multi-entity link',
      record: {
        type: 'Task',
        id: 7,
        attributes: {},
        relationships: {
          task_assignees: {
            data: [
              { type: 'HumanUser', id: 88, name: 'Jane Artist' },
              { type: 'Group', id: 3, name: 'Anim' },
            ],
          },
        },
      },
      flat: {
        type: 'Task',
        id: 7,
        task_assignees: [
          { type: 'HumanUser', id: 88, name: 'Jane Artist' },
          { type: 'Group', id: 3, name: 'Anim' },
        ],
      },
    },
    {
      name: 'empty multi-entity link',
      record: { type: 'Task', id: 8, relationships: { task_assignees: { data: [] } } },
      flat: { type: 'Task', id: 8, task_assignees: [] },
    },
    {
      name: 'null link',
      record: {
        type: 'Version',
        id: 9,
        attributes: { code: 'v1' },
        relationships: { sg_task: { data: null, links: {} } },
      },
      flat: { type: 'Version', id: 9, code: 'v1', sg_task: null },
    },
    {
      name: 'dotted attribute keeps its literal key',
      record: { type: 'Shot', id: 10, attributes: { code: 'sh010', 'sg_sequence.Sequence.code': 'SEQ010' } },
      flat: { type: 'Shot', id: 10, code: 'sh010', 'sg_sequence.Sequence.code': 'SEQ010' },
    },
    {
      name: 'no attributes, no relationships (e.g. revive answer)',
      record: { type: 'Asset', id: 1480 },
      flat: { type: 'Asset', id: 1480 },
    },
    {
      name: 'relationship with links only is left out',
      record: {
        type: 'Note',
        id: 11,
        relationships: { note_links: { links: { self: '/x' } } as unknown as { data: null } },
      },
      flat: { type: 'Note', id: 11 },
    },
    {
      name: 'fields named type/id cannot replace the record identity',
      record: { type: 'Note', id: 12, attributes: { id: 999, type: 'Bogus', subject: 's' } },
      flat: { type: 'Note', id: 12, subject: 's' },
    },
    {
      name: 'structured attribute values pass through untouched',
      record: {
        type: 'Shot',
        id: 13,
        attributes: { tags: ['a', 'b'], sg_data: { nested: [1, 2] }, created_at: '2021-06-16 08:55:53 UTC' },
      },
      flat: {
        type: 'Shot',
        id: 13,
        tags: ['a', 'b'],
        sg_data: { nested: [1, 2] },
        created_at: '2021-06-16 08:55:53 UTC',
      },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      should(flattenRecord(c.record)).eql(c.flat);
    });
  }

  it('puts type and id first', () => {
    const flat = flattenRecord({ type: 'Shot', id: 1, attributes: { code: 'x' } });
    should(Object.keys(flat).slice(0, 2)).eql(['type', 'id']);
  });
});

describe('flattenRecord: field names from the response', () => {
  it('keeps a "__proto__" attribute or relationship as a field, not as the record\'s prototype', () => {
    const record = JSON.parse(`{
      "type": "Shot", "id": 7,
      "attributes": { "code": "sh010", "__proto__": { "sg_status_list": "fin" } },
      "relationships": { "constructor": { "data": { "type": "Project", "id": 1 } } }
    }`) as JsonApiRecord;
    const flat = flattenRecord(record);
    should(Object.getPrototypeOf(flat)).equal(Object.prototype);
    should((flat as Record<string, unknown>).sg_status_list).be.undefined();
    Object.keys(flat).should.eql(['type', 'id', 'code', '__proto__', 'constructor']);
    JSON.stringify(flat).should.equal(
      '{"type":"Shot","id":7,"code":"sh010","__proto__":{"sg_status_list":"fin"},"constructor":{"type":"Project","id":1}}',
    );
  });

  it("keeps the record's own type and id over fields of the same name, in first place", () => {
    const flat = flattenRecord({ type: 'Shot', id: 7, attributes: { id: 99, code: 'x', type: 'Asset' } });
    Object.keys(flat).should.eql(['type', 'id', 'code']);
    should(flat).eql({ type: 'Shot', id: 7, code: 'x' });
  });
});
