import fc from 'fast-check';
import should = require('should');
import { FptrSimulator } from '../../../../sim';
import type { FptrClient } from '../../../../lib/fptr/client/client';
import { EVENT_FIELDS, logEventOf } from '../../../../lib/fptr/events/event-log-delivery';
import { eventLogQuery, withIdCondition, type EventLogFilter } from '../../../../lib/fptr/events/event-log-query';
import { EVENT_LOG } from '../../../../lib/fptr/events/event-log-reader';
import { ClientSim } from '../../../support/client-sim';

const DEMO = FptrSimulator.DEMO;
const none: EventLogFilter = { eventTypes: [], projects: [], entityTypes: [] };

describe('event-log query', () => {
  describe('conditions', () => {
    it('exact names: one "in"; a single prefix pattern: starts_with; array form when no group is needed', () => {
      should(eventLogQuery({ ...none, eventTypes: ['Shotgun_Task_Change', 'Shotgun_Task_New'] }).conditions).eql([
        ['event_type', 'in', ['Shotgun_Task_Change', 'Shotgun_Task_New']],
      ]);
      const prefix = eventLogQuery({ ...none, eventTypes: ['Shotgun_Task_*'], projects: [7] }).conditions;
      should(prefix).eql([
        ['event_type', 'starts_with', 'Shotgun_Task_'],
        ['project', 'in', [{ type: 'Project', id: 7 }]],
      ]);
      should(withIdCondition(['id', 'greater_than', 5], prefix)).eql([['id', 'greater_than', 5], ...prefix]);
    });

    it('several patterns: an "or" of what each can say (hash form); a lone "*" filters nothing', () => {
      const q = eventLogQuery({ ...none, eventTypes: ['*_New', 'Shotgun_*_Change', 'Toolkit_*_Folder*'] });
      should(q.conditions).eql([
        {
          logical_operator: 'or',
          conditions: [
            ['event_type', 'ends_with', '_New'],
            {
              logical_operator: 'and',
              conditions: [
                ['event_type', 'starts_with', 'Shotgun_'],
                ['event_type', 'ends_with', '_Change'],
              ],
            },
            {
              logical_operator: 'and',
              conditions: [
                ['event_type', 'starts_with', 'Toolkit_'],
                ['event_type', 'contains', '_Folder'],
              ],
            },
          ],
        },
      ]);
      should(withIdCondition(['id', 'greater_than', 5], q.conditions)).have.property('logical_operator', 'and');
      should(eventLogQuery({ ...none, eventTypes: ['Shotgun_Task_New', '*'] }).conditions).eql([]);
      should(eventLogQuery(none).conditions).eql([]);
    });

    it('the local test is exact and case-sensitive, reads meta.entity_type for retired entities, and needs a project when projects are set', () => {
      const q = eventLogQuery({ eventTypes: ['Shotgun_Task_*'], projects: [7], entityTypes: ['Task'] });
      const row = {
        event_type: 'Shotgun_Task_Change',
        project: { type: 'Project', id: 7 },
        entity: null,
        meta: { entity_type: 'Task' },
      };
      should(q.matches(row)).be.true();
      should(q.matches({ ...row, event_type: 'shotgun_task_change' })).be.false();
      should(q.matches({ ...row, project: null })).be.false();
      should(q.matches({ ...row, meta: { entity_type: 'Shot' } })).be.false();
    });
  });

  describe('against a site (the simulator over loopback)', function () {
    this.timeout(60_000);
    const cs = new ClientSim();
    let sim: FptrSimulator;
    let client: FptrClient;
    let firstId = 0;

    before(async () => {
      sim = await cs.start();
      client = cs.client();
      const other = sim.create('Project', { name: 'Other show' });
      sim.create('Shot', { code: 'ot010', project: { type: 'Project', id: other.id } });
      firstId = (sim.eventLog().at(-1)?.id ?? 0) + 1;
      sim.generateEvents(600, { projects: [DEMO.projectId, other.id], seed: 5 });
      sim.retire('Task', DEMO.taskIds['sh020/Comp']);
      sim.revive('Task', DEMO.taskIds['sh020/Comp']);
      sim.retire('Shot', DEMO.shotIds.sh030);
    });
    after(() => cs.stop());

    const words = [
      'Shotgun',
      'Task',
      'Shot',
      'Asset',
      'Note',
      'Version',
      'New',
      'Change',
      'Retirement',
      'Revival',
      '_',
      'o',
      'e',
      'ta',
      'S',
    ];
    const pattern = fc
      .array(fc.oneof(fc.constantFrom(...words), fc.constant('*')), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join(''));
    const filter = fc.record({
      eventTypes: fc.array(pattern, { maxLength: 3 }),
      projects: fc.subarray([DEMO.projectId, DEMO.projectId + 100_000]),
      entityTypes: fc.subarray(['Task', 'Shot', 'Note', 'CustomEntity01']),
    });

    it('the site never leaves out a row the local test accepts (property)', async () => {
      const rows = await client.search(EVENT_LOG, {
        filters: [['id', 'greater_than', firstId - 1]],
        fields: [...EVENT_FIELDS],
        sort: 'id',
      });
      const events = rows.map(logEventOf).filter((e) => e !== undefined);
      should(events.length).be.above(600);
      await fc.assert(
        fc.asyncProperty(filter, async (f) => {
          const q = eventLogQuery(f);
          const answered = await client.search(EVENT_LOG, {
            filters: withIdCondition(['id', 'greater_than', firstId - 1], q.conditions),
            fields: ['id'],
            sort: 'id',
          });
          const ids = new Set(answered.map((r) => r.id));
          const left = events.filter((e) => q.matches(e.delivery) && !ids.has(e.id)).map((e) => e.id);
          should(left).eql([]);
        }),
        { numRuns: 60, seed: 14 },
      );
    });

    it('the site sends only matching rows for plain filters (the query narrows, not just the local test)', async () => {
      const q = eventLogQuery({ eventTypes: ['Shotgun_Task_*'], projects: [DEMO.projectId], entityTypes: [] });
      const answered = await client.search(EVENT_LOG, {
        filters: withIdCondition(['id', 'greater_than', firstId - 1], q.conditions),
        fields: [...EVENT_FIELDS],
        sort: 'id',
      });
      should(answered.length).be.above(50);
      should(answered.map(logEventOf).every((e) => e !== undefined && q.matches(e.delivery))).be.true();
    });
  });
});
