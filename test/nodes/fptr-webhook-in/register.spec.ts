import crypto = require('node:crypto');
import fs = require('node:fs');
import path = require('node:path');
import should = require('should');
import { FptrSimulator } from '../../../sim';
import { subscriptionOf } from '../../../lib/fptr/webhook/subscription';
import { NodeRedRuntime } from '../../support/webhook-node-red';
import { send } from '../../support/webhook-client';
import { singleBody, taskChange } from '../../support/webhook-fixtures';

/*
 * "Create / update in FPTR" from the fptr-webhook-in dialog, against a real Node-RED process
 * (its admin API, credential file and log) and the simulator over loopback. The test calls the
 * admin route exactly as the dialog does, then deploys the node as the editor does after Done:
 * with the hook id and subscription, and no credentials.
 */

const { taskIds, scriptName, scriptKey } = FptrSimulator.DEMO;
const CREDENTIAL_SECRET = 'webhook-runtime-secret';
const COUNTER = `global.set('count', (global.get('count') || 0) + 1); return null;`;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

describe('fptr-webhook-in: Create / update in FPTR', function () {
  this.timeout(90_000);
  let sim: FptrSimulator;
  let runtime: NodeRedRuntime;
  const answers: string[] = [];

  before(async function () {
    sim = new FptrSimulator({ webhookBatchWindowMs: 20 });
    await sim.listen(0, '127.0.0.1');
    runtime = await NodeRedRuntime.start({
      asModule: true,
      nodeTypes: ['fptr-site', 'fptr-webhook-in'],
      settings: { logging: { console: { level: 'debug', metrics: false, audit: true } } },
    });
  });
  after(async function () {
    await runtime?.stop();
    if (runtime) fs.rmSync(runtime.userDir, { recursive: true, force: true });
    await sim?.close();
  });

  function flows(webhook: Record<string, unknown>): unknown[] {
    return [
      { id: 'tab', type: 'tab', label: 'register' },
      {
        id: 'site',
        type: 'fptr-site',
        url: sim.url,
        authType: 'script',
        timeout: 5,
        credentials: { scriptName, scriptKey },
      },
      {
        id: 'w1',
        type: 'fptr-webhook-in',
        z: 'tab',
        url: '/hook',
        site: 'site',
        dedupWindow: 600,
        wires: [['count']],
        ...webhook,
      },
      { id: 'count', type: 'function', z: 'tab', func: COUNTER, outputs: 1, wires: [] },
    ];
  }

  async function admin(method: 'GET' | 'POST', route: string, body?: unknown): Promise<Answer> {
    const res = await fetch(runtime.url + route, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    answers.push(text);
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: the test reads `text`.
    }
    return { status: res.status, body: parsed, text };
  }

  const register = (body: Record<string, unknown>, nodeId = 'w1'): Promise<Answer> =>
    admin('POST', `/fptr-webhook-in/${nodeId}/register`, {
      site: 'site',
      url: '/hook',
      publicUrl: runtime.url,
      name: '',
      hookId: '',
      ...body,
    });

  /** The credentials Node-RED saved, decrypted as the runtime does (docs/node-red.md: credentialSecret). */
  function savedCredentials(): Record<string, Record<string, unknown>> {
    const file = JSON.parse(fs.readFileSync(path.join(runtime.userDir, 'flows_cred.json'), 'utf8')) as { $: string };
    const key = crypto.createHash('sha256').update(CREDENTIAL_SECRET).digest();
    const decipher = crypto.createDecipheriv('aes-256-ctr', key, Buffer.from(file.$.slice(0, 32), 'hex'));
    return JSON.parse(decipher.update(file.$.slice(32), 'base64', 'utf8') + decipher.final('utf8')) as Record<
      string,
      Record<string, unknown>
    >;
  }

  const change = (field: string, value: string): void => {
    sim.update('Task', taskIds['sh010/Animation']!, { [field]: value });
  };

  const taskUpdates = { entityType: 'Task', actions: { update: ['content'] }, projects: [] };

  it('creates exactly one hook, keeps the secret in the runtime only, and a second run updates that hook', async function () {
    await runtime.deploy(flows({}), '/hook');

    const first = await register({ subscription: taskUpdates });
    first.status.should.equal(200, first.text);
    first.body.should.containDeep({
      outcome: 'created',
      status: 'active',
      url: `${runtime.url}/hook`,
      hasSecret: true,
    });
    const hookId = first.body.hookId as string;
    sim.webhooks().should.have.length(1);
    const hook = sim.webhooks()[0]!;
    hook.should.containDeep({ id: hookId, url: `${runtime.url}/hook`, batch_deliveries: true, is_token_set: true });
    should(subscriptionOf(hook)).eql(taskUpdates);

    // Done + Deploy in the editor: the hook id and subscription on the node, no credentials sent.
    await runtime.deploy(flows({ hookId, subscription: taskUpdates }), '/hook');
    const secret = savedCredentials().w1?.secret;
    should(secret).be.a.String();
    (secret as string).length.should.be.aboveOrEqual(40);

    // FPTR signs with the secret it was given; the node verifies with its credential.
    change('content', 'registered');
    should(await runtime.countReaching('count', 1)).equal(1);
    const unsigned = await send(`${runtime.url}/hook`, { body: singleBody(taskChange(1)) });
    unsigned.status.should.equal(401);
    sim
      .deliveries(hookId)
      .map((d) => d.response_code)
      .should.eql([200]);

    // The dialog's status line.
    const shown = await admin('GET', `/fptr-webhook-in/hook?site=site&hookId=${encodeURIComponent(hookId)}`);
    shown.status.should.equal(200);
    shown.body.should.containDeep({ hookId, status: 'active' });

    // Second run with another field: the same hook, updated; the secret stays.
    const widened = { ...taskUpdates, actions: { update: ['content', 'sg_status_list'] } };
    const second = await register({ subscription: widened, hookId });
    second.status.should.equal(200, second.text);
    second.body.should.containDeep({ outcome: 'updated', hookId });
    sim.webhooks().should.have.length(1);
    should(subscriptionOf(sim.webhooks()[0]!)).eql(widened);
    await runtime.deploy(flows({ hookId, subscription: widened }), '/hook');
    should(savedCredentials().w1?.secret).equal(secret);
    change('sg_status_list', 'ip');
    should(await runtime.countReaching('count', 2)).equal(2);

    // The secret is nowhere a person or an export can read it.
    const exported = await admin('GET', '/flows');
    exported.status.should.equal(200);
    const editorView = await admin('GET', '/credentials/fptr-webhook-in/w1');
    editorView.body.should.eql({ has_secret: true });
    const places: Record<string, string> = {
      'the flows (export)': exported.text,
      'the flow file': fs.readFileSync(path.join(runtime.userDir, 'flows.json'), 'utf8'),
      'the credentials file': fs.readFileSync(path.join(runtime.userDir, 'flows_cred.json'), 'utf8'),
      'the editor': editorView.text,
      'the admin answers': answers.join('\n'),
      'the log': runtime.log(),
    };
    for (const [where, text] of Object.entries(places)) should(text.includes(secret as string)).equal(false, where);
  });

  it('refuses what it cannot register with a clear answer, and creates nothing', async function () {
    await runtime.deploy(flows({}), '/hook');
    const before = sim.webhooks().length;
    const noSite = await register({ site: '', subscription: taskUpdates });
    noSite.status.should.equal(400);
    String(noSite.body.error).should.match(/fptr-site/);
    const badType = await register({ subscription: { ...taskUpdates, entityType: 'task' } });
    badType.status.should.equal(400);
    String(badType.body.error).should.match(/entity type/);
    const noFire = await register({ subscription: { ...taskUpdates, entityType: 'EventLogEntry' } });
    noFire.status.should.equal(400);
    const otherNode = await register({ subscription: taskUpdates }, 'count');
    otherNode.status.should.equal(400);
    const badPath = await register({ url: '/../x', subscription: taskUpdates });
    badPath.status.should.equal(400);
    const noBase = await register({ publicUrl: '', subscription: taskUpdates });
    noBase.status.should.equal(400);
    String(noBase.body.error).should.match(/fptrWebhookInPublicUrl/);
    const missing = await admin('GET', '/fptr-webhook-in/hook?site=site&hookId=2b1f3c4d-0000-4000-8000-000000000000');
    missing.status.should.equal(404);
    sim.webhooks().length.should.equal(before);
  });
});
