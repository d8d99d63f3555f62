import http = require('node:http');
import type { AddressInfo } from 'node:net';
import should = require('should');
import { FptrClient } from '../../../../lib/fptr/client/client';
import { FptrError } from '../../../../lib/fptr/client/fptr-error';
import { FptrSimulator } from '../../../../sim';
import { ClientSim, fptrError } from '../../../support/client-sim';

describe('FptrClient against the simulator', () => {
  const env = new ClientSim();
  let sim: FptrSimulator;

  beforeEach(async () => {
    sim = await env.start();
  });
  afterEach(() => env.stop());

  describe('authentication', () => {
    it('uses one token for many calls, 50 of them concurrent', async () => {
      const client = env.client();
      const shots = await client.search('Shot', { fields: ['code'] });
      for (const shot of shots) await client.read('Shot', shot.id);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => client.read('Shot', shots[i % shots.length]!.id, { fields: ['code'] })),
      );
      should(results).have.length(50);
      should(client.stats.tokenRequests).eql(1);
      should(sim.stats.tokenRequests).eql(1);
    });

    it('fetches a new token once the old one is near expiry', async () => {
      await env.stop();
      sim = await env.start({ tokenTtlSeconds: 1 });
      // A 60 s margin is capped at half the 1 s lifetime: the token is renewed after 0.5 s.
      const client = env.client({ refreshMarginSeconds: 60 });
      await client.serverInfo();
      await client.serverInfo();
      should(client.stats.tokenRequests).eql(1);
      await new Promise((r) => setTimeout(r, 550));
      await Promise.all([client.serverInfo(), client.serverInfo(), client.serverInfo()]);
      should(client.stats.tokenRequests).eql(2);
      should(sim.stats.tokenRequests).eql(2);
    });

    it('re-authenticates once after tokens are revoked, shared by concurrent callers', async () => {
      const client = env.client();
      const [shot] = await client.search('Shot', { limit: 1 });
      sim.expireTokens();
      const reads = await Promise.all(Array.from({ length: 20 }, () => client.read('Shot', shot!.id)));
      should(reads.every((r) => r.id === shot!.id)).be.true();
      should(client.stats.tokenRequests).eql(2);
      should(client.stats.retries).eql(0);
    });

    it('gives up after one re-authentication when FPTR keeps answering 401', async () => {
      const client = env.client();
      sim.faults.add({ path: '/api/v1/entity/', status: 401 });
      const err = await fptrError(client.search('Shot'));
      should(err.status).eql(401);
      should(err.message).startWith('FPTR 401');
      should(client.stats.tokenRequests).eql(2);
      should(client.stats.requests).eql(4);
    });

    it("reports a wrong script key with FPTR's reason, without retrying", async () => {
      const client = env.client({
        auth: { grant: 'client_credentials', scriptName: 'node_red_bridge', scriptKey: 'wrong-key-123' },
      });
      const err = await fptrError(client.search('Shot'));
      should(err.status).eql(400);
      should(err.message).match(/^FPTR 400( \(code \d+\))?: Can't authenticate script 'node_red_bridge'/);
      should(client.stats.tokenRequests).eql(1);
      should(sim.stats.requests).eql(1);
    });

    it('logs in with a user login and knows who it is', async () => {
      const client = env.client({
        auth: { grant: 'password', login: FptrSimulator.DEMO.login, password: FptrSimulator.DEMO.password },
      });
      const user = await client.currentUser();
      should(user).containEql({ type: 'HumanUser' });
      const human = sim.find('HumanUser', (r) => r.login === FptrSimulator.DEMO.login)[0];
      should(user!.id).eql(human!.id);
    });

    it('knows the script user and caches it', async () => {
      const client = env.client();
      const user = await client.currentUser();
      should(user).eql({ type: 'ApiUser', id: user!.id, name: FptrSimulator.DEMO.scriptName });
      const before = client.stats.requests;
      should(await client.currentUser()).equal(user);
      should(client.stats.requests).eql(before);
    });

    it('acts as another user with sudoAs', async () => {
      const client = env.client({ sudoAs: FptrSimulator.DEMO.login });
      const [task] = await client.search('Task', { limit: 1 });
      await client.update('Task', task!.id, { sg_status_list: 'hld' });
      const event = sim
        .eventLog()
        .filter((e) => e.event_type === 'Shotgun_Task_Change')
        .pop()!;
      should(event.user).containEql({ type: 'HumanUser' });
    });

    it("refuses an unknown sudo login with FPTR's reason", async () => {
      const client = env.client({ sudoAs: 'nobody_here' });
      const err = await fptrError(client.serverInfo());
      should(err.status).eql(400);
      should(client.stats.tokenRequests).eql(1);
    });
  });

  describe('entities', () => {
    it('reads server info', async () => {
      const info = await env.client().serverInfo();
      should(info.site_name).be.a.String();
      should(info.shotgun_version).be.a.String();
    });

    it('reads a record flattened, links as {type,id,name}', async () => {
      const client = env.client();
      const task = sim.find('Task', (t) => (t.entity as { type?: string } | null)?.type === 'Shot')[0]!;
      const read = await client.read('Task', task.id, { fields: ['content', 'entity', 'task_assignees'] });
      should(read).containEql({ type: 'Task', id: task.id, content: task.content });
      should(read.entity).containEql({ type: 'Shot', id: (task.entity as { id: number }).id });
      should(read.task_assignees).be.an.Array();
    });

    it('creates, updates, deletes and revives', async () => {
      const client = env.client();
      const project = { type: 'Project', id: FptrSimulator.DEMO.projectId };
      const created = await client.create('Asset', { project, code: 'client_tree', sg_asset_type: 'Prop' });
      should(created).containEql({ type: 'Asset', code: 'client_tree' });
      should(sim.get('Asset', created.id)).containEql({ code: 'client_tree' });

      const updated = await client.update('Asset', created.id, { description: 'tall' }, { fields: ['description'] });
      should(updated).containEql({ type: 'Asset', id: created.id, description: 'tall' });
      should(sim.get('Asset', created.id)).containEql({ description: 'tall' });

      await client.delete('Asset', created.id);
      const gone = await fptrError(client.read('Asset', created.id));
      should(gone.status).eql(404);
      should(gone.code).eql(104);
      const retired = await client.read('Asset', created.id, { returnOnly: 'retired', fields: ['code'] });
      should(retired).containEql({ code: 'client_tree' });

      should(await client.revive('Asset', created.id)).be.true();
      should(await client.read('Asset', created.id, { fields: ['code'] })).containEql({ code: 'client_tree' });
    });

    it("fails a bad field at once with FPTR's title (one request, no retry)", async () => {
      const client = env.client();
      await client.serverInfo();
      const before = sim.stats.requests;
      const err = await fptrError(client.search('Asset', { filters: [['not_a_field', 'is', 1]] }));
      should(err.status).eql(400);
      should(err.code).eql(103);
      should(err.title).match(/Asset\.not_a_field doesn't exist/);
      should(err.message).eql(`FPTR 400 (code 103): ${err.title}`);
      should(err.retryable).be.false();
      should(err.errors).have.length(1);
      should(sim.stats.requests - before).eql(1);
      should(client.stats.retries).eql(0);
    });

    it('fails an unknown entity type with 404', async () => {
      const err = await fptrError(env.client().search('NoSuchThing'));
      should(err.status).eql(404);
      should(err.message).match(/^FPTR 404.*NoSuchThing/);
    });

    it('rejects bad arguments before sending anything', async () => {
      const client = env.client();
      const circular: Record<string, unknown> = { code: 'x' };
      circular.self = circular;
      for (const call of [
        () => client.update('Shot', 1, circular),
        () => client.create('Shot', { n: 1n }),
        () => client.read('Shot', 0),
        () => client.read('Shot', 1.5),
        () => client.read('', 1),
        () => client.search('Shot', { pageSize: 5001 }),
        () => client.search('Shot', { limit: -1 }),
      ]) {
        const err = await fptrError(call());
        should(err.kind).eql('config');
      }
      should(client.stats.requests).eql(0);
    });
  });

  describe('search paging', () => {
    beforeEach(() => {
      sim.bulkCreate(
        'Asset',
        Array.from({ length: 1200 }, (_, i) => ({
          code: `bulk_${String(i).padStart(4, '0')}`,
          project: { type: 'Project', id: FptrSimulator.DEMO.projectId },
        })),
      );
    });

    const searches = (): number => sim.stats.byRoute['POST /api/v1/entity/{type}/_search'] ?? 0;

    it('returns every record of a 1,200-row search (3 pages of 500)', async () => {
      const client = env.client();
      const rows = await client.search('Asset', {
        filters: [['code', 'starts_with', 'bulk_']],
        fields: ['code'],
        sort: 'id',
      });
      should(rows).have.length(1200);
      should(new Set(rows.map((r) => r.id)).size).eql(1200);
      should(rows[0]).containEql({ code: 'bulk_0000' });
      should(rows[1199]).containEql({ code: 'bulk_1199' });
      should(searches()).eql(3);
    });

    it('stops at `limit` without fetching further pages', async () => {
      const rows = await env
        .client()
        .search('Asset', { filters: [['code', 'starts_with', 'bulk_']], limit: 700, pageSize: 500 });
      should(rows).have.length(700);
      should(searches()).eql(2);
    });

    it('uses a page no larger than a small limit', async () => {
      const rows = await env.client().search('Asset', { filters: [['code', 'starts_with', 'bulk_']], limit: 3 });
      should(rows).have.length(3);
      should(searches()).eql(1);
    });

    it('sends hash filters with the hash content type', async () => {
      const rows = await env.client().search('Asset', {
        filters: {
          logical_operator: 'or',
          conditions: [
            ['code', 'is', 'bulk_0001'],
            { logical_operator: 'and', conditions: [['code', 'is', 'bulk_0002']] },
          ],
        },
        fields: ['code'],
      });
      should(rows.map((r) => r.code).sort()).eql(['bulk_0001', 'bulk_0002']);
    });

    it('returns an empty list for no match', async () => {
      should(await env.client().search('Asset', { filters: [['code', 'is', 'nope']] })).eql([]);
    });
  });

  describe('_batch', () => {
    it('sends 300 updates as 2 requests and returns results in order', async () => {
      const assets = sim.bulkCreate(
        'Asset',
        Array.from({ length: 300 }, (_, i) => ({
          code: `b_${i}`,
          project: { type: 'Project', id: FptrSimulator.DEMO.projectId },
        })),
      );
      const client = env.client();
      const results = await client.batch(
        assets.map((a, i) => ({
          request_type: 'update' as const,
          entity: 'Asset',
          record_id: a.id,
          data: { description: `d${i}` },
        })),
      );
      should(sim.stats.byRoute['POST /api/v1/entity/_batch']).eql(2);
      should(results.map((r) => r.id)).eql(assets.map((a) => a.id));
      should(sim.get('Asset', assets[299]!.id)).containEql({ description: 'd299' });
    });

    it('mixes create, update and delete; delete rows are normalised', async () => {
      const client = env.client();
      const project = { type: 'Project', id: FptrSimulator.DEMO.projectId };
      const [a, b] = sim.bulkCreate('Asset', [
        { code: 'x1', project },
        { code: 'x2', project },
      ]);
      const results = await client.batch([
        { request_type: 'create', entity: 'Asset', data: { code: 'x3', project } },
        { request_type: 'update', entity: 'Asset', record_id: a!.id, data: { code: 'x1b' } },
        { request_type: 'delete', entity: 'Asset', record_id: b!.id },
      ]);
      should(results[0]).containEql({ type: 'Asset' });
      should(sim.get('Asset', results[0]!.id)).containEql({ code: 'x3' });
      should(results[1]).containEql({ type: 'Asset', id: a!.id });
      should(results[2]).eql({ type: 'Asset', id: b!.id, deleted: true });
      should(sim.find('Asset', (r) => r.id === b!.id)).have.length(0);
    });

    it('says which part failed and what was applied', async () => {
      const client = env.client();
      const project = { type: 'Project', id: FptrSimulator.DEMO.projectId };
      const [a] = sim.bulkCreate('Asset', [{ code: 'y1', project }]);
      const err = await fptrError(
        client.batch(
          [
            { request_type: 'update', entity: 'Asset', record_id: a!.id, data: { code: 'y1b' } },
            { request_type: 'update', entity: 'Asset', record_id: 999_999, data: { code: 'nope' } },
          ],
          { chunkSize: 1 },
        ),
      );
      should(err.status).eql(404);
      should(err.message).match(/batch part 2 of 2 failed; the first 1 requests were applied/);
      should(sim.get('Asset', a!.id)).containEql({ code: 'y1b' });
    });
  });

  describe('webhook deliveries', () => {
    let consumer: http.Server;
    let consumerUrl: string;
    let received: number;
    let answer: number;

    beforeEach(async () => {
      received = 0;
      answer = 200;
      consumer = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          received++;
          res.statusCode = answer;
          res.end('ok');
        });
      });
      await new Promise<void>((r) => consumer.listen(0, '127.0.0.1', r));
      consumerUrl = `http://127.0.0.1:${(consumer.address() as AddressInfo).port}/hook`;
    });
    afterEach(async () => {
      consumer.closeAllConnections();
      await new Promise((r) => consumer.close(r));
    });

    async function hookWithDeliveries(count: number): Promise<string> {
      const hook = sim.createWebhook({ url: consumerUrl, entity_types: { Shot: { update: ['description'] } } });
      const shot = sim.find('Shot')[0]!;
      for (let i = 0; i < count; i++) sim.update('Shot', shot.id, { description: `change ${i}` });
      await sim.whenDeliveriesSettled();
      return hook.id;
    }

    it('lists all pages of deliveries and filters by status', async () => {
      const hookId = await hookWithDeliveries(5);
      const client = env.client();
      const all = await client.listDeliveries(hookId, { pageSize: 2 });
      should(all).have.length(5);
      should(new Set(all.map((d) => d.id)).size).eql(5);
      should(all.every((d) => d.status === 'delivered')).be.true();
      should(await client.listDeliveries(hookId, { status: 'failed' })).eql([]);
      should(await client.listDeliveries(hookId, { status: 'delivered' })).have.length(5);
    });

    it('reads, acknowledges and redelivers one delivery', async () => {
      answer = 500;
      const hookId = await hookWithDeliveries(1);
      const client = env.client();
      const [failed] = await client.listDeliveries(hookId, { status: 'failed' });
      should(failed).containEql({ status: 'failed', response_code: 500 });

      await client.acknowledge(failed!.id, 'handled by test');
      should(await client.readDelivery(failed!.id)).containEql({ id: failed!.id, acknowledgement: 'handled by test' });

      answer = 200;
      await client.redeliver(failed!.id);
      await sim.whenDeliveriesSettled();
      should(received).eql(2);
      should(await client.readDelivery(failed!.id)).containEql({ status: 'delivered', response_code: 200 });
    });

    it("reports an acknowledgement over 4096 bytes with FPTR's reason", async () => {
      const hookId = await hookWithDeliveries(1);
      const client = env.client();
      const [delivery] = await client.listDeliveries(hookId);
      const err = await fptrError(client.acknowledge(delivery!.id, 'é'.repeat(2049)));
      should(err.status).eql(400);
      should(err.message).match(/4096 bytes/);
    });

    it('reports an unknown delivery as 404', async () => {
      const err = await fptrError(env.client().readDelivery('00000000-0000-4000-8000-000000000000'));
      should(err.status).eql(404);
    });
  });

  describe('configuration', () => {
    const auth = { grant: 'client_credentials' as const, scriptName: 's', scriptKey: 'k' };
    const bad: Array<[string, () => FptrClient, RegExp]> = [
      ['no URL', () => new FptrClient({ url: '', auth }), /not a valid URL/],
      ['ftp URL', () => new FptrClient({ url: 'ftp://x', auth }), /https:\/\/ or http:\/\//],
      ['user info in URL', () => new FptrClient({ url: 'https://u:p@x', auth }), /user name or password/],
      [
        'no script key',
        () => new FptrClient({ url: 'https://x', auth: { ...auth, scriptKey: '' } }),
        /script key are required/,
      ],
      [
        'no password',
        () => new FptrClient({ url: 'https://x', auth: { grant: 'password', login: 'a', password: '' } }),
        /Login and password are required/,
      ],
      ['concurrency 0', () => new FptrClient({ url: 'https://x', auth, maxConcurrency: 0 }), /maxConcurrency/],
      ['negative timeout', () => new FptrClient({ url: 'https://x', auth, timeoutMs: -1 }), /timeoutMs/],
    ];
    for (const [name, make, message] of bad) {
      it(`refuses ${name}`, () => {
        should(make).throw(FptrError, { kind: 'config', message });
      });
    }

    it('accepts a trailing slash in the site URL', async () => {
      const client = env.client({ url: `${sim.url}/` });
      should(client.siteUrl).eql(sim.url);
      await client.serverInfo();
    });

    it('rejects calls after close()', async () => {
      const client = env.client();
      await client.close();
      const err = await fptrError(client.serverInfo());
      should(err.kind).eql('closed');
    });
  });
});
