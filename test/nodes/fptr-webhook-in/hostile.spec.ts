import should = require('should');
import fs = require('node:fs');
import { NodeRedRuntime } from '../../support/webhook-node-red';
import { send, type RawResponse } from '../../support/webhook-client';
import { sgHeaders, singleBody, taskChange } from '../../support/webhook-fixtures';
import { signBody } from '../../../lib/fptr/webhook/signature';

const SECRET = 'hostile-secret';
const SIGNED = '/fptr/signed';
const OPEN = '/fptr/open';

/** Counts the messages that reach it in global context, where the admin API can read them. */
const COUNTER = `global.set('count', (global.get('count') || 0) + 1); return null;`;

/**
 * Two webhook nodes, one with a secret and one without, each wired to two nodes so that
 * Node-RED clones every message it sends on (the clone is where deep bodies used to blow up).
 */
function flows(): unknown[] {
  const hook = (id: string, url: string, props: Record<string, unknown>): unknown => ({
    id,
    type: 'fptr-webhook-in',
    z: 'tab1',
    url,
    split: true,
    dedupWindow: 600,
    emitTests: false,
    allowList: [],
    trustProxy: false,
    maxBodySize: '',
    wires: [['count1', 'sink1']],
    ...props,
  });
  return [
    { id: 'tab1', type: 'tab', label: 'hostile' },
    hook('signed', SIGNED, { credentials: { secret: SECRET } }),
    hook('open', OPEN, {}),
    { id: 'count1', type: 'function', z: 'tab1', func: COUNTER, outputs: 1, wires: [] },
    { id: 'sink1', type: 'function', z: 'tab1', func: 'return null;', outputs: 1, wires: [] },
  ];
}

/**
 * Requests that used to make one of the node's callbacks throw outside any handler, which ends
 * the whole Node-RED process. Only a separate process can show that it survives them.
 */
describe('fptr-webhook-in against hostile requests, in a Node-RED process', function () {
  this.timeout(90_000);
  let runtime: NodeRedRuntime | undefined;

  const stop = async (): Promise<void> => {
    await runtime?.stop();
    if (runtime) fs.rmSync(runtime.userDir, { recursive: true, force: true });
    runtime = undefined;
  };

  // One process for all, unless a test brought it down: then the next test gets a new one.
  beforeEach(async function () {
    if (runtime?.running) return;
    await stop();
    runtime = await NodeRedRuntime.start();
    await runtime.deploy(flows(), SIGNED);
  });

  after(stop);

  /** The counter once it reached `expected`, read again a moment later to catch extras. */
  const count = (expected: number): Promise<number> => runtime!.countReaching('count', expected);

  /** Sends `body`, then proves the process is still up by a good delivery that goes through. */
  async function survives(path: string, body: string, headers: Record<string, string>): Promise<RawResponse> {
    const before = await count(0);
    const res = await send(runtime!.url + path, { body, headers });
    const good = singleBody(taskChange(Math.floor(Math.random() * 1e6)));
    const after = await send(runtime!.url + SIGNED, {
      body: good,
      headers: { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, good) },
    }).catch((err: Error) => ({ status: 0, body: err.message }));
    should(after.status).equal(
      200,
      `the next delivery got ${after.status} (${after.body}); Node-RED said:\n${runtime!.log()}`,
    );
    (await count(before + 1)).should.equal(before + 1);
    (await runtime!.alive()).should.be.true();
    return res;
  }

  describe('a dedup key part that cannot become a string', function () {
    for (const field of ['attribute_name', 'id']) {
      it(`answers 400 for ${field} = {"toString":0} without a secret and with any content type`, async function () {
        const delivery = { ...taskChange(1), delivery_id: undefined, [field]: { toString: 0 } };
        const res = await survives(OPEN, singleBody(delivery), { 'content-type': 'text/plain' });
        res.status.should.equal(400);
        JSON.parse(res.body).should.eql({ error: 'body is not an FPTR webhook delivery' });
      });
    }
  });

  describe('a body nested deeper than Node-RED can clone', function () {
    const nested = (depth: number): string =>
      JSON.stringify({ data: { event_type: 'Shotgun_Task_Change', meta: '@' } }).replace(
        '"@"',
        '['.repeat(depth) + ']'.repeat(depth),
      );

    it('answers 400 to a signed 4 KB body nested 2,000 levels deep into a node with two wires', async function () {
      const body = nested(2000);
      body.length.should.be.below(4 * 1024 + 100);
      const res = await survives(SIGNED, body, { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, body) });
      res.status.should.equal(400);
      JSON.parse(res.body).should.eql({ error: 'body is nested too deeply' });
    });

    it('still takes a body nested up to the documented 64 levels and sends it on', async function () {
      // {"data":{"meta":[…]}}: the two outer objects count, so 62 arrays make 64 levels.
      const body = nested(62);
      const before = await count(0);
      const res = await send(runtime!.url + SIGNED, {
        body,
        headers: { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, body) },
      });
      res.status.should.equal(200);
      (await count(before + 1)).should.equal(before + 1);
      const deeper = nested(63);
      (
        await send(runtime!.url + SIGNED, {
          body: deeper,
          headers: { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, deeper) },
        })
      ).status.should.equal(400);
    });
  });
});

