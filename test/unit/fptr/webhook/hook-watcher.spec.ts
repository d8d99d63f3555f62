import should = require('should');
import { HookStatusError, hookStatus } from '../../../../lib/fptr/webhook/hook-status';
import { HookWatcher, type StatusChange } from '../../../../lib/fptr/webhook/hook-watcher';
import { FptrSimulator } from '../../../../sim';
import { Consumer, deliveriesOf, SimHarness } from '../../../support/sim';
import type { FptrClient } from '../../../../lib/fptr/client/client';
import { demoClient } from '../../../support/client-sim';

/** What one watcher was told. */
class Seen {
  changes: StatusChange[] = [];
  errors: unknown[] = [];
  get statuses(): string[] {
    return this.changes.map((c) => `${c.previous ?? '-'}>${c.status}${c.reenabled ? '*' : ''}`);
  }
}

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => {
      if (condition()) resolve();
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe('webhook status names', function () {
  it("reads the API names and the guide's labels", function () {
    hookStatus({ id: 'h', status: 'active' }).should.equal('active');
    hookStatus({ id: 'h', status: 'Failed' }).should.equal('failed');
    hookStatus({ id: 'h', status: ' UNSTABLE ' }).should.equal('unstable');
  });
  it('refuses any other status by name, saying what was expected', function () {
    should.throws(() => hookStatus({ id: 'h1', status: 'paused' }), HookStatusError);
    should.throws(
      () => hookStatus({ id: 'h1', status: 'paused' }),
      /status "paused" for webhook h1; expected one of active, unstable, failed, disabled/,
    );
    should.throws(() => hookStatus({ id: 'h1', status: 3 as unknown as string }), /status 3/);
  });
});

describe('webhook watcher against the simulator', function () {
  const harness = new SimHarness();
  const consumer = new Consumer();
  let api: FptrClient;
  let watcher: HookWatcher;

  before(() => consumer.listen());
  after(() => consumer.close());
  beforeEach(async function () {
    await harness.start({ webhookBatchWindowMs: 10 });
    api = demoClient(harness.url);
    watcher = new HookWatcher(api, { defaultPeriodMs: 3_600_000 });
    consumer.received = [];
  });
  afterEach(async function () {
    await watcher.stop();
    await api.close();
    await harness.stop();
  });

  const hook = (): string =>
    harness.sim.createWebhook({ url: consumer.url, entity_types: { Task: { update: [] } }, batch_deliveries: true }).id;
  const listRequests = (): number => harness.sim.stats.byRoute['GET /api/v1/webhook/hooks'] ?? 0;

  it('reads every status with one list request per check, however many hooks are watched', async function () {
    const ids = [hook(), hook(), hook()];
    const seen = ids.map(() => new Seen());
    ids.forEach((hookId, i) =>
      watcher.watch({ hookId, onChange: (c) => seen[i].changes.push(c), onError: (e) => seen[i].errors.push(e) }),
    );
    await until(() => seen.every((s) => s.changes.length === 1));
    const before = listRequests();
    harness.sim.setHookStatus(ids[0], 'unstable');
    harness.sim.setHookStatus(ids[1], 'failed');
    harness.sim.setHookStatus(ids[2], 'disabled');
    await watcher.checkNow();
    listRequests().should.equal(before + 1);
    seen
      .map((s) => s.statuses)
      .should.eql([
        ['->active', 'active>unstable'],
        ['->active', 'active>failed'],
        ['->active', 'active>disabled'],
      ]);
    seen.every((s) => s.errors.length === 0).should.be.true();
  });

  it('reports a change once, and a deleted hook as missing', async function () {
    const id = hook();
    const seen = new Seen();
    watcher.watch({ hookId: id, onChange: (c) => seen.changes.push(c), onError: (e) => seen.errors.push(e) });
    await watcher.checkNow();
    await watcher.checkNow();
    await harness.call('DELETE', `/api/v1/webhook/hooks/${id}`);
    await watcher.checkNow();
    seen.statuses.should.eql(['->active', 'active>missing']);
  });

  it('tells the watcher, by name, about a status this package does not know', async function () {
    const id = hook();
    const seen = new Seen();
    harness.sim.faults.add({
      method: 'GET',
      path: '/api/v1/webhook/hooks',
      status: 200,
      times: 1,
      body: { data: [{ id, url: consumer.url, status: 'inactive' }], links: {} },
    });
    watcher.watch({ hookId: id, onChange: (c) => seen.changes.push(c), onError: (e) => seen.errors.push(e) });
    await until(() => seen.errors.length > 0);
    seen.changes.should.be.empty();
    should(seen.errors[0]).be.instanceOf(HookStatusError);
    (seen.errors[0] as Error).message.should.match(/"inactive".*expected one of active, unstable, failed, disabled/);
  });

  it('passes a site failure to every watcher and keeps watching', async function () {
    const ids = [hook(), hook()];
    const seen = ids.map(() => new Seen());
    harness.sim.faults.add({ method: 'GET', path: '/api/v1/webhook/hooks', status: 500, times: 1 });
    ids.forEach((hookId, i) =>
      watcher.watch({ hookId, onChange: (c) => seen[i].changes.push(c), onError: (e) => seen[i].errors.push(e) }),
    );
    await until(() => seen.every((s) => s.errors.length === 1));
    (seen[0].errors[0] as Error).message.should.match(/^FPTR 500/);
    await watcher.checkNow();
    seen.map((s) => s.statuses).should.eql([['->active'], ['->active']]);
  });

  it('switches a Failed hook back on once the endpoint answers again, and deliveries resume', async function () {
    const id = hook();
    const seen = new Seen();
    let answers = false;
    let asked = 0;
    watcher.watch({
      hookId: id,
      onChange: (c) => seen.changes.push(c),
      onError: (e) => seen.errors.push(e),
      answersAgain: async () => {
        asked++;
        return answers;
      },
    });
    await watcher.checkNow();
    harness.sim.setHookStatus(id, 'failed');
    await watcher.checkNow();
    asked.should.equal(1);
    harness.sim.webhooks()[0].status.should.equal('failed');
    // While the endpoint does not answer, FPTR is asked for a Test_Connection each time.
    await harness.sim.whenDeliveriesSettled();
    consumer.received
      .flatMap(deliveriesOf)
      .map((d) => d.event_type)
      .should.eql(['Test_Connection']);

    answers = true;
    await watcher.checkNow();
    harness.sim.webhooks()[0].status.should.equal('active');
    seen.statuses.should.eql(['->active', 'active>failed', 'failed>active*']);
    harness.sim.update('Task', FptrSimulator.DEMO.taskIds['sh010/Animation'], { sg_status_list: 'fin' });
    await harness.sim.whenDeliveriesSettled();
    consumer.received
      .flatMap(deliveriesOf)
      .map((d) => d.event_type)
      .should.eql(['Test_Connection', 'Shotgun_Task_Change']);
  });

  it('reports failed before re-enabling a hook first seen Failed', async function () {
    const id = hook();
    harness.sim.setHookStatus(id, 'failed');
    const seen = new Seen();
    watcher.watch({
      hookId: id,
      onChange: (c) => seen.changes.push(c),
      onError: (e) => seen.errors.push(e),
      answersAgain: async () => true,
    });
    await until(() => seen.changes.length === 2);
    seen.statuses.should.eql(['->failed', 'failed>active*']);
  });

  it('never switches on a hook a person disabled', async function () {
    const id = hook();
    harness.sim.setHookStatus(id, 'disabled');
    const seen = new Seen();
    let asked = 0;
    watcher.watch({
      hookId: id,
      onChange: (c) => seen.changes.push(c),
      onError: (e) => seen.errors.push(e),
      answersAgain: async () => {
        asked++;
        return true;
      },
    });
    await watcher.checkNow();
    asked.should.equal(0);
    seen.statuses.should.eql(['->disabled']);
    harness.sim.webhooks()[0].status.should.equal('disabled');
  });

  it('checks on its own at the shortest period asked for, and stops when nobody watches', async function () {
    const id = hook();
    const seen = new Seen();
    const stop = watcher.watch({
      hookId: id,
      periodMs: 20,
      onChange: (c) => seen.changes.push(c),
      onError: (e) => seen.errors.push(e),
    });
    await until(() => seen.changes.length === 1);
    harness.sim.setHookStatus(id, 'unstable');
    await until(() => seen.changes.length === 2);
    stop();
    watcher.size.should.equal(0);
    const count = listRequests();
    harness.sim.setHookStatus(id, 'active');
    await new Promise((resolve) => setTimeout(resolve, 100));
    listRequests().should.equal(count);
    seen.statuses.should.eql(['->active', 'active>unstable']);
  });
});
