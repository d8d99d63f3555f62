import should = require('should');
import fs = require('node:fs');
import path = require('node:path');
import { NodeRedRuntime } from '../../support/webhook-node-red';
import { send } from '../../support/webhook-client';
import { batchBody, sgHeaders, singleBody, taskChange } from '../../support/webhook-fixtures';
import { signBody } from '../../../lib/fptr/webhook/signature';
import { fingerprintInto } from '../../../lib/fptr/webhook/key-fingerprint';
import { eventKey } from '../../../lib/fptr/webhook/event-key';
import type { Delivery } from '../../../lib/fptr/contract';

const SECRET = 'runtime-secret';
const HOOK = '/hooks/fptr/hook';

/** Counts messages and keeps the last msg.fptr in global context, where the admin API can read it. */
const COUNTER = `
global.set('count', (global.get('count') || 0) + 1);
global.set('lastDelivery', msg.payload.delivery_id);
global.set('lastBatch', msg.fptr.batch.index + '/' + msg.fptr.batch.size);
return null;`;

function flows(): unknown[] {
  return [
    { id: 'tab1', type: 'tab', label: 'webhook' },
    {
      id: 'wh1',
      type: 'fptr-webhook-in',
      z: 'tab1',
      url: '/fptr/hook',
      split: true,
      dedupWindow: 600,
      dedupStore: 'file',
      emitTests: false,
      allowList: [],
      trustProxy: false,
      maxBodySize: '',
      credentials: { secret: SECRET },
      wires: [['count1']],
    },
    { id: 'count1', type: 'function', z: 'tab1', func: COUNTER, outputs: 1, wires: [] },
  ];
}

/**
 * In a real Node-RED the editor/admin app (with its global JSON body parser) is mounted before
 * the node routes; these checks need that, which the test helper does not reproduce.
 */
