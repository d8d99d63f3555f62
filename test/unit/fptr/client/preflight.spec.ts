import should = require('should');
import { FptrClient, type FptrAuth } from '../../../../lib/fptr/client/client';
import { preflight, PREFLIGHT_CHECKS, type PreflightLine } from '../../../../lib/fptr/client/preflight';
import { FptrSimulator } from '../../../../sim';

describe('preflight (Test connection beyond credentials), against the simulator', () => {
  let sim: FptrSimulator;
  const clients: FptrClient[] = [];

  beforeEach(async () => {
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim.close();
  });

  function site(
    auth: FptrAuth = {
      grant: 'client_credentials',
      scriptName: FptrSimulator.DEMO.scriptName,
      scriptKey: FptrSimulator.DEMO.scriptKey,
    },
    sudoAs?: string,
  ): FptrClient {
    const client = new FptrClient({ url: sim.url, auth, sudoAs, maxRetries: 1, retryBaseMs: 5, retryMaxMs: 20 });
    clients.push(client);
    return client;
  }

  function byCheck(lines: PreflightLine[]): Record<string, PreflightLine> {
    return Object.fromEntries(lines.map((l) => [l.check, l]));
  }

  it('passes every check for the demo script, one line per check in a fixed order', async () => {
    const lines = await preflight(site());
    should(lines.map((l) => l.check)).eql(PREFLIGHT_CHECKS);
    should(lines).eql([
      { check: 'version', outcome: 'ok', result: 'version.ok', values: { version: 'v8.26.0.8069 (build fptrsim)' } },
      { check: 'events', outcome: 'ok', result: 'events.on', values: { user: FptrSimulator.DEMO.scriptName } },
      { check: 'webhooks', outcome: 'ok', result: 'webhooks.ok', values: {} },
      { check: 'eventLog', outcome: 'ok', result: 'eventLog.ok', values: {} },
    ]);
  });

  it('warns, with how to turn it on, when the script user has "Generate events" off', async () => {
    sim.addScript('silent_bridge', 'silent-key-1', { generateEvents: false });
    const lines = byCheck(
      await preflight(site({ grant: 'client_credentials', scriptName: 'silent_bridge', scriptKey: 'silent-key-1' })),
    );
    should(lines.events).eql({
      check: 'events',
      outcome: 'warning',
      result: 'events.off',
      fix: 'events.turnOn',
      values: { user: 'silent_bridge' },
    });
    // The rest still works for such a script: only its own writes go unlogged.
    should([lines.version, lines.webhooks, lines.eventLog].map((l) => l?.outcome)).eql(['ok', 'ok', 'ok']);
  });

  it('follows the flag when an admin turns it on later', async () => {
    const script = sim.addScript('late_bridge', 'late-key-1', { generateEvents: false });
    const api = site({ grant: 'client_credentials', scriptName: 'late_bridge', scriptKey: 'late-key-1' });
    should(byCheck(await preflight(api)).events?.result).eql('events.off');
    sim.update('ApiUser', script.id, { generate_event_log_entries: true });
    should(byCheck(await preflight(api)).events?.result).eql('events.on');
  });

  it("follows the script's own flag while it acts as a person (sudo as)", async () => {
    sim.addScript('silent_bridge', 'silent-key-1', { generateEvents: false });
    const api = site({ grant: 'client_credentials', scriptName: 'silent_bridge', scriptKey: 'silent-key-1' }, 'jane');
    should(byCheck(await preflight(api)).events?.result).eql('events.off');
  });

  it("says a person's changes always make events (user login)", async () => {
    const { login, password } = { login: 'jane', password: 'sim-demo-password' };
    const lines = byCheck(await preflight(site({ grant: 'password', login, password })));
    should(lines.events).eql({ check: 'events', outcome: 'ok', result: 'events.person', values: { user: 'Jane Doe' } });
  });

  it('reports a refused webhook list and event log as "denied", each with its own fix, and keeps the other lines', async () => {
    sim.faults.add({ path: '/api/v1/webhook/hooks', status: 403 });
    sim.faults.add({
      method: 'POST',
      path: '/api/v1/entity/EventLogEntry/_search',
      status: 400,
      body: {
        errors: [{ status: 400, code: 104, title: 'Permission denied', detail: null, source: {}, meta: null }],
      },
    });
    const lines = byCheck(await preflight(site()));
    should(lines.webhooks).eql({
      check: 'webhooks',
      outcome: 'failed',
      result: 'webhooks.denied',
      fix: 'webhooks.grant',
      values: { reason: 'FPTR 403: Forbidden' },
    });
    should(lines.eventLog).eql({
      check: 'eventLog',
      outcome: 'failed',
      result: 'eventLog.denied',
      fix: 'eventLog.grant',
      values: { reason: 'FPTR 400 (code 104): Permission denied' },
    });
    should([lines.version?.outcome, lines.events?.outcome]).eql(['ok', 'ok']);
  });

  it("says when the script's own settings cannot be read, and how to check by hand", async () => {
    sim.faults.add({ method: 'GET', path: /^\/api\/v1\/entity\/ApiUser\/\d+$/, status: 403 });
    const lines = byCheck(await preflight(site()));
    should(lines.events).eql({
      check: 'events',
      outcome: 'warning',
      result: 'events.unreadable',
      fix: 'events.checkByHand',
      values: { user: FptrSimulator.DEMO.scriptName, reason: 'FPTR 403: Forbidden' },
    });
  });

  it('says so when the answer lacks the flag (a site that hides the field)', async () => {
    const script = sim.addScript('hidden_flag', 'hidden-key-1');
    sim.faults.add({
      method: 'GET',
      path: `/api/v1/entity/ApiUser/${script.id}`,
      status: 200,
      body: { data: { type: 'ApiUser', id: script.id, attributes: {} } },
    });
    const lines = byCheck(
      await preflight(site({ grant: 'client_credentials', scriptName: 'hidden_flag', scriptKey: 'hidden-key-1' })),
    );
    should(lines.events).eql({
      check: 'events',
      outcome: 'warning',
      result: 'events.unreadable',
      fix: 'events.checkByHand',
      values: { user: 'hidden_flag', reason: 'the answer has no generate_event_log_entries' },
    });
  });

  it('asks to try again after a passing failure, and to check the URL after an unexpected answer', async () => {
    sim.faults.add({ path: '/api/v1/webhook/hooks', status: 503 });
    sim.faults.add({ path: /^\/api\/v1\/?$/, status: 404 });
    const lines = byCheck(await preflight(site()));
    should(lines.webhooks).match({ outcome: 'failed', result: 'error', fix: 'retry' });
    should(lines.webhooks?.values.reason).match(/^FPTR 503/);
    should(lines.version).eql({
      check: 'version',
      outcome: 'failed',
      result: 'error',
      fix: 'checkUrl',
      values: { reason: 'FPTR 404: Not Found' },
    });
  });

  it('gives a failed line for every check, and no exception, when the site is gone', async () => {
    const api = site();
    await sim.close();
    const lines = await preflight(api);
    should(lines.map((l) => [l.check, l.outcome, l.result, l.fix])).eql(
      PREFLIGHT_CHECKS.map((c) => [c, 'failed', 'error', 'retry']),
    );
    for (const line of lines)
      should(line.values.reason).match(/^Could not reach FPTR at http:\/\/127\.0\.0\.1:\d+: connection refused/);
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
  });

  it('never puts the script key in a line, even when the site echoes it back', async () => {
    const key = FptrSimulator.DEMO.scriptKey;
    for (const path of ['/api/v1/webhook/hooks', '/api/v1/entity/EventLogEntry/_search', '/api/v1/schema']) {
      sim.faults.add({ path, status: 403, body: { errors: [{ status: 403, title: `refused for key ${key}` }] } });
    }
    const lines = await preflight(site());
    should(JSON.stringify(lines)).not.containEql(key);
  });
});