/**
 * With the default roots (httpAdminRoot and httpNodeRoot both `/`) the raw-body capture sits in
 * front of the editor: a webhook on one of the editor's POST paths would answer in its place.
 */
describe('fptr-webhook-in on a path the editor serves, in a Node-RED process', function () {
  this.timeout(90_000);
  let runtime: NodeRedRuntime | undefined;

  afterEach(async function () {
    await runtime?.stop();
    if (runtime) fs.rmSync(runtime.userDir, { recursive: true, force: true });
    runtime = undefined;
  });

  const hook = (name: string, url: string): unknown => ({
    id: `hook-${name}`,
    type: 'fptr-webhook-in',
    z: 'tab1',
    name,
    url,
    split: true,
    dedupWindow: 600,
    wires: [[]],
  });
  const tab = { id: 'tab1', type: 'tab', label: 'editor paths' };
  // An inject node adds POST /inject/:id to RED.httpAdmin, the app nodes extend.
  const inject = { id: 'inj1', type: 'inject', z: 'tab1', repeat: '', once: false, wires: [[]] };

  /** The node's refusal as logged: by catalog key, as Node-RED reads no catalogs for nodes in a plain nodesDir. */
  const refusal = (name: string): string | undefined =>
    runtime!
      .log()
      .split('\n')
      .find((line) => line.includes(`[fptr-webhook-in:${name}]`) && line.includes('path-reserved'));

  it('refuses /flows and a route a node added to the admin app, and Deploy still works', async function () {
    runtime = await NodeRedRuntime.start();
    await runtime.deploy(
      [
        tab,
        inject,
        hook('flows', '/flows'),
        hook('state', '/FLOWS/state/'),
        hook('inject', '/inject/inj1'),
        hook('ok', '/fptr/hook'),
      ],
      '/fptr/hook',
    );
    // The inject button and the editor's next Deploy reach the admin app, not the webhooks.
    (
      await send(runtime.url + '/inject/inj1', { body: '{}', headers: { 'content-type': 'application/json' } })
    ).status.should.equal(200);
    await runtime.deploy([tab, inject, hook('ok', '/fptr/hook')], '/fptr/hook');
    const res = await fetch(`${runtime.url}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
    const deployed = (await res.json()) as Array<{ id: string }>;
    deployed
      .map((n) => n.id)
      .sort()
      .should.eql(['hook-ok', 'inj1', 'tab1']);
    for (const name of ['flows', 'state', 'inject'])
      should.exist(refusal(name), `no refusal logged for ${name}:\n${runtime.log()}`);
    should(refusal('ok')).be.undefined();
  });

  it('refuses /auth/token under adminAuth, and users can still log in and deploy', async function () {
    // bcrypt hash of 'hook-password', as settings.js expects it
    const password = '$2b$08$9OxYXOydO8V9G1ce5/6cvOhEDFknDMwV1x0zkFqMqyWb1LiTV6M5S';
    const adminAuth = { type: 'credentials', users: [{ username: 'admin', password, permissions: '*' }] };
    runtime = await NodeRedRuntime.start({ settings: { adminAuth } });
    (await runtime.login('admin', 'hook-password')).should.equal(200);
    await runtime.deploy([tab, hook('token', '/auth/token'), hook('ok', '/fptr/hook')], '/fptr/hook');
    (await runtime.login('admin', 'hook-password')).should.equal(200);
    await runtime.deploy([tab, hook('ok', '/fptr/hook')], '/fptr/hook');
    should.exist(refusal('token'), `no refusal logged:\n${runtime.log()}`);
  });
});
