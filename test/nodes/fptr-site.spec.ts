import fs = require('node:fs');
import path = require('node:path');
import type { Node, NodeAPI, NodeDef } from 'node-red';
import should = require('should');
import { helper } from '../support/runtime';
import { mergedCatalog } from '../../scripts/catalogs';
import siteNode = require('../../nodes/fptr-site');
import { FptrClient } from '../../lib/fptr/client/client';
import type { FptrSite } from '../../lib/node-red/site';
import { FptrSimulator } from '../../sim';
import { fptrError } from '../support/client-sim';
import { HostileServer, answers } from '../support/hostile-server';
import { RedisServer, requireRedis } from '../support/redis-server';
import type { Health, SharedState } from '../../lib/state/shared-state';

const DEMO = FptrSimulator.DEMO;

interface RuntimeFlows {
  _redNodes: { getFlows(): { flows: unknown[] } };
}

describe('fptr-site node', () => {
  let sim: FptrSimulator;

  before(async () => {
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
  });
  after(() => sim.close());
  afterEach(async () => {
    sim.faults.clear();
    sim.resetStats();
    await helper.unload();
  });

  type SiteFlow = Array<{ id: string; type: string; [key: string]: unknown }>;
  const siteFlow = (extra: Record<string, unknown> = {}): SiteFlow => [
    {
      id: 'site',
      type: 'fptr-site',
      name: 'demo',
      url: sim.url,
      authType: 'script',
      maxConcurrency: 4,
      timeout: 10,
      ...extra,
    },
  ];
  const scriptCreds = { site: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey } };

  describe('runtime', () => {
    it('builds one client from config and credentials', async () => {
      await helper.load(siteNode, siteFlow({ maxRetries: '', deadline: '' }), scriptCreds);
      const site = helper.getNode('site') as unknown as FptrSite;
      should(site.client).be.instanceOf(FptrClient);
      should(site.siteUrl).eql(sim.url);
      should(await site.client.currentUser()).containEql({ type: 'ApiUser', name: DEMO.scriptName });
    });

    it('logs in as a user when the auth type is "user"', async () => {
      await helper.load(siteNode, siteFlow({ authType: 'user' }), {
        site: { login: DEMO.login, password: DEMO.password },
      });
      const site = helper.getNode('site') as unknown as FptrSite;
      should(await site.client.currentUser()).containEql({ type: 'HumanUser' });
    });

    it('closes its client when the flow stops', async () => {
      await helper.load(siteNode, siteFlow(), scriptCreds);
      const site = helper.getNode('site') as unknown as FptrSite;
      await site.client.serverInfo();
      await helper.unload();
      should((await fptrError(site.client.serverInfo())).kind).eql('closed');
    });

    it('reports missing credentials and hands out a client that says why', async () => {
      await helper.load(siteNode, siteFlow(), { site: { scriptName: DEMO.scriptName } });
      const site = helper.getNode('site') as unknown as FptrSite & { error: { calledWithMatch(m: unknown): boolean } };
      should(site.error.calledWithMatch('fptr-site.errors.invalidConfig')).be.true();
      should(site.configError).equal('Script name and script key are required');
      const err = await fptrError(site.client.search('Shot'));
      should(err.kind).eql('config');
      should(site.siteUrl).eql(sim.url);
    });

    it('repeats a failing request at most "Retries" times', async () => {
      sim.faults.add({ method: 'POST', path: '/api/v1/entity/Shot/_search', status: 503, times: 10 });
      await helper.load(siteNode, siteFlow({ maxRetries: '1' }), scriptCreds);
      const site = helper.getNode('site') as unknown as FptrSite;
      const err = await fptrError(site.client.search('Shot'));
      should(err.status).equal(503);
      should(err.message).match(/gave up after 2 attempts/);
      should((site.client as FptrClient).stats.retries).equal(1);
      should(sim.stats.byRoute['POST /api/v1/entity/{type}/_search']).equal(2);
    });

    it('gives up when a pause would overrun the "Time budget"', async () => {
      sim.faults.add({ method: 'POST', path: '/api/v1/entity/Shot/_search', status: 429, retryAfter: 1, times: 10 });
      await helper.load(siteNode, siteFlow({ deadline: 0.5 }), scriptCreds);
      const site = helper.getNode('site') as unknown as FptrSite;
      const started = Date.now();
      const err = await fptrError(site.client.search('Shot'));
      should(err.status).equal(429);
      should(err.message).match(/gave up after 1 attempt: the 0\.5 s time budget would run out/);
      should((site.client as FptrClient).stats.retries).equal(0);
      should(Date.now() - started).be.below(1000);
    });

    const badSettings: Array<[string, Record<string, unknown>, string]> = [
      ['a zero concurrency', { maxConcurrency: 0 }, 'Concurrency must be a whole number from 1 to 64'],
      ['too many retries', { maxRetries: 11 }, 'Retries must be a whole number from 0 to 10'],
      ['a fractional retry count', { maxRetries: '1.5' }, 'Retries must be a whole number from 0 to 10'],
      ['a zero time budget', { deadline: '0' }, 'Time budget must be more than 0 and at most 3600 seconds'],
    ];
    for (const [label, extra, reason] of badSettings) {
      it(`names ${label} in configError and fails every call`, async () => {
        await helper.load(siteNode, siteFlow(extra), scriptCreds);
        const site = helper.getNode('site') as unknown as FptrSite;
        should(site.configError).equal(reason);
        should((await fptrError(site.client.serverInfo())).kind).eql('config');
        should(sim.stats.requests).equal(0);
      });
    }

    it('hides a user name and password in the URL of a site it cannot use', async () => {
      const url = sim.url.replace('http://', 'http://jane:hunter2@');
      await helper.load(siteNode, siteFlow({ url }), scriptCreds);
      const site = helper.getNode('site') as unknown as FptrSite;
      should(site.configError).equal('Site URL must not contain a user name or password');
      should(site.siteUrl).equal('');
      should((await fptrError(site.client.serverInfo())).message).not.containEql('hunter2');
    });

    it('refuses an unusable fptrSiteMaxResponseSize from settings.js', async () => {
      helper.settings({ fptrSiteMaxResponseSize: 'lots' } as object);
      try {
        await helper.load(siteNode, siteFlow(), scriptCreds);
        const site = helper.getNode('site') as unknown as FptrSite;
        should(site.configError).equal(
          'fptrSiteMaxResponseSize in settings.js must be a size up to 512mb, such as "64mb"',
        );
      } finally {
        helper.settings({});
      }
    });

    it('stops asking for tokens with a refused key, and asks again after a redeploy with a new key', async () => {
      await helper.load(siteNode, siteFlow(), { site: { scriptName: DEMO.scriptName, scriptKey: 'wrong-key-5521' } });
      const site = (): FptrSite => helper.getNode('site') as unknown as FptrSite;
      for (let i = 0; i < 5; i++) should((await fptrError(site().client.search('Shot'))).status).equal(400);
      should(sim.stats.tokenRequests).equal(1);
      const redeployed = siteFlow();
      redeployed[0]!.credentials = { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey };
      await helper.setFlows(redeployed, 'nodes');
      should(await site().client.search('Shot', { limit: 1 })).have.length(1);
      should(sim.stats.tokenRequests).equal(2);
    });

    it('keeps credentials out of the deployed flow', async () => {
      await helper.load(siteNode, []);
      const deployed = siteFlow();
      deployed[0]!.credentials = { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey };
      await helper.setFlows(deployed, 'full');
      const exported = JSON.stringify((helper as unknown as RuntimeFlows)._redNodes.getFlows().flows);
      should(exported).not.containEql(DEMO.scriptKey);
      should(exported).not.containEql('credentials');
      const site = helper.getNode('site') as unknown as FptrSite;
      should(await site.client.currentUser()).containEql({ name: DEMO.scriptName });
    });
  });

  describe('shared state', function () {
    this.timeout(30_000);
    let redis: RedisServer;
    const password = 'redis-pa55-that-must-stay-secret';
    type Spied = FptrSite & {
      [k in 'warn' | 'error' | 'log']: { args: unknown[][]; calledWithMatch(m: unknown): boolean };
    };

    const healthBecomes = (state: SharedState, health: Health): Promise<void> =>
      state.health === health
        ? Promise.resolve()
        : new Promise((resolve) => {
            const listener = (next: Health): void => {
              if (next !== health) return;
              state.off('health', listener);
              resolve();
            };
            state.on('health', listener);
          });

    before(async function () {
      requireRedis(this);
      redis = await RedisServer.start({ password });
    });
    after(async () => {
      await redis?.dispose();
    });
    afterEach(async () => {
      await redis?.resume();
    });

    const logged = (site: Spied): string =>
      JSON.stringify([site.warn.args, site.error.args, site.log.args].flat(2).map(String));

    it('keeps state in this instance without a Redis URL', async () => {
      await helper.load(siteNode, siteFlow(), scriptCreds);
      const site = helper.getNode('site') as unknown as FptrSite;
      should(site.state.kind).equal('local');
      should(await site.state.claim(['a', 'a'], 1000)).eql([true, false]);
    });

    it('shares state through Redis with the password credential, which stays out of the flow', async () => {
      await helper.load(siteNode, []);
      const deployed = siteFlow({ redisUrl: redis.url, redisPrefix: 'site-test:' });
      deployed[0]!.credentials = { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey, redisPassword: password };
      await helper.setFlows(deployed, 'full');
      const site = helper.getNode('site') as unknown as Spied;
      should(site.state.kind).equal('redis');
      await healthBecomes(site.state, 'up');
      should(await site.state.claim(['k'], 1000)).eql([true]);
      const exported = JSON.stringify((helper as unknown as RuntimeFlows)._redNodes.getFlows().flows);
      should(exported).containEql('site-test:');
      should(exported).not.containEql(password);
    });

    it('warns when Redis goes away, says when it is back, and never logs the password', async () => {
      await helper.load(siteNode, siteFlow({ redisUrl: redis.url }), {
        site: { ...scriptCreds.site, redisPassword: password },
      });
      const site = helper.getNode('site') as unknown as Spied;
      await healthBecomes(site.state, 'up');
      await redis.stop();
      await healthBecomes(site.state, 'degraded');
      should(site.warn.calledWithMatch('fptr-site.errors.sharedDown')).be.true();
      await redis.resume();
      await healthBecomes(site.state, 'up');
      should(site.log.calledWithMatch('fptr-site.log.sharedUp')).be.true();
      should(logged(site)).not.containEql(password);
    });

    it('reports a wrong password as unavailable, without the password', async () => {
      await helper.load(siteNode, siteFlow({ redisUrl: redis.url }), {
        site: { ...scriptCreds.site, redisPassword: `not-${password}` },
      });
      const site = helper.getNode('site') as unknown as Spied;
      await healthBecomes(site.state, 'degraded');
      await should(site.state.claim(['k'], 1000)).be.rejectedWith({ name: 'StateUnavailableError' });
      should(site.warn.calledWithMatch('fptr-site.errors.sharedDown')).be.true();
      should(logged(site)).not.containEql(password);
    });

    for (const [name, extra] of [
      ['a password in the URL', { redisUrl: `redis://:${password}@127.0.0.1:6379` }],
      ['a URL of another scheme', { redisUrl: 'http://127.0.0.1:6379' }],
      ['a prefix with a space', { redisUrl: 'redis://127.0.0.1:6379', redisPrefix: 'a b' }],
    ] as const) {
      it(`refuses ${name}: an error at deploy, shared state unavailable (never silently local)`, async () => {
        await helper.load(siteNode, siteFlow(extra), scriptCreds);
        const site = helper.getNode('site') as unknown as Spied;
        should(site.error.calledWithMatch('fptr-site.errors.sharedConfig')).be.true();
        should(site.state.health).equal('degraded');
        await should(site.state.claim(['k'], 1000)).be.rejectedWith({ name: 'StateUnavailableError' });
        should(logged(site)).not.containEql(password);
      });
    }

    it('closes its Redis connection when the flow stops', async () => {
      await helper.load(siteNode, siteFlow({ redisUrl: redis.url }), {
        site: { ...scriptCreds.site, redisPassword: password },
      });
      const site = helper.getNode('site') as unknown as FptrSite;
      await healthBecomes(site.state, 'up');
      await helper.unload();
      await should(site.state.claim(['k'], 1000)).be.rejectedWith({ name: 'StateUnavailableError', message: /closed/ });
    });
  });

  it("help names the simulator's demo credentials", () => {
    const help = fs.readFileSync(path.join(__dirname, '..', '..', 'locales', 'en-US', 'fptr-site.html'), 'utf8');
    should(help).containEql(`<code>${DEMO.scriptName}</code>`);
    should(help).containEql(`<code>${DEMO.scriptKey}</code>`);
  });

  it('has a catalog entry for every message key the node and its editor use', () => {
    const read = (...parts: string[]): string => fs.readFileSync(path.join(__dirname, '..', '..', ...parts), 'utf8');
    const catalog = mergedCatalog('en-US', 'fptr-site') as Record<string, unknown>;
    const sources = read('nodes', 'fptr-site.ts') + read('nodes', 'fptr-site.html');
    const keys = [...sources.matchAll(/(?:RED\._|node\._|this\._)\('([^']+)'|data-i18n="(?:\[\w+\])?([^"]+)"/g)].map(
      (m) => m[1] ?? m[2]!,
    );
    should(keys.length).be.above(20);
    const entry = (key: string): unknown =>
      key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalog);
    // A key ending in a dot is the start of a computed one (`'fptr-site.preflight.' + line.result`):
    // it names a group, whose keys the preflight lines name (checked below).
    const missing = keys.filter((key) =>
      key.endsWith('.') ? typeof entry(key.slice(0, -1)) !== 'object' : typeof entry(key) !== 'string',
    );
    should(missing).eql([]);
  });

  it('has a catalog entry for every result and fix a preflight line can name', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'fptr', 'client', 'preflight.ts'), 'utf8');
    const named = [...source.matchAll(/'((?:version|events|webhooks|eventLog)\.\w+|error|retry|checkUrl)'/g)].map(
      (m) => m[1]!,
    );
    // checkReadable builds `${check}.denied` and `${check}.grant` for these two checks.
    const built = ['webhooks', 'eventLog'].flatMap((check) => [`${check}.ok`, `${check}.denied`, `${check}.grant`]);
    const keys = [...new Set([...named, ...built])];
    should(keys.length).be.above(12);
    const preflight = (mergedCatalog('en-US', 'fptr-site') as { 'fptr-site': { preflight: Record<string, unknown> } })[
      'fptr-site'
    ].preflight;
    const missing = keys.filter(
      (key) =>
        typeof key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part], preflight) !==
        'string',
    );
    should(missing).eql([]);
    for (const outcome of ['ok', 'warning', 'failed'])
      should((preflight.outcomes as Record<string, unknown>)[outcome]).be.a.String();
  });

  describe('POST /fptr-site/test', () => {
    const post = (body: unknown) =>
      helper
        .request()
        .post('/fptr-site/test')
        .send(body as object);

    beforeEach(() => helper.load(siteNode, siteFlow(), scriptCreds));

    it('answers ok with the site, version and user for good values', async () => {
      const res = await post({
        url: sim.url,
        authType: 'script',
        scriptName: DEMO.scriptName,
        scriptKey: DEMO.scriptKey,
      }).expect(200);
      should(res.body).containEql({ ok: true });
      should(res.body.siteName).be.a.String();
      should(res.body.version).be.a.String();
      should(res.body.user).containEql({ type: 'ApiUser', name: DEMO.scriptName });
      should(res.body.checks.map((c: { check: string; outcome: string }) => `${c.check} ${c.outcome}`)).eql([
        'version ok',
        'events ok',
        'webhooks ok',
        'eventLog ok',
      ]);
    });

    it('lists the preflight checks, warning when the script user does not generate events', async () => {
      sim.addScript('silent_site_test', 'silent-site-key', { generateEvents: false });
      const res = await post({
        url: sim.url,
        authType: 'script',
        scriptName: 'silent_site_test',
        scriptKey: 'silent-site-key',
      }).expect(200);
      should(res.body.checks[1]).eql({
        check: 'events',
        outcome: 'warning',
        result: 'events.off',
        fix: 'events.turnOn',
        values: { user: 'silent_site_test' },
      });
    });

    it('answers a plain error for a wrong key, without echoing it', async () => {
      const wrong = 'not-the-key-4821';
      const res = await post({
        url: sim.url,
        authType: 'script',
        scriptName: DEMO.scriptName,
        scriptKey: wrong,
      }).expect(200);
      should(res.body.ok).be.false();
      should(res.body.error).match(/^FPTR 400.*Can't authenticate script 'node_red_bridge'/);
      should(res.text).not.containEql(wrong);
    });

    it('uses the stored key when the dialog left it unchanged', async () => {
      const res = await post({
        id: 'site',
        url: sim.url,
        authType: 'script',
        scriptName: DEMO.scriptName,
        scriptKey: '__PWRD__',
      }).expect(200);
      should(res.body).containEql({ ok: true });
      should(res.text).not.containEql(DEMO.scriptKey);
    });

    it('uses the stored key for the deployed URL written slightly differently', async () => {
      const res = await post({
        id: 'site',
        url: `${sim.url}/`,
        authType: 'script',
        scriptName: DEMO.scriptName,
        scriptKey: '__PWRD__',
      }).expect(200);
      should(res.body).containEql({ ok: true });
    });

    it('asks to type the key again for a node that is not deployed', async () => {
      const res = await post({
        id: 'unknown',
        url: sim.url,
        authType: 'script',
        scriptName: DEMO.scriptName,
        scriptKey: '__PWRD__',
      }).expect(400);
      should(res.body).eql({ ok: false, error: 'fptr-site.errors.reenterSecret' });
    });

    it('tests user login values', async () => {
      const res = await post({ url: sim.url, authType: 'user', login: DEMO.login, password: DEMO.password }).expect(
        200,
      );
      should(res.body).containEql({ ok: true });
      should(res.body.user).containEql({ type: 'HumanUser' });
      should(res.text).not.containEql(DEMO.password);
    });

    it('says so plainly when the site cannot be reached', async () => {
      const closed = new FptrSimulator({ seed: false });
      const url = await closed.listen(0, '127.0.0.1');
      await closed.close();
      const res = await post({ url, authType: 'script', scriptName: 'x', scriptKey: 'y' }).expect(200);
      should(res.body.ok).be.false();
      should(res.body.error).match(/^Could not reach FPTR at http:\/\/127\.0\.0\.1:\d+: connection refused/);
    });

    const malformed: Array<[string, unknown, RegExp]> = [
      ['a JSON array', [1, 2], /fptr-site\.errors\.badRequest/],
      ['no URL', { authType: 'script', scriptName: 'a', scriptKey: 'b' }, /Site URL is required/],
      ['a non-http URL', { url: 'ftp://x', scriptName: 'a', scriptKey: 'b' }, /https:\/\/ or http:\/\//],
      ['an unknown auth type', { url: 'http://127.0.0.1:1', authType: 'oauth' }, /Unknown authentication type/],
      [
        'a missing password',
        { url: 'http://127.0.0.1:1', authType: 'user', login: 'jane' },
        /Login and password are required/,
      ],
      [
        'a bad concurrency',
        { url: 'http://127.0.0.1:1', scriptName: 'a', scriptKey: 'b', maxConcurrency: 'many' },
        /Concurrency must be a number/,
      ],
      ['a bad timeout', { url: 'http://127.0.0.1:1', scriptName: 'a', scriptKey: 'b', timeout: -5 }, /Timeout must be/],
      [
        'negative retries',
        { url: 'http://127.0.0.1:1', scriptName: 'a', scriptKey: 'b', maxRetries: -1 },
        /Retries must be a whole number from 0 to 10/,
      ],
      [
        'a time budget over an hour',
        { url: 'http://127.0.0.1:1', scriptName: 'a', scriptKey: 'b', deadline: 3601 },
        /Time budget must be more than 0 and at most 3600 seconds/,
      ],
    ];
    for (const [name, body, error] of malformed) {
      it(`answers 400 for ${name}`, async () => {
        const res = await post(body).expect(400);
        should(res.body.ok).be.false();
        should(res.body.error).match(error);
      });
    }
  });

  describe('POST /fptr-site/test never lends a stored secret elsewhere', () => {
    const brokerPassword = 'mqtt-broker-secret-7c1e';
    const hostile = new HostileServer();
    const post = (body: unknown) =>
      helper
        .request()
        .post('/fptr-site/test')
        .send(body as object);

    /** Stands in for an MQTT broker config node: another node type holding a password. */
    const brokerNode = (RED: NodeAPI): void => {
      function TestBroker(this: Node, config: NodeDef): void {
        RED.nodes.createNode(this, config);
      }
      RED.nodes.registerType<Node, NodeDef, object, Record<string, string>>('test-broker', TestBroker, {
        credentials: { user: { type: 'text' }, password: { type: 'password' }, scriptKey: { type: 'password' } },
      });
    };

    beforeEach(async () => {
      await hostile.listen();
      hostile.token = answers.echo(400);
      await helper.load([siteNode, brokerNode], [...siteFlow(), { id: 'broker', type: 'test-broker', name: 'mqtt' }], {
        ...scriptCreds,
        broker: { user: 'mqtt', password: brokerPassword, scriptKey: brokerPassword },
      });
    });
    afterEach(async () => {
      await hostile.close();
      hostile.received.length = 0;
    });

    const attempts: Array<[string, Record<string, unknown>]> = [
      ["another node's password", { id: 'broker', authType: 'user', login: 'mqtt', password: '__PWRD__' }],
      [
        "another node's secret in the key field",
        { id: 'broker', authType: 'script', scriptName: 'x', scriptKey: '__PWRD__' },
      ],
      [
        "the site's own stored key",
        { id: 'site', authType: 'script', scriptName: DEMO.scriptName, scriptKey: '__PWRD__' },
      ],
    ];
    for (const [name, dialog] of attempts) {
      it(`never sends ${name} to a URL other than the deployed one`, async () => {
        const res = await post({ ...dialog, url: hostile.url }).expect(400);
        should(res.body).eql({ ok: false, error: 'fptr-site.errors.reenterSecret' });
        should(hostile.received).be.empty();
        should(res.text).not.containEql(brokerPassword);
        should(res.text).not.containEql(DEMO.scriptKey);
      });
    }

    it('still tests a secret typed in, towards any address', async () => {
      const res = await post({
        id: 'broker',
        url: hostile.url,
        authType: 'script',
        scriptName: 'x',
        scriptKey: 'typed-in-key-99',
      }).expect(200);
      should(res.body.ok).be.false();
      should(hostile.received).have.length(1);
      should(res.text).not.containEql('typed-in-key-99');
    });
  });
});
