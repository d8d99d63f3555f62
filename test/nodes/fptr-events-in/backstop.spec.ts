import crypto = require('node:crypto');
import should = require('should');
import type { NodeMessage } from 'node-red';
import { FptrSimulator } from '../../../sim';
import type { Delivery, FptrMsgInfo } from '../../../lib/fptr/contract';
import { eventKey } from '../../../lib/fptr/webhook/event-key';
import siteNode = require('../../../nodes/fptr-site');
import webhookNode = require('../../../nodes/fptr-webhook-in');
import eventsNode = require('../../../nodes/fptr-events-in');
import ackNode = require('../../../nodes/fptr-acknowledge');
import { helper } from '../../support/runtime';
import { HttpNodeServer } from '../../support/http-node';
import { waitFor } from '../../support/event-log';
import { redisForSuite } from '../../support/redis-server';
import type { FptrSite } from '../../../lib/node-red/site';
import { RedisState } from '../../../lib/state/redis-state';
import type { SharedState } from '../../../lib/state/shared-state';

/*
 * fptr-events-in as the backstop of an fptr-webhook-in (backstopFor, backstopGrace), both feeding
 * one flow that acknowledges every message, in the test helper with the simulator over loopback.
 * Time is scaled down: the grace is 1–3 s instead of 120 s, and "the webhook disabled for 10
 * minutes" is the simulator's hook disabled while 1,000 changes happen.
 */

const { taskIds, scriptName, scriptKey } = FptrSimulator.DEMO;
const SECRET = 'backstop-secret';
const SUBSCRIPTION = { entityType: 'Task', actions: { update: ['content'] }, projects: [] };
type Msg = { payload: Delivery; fptr: FptrMsgInfo & { source: string } };
interface Backstopped {
  warn: { args: unknown[][] };
}

