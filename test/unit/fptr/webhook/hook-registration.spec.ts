import { createHmac } from 'node:crypto';
import should = require('should');
import { FptrSimulator } from '../../../../sim';
import { generateSecret, registerHook, type RegisterRequest } from '../../../../lib/fptr/webhook/hook-registration';
import { hookUrl, sameUrl } from '../../../../lib/fptr/webhook/hook-url';
import { RegistrationError } from '../../../../lib/fptr/webhook/registration-error';
import { checkSubscription } from '../../../../lib/fptr/webhook/subscription';
import { Consumer, deliveriesOf, SimHarness } from '../../../support/sim';
import type { FptrClient } from '../../../../lib/fptr/client/client';
import { demoClient } from '../../../support/client-sim';

const { projectId, taskIds } = FptrSimulator.DEMO;

describe('webhook registration: public URL', function () {
  it('joins the base URL and the node path, keeping a path prefix', function () {
    hookUrl('https://nr.example.com', '/fptr/hook').should.equal('https://nr.example.com/fptr/hook');
    hookUrl('https://nr.example.com/', 'fptr/hook').should.equal('https://nr.example.com/fptr/hook');
    hookUrl('https://proxy.example.com/node-red/', '/fptr/hook').should.equal(
      'https://proxy.example.com/node-red/fptr/hook',
    );
    hookUrl(' http://127.0.0.1:1880 ', '/x').should.equal('http://127.0.0.1:1880/x');
  });
  const bad: Array<[string, RegExp]> = [
    ['nodered.example.com', /not a URL/],
    ['ftp://nodered.example.com', /https:\/\/ or http:\/\//],
    ['https://user:pw@nodered.example.com', /user name or password/],
    ['https://nodered.example.com/?a=1', /query or fragment/],
  ];
  for (const [base, error] of bad) {
    it(`refuses ${base}`, function () {
      should.throws(() => hookUrl(base, '/hook'), RegistrationError);
      should.throws(() => hookUrl(base, '/hook'), error);
    });
  }
  it('compares URLs as a server may normalise them', function () {
    sameUrl('HTTPS://NR.example.com:443/hook/', 'https://nr.example.com/hook').should.be.true();
    sameUrl('https://nr.example.com/hook', 'https://nr.example.com/other').should.be.false();
  });
  it('generates a different 256-bit secret each time', function () {
    const a = generateSecret();
    a.should.match(/^[A-Za-z0-9_-]{43}$/);
    a.should.not.equal(generateSecret());
  });
});

describe('webhook registration against the simulator', function () {
  const harness = new SimHarness();
  const consumer = new Consumer();
  let api: FptrClient;
  let url: string;

  before(async function () {
    url = await consumer.listen();
  });
  after(() => consumer.close());
  beforeEach(async function () {
    await harness.start({ webhookBatchWindowMs: 20 });
    api = demoClient(harness.url);
    consumer.received = [];
  });
  afterEach(async function () {
    await api.close();
    await harness.stop();
  });

  const request = (overrides: Partial<RegisterRequest> = {}): RegisterRequest => ({
    url,
    subscription: checkSubscription({
      entityType: 'Task',
      actions: { update: ['sg_status_list'], create: true },
      projects: [projectId],
    }),
    secret: 'first-secret',
    name: 'Node-RED: task changes',
    ...overrides,
  });

  it('creates exactly one hook with the subscription, URL, batching and secret', async function () {
    const { hook, outcome } = await registerHook(api, request());
    outcome.should.equal('created');
    const hooks = harness.sim.webhooks();
    hooks.should.have.length(1);
    hooks[0].should.containDeep({
      id: hook.id,
      url,
      status: 'active',
      batch_deliveries: true,
      is_token_set: true,
      projects: [projectId],
      name: 'Node-RED: task changes',
      entity_types: { Task: { update: ['sg_status_list'], create: [] } },
    });
    // The secret is the one FPTR signs with: a real delivery verifies.
    harness.sim.update('Task', taskIds['sh010/Animation'], { sg_status_list: 'fin' });
    await harness.sim.whenDeliveriesSettled();
    consumer.received.should.have.length(1);
    const [delivery] = consumer.received;
    delivery.headers['x-sg-signature']!.should.equal(
      'sha1=' + createHmac('sha1', 'first-secret').update(delivery.raw).digest('hex'),
    );
    deliveriesOf(delivery)
      .map((d) => d.attribute_name)
      .should.eql(['sg_status_list']);
    (delivery.body.data as { deliveries?: unknown }).deliveries!.should.be.an.Array();
  });

  it('a second run with the stored id updates the same hook', async function () {
    const first = await registerHook(api, request());
    const second = await registerHook(
      api,
      request({
        hookId: first.hook.id,
        subscription: checkSubscription({
          entityType: 'Task',
          actions: { update: ['sg_status_list', 'due_date'] },
          projects: [],
        }),
        name: 'renamed',
      }),
    );
    second.outcome.should.equal('updated');
    second.hook.id.should.equal(first.hook.id);
    const hooks = harness.sim.webhooks();
    hooks.should.have.length(1);
    hooks[0].entity_types!.should.eql({ Task: { update: ['sg_status_list', 'due_date'] } });
    should(hooks[0].projects).be.null();
    hooks[0].name.should.equal('renamed');
  });

  it('switches a Failed hook back on when registered again', async function () {
    const first = await registerHook(api, request());
    harness.sim.setHookStatus(first.hook.id, 'failed');
    const again = await registerHook(api, request({ hookId: first.hook.id }));
    again.hook.status.should.equal('active');
  });

  it('takes over the hook already calling the URL when the stored id is gone', async function () {
    const existing = harness.sim.createWebhook({ url, entity_types: { Task: { create: [] } }, token: 'x' });
    const gone = '00000000-0000-4000-8000-000000000000';
    const { hook, outcome } = await registerHook(api, request({ hookId: gone }));
    outcome.should.equal('adopted');
    hook.id.should.equal(existing.id);
    harness.sim.webhooks().should.have.length(1);
  });

  it('takes over the hook calling the URL when no id is stored (a copied flow)', async function () {
    const first = await registerHook(api, request());
    const again = await registerHook(api, request());
    again.outcome.should.equal('adopted');
    again.hook.id.should.equal(first.hook.id);
    harness.sim.webhooks().should.have.length(1);
  });

  it('creates a new hook when the stored one was deleted and none calls the URL', async function () {
    const first = await registerHook(api, request());
    await harness.call('DELETE', `/api/v1/webhook/hooks/${first.hook.id}`);
    const again = await registerHook(api, request({ hookId: first.hook.id }));
    again.outcome.should.equal('created');
    again.hook.id.should.not.equal(first.hook.id);
    harness.sim.webhooks().should.have.length(1);
  });

  it('refuses to guess between several hooks calling the URL, and creates none', async function () {
    const a = harness.sim.createWebhook({ url, entity_types: { Shot: { create: [] } } });
    const b = harness.sim.createWebhook({ url, entity_types: { Asset: { create: [] } } });
    const err = await registerHook(api, request()).then(
      () => undefined,
      (e: unknown) => e,
    );
    should(err).be.instanceOf(RegistrationError);
    (err as Error).message.should
      .match(/2 webhooks in FPTR already call/)
      .and.containEql(a.id)
      .and.containEql(b.id);
    harness.sim.webhooks().should.have.length(2);
  });

  it('picks the hook of the same entity type among several calling the URL', async function () {
    harness.sim.createWebhook({ url, entity_types: { Shot: { create: [] } } });
    const task = harness.sim.createWebhook({ url, entity_types: { Task: { create: [] } } });
    const { hook, outcome } = await registerHook(api, request());
    outcome.should.equal('adopted');
    hook.id.should.equal(task.id);
  });

  it('fails loudly when the site stores another subscription than the one sent', async function () {
    harness.sim.faults.add({
      method: 'POST',
      path: '/api/v1/webhook/hooks',
      status: 201,
      times: 1,
      body: {
        data: {
          id: 'dea7a71d-4896-482f-b238-b61820df8b65',
          url,
          status: 'active',
          entity_types: { Task: { update: [] } },
          batch_deliveries: true,
          is_token_set: true,
        },
      },
    });
    const err = await registerHook(api, request()).then(
      () => undefined,
      (e: unknown) => e,
    );
    should(err).be.instanceOf(RegistrationError);
    (err as RegistrationError).hookId!.should.equal('dea7a71d-4896-482f-b238-b61820df8b65');
    (err as Error).message.should.match(/reports subscription .* instead of/);
  });

  it('fails loudly when the site did not keep the secret or the batching', async function () {
    harness.sim.faults.add({
      method: 'POST',
      path: '/api/v1/webhook/hooks',
      status: 201,
      times: 1,
      body: {
        data: {
          id: 'dea7a71d-4896-482f-b238-b61820df8b65',
          url,
          status: 'active',
          entity_types: { Task: { update: ['sg_status_list'], create: [] } },
          projects: [projectId],
          batch_deliveries: false,
          is_token_set: false,
        },
      },
    });
    const err = await registerHook(api, request()).then(
      () => undefined,
      (e: unknown) => e,
    );
    (err as Error).message.should.match(/batched deliveries off; no secret token/);
  });

  it('keeps the secret out of an error that quotes the request', async function () {
    harness.sim.faults.add({
      method: 'POST',
      path: '/api/v1/webhook/hooks',
      status: 400,
      times: 1,
      body: { errors: [{ status: 400, title: 'token first-secret is not allowed', detail: 'token=first-secret' }] },
    });
    const err = await registerHook(api, request()).then(
      () => undefined,
      (e: unknown) => e,
    );
    should(err).be.instanceOf(Error);
    (err as Error).message.should.not.containEql('first-secret');
    (err as Error).stack!.should.not.containEql('first-secret');
    (err as Error).message.should.containEql('[redacted]');
  });

  it('passes other failures of the stored-id update on instead of creating a hook', async function () {
    const first = await registerHook(api, request());
    harness.sim.faults.add({ method: 'PUT', path: '/api/v1/webhook/hooks', status: 403, times: 1 });
    const err = await registerHook(api, request({ hookId: first.hook.id })).then(
      () => undefined,
      (e: unknown) => e,
    );
    (err as Error).message.should.match(/^FPTR 403/);
    harness.sim.webhooks().should.have.length(1);
  });
});
