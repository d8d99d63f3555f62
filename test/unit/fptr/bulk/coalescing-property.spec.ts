import fc = require('fast-check');
import should = require('should');
import { ReadCoalescer } from '../../../../lib/fptr/bulk/read-coalescer';
import { SearchCoalescer } from '../../../../lib/fptr/bulk/search-coalescer';
import { WriteCoalescer } from '../../../../lib/fptr/bulk/write-coalescer';
import type { BatchRequest, FptrApi } from '../../../../lib/fptr/client/api';
import { FptrSimulator } from '../../../../sim';
import { settled, type Settled } from '../../../support/settled';
import { taskFields, taskFilters, varyDemoTasks } from '../../../support/task-filters';
import { TwinSims } from '../../../support/twin-sims';

const DEMO = FptrSimulator.DEMO;
const taskIds = Object.values(DEMO.taskIds);
const project = { type: 'Project', id: DEMO.projectId };

/** What a flow sends: the same call made directly on a client or through the coalescers. */
interface Api {
  read: FptrApi['read'];
  search: FptrApi['search'];
  create(entityType: string, data: Record<string, unknown>): Promise<unknown>;
  update(entityType: string, id: number, data: Record<string, unknown>): Promise<unknown>;
  delete: FptrApi['delete'];
  revive: FptrApi['revive'];
  batch(requests: BatchRequest[]): Promise<unknown>;
}
type Call = (api: Api) => Promise<unknown>;
type Wave = Call[];

/** A call that prints as what it does when fast-check reports a counterexample. */
function call(method: keyof Api, ...args: unknown[]): Call {
  const run = (api: Api): Promise<unknown> => (api[method] as (...a: unknown[]) => Promise<unknown>)(...args);
  return Object.assign(run, {
    [fc.toStringMethod]: () => `${method}(${args.map((a) => JSON.stringify(a)).join(', ')})`,
  });
}

const taskId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...taskIds) },
  { weight: 1, arbitrary: fc.constant(999_001) },
);
const taskData = fc.oneof(
  fc.record({ sg_status_list: fc.constantFrom('rdy', 'fin', 'wtg', 'no-such-status') }),
  fc.record({ content: fc.constantFrom('Anim', 'layout v2', 'Comp') }),
  fc.record({ est_in_mins: fc.integer({ min: 0, max: 500 }) }),
  fc.constant({ no_such_field: 1 }),
);
const noteData = fc.oneof(
  { weight: 4, arbitrary: fc.record({ subject: fc.constantFrom('a', 'b'), project: fc.constant(project) }) },
  { weight: 1, arbitrary: fc.constant({ subject: 'bad', project: 'not a link' }) },
);
const entry: fc.Arbitrary<BatchRequest> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      request_type: fc.constant('update' as const),
      entity: fc.constant('Task'),
      record_id: taskId,
      data: taskData,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ request_type: fc.constant('create' as const), entity: fc.constant('Note'), data: noteData }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      request_type: fc.constant('delete' as const),
      entity: fc.constant('Task'),
      record_id: taskId,
    }),
  },
);

const read: fc.Arbitrary<Call> = fc
  .record({
    id: taskId,
    fields: fc.constantFrom(['content', 'sg_status_list'], ['*'], ['entity', 'step.Step.code']),
    returnOnly: fc.constantFrom(undefined, 'active' as const, 'retired' as const),
  })
  .map(({ id, fields, returnOnly }) => call('read', 'Task', id, returnOnly ? { fields, returnOnly } : { fields }));
const search: fc.Arbitrary<Call> = fc
  .record({ filters: taskFilters, fields: taskFields })
  .map((options) => call('search', 'Task', options));
const write: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ id: taskId, data: taskData }).map(({ id, data }) => call('update', 'Task', id, data)),
  noteData.map((data) => call('create', 'Note', data)),
  taskId.map((id) => call('delete', 'Task', id)),
  taskId.map((id) => call('revive', 'Task', id)),
  fc.array(entry, { minLength: 1, maxLength: 4 }).map((requests) => call('batch', requests)),
);

/** Calls of one kind that a flow would send at about the same moment. */
const wave: fc.Arbitrary<Wave> = fc.oneof(
  fc.array(read, { minLength: 1, maxLength: 15 }),
  fc.array(search, { minLength: 1, maxLength: 8 }),
  fc.array(write, { minLength: 1, maxLength: 15 }),
);

describe('Coalescing changes no result (property, against two simulators)', () => {
  it('for arbitrary mixes of reads, searches and writes, invalid ones included, every call and the data end up as one by one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wave, { minLength: 1, maxLength: 4 }), async (waves) => {
        const twins = new TwinSims();
        await twins.start(varyDemoTasks);
        try {
          const client = twins.togetherClient;
          const options = { windowMs: 3 };
          const reads = new ReadCoalescer(client, options);
          const searches = new SearchCoalescer(client, options);
          const writes = new WriteCoalescer(client, options);
          const coalesced: Api = {
            read: (...a) => reads.read(...a),
            search: (...a) => searches.search(...a),
            create: (...a) => writes.create(...a),
            update: (...a) => writes.update(...a),
            delete: (...a) => writes.delete(...a),
            revive: (...a) => writes.revive(...a),
            batch: (requests) => writes.batch(requests),
          };
          const direct: Api = twins.oneClient;
          for (const calls of waves) {
            const one: Settled[] = [];
            for (const c of calls) one.push(await settled(c(direct)));
            const together = await Promise.all(calls.map((c) => settled(c(coalesced))));
            should(together).eql(one);
          }
          const [a, b] = twins.data(['Task', 'Note']);
          should(b).eql(a);
        } finally {
          await twins.stop();
        }
      }),
      { numRuns: 40 },
    );
  });
});