describe('fptr-events-in as the backstop of fptr-webhook-in', function () {
  this.timeout(180_000);
  const server = new HttpNodeServer();
  let sim: FptrSimulator;
  let hookId: string;
  let seen: Msg[];

  beforeEach(async function () {
    sim = new FptrSimulator({ webhookBatchWindowMs: 20 });
    await sim.listen(0, '127.0.0.1');
    seen = [];
  });
  afterEach(async function () {
    await helper.unload();
    await server.close();
    await sim.close();
  });

  async function load(graceSeconds: number, backstopFor = 'w1', site: Record<string, unknown> = {}): Promise<void> {
    const z = { z: 'tab' };
    const flow = [
      { id: 'tab', type: 'tab', label: 'backstop' },
      { id: 'site', type: 'fptr-site', url: sim.url, authType: 'script', timeout: 5, ...site },
      {
        id: 'w1',
        type: 'fptr-webhook-in',
        ...z,
        url: '/hook',
        site: 'site',
        dedupWindow: 600,
        subscription: SUBSCRIPTION,
        wires: [['ack']],
      },
      {
        id: 'e1',
        type: 'fptr-events-in',
        ...z,
        site: 'site',
        interval: 0.1,
        commit: 'ack',
        maxInFlight: 1000,
        backstopFor,
        backstopGrace: graceSeconds,
        wires: [['ack'], []],
      },
      {
        id: 'ack',
        type: 'fptr-acknowledge',
        ...z,
        site: 'site',
        status: 'success',
        statusType: 'ackStatus',
        wires: [['out']],
      },
      { id: 'out', type: 'helper', ...z },
    ];
    await helper.load([siteNode, server.wrap(webhookNode), eventsNode, ackNode], flow, {
      site: { scriptName, scriptKey },
      w1: { secret: SECRET },
    });
    const url = await server.listen();
    hookId = sim.createWebhook({
      url: `${url}/hook`,
      token: SECRET,
      batch_deliveries: true,
      entity_types: { Task: { update: ['content'] } },
    }).id;
    helper.getNode('out').on('input', ((msg: NodeMessage) => seen.push(msg as unknown as Msg)) as never);
    // The events node starts at the newest event once it has read the log.
    await waitFor(() => helper.getNode('e1') !== null, 'the events node');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  const tasks = Object.values(taskIds);
  /** `count` changes of a Task's content, and one of a field the webhook does not subscribe to. */
  async function changes(from: number, count: number): Promise<void> {
    for (let n = from; n < from + count; n++) {
      sim.update('Task', tasks[n % tasks.length]!, { content: `take ${n}` });
      if (n % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    sim.update('Task', tasks[0]!, { sg_status_list: from % 2 ? 'ip' : 'fin' });
  }

  const keys = (): string[] => seen.map((msg) => eventKey(msg.payload)!);
  const bySource = (source: string): number => seen.filter((msg) => msg.fptr.source === source).length;

  it('sends each of 1,000 changes made while the webhook is disabled exactly once, from the event log', async function () {
    await load(1);
    await changes(0, 50);
    await waitFor(() => seen.length >= 50, 'the first 50 changes');
    sim.setHookStatus(hookId, 'disabled');
    await changes(50, 1000);
    await waitFor(() => seen.length >= 1050, '1,050 events', 120_000);
    sim.setHookStatus(hookId, 'active');
    await changes(1050, 50);
    await waitFor(() => seen.length >= 1100, '1,100 events', 60_000);
    // Long enough for a late duplicate from either source to show.
    await new Promise((resolve) => setTimeout(resolve, 2500));

    seen.should.have.length(1100);
    new Set(keys()).size.should.equal(1100);
    bySource('event-log').should.equal(1000);
    bySource('webhook').should.equal(100);
    const fromLog = seen.filter((msg) => msg.fptr.source === 'event-log').map((msg) => msg.payload.meta?.new_value);
    should(fromLog).eql(Array.from({ length: 1000 }, (_, i) => `take ${50 + i}`));
    // Nothing the webhook does not subscribe to (sg_status_list) came through.
    seen.every((msg) => msg.payload.attribute_name === 'content').should.be.true();
  });

  it('sends nothing while the webhook delivers every event', async function () {
    await load(3);
    await changes(0, 200);
    await waitFor(() => seen.length >= 200, '200 events', 60_000);
    // Past the grace period of the last event, and then some.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    seen.should.have.length(200);
    bySource('webhook').should.equal(200);
    bySource('event-log').should.equal(0);
    const warnings = (helper.getNode('e1') as unknown as Backstopped).warn.args.map((a) => String(a[0]));
    warnings.filter((w) => w.includes('backstop')).should.eql([]);
  });

  it('warns once and sends every event after the grace period when the named webhook node is not deployed', async function () {
    await load(1, 'no-such-node');
    await changes(0, 5);
    await waitFor(() => seen.length >= 11, 'the events from both nodes', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Nothing to ask which events the webhook delivered, nor what it subscribes to: both sources
    // send the 5 content changes, and the event log also the status change.
    bySource('webhook').should.equal(5);
    bySource('event-log').should.equal(6);
    const warnings = (helper.getNode('e1') as unknown as Backstopped).warn.args.map((a) => String(a[0]));
    warnings
      .filter((w) => w.startsWith('fptr-events-in.errors.backstop-not-found') || /no-such-node/.test(w))
      .should.have.length(1);
  });
  describe('with the site on Redis (several instances)', function () {
    const redis = redisForSuite();
    let other: RedisState | undefined;
    beforeEach(() => {
      // The events node waits for its lease a third of it at a time: shortened, as settings.js can.
      helper.settings({ fptrEventsInLeaseMs: 1500 } as Parameters<typeof helper.settings>[0]);
    });
    afterEach(async () => {
      helper.settings({});
      await other?.close();
      other = undefined;
    });

    const up = (state: SharedState): Promise<void> =>
      waitFor(() => state.health === 'up', 'shared state up').then(() => undefined);

    it("leaves out what another instance's webhook delivered, and claims what it sends so that instance drops it", async function () {
      const prefix = `bs${crypto.randomBytes(4).toString('hex')}:`;
      await load(2, 'w1', { redisUrl: redis().url, redisPrefix: prefix });
      await up((helper.getNode('site') as unknown as FptrSite).state);
      other = new RedisState({ url: redis().url, prefix, instanceId: 'other' });
      await up(other);
      // It leads (the lease is its) and has read where the log ends before anything changes.
      const badges = (helper.getNode('e1') as unknown as { status: { args: Array<[{ text?: string }]> } }).status.args;
      await waitFor(
        () => badges.some(([badge]) => badge.text === 'fptr-events-in.status.cursor'),
        'the events node polling',
        20_000,
      );
      // Deliveries go to the other instance: this one's webhook receives none.
      sim.setHookStatus(hookId, 'disabled');
      await changes(0, 4);
      const rows = sim.eventLog().filter((row) => row.attribute_name === 'content');
      rows.should.have.length(4);
      const claimKeys = (list: typeof rows): string[] =>
        list.map(
          (row) => `webhook:w1:${eventKey({ event_log_entry_id: row.id as number, attribute_name: 'content' })!}`,
        );
      // What the other instance's webhook node claims for the first two, delivered to it.
      (await other.claim(claimKeys(rows.slice(0, 2)), 600_000)).should.eql([true, true]);

      await waitFor(() => seen.length >= 2, 'the two events no instance delivered', 20_000);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the other two were decided with these
      bySource('event-log').should.equal(2);
      seen.map((msg) => msg.payload.event_log_entry_id).should.eql(rows.slice(2).map((row) => row.id));
      // A late webhook delivery of those on the other instance is a duplicate there.
      (await other.claim(claimKeys(rows.slice(2)), 600_000)).should.eql([false, false]);
    });
  });
});
