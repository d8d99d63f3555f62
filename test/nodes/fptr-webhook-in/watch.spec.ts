import should = require('should');
import type { NodeMessage } from 'node-red';
import { FptrSimulator } from '../../../sim';
import type { StatusMessage } from '../../../lib/node-red/hook-health';
import { helper } from '../../support/runtime';
import { HttpNodeServer } from '../../support/http-node';
import { TcpRelay } from '../../support/loopback';
import { waitFor } from '../../support/examples';
import siteNode = require('../../../nodes/fptr-site');
import webhookNode = require('../../../nodes/fptr-webhook-in');

const SECRET = 'watched-hook-secret';
const { taskIds, scriptName, scriptKey } = FptrSimulator.DEMO;

interface Spied {
  warn: { args: unknown[][] };
  error: { args: unknown[][] };
  status: { args: Array<[{ fill?: string; shape?: string; text?: string }]> };
}

/**
 * A deployed webhook node watching its FPTR hook: the simulator's hook goes Failed because the
 * node's public URL stops answering (a relay in front of the node is taken down), then answers
 * again. The watch interval is 1 s (the node's `watchInterval`; 300 by default).
 */
describe('fptr-webhook-in: watching its FPTR webhook', function () {
  this.timeout(60_000);
  const server = new HttpNodeServer();
  let sim: FptrSimulator;
  let relay: TcpRelay;
  let hookId: string;
  let events: NodeMessage[];
  let statuses: StatusMessage['payload'][];

  /** A hook on the relay's URL, then the flow watching it, then the relay pointed at the node. */
  async function start(options: { autoReenable: boolean }): Promise<Spied> {
    relay = new TcpRelay();
    await relay.up();
    hookId = sim.createWebhook({
      url: `${relay.origin}/hook`,
      token: SECRET,
      batch_deliveries: true,
      entity_types: { Task: { update: ['sg_status_list', 'content'] } },
    }).id;
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'site', type: 'fptr-site', url: sim.url, authType: 'script', timeout: 5 },
      {
        id: 'w1',
        type: 'fptr-webhook-in',
        z: 'tab',
        url: '/hook',
        site: 'site',
        hookId,
        watchInterval: 1,
        autoReenable: options.autoReenable,
        statusOutput: true,
        publicUrl: relay.origin,
        wires: [['events'], ['statuses']],
      },
      { id: 'events', type: 'helper', z: 'tab' },
      { id: 'statuses', type: 'helper', z: 'tab' },
    ];
    await helper.load([siteNode, server.wrap(webhookNode)], flow, {
      site: { scriptName, scriptKey },
      w1: { secret: SECRET },
    });
    const origin = new URL(await server.listen());
    relay.target = { host: origin.hostname, port: Number(origin.port) };
    helper.getNode('events').on('input', ((msg: NodeMessage) => events.push(msg)) as never);
    helper
      .getNode('statuses')
      .on('input', ((msg: NodeMessage) => statuses.push((msg as unknown as StatusMessage).payload)) as never);
    return helper.getNode('w1') as unknown as Spied;
  }

  beforeEach(async function () {
    sim = new FptrSimulator({ webhookBatchWindowMs: 20, webhookFailedAfter: 3, deliveryTimeoutMs: 1000 });
    await sim.listen();
    events = [];
    statuses = [];
  });
  afterEach(async function () {
    await helper.unload();
    await relay?.down();
    await server.close();
    await sim.close();
  });

  async function deleteHook(id: string): Promise<void> {
    const token = await fetch(`${sim.url}/api/v1/auth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: scriptName, client_secret: scriptKey }),
    }).then((res) => res.json() as Promise<{ access_token: string }>);
    const res = await fetch(`${sim.url}/api/v1/webhook/hooks/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    res.status.should.equal(204);
  }

  const change = (n: number): void => {
    sim.update('Task', taskIds['sh010/Animation']!, { content: `take ${n}` });
  };
  const warnings = (node: Spied): string[] => node.warn.args.map((a) => String(a[0]));
  const lastBadge = (node: Spied): { fill?: string; shape?: string; text?: string } =>
    node.status.args[node.status.args.length - 1]![0];

  it('shows a Failed hook (badge, warning, status message), re-enables it once the endpoint answers again, and deliveries resume', async function () {
    const node = await start({ autoReenable: true });
    await waitFor(() => statuses.length >= 1, 'the first status reading');
    statuses[0]!.should.containDeep({ hookId, status: 'active', previous: null, reenabled: false });

    await relay.down();
    for (let n = 0; n < 3; n++) {
      change(n);
      await sim.whenDeliveriesSettled();
    }
    sim
      .webhooks()
      .find((h) => h.id === hookId)!
      .status.should.equal('failed');
    await waitFor(() => statuses.find((s) => s.status === 'failed'), 'the failed status', 10_000);
    statuses[1]!.should.containDeep({ hookId, status: 'failed', previous: 'active' });
    warnings(node).should.containEql('fptr-webhook-in.warnings.hook-failed');
    await waitFor(() => lastBadge(node).fill === 'red', 'the red badge');
    lastBadge(node).should.containDeep({ fill: 'red', shape: 'ring' });
    lastBadge(node).text!.should.startWith('fptr-webhook-in.status.hook ·');
    // While the endpoint does not answer, the hook stays Failed.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    sim
      .webhooks()
      .find((h) => h.id === hookId)!
      .status.should.equal('failed');

    await relay.up();
    await waitFor(() => statuses.find((s) => s.reenabled), 'the re-enabled status', 15_000);
    statuses[statuses.length - 1]!.should.containDeep({
      hookId,
      status: 'active',
      previous: 'failed',
      reenabled: true,
    });
    sim
      .webhooks()
      .find((h) => h.id === hookId)!
      .status.should.equal('active');
    warnings(node).should.containEql('fptr-webhook-in.warnings.hook-reenabled');
    await waitFor(() => lastBadge(node).fill === 'green', 'the green badge');

    const before = events.length;
    change(99);
    await waitFor(() => events.length > before, 'a delivery after re-enabling', 10_000);
    should((events[events.length - 1]!.payload as { meta?: { new_value?: unknown } }).meta?.new_value).equal('take 99');
  });

  it('leaves a Failed hook alone when re-enabling is off', async function () {
    const node = await start({ autoReenable: false });
    await waitFor(() => statuses.length >= 1, 'the first status reading');
    sim.setHookStatus(hookId, 'failed');
    await waitFor(() => statuses.find((s) => s.status === 'failed'), 'the failed status', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    sim
      .webhooks()
      .find((h) => h.id === hookId)!
      .status.should.equal('failed');
    statuses.map((s) => s.status).should.eql(['active', 'failed']);
    warnings(node)
      .filter((w) => w === 'fptr-webhook-in.warnings.hook-failed')
      .should.have.length(1);
  });

  it('warns about Unstable, Disabled and deleted hooks, and never switches on a Disabled one', async function () {
    const node = await start({ autoReenable: true });
    await waitFor(() => statuses.length >= 1, 'the first status reading');
    sim.setHookStatus(hookId, 'unstable');
    await waitFor(() => statuses.find((s) => s.status === 'unstable'), 'unstable', 10_000);
    sim.setHookStatus(hookId, 'disabled');
    await waitFor(() => statuses.find((s) => s.status === 'disabled'), 'disabled', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    sim
      .webhooks()
      .find((h) => h.id === hookId)!
      .status.should.equal('disabled');
    sim.setHookStatus(hookId, 'active');
    await waitFor(() => statuses.filter((s) => s.status === 'active').length === 2, 'active again', 10_000);
    statuses.map((s) => s.status).should.eql(['active', 'unstable', 'disabled', 'active']);
    warnings(node).should.containEql('fptr-webhook-in.warnings.hook-unstable');
    warnings(node).should.containEql('fptr-webhook-in.warnings.hook-disabled');
    await deleteHook(hookId);
    await waitFor(() => statuses.find((s) => s.status === 'missing'), 'deleted', 10_000);
    warnings(node).should.containEql('fptr-webhook-in.warnings.hook-missing');
  });
});
