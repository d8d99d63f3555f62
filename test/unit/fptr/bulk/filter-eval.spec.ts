import fc = require('fast-check');
import should = require('should');
import { evaluate, localPaths, type Truth } from '../../../../lib/fptr/bulk/filter-eval';
import type { Filters, FlatRecord } from '../../../../lib/fptr/client/api';
import { FptrClient } from '../../../../lib/fptr/client/client';
import { ClientSim } from '../../../support/client-sim';
import { taskFilters, varyDemoTasks } from '../../../support/task-filters';

const shot = { type: 'Shot', id: 5, name: 'sh010' };
const task: FlatRecord = {
  type: 'Task',
  id: 42,
  content: 'Animation',
  sg_status_list: 'wtg',
  entity: shot,
  step: null,
  est_in_mins: 90,
  due_date: '2031-05-02',
  sg_description: '',
  task_assignees: [{ type: 'HumanUser', id: 7, name: 'Alex' }],
  'step.Step.code': 'Animation',
};

describe('filter-eval: judging FPTR filters locally', () => {
  const cases: Array<[string, Filters, Truth]> = [
    ['link is', [['entity', 'is', { type: 'Shot', id: 5 }]], true],
    ['link is another', [['entity', 'is', { type: 'Shot', id: 6 }]], false],
    ['link of another type', [['entity', 'is', { type: 'Asset', id: 5 }]], false],
    ['text is, exact', [['sg_status_list', 'is', 'wtg']], true],
    ['text is, other', [['sg_status_list', 'is', 'fin']], false],
    ['text is, other case: FPTR may ignore case', [['content', 'is', 'animation']], undefined],
    ['in', [['sg_status_list', 'in', ['ip', 'wtg']]], true],
    ['not_in', [['sg_status_list', 'not_in', ['ip', 'wtg']]], false],
    ['dotted path', [['step.Step.code', 'in', ['Animation', 'Lighting']]], true],
    ['null link is a link', [['step', 'is', { type: 'Step', id: 1 }]], false],
    ['null link is null', [['step', 'is', null]], true],
    ['is_not on NULL: SQL would exclude it', [['step', 'is_not', { type: 'Step', id: 1 }]], undefined],
    ['empty text is null: may count as no value', [['sg_description', 'is', null]], undefined],
    ['multi-entity is one of its links', [['task_assignees', 'is', { type: 'HumanUser', id: 7 }]], true],
    ['multi-entity is another', [['task_assignees', 'is', { type: 'HumanUser', id: 8 }]], false],
    ['multi-entity is_not: none or not all?', [['task_assignees', 'is_not', { type: 'HumanUser', id: 8 }]], undefined],
    ['number greater_than', [['est_in_mins', 'greater_than', 60]], true],
    ['number between', [['est_in_mins', 'between', [100, 200]]], false],
    ['number against text: FPTR may convert', [['est_in_mins', 'is', '90']], undefined],
    ['date text: FPTR compares dates', [['due_date', 'is', '2031-5-2']], undefined],
    ['contains, same answer with and without case', [['content', 'contains', 'nim']], true],
    ['contains, answer depends on case', [['content', 'contains', 'ANIM']], undefined],
    ['field not fetched', [['project', 'is', null]], undefined],
    ['id', [['id', 'in', [41, 42]]], true],
    [
      'and: one false decides',
      {
        logical_operator: 'and',
        conditions: [
          ['content', 'is', 'animation'],
          ['sg_status_list', 'is', 'fin'],
        ],
      },
      false,
    ],
    [
      'or: one true decides',
      {
        logical_operator: 'or',
        conditions: [
          ['content', 'is', 'animation'],
          ['sg_status_list', 'is', 'wtg'],
        ],
      },
      true,
    ],
    [
      'or: unknown stays unknown',
      {
        logical_operator: 'or',
        conditions: [
          ['content', 'is', 'animation'],
          ['sg_status_list', 'is', 'fin'],
        ],
      },
      undefined,
    ],
  ];
  for (const [name, filters, expected] of cases) {
    it(`${name} → ${String(expected)}`, () => {
      should(localPaths(filters)).be.an.Array();
      should(evaluate(filters, task)).equal(expected);
    });
  }

  it('names the paths to fetch, and refuses what it cannot judge', () => {
    should(
      localPaths([
        ['entity', 'is', shot],
        ['step.Step.code', 'in', ['A']],
      ]),
    ).eql(['entity', 'step.Step.code']);
    should(localPaths([])).be.undefined();
    should(localPaths({ logical_operator: 'and', conditions: [] })).be.undefined();
    for (const odd of [
      ['entity', 'type_is', 'Shot'],
      ['due_date', 'in_last', [1, 'DAY']],
      ['type', 'is', 'Task'],
      ['a b', 'is', 1],
      ['sg_status_list', 'in', []],
      ['sg_status_list', 'in', 'wtg'],
      ['entity', 'is', { type: 'Shot', id: '5' }],
      ['est_in_mins', 'greater_than', '5'],
      ['content', 'contains', ''],
      ['id', 'between', [1]],
    ] as Array<[string, string, unknown]>) {
      should(localPaths([odd])).be.undefined();
    }
  });

  describe('agrees with the simulator wherever it answers', () => {
    const env = new ClientSim();
    let client: FptrClient;
    let records: FlatRecord[];

    before(async () => {
      const sim = await env.start();
      varyDemoTasks(sim);
      client = env.client();
      records = await client.search('Task', {
        fields: [
          'content',
          'sg_status_list',
          'entity',
          'step',
          'task_assignees',
          'est_in_mins',
          'due_date',
          'sg_description',
          'step.Step.code',
          'entity.Shot.code',
        ],
      });
    });
    after(() => env.stop());

    it('for random filters, every certain answer is the one FPTR gives', async () => {
      let decided = 0;
      let asked = 0;
      await fc.assert(
        fc.asyncProperty(taskFilters, async (filters) => {
          if (!localPaths(filters) || JSON.stringify(filters).includes('no_such_field')) return;
          const matched = new Set((await client.search('Task', { filters, fields: ['id'] })).map((r) => r.id));
          asked += records.length;
          for (const record of records) {
            const truth = evaluate(filters, record);
            if (truth === undefined) continue;
            decided++;
            should(truth).equal(matched.has(record.id), `${JSON.stringify(filters)} on Task ${record.id}`);
          }
        }),
        { numRuns: 300 },
      );
      // Most answers are certain; the property would say little otherwise.
      should(decided).be.above(asked * 0.5);
    });
  });
});