describe('fptr-webhook-in in a running Node-RED', function () {
  this.timeout(90_000);
  let runtime: NodeRedRuntime | undefined;
  const settings = {
    httpNodeRoot: '/hooks',
    contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } },
  };

  afterEach(async function () {
    await runtime?.stop();
    if (runtime) fs.rmSync(runtime.userDir, { recursive: true, force: true });
    runtime = undefined;
  });

  const signed = (body: string): Promise<{ status: number }> =>
    send(runtime!.url + HOOK, { body, headers: { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, body) } });

  /**
   * The status of an oversized upload. The answer comes while the client is still writing; on a
   * loaded machine the client's write can hit EPIPE before it reads that answer, which loses the
   * answer on the client side only — so that case is tried again, any other outcome is final.
   */
  async function refusedUpload(body: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await signed(body)).status;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (attempt === 3 || (code !== 'EPIPE' && code !== 'ECONNRESET')) throw err;
      }
    }
  }

  /** The counter once it reached `expected`, read again a moment later to catch extras. */
  const count = (expected: number): Promise<number> => runtime!.countReaching('count', expected);

  it('verifies the exact bytes behind the admin JSON parser and refuses bodies over apiMaxLength', async function () {
    runtime = await NodeRedRuntime.start({ settings });
    await runtime.deploy(flows(), HOOK);
    const deliveries = [taskChange(1), taskChange(2)];
    // Spacing and a \\u escape that JSON.parse + JSON.stringify would not give back byte for byte.
    const body = JSON.stringify({ timestamp: 't', data: { deliveries } }, null, 1).replace(
      'Shotgun_Task_Change',
      'Shotgun_Task_\\u0043hange',
    );
    (await signed(body)).status.should.equal(200);
    should(await count(2)).equal(2);
    should(await runtime.global('lastBatch')).equal('1/2');

    const wrong = await send(runtime.url + HOOK, {
      body,
      headers: { 'content-type': 'application/json', 'x-sg-signature': signBody('nope', body) },
    });
    wrong.status.should.equal(401);
    (await send(runtime.url + HOOK, { method: 'GET' })).status.should.equal(405);
    (await send(runtime.url + '/fptr/hook', { body })).status.should.equal(404);
    should(await count(2)).equal(2);

    // No maxBodySize on the node: the runtime's apiMaxLength default (5 MB) applies.
    const big = singleBody(taskChange(3, { filler: 'x'.repeat(6 * 1024 * 1024) }));
    (await refusedUpload(big)).should.equal(413);
    (await signed(singleBody(taskChange(4)))).status.should.equal(200);
    should(await count(3)).equal(3);
  });

  it('stays behind httpNodeAuth (basic auth) when the settings set it', async function () {
    // bcrypt hash of 'hook-password', as settings.js expects it
    const pass = '$2b$08$9OxYXOydO8V9G1ce5/6cvOhEDFknDMwV1x0zkFqMqyWb1LiTV6M5S';
    runtime = await NodeRedRuntime.start({ settings: { ...settings, httpNodeAuth: { user: 'hook', pass } } });
    await runtime.deploy(flows(), HOOK);
    const body = singleBody(taskChange(1));
    const headers = { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, body) };
    (await send(runtime.url + HOOK, { body, headers })).status.should.equal(401);
    should(await count(0)).equal(0);
    const authorization = 'Basic ' + Buffer.from('hook:hook-password').toString('base64');
    (await send(runtime.url + HOOK, { body, headers: { ...headers, authorization } })).status.should.equal(200);
    should(await count(1)).equal(1);
  });

  it('stores 256 KB delivery ids as 64-bit fingerprints, and still knows them after a restart', async function () {
    runtime = await NodeRedRuntime.start({ settings });
    const userDir = runtime.userDir;
    await runtime.deploy(flows(), HOOK);
    const huge = (n: number): string => `${n}-`.padEnd(256 * 1024, 'x');
    // Without an event id, a delivery is remembered by its delivery id.
    const change = (n: number): Delivery => taskChange(n, { delivery_id: huge(n), event_log_entry_id: undefined });
    for (let n = 0; n < 12; n++) (await signed(singleBody(change(n)))).status.should.equal(200);
    should(await count(12)).equal(12);
    await runtime.stop();

    const file = path.join(userDir, 'context', 'tab1', 'wh1.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { fptrWebhookDedup: { fingerprints: string } };
    stored.fptrWebhookDedup.fingerprints.should.match(/^[0-9a-f]{192}$/); // 12 × 64 bits
    fs.statSync(file).size.should.be.below(1024);

    runtime = await NodeRedRuntime.start({ settings, userDir });
    await runtime.deploy(flows(), HOOK);
    (await signed(singleBody(change(3)))).status.should.equal(200);
    (await signed(singleBody(change(12)))).status.should.equal(200);
    should(await count(1)).equal(1);
  });

  it('keeps the dedup state in the chosen persistent store across a restart', async function () {
    runtime = await NodeRedRuntime.start({ settings });
    const userDir = runtime.userDir;
    await runtime.deploy(flows(), HOOK);
    const seen = taskChange(1);
    (await signed(singleBody(seen))).status.should.equal(200);
    should(await count(1)).equal(1);
    await runtime.stop();

    const file = path.join(userDir, 'context', 'tab1', 'wh1.json');
    fs.existsSync(file).should.be.true();
    const out = new Uint32Array(2);
    fingerprintInto(eventKey(seen)!, out);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { fptrWebhookDedup: { fingerprints: string } };
    stored.fptrWebhookDedup.fingerprints.should.equal(
      out[0].toString(16).padStart(8, '0') + out[1].toString(16).padStart(8, '0'),
    );

    runtime = await NodeRedRuntime.start({ settings, userDir });
    await runtime.deploy(flows(), HOOK);
    (await signed(batchBody([seen]))).status.should.equal(200);
    should(await count(0)).equal(0);
    const fresh = taskChange(2);
    (await signed(singleBody(fresh))).status.should.equal(200);
    should(await count(1)).equal(1);
    should(await runtime.global('lastDelivery')).equal(fresh.delivery_id);
  });
});
