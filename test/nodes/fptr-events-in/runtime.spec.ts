import should = require('should');
import { FptrSimulator } from '../../../sim';
import type { EventLogMessage } from '../../../lib/fptr/events/event-log-delivery';
import siteNode = require('../../../nodes/fptr-site');
import eventsNode = require('../../../nodes/fptr-events-in');
import ackNode = require('../../../nodes/fptr-acknowledge');
import { helper } from '../../support/runtime';
import { idRange, waitFor } from '../../support/event-log';

/*
 * fptr-events-in in a real Node-RED runtime (the test helper), reading the simulator's event log
 * over loopback. The events go to a helper node; where the commit is `ack`, the test hands each
 * one to a real fptr-acknowledge node (success or failure), as a flow would.
 */

const DEMO = FptrSimulator.DEMO;
type Msg = EventLogMessage & { _msgid: string; error?: { message: string } };
interface Spied {
  receive(msg: unknown): void;
  warn: { args: unknown[][] };
  error: { args: unknown[][] };
  status: { args: Array<[{ fill?: string; shape?: string; text?: string }]> };
}

describe('fptr-events-in node (Node-RED runtime, simulator over loopback)', function () {
  this.timeout(60_000);
  let sim: FptrSimulator;
  let out: Msg[];
  let gaveUp: Msg[];
  let caught: Array<{ error: { message: string } }>;
  let acked: Msg[];

  beforeEach(async function () {
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
    out = [];
    gaveUp = [];
    caught = [];
    acked = [];
  });
  afterEach(async function () {
    await helper.unload();
    await sim.close();
  });

  const newest = (): number => sim.eventLog().at(-1)?.id ?? 0;
  const node = (id = 'ev'): Spied => helper.getNode(id) as unknown as Spied;
  const warnings = (): string[] => node().warn.args.map((a) => String(a[0]));
  const badges = (): Array<{ fill?: string; shape?: string; text?: string }> => node().status.args.map((a) => a[0]);

  /**
   * Loads site → fptr-events-in (n outputs) → helpers, two fptr-acknowledge nodes (success and
   * failure) and a catch node. `ack` picks, per message, which acknowledge node gets it (none: left in flight).
   */
  async function load(settings: Record<string, unknown>, ack?: (msg: Msg) => 'ok' | 'fail' | undefined): Promise<void> {
    const z = { z: 'tab', x: 100, y: 100 };
    const flow = [
      { id: 'tab', type: 'tab', label: 'events' },
      { id: 'site', type: 'fptr-site', url: sim.url, authType: 'script', timeout: 2, maxRetries: 0 },
      {
        id: 'ev',
        type: 'fptr-events-in',
        ...z,
        site: 'site',
        interval: 0.05,
        store: '',
        ...settings,
        wires: [['out'], ['gave']],
      },
      { id: 'out', type: 'helper', ...z },
      { id: 'gave', type: 'helper', ...z },
      {
        id: 'ack-ok',
        type: 'fptr-acknowledge',
        ...z,
        site: 'site',
        status: 'success',
        statusType: 'ackStatus',
        wires: [['acked']],
      },
      {
        id: 'ack-fail',
        type: 'fptr-acknowledge',
        ...z,
        site: 'site',
        status: 'failure',
        statusType: 'ackStatus',
        detail: 'no folder template for {{payload.entity.type}}',
        wires: [['acked']],
      },
      { id: 'acked', type: 'helper', ...z },
      { id: 'on-catch', type: 'catch', ...z, scope: ['ev'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', ...z },
    ];
    await helper.load([siteNode, eventsNode, ackNode], flow, {
      site: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey },
    });
    helper.getNode('out').on('input', ((msg: Msg) => {
      out.push(msg);
      const how = ack?.(msg);
      if (how) node(how === 'ok' ? 'ack-ok' : 'ack-fail').receive(msg);
    }) as never);
    helper.getNode('gave').on('input', ((msg: Msg) => gaveUp.push(msg)) as never);
    helper.getNode('acked').on('input', ((msg: Msg) => acked.push(msg)) as never);
    helper.getNode('caught').on('input', ((msg: { error: { message: string } }) => caught.push(msg)) as never);
  }

  const ids = (msgs: Msg[]): number[] => msgs.map((m) => m.fptr.eventId);

  it('sends events shaped like webhook deliveries; fptr-acknowledge commits them locally, with no request to FPTR', async function () {
    const start = newest();
    const { firstId, lastId } = sim.generateEvents(30, { projects: [DEMO.projectId] });
    await load({ start: 'id', startId: start }, () => 'ok');
    await waitFor(() => acked.length === 30, 'every event acknowledged');
    should(ids(out)).eql(idRange(firstId, lastId));
    const msg = out[0]!;
    should(msg.topic).eql(msg.payload.event_type);
    should(msg.payload).have.properties(
      'event_type',
      'entity',
      'project',
      'user',
      'meta',
      'attribute_name',
      'event_log_entry_id',
      'created_at',
      'session_uuid',
    );
    should(msg.fptr).have.properties({
      source: 'event-log',
      eventId: firstId,
      siteUrl: sim.url,
      eventsNode: 'ev',
      attempt: 1,
    });
    should(Object.keys(sim.stats.byRoute).filter((route) => route.includes('deliveries'))).eql([]);
    should(
      (helper.getNode('ack-ok') as unknown as Spied).status.args.some(
        (a) => a[0].text === 'fptr-acknowledge.status.committed',
      ),
    ).be.true();
    // Strict order (maxInFlight 1): one in flight at a time, so the acknowledgements came in id order too.
    should(ids(acked)).eql(idRange(firstId, lastId));
  });

  it('filters by event type pattern, project and entity type', async function () {
    const other = sim.create('Project', { name: 'Other show' });
    sim.create('Shot', { code: 'ot010', project: { type: 'Project', id: other.id } });
    const start = newest();
    sim.generateEvents(600, { projects: [DEMO.projectId, other.id] });
    const expected = sim
      .eventLog()
      .filter((row) => row.id > start)
      .filter((row) => /^Shotgun_.*_Change$/.test(String(row.event_type)))
      .filter((row) => (row.project as { id?: number } | null)?.id === DEMO.projectId)
      .filter((row) => ['Task', 'Note'].includes(String((row.meta as { entity_type?: string }).entity_type)))
      .map((row) => row.id);
    should(expected.length).be.above(100);
    await load({
      start: 'id',
      startId: start,
      commit: 'emit',
      eventTypes: ['Shotgun_*_Change'],
      projects: [String(DEMO.projectId)],
      entityTypes: ['Task', 'Note'],
    });
    await waitFor(() => out.length >= expected.length, 'the matching events');
    await new Promise((resolve) => setTimeout(resolve, 200));
    should(ids(out)).eql(expected);
  });

  it('pause, resume, reset and {reset: id} as input; anything else goes to a Catch node', async function () {
    const start = newest();
    const first = sim.generateEvents(5, { projects: [DEMO.projectId] });
    await load({ start: 'id', startId: start, commit: 'emit' });
    await waitFor(() => out.length === 5, 'the first events');
    node().receive({ payload: 'pause' });
    await waitFor(() => badges().some((b) => b.text === 'fptr-events-in.status.paused'), 'the paused badge');
    const second = sim.generateEvents(5, { projects: [DEMO.projectId] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    should(out).have.length(5);
    node().receive({ payload: 'resume' });
    await waitFor(() => out.length === 10, 'the events made while paused');
    node().receive({ payload: { reset: first.lastId } });
    await waitFor(() => out.length === 15, 'the events after the reset id again');
    should(ids(out).slice(10)).eql(idRange(second.firstId, second.lastId));
    node().receive({ payload: 'reset' });
    await waitFor(() => out.length === 25, 'everything after startId again');
    should(ids(out).slice(15)).eql(idRange(first.firstId, second.lastId));
    node().receive({ payload: 'stop' });
    node().receive({ payload: { reset: 'yesterday' } });
    await waitFor(() => caught.length === 2, 'two refused messages');
    should(caught.map((c) => c.error.message)).eql([
      'Error: fptr-events-in.errors.bad-input',
      'Error: fptr-events-in.errors.bad-input',
    ]);
  });

  it('onFailure retry: a failure acknowledgement is retried, then the event leaves on the "gave up" output and the rest go on', async function () {
    const start = newest();
    const { firstId, lastId } = sim.generateEvents(6, { projects: [DEMO.projectId] });
    const bad = firstId + 2;
    await load({ start: 'id', startId: start, onFailure: 'retry', retries: 2 }, (msg) =>
      msg.fptr.eventId === bad ? 'fail' : 'ok',
    );
    await waitFor(
      () => gaveUp.length === 1 && out.filter((m) => m.fptr.eventId === lastId).length === 1,
      'the give-up and the last event',
    );
    should(out.filter((m) => m.fptr.eventId === bad).map((m) => m.fptr.attempt)).eql([1, 2, 3]);
    should(gaveUp[0]!.fptr.eventId).eql(bad);
    should(gaveUp[0]!.error?.message).match(/^no folder template for \w+$/);
    should(warnings()).containEql('fptr-events-in.errors.gave-up');
    should(ids(out).filter((id) => id !== bad)).eql(idRange(firstId, lastId).filter((id) => id !== bad));
  });

  it('onFailure stop: the cursor is held at the failing event (red status) until "resume"', async function () {
    const start = newest();
    const { firstId, lastId } = sim.generateEvents(6, { projects: [DEMO.projectId] });
    const bad = firstId + 2;
    let failing = true;
    await load({ start: 'id', startId: start, onFailure: 'stop' }, (msg) =>
      msg.fptr.eventId === bad && failing ? 'fail' : 'ok',
    );
    await waitFor(
      () => badges().some((b) => b.fill === 'red' && b.text === 'fptr-events-in.status.held'),
      'the held badge',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    should(ids(out)).eql(idRange(firstId, bad));
    failing = false;
    node().receive({ payload: 'resume' });
    await waitFor(() => out.some((m) => m.fptr.eventId === lastId), 'the rest');
    should(ids(out)).eql([...idRange(firstId, bad), ...idRange(bad, lastId)]);
    should(gaveUp).eql([]);
  });

  it('a site outage (5xx, timeouts, 429) while polling: red status, polling resumes by itself, nothing skipped', async function () {
    const start = newest();
    await load({ start: 'id', startId: start, commit: 'ack', maxInFlight: 3 }, () => 'ok');
    await waitFor(() => badges().some((b) => b.fill === 'green'), 'caught up');
    const made: number[] = [];
    const path = '/api/v1/entity/EventLogEntry';
    for (const fault of [
      { path, status: 503, times: 3 },
      // Two slow reads in a row: after a single one the next poll may succeed before the
      // throttled badge (250 ms) is redrawn, and the red state would never be drawn.
      { path, latencyMs: 2500, times: 2 },
      { path, status: 429, retryAfter: 1, times: 1 },
    ]) {
      const seen = badges().length;
      sim.faults.add(fault);
      const { firstId, lastId } = sim.generateEvents(40, { projects: [DEMO.projectId] });
      made.push(...idRange(firstId, lastId));
      await waitFor(
        () =>
          badges()
            .slice(seen)
            .some((b) => b.fill === 'red' && b.text?.startsWith('fptr-events-in.status.site-error')),
        `the outage in the status (${JSON.stringify(fault)})`,
      );
      await waitFor(() => made.every((id) => acked.some((m) => m.fptr.eventId === id)), 'polling resumed');
    }
    should(new Set(ids(out)).size).eql(out.length);
    should(ids(out)).eql(made);
  });

  it('refuses settings it cannot use: red status, an error, and every input message to a Catch node', async function () {
    await load({ start: 'id', startId: '' });
    should(badges().at(-1)).containEql({ fill: 'red', shape: 'ring', text: 'fptr-events-in.status.invalid-settings' });
    should(node().error.args.map((a) => String(a[0]))).containEql('fptr-events-in.errors.invalid-settings');
    node().receive({ payload: 'pause' });
    await waitFor(() => caught.length === 1, 'the refused message');
  });

  it('warns at deploy when the cursor store keeps it in memory only', async function () {
    await load({ start: 'now' });
    should(warnings()).containEql('fptr-events-in.errors.store-memory');
  });
});
