import should = require('should');
import { WriteCoalescer } from '../../../../lib/fptr/bulk/write-coalescer';
import type { BatchRequest } from '../../../../lib/fptr/client/api';
import { FptrSimulator } from '../../../../sim';
import { ClientSim } from '../../../support/client-sim';
import { settled } from '../../../support/settled';
import { TwinSims } from '../../../support/twin-sims';

const BATCH = 'POST /api/v1/entity/_batch';
const PUT = 'PUT /api/v1/entity/{type}/{id}';
const DEMO = FptrSimulator.DEMO;
const taskIds = Object.values(DEMO.taskIds);

describe('WriteCoalescer against the simulator', () => {
  const twins = new TwinSims();
  beforeEach(() => twins.start());
  afterEach(() => twins.stop());

  const routes = (): Record<string, number> => twins.together.sim.stats.byRoute;

  it("50 single updates, 1 of them invalid: 49 applied through few _batch requests, the invalid one gets its own PUT's error", async () => {
    const ops = taskIds
      .slice(0, 17)
      .flatMap((id, i) => [
        { id, data: { sg_status_list: 'rdy' } },
        { id, data: { content: `pass ${i}` } },
        { id, data: { est_in_mins: i * 10 } },
      ])
      .slice(0, 50);
    ops[31] = { id: ops[31].id, data: { sg_status_list: 'no-such-status' } };
    should(ops).have.length(50);

    const one = [];
    for (const op of ops) one.push(await settled(twins.oneClient.update('Task', op.id, op.data)));
    const writes = new WriteCoalescer(twins.togetherClient, { windowMs: 5 });
    const together = await Promise.all(ops.map((op) => settled(writes.update('Task', op.id, op.data))));

    should(together).eql(one);
    should(together.filter((t) => 'error' in t)).have.length(1);
    should(together[31]).match({ error: { status: 400, request: `PUT /api/v1/entity/Task/${ops[31].id}` } });
    const [a, b] = twins.data(['Task']);
    should(b).eql(a);
    // One batch, then halves down to the invalid update (about 2·log2(50)), then its own PUT.
    should(routes()[BATCH]).be.within(2, 14);
    should(routes()[PUT]).eql(1);
  });

  it('operation arrays of several messages share a _batch; only the message with a bad entry fails, as a whole', async () => {
    const arrays: BatchRequest[][] = taskIds.slice(0, 9).map((id, i) => [
      { request_type: 'update', entity: 'Task', record_id: id, data: { sg_status_list: 'rdy' } },
      { request_type: 'update', entity: 'Task', record_id: taskIds[i + 9], data: { content: `next of ${id}` } },
      {
        request_type: 'create',
        entity: 'Note',
        data: { subject: `about ${id}`, project: { type: 'Project', id: DEMO.projectId } },
      },
    ]);
    arrays[6][1] = { request_type: 'update', entity: 'Task', record_id: 999_999, data: { content: 'nobody' } };

    const one = [];
    for (const requests of arrays) one.push(await settled(twins.oneClient.batch(requests)));
    const writes = new WriteCoalescer(twins.togetherClient, { windowMs: 5 });
    const together = await Promise.all(arrays.map((requests) => settled(writes.batch(requests))));

    should(together).eql(one);
    should(together.map((t) => 'error' in t)).eql([false, false, false, false, false, false, true, false, false]);
    should(together[6]).match({ error: { status: 404, errors: [{ detail: /^requests\[1\]: / }] } });
    const [a, b] = twins.data(['Task', 'Note']);
    should(b).eql(a);
  });

  it('mixes creates, updates, deletes and revives; results and data as if sent one by one', async () => {
    const project = { type: 'Project', id: DEMO.projectId };
    const calls: Array<
      (w: Pick<WriteCoalescer, 'create' | 'update' | 'delete' | 'revive' | 'batch'>) => Promise<unknown>
    > = [
      (w) => w.create('Note', { subject: 'first', project }),
      (w) => w.update('Task', taskIds[0], { sg_status_list: 'ip' }),
      (w) => w.delete('Task', taskIds[1]),
      (w) => w.revive('Task', taskIds[1]),
      (w) => w.update('Task', taskIds[1], { content: 'back again' }),
      (w) => w.create('Note', { subject: 'bad', no_such_field: 1 }),
      (w) => w.delete('Task', 999_999),
      (w) => w.create('Note', { subject: 'last', project }),
    ];
    const one = [];
    for (const call of calls) one.push(await settled(call(twins.oneClient)));
    const writes = new WriteCoalescer(twins.togetherClient, { windowMs: 5 });
    const together = await Promise.all(calls.map((call) => settled(call(writes))));
    should(together).eql(one);
    const [a, b] = twins.data(['Task', 'Note']);
    should(b).eql(a);
  });

  it('applies writes to the same record in the order they arrived, across several requests', async () => {
    const id = taskIds[0];
    const values = Array.from({ length: 30 }, (_, i) => `take ${i}`);
    // Two entries per request: the 30 writes to one record need 15 requests, some of them at the same time.
    const writes = new WriteCoalescer(twins.togetherClient, { windowMs: 5, maxEntries: 2, maxInFlight: 4 });
    await Promise.all(
      values.map((content, i) =>
        i % 3 === 0
          ? writes.batch([{ request_type: 'update', entity: 'Task', record_id: id, data: { content } }])
          : writes.update('Task', id, { content }),
      ),
    );
    const sim = twins.together.sim;
    should(sim.get('Task', id)?.content).eql('take 29');
    const rows = sim.eventLog() as Array<{
      attribute_name?: string;
      entity?: { id: number } | null;
      meta?: { new_value?: unknown };
    }>;
    const changes = rows
      .filter((e) => e.attribute_name === 'content' && e.entity?.id === id)
      .map((e) => e.meta?.new_value);
    should(changes).eql(values);
    should(routes()[BATCH]).be.aboveOrEqual(10);
  });

  it('with a window of 0 sends every write as it is', async () => {
    const writes = new WriteCoalescer(twins.togetherClient, { windowMs: 0 });
    await Promise.all(taskIds.slice(0, 4).map((id) => writes.update('Task', id, { sg_status_list: 'rdy' })));
    should(routes()[PUT]).eql(4);
    should(routes()[BATCH]).be.undefined();
  });

  it('an outage fails every caller of the request once, without splitting it', async () => {
    const env = new ClientSim();
    const sim = await env.start();
    try {
      const client = env.client({ maxRetries: 0 });
      await client.serverInfo();
      sim.faults.add({ path: '/api/v1/entity/', status: 503 });
      const writes = new WriteCoalescer(client, { windowMs: 5 });
      const together = await Promise.all(
        taskIds.slice(0, 6).map((id) => settled(writes.update('Task', id, { content: 'x' }))),
      );
      should(together.every((t) => 'error' in t && t.error.status === 503)).be.true();
      should(sim.stats.byRoute[BATCH]).eql(1);
      should(sim.stats.byRoute[PUT]).be.undefined();
    } finally {
      await env.stop();
    }
  });
});
