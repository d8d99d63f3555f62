import { createHmac } from 'node:crypto';
import should = require('should');
import type { DeliveryRecord } from '../../lib/fptr/client/api';
import { FptrSimulator, type HookRecord } from '../../sim';
import { ARRAY, Consumer, SimHarness, deliveriesOf, errorOf, type ReceivedDelivery } from '../support/sim';

const DEMO = FptrSimulator.DEMO;
const SECRET = 'shared-hmac-secret';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function signature(d: ReceivedDelivery, secret = SECRET): string {
  return 'sha1=' + createHmac('sha1', secret).update(d.raw).digest('hex');
}

describe('fptr-sim: webhooks', () => {
  const h = new SimHarness();
  const consumer = new Consumer();
  beforeEach(async () => {
    consumer.received = [];
    consumer.answer = () => ({ status: 200, body: '{"ok":true}' });
    await consumer.listen();
    await h.start({ webhookBatchWindowMs: 30 });
  });
  afterEach(async () => {
    await h.stop();
    await consumer.close();
  });

  const taskHook = (extra: Record<string, unknown> = {}): HookRecord =>
    h.sim.createWebhook({
      url: consumer.url,
      token: SECRET,
      entity_types: { Task: { create: [], update: ['sg_status_list'], delete: [], revive: [] } },
      ...extra,
    });

  describe('REST management', () => {
    it('creates (201), reads, lists, updates and deletes hooks; the token is write-only', async () => {
      const created = await h.call<{ data: HookRecord; links: { self: string } }>('POST', '/api/v1/webhook/hooks', {
        body: {
          url: consumer.url,
          token: SECRET,
          name: 'bridge',
          entity_types: { Task: { update: ['sg_status_list'] } },
          projects: [DEMO.projectId],
          batch_deliveries: true,
        },
      });
      should(created.status).eql(201);
      const hook = created.json.data;
      should(hook.id).match(UUID);
      should(hook).containEql({
        url: consumer.url,
        status: 'active',
        is_token_set: true,
        batch_deliveries: true,
        validate_ssl_cert: true,
        num_deliveries: 0,
        projects: [DEMO.projectId],
        name: 'bridge',
      });
      should(created.text).not.containEql(SECRET);
      should(created.json.links.self).eql(`/api/v1/webhook/hooks/${hook.id}`);

      const list = await h.call<{ data: HookRecord[] }>('GET', '/api/v1/webhook/hooks');
      should(list.json.data.map((x) => x.id)).eql([hook.id]);
      const one = await h.call<{ data: HookRecord }>('GET', `/api/v1/webhook/hooks/${hook.id}`);
      should(one.json.data).eql(hook);

      const put = await h.call<{ data: HookRecord }>('PUT', `/api/v1/webhook/hooks/${hook.id}`, {
        body: { status: 'disabled', description: 'paused' },
      });
      should(put.status).eql(200);
      should(put.json.data).containEql({ status: 'disabled', description: 'paused', name: 'bridge' });
      should((await h.call('PUT', `/api/v1/webhook/hooks/${hook.id}`, { body: {} })).status).eql(400);

      const del = await h.call('DELETE', `/api/v1/webhook/hooks/${hook.id}`);
      should(del.status).eql(204);
      should(del.text).eql('');
      const gone = await h.call('GET', `/api/v1/webhook/hooks/${hook.id}`);
      should(errorOf(gone)).containEql({ status: 404, code: 104 });
      should(errorOf(await h.call('GET', '/api/v1/webhook/hooks/not-a-uuid'))).containEql({ status: 404, code: 103 });
    });

    it('validates the create body', async () => {
      const post = (body: unknown, contentType?: string) =>
        h.call('POST', '/api/v1/webhook/hooks', { body, contentType });
      should((await post({ url: consumer.url, entity_types: { Task: { update: [] } } }, ARRAY)).status).eql(415);
      should((await post({ entity_types: { Task: { update: [] } } })).status).eql(400);
      should((await post({ url: consumer.url })).status).eql(400);
      should(
        (await post({ url: consumer.url, entity_types: { Task: { update: [] } }, event_type: 'Shotgun_User_Login' }))
          .status,
      ).eql(400);
      should(errorOf(await post({ url: consumer.url, entity_types: { Task: { retire: [] } } })).title).match(
        /'retire' is not one of/,
      );
      should((await post({ url: consumer.url, entity_types: { Starship: { update: [] } } })).status).eql(400);
      should(
        errorOf(await post({ url: 'http://example.com/hook', entity_types: { Task: { update: [] } } })).title,
      ).match(/loopback/);
      should((await post({ url: 'ftp://127.0.0.1/x', entity_types: { Task: { update: [] } } })).status).eql(400);
      should(h.sim.webhooks()).have.length(0);
    });
  });

  describe('deliveries', () => {
    it('sends a signed un-batched delivery with the x-sg-* headers and records it', async () => {
      const hook = taskHook();
      const taskId = DEMO.taskIds['sh010/Animation'];
      h.sim.update('Task', taskId, { sg_status_list: 'ip' });
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(1);
      const d = consumer.received[0];
      should(d.headers).containEql({
        'content-type': 'application/json; charset=utf-8',
        accept: 'application/json',
        'user-agent': 'SG event-pipeline',
        'x-sg-webhook-id': hook.id,
        'x-sg-event-batch-size': '1',
        'x-sg-event-batch-index': '0',
        'x-sg-webhook-site-url': `${h.url}/`,
      });
      should(d.headers['x-sg-event-batch-id']).match(/^\d{20,}$/);
      should(d.headers['x-sg-signature']).eql(signature(d));
      should(Object.keys(d.body)).eql(['data', 'timestamp']);
      should(d.body.timestamp).match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const data = deliveriesOf(d)[0];
      should(Object.keys(data)).eql([
        'id',
        'event_log_entry_id',
        'event_type',
        'operation',
        'delivery_id',
        'session_uuid',
        'created_at',
        'user',
        'entity',
        'project',
        'attribute_name',
        'meta',
      ]);
      const event = h.sim.eventLog().pop();
      should(data).containEql({
        event_log_entry_id: event?.id,
        event_type: 'Shotgun_Task_Change',
        operation: 'update',
        session_uuid: null,
        user: { type: 'HumanUser', id: DEMO.humanUserId },
        entity: { type: 'Task', id: taskId },
        project: { type: 'Project', id: DEMO.projectId },
        attribute_name: 'sg_status_list',
      });
      should(data.id).match(/^\d+\.\d+\.0$/);
      should(data.created_at).match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
      should(data.meta).eql({
        type: 'attribute_change',
        attribute_name: 'sg_status_list',
        entity_type: 'Task',
        entity_id: taskId,
        field_data_type: 'status_list',
        old_value: 'wtg',
        new_value: 'ip',
      });
      should(d.headers['x-sg-delivery-id']).eql(data.delivery_id);

      const [record] = h.sim.deliveries(hook.id);
      should(record).containEql({
        id: data.delivery_id,
        status: 'delivered',
        response_code: 200,
        body: '{"ok":true}',
        acknowledgement: null,
      });
      should(record.process_time).be.a.Number();
      should(Math.abs((record.event_time ?? 0) - Date.now() / 1000)).be.below(5);
      should(record.request_body).eql(d.body);
      should(record.request_headers).containEql({
        'x-sg-delivery-id': data.delivery_id,
        'x-sg-signature': signature(d),
      });
      const rest = await h.call<{ data: DeliveryRecord }>('GET', `/api/v1/webhook/deliveries/${record.id}`);
      should(rest.json.data).eql(record);
      should(
        (await h.call<{ data: HookRecord }>('GET', `/api/v1/webhook/hooks/${hook.id}`)).json.data.num_deliveries,
      ).eql(1);
    });

    it('omits the signature header when no token is set', async () => {
      taskHook({ token: undefined });
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'rdy' });
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(1);
      should(consumer.received[0].headers).not.have.property('x-sg-signature');
    });

    it('fires create/delete/revive but not update for fields set during creation', async () => {
      taskHook();
      const task = h.sim.create('Task', {
        content: 'FX',
        project: { type: 'Project', id: DEMO.projectId },
        sg_status_list: 'wtg',
        entity: { type: 'Shot', id: DEMO.shotIds.sh010 },
      });
      h.sim.retire('Task', task.id);
      h.sim.revive('Task', task.id);
      await h.sim.whenDeliveriesSettled();
      const got = consumer.received.map((d) => deliveriesOf(d)[0]);
      should(got.map((d) => [d.event_type, d.operation])).eql([
        ['Shotgun_Task_New', 'create'],
        ['Shotgun_Task_Retirement', 'delete'],
        ['Shotgun_Task_Revival', 'revive'],
      ]);
      should(got[0].meta).eql({ type: 'new_entity', entity_type: 'Task', entity_id: task.id });
      should(got[1].entity).be.null();
      should(got[1].meta).containEql({ type: 'entity_retirement', entity_id: task.id });
      should(got[2].entity).eql({ type: 'Task', id: task.id });
    });

    it('filters by update fields, entity type, projects and status; event_type hooks match exactly', async () => {
      taskHook();
      const other = h.sim.create('Project', { name: 'Other' });
      const byProject = h.sim.createWebhook({
        url: consumer.url,
        entity_types: { Shot: { update: [] } },
        projects: [other.id],
      });
      const disabled = h.sim.createWebhook({
        url: consumer.url,
        entity_types: { Task: { update: [] } },
        status: 'disabled',
      });
      const byEvent = h.sim.createWebhook({ url: consumer.url, event_type: 'Shotgun_Shot_Change' });
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_description: 'not subscribed' });
      h.sim.update('Shot', DEMO.shotIds.sh010, { description: 'demo project shot' });
      await h.sim.whenDeliveriesSettled();
      should(consumer.received.map((d) => d.headers['x-sg-webhook-id'])).eql([byEvent.id]);
      should(h.sim.deliveries(byProject.id)).have.length(0);
      should(h.sim.deliveries(disabled.id)).have.length(0);
    });

    it('batches into data.deliveries[] with at most 50 per body, in order', async () => {
      const hook = taskHook({ batch_deliveries: true });
      const ids = Object.values(DEMO.taskIds);
      const statuses = ['rdy', 'hld', 'omt', 'rev', 'fin', 'ip', 'wtg'];
      for (let round = 0; round < 7; round++)
        for (const id of ids) h.sim.update('Task', id, { sg_status_list: statuses[round] });
      await h.sim.whenDeliveriesSettled();
      const events = h.sim.eventLog().length;
      should(events).be.above(100);
      const sizes = consumer.received.map((d) => deliveriesOf(d).length);
      should(Math.max(...sizes)).be.belowOrEqual(50);
      should(sizes.reduce((a, b) => a + b, 0)).eql(events);
      for (const d of consumer.received) {
        should(Object.keys(d.body).sort()).eql(['data', 'timestamp']);
        should(Object.keys(d.body.data)).eql(['deliveries']);
        should(d.headers['x-sg-signature']).eql(signature(d));
        should(d.headers['x-sg-event-batch-size']).eql(String(deliveriesOf(d).length));
      }
      const eventIds = consumer.received.flatMap((d) => deliveriesOf(d).map((x) => x.event_log_entry_id));
      should(eventIds).eql(h.sim.eventLog().map((e) => e.id));
      const records = h.sim.deliveries(hook.id);
      should(records.map((r) => r.id)).eql(consumer.received.map((d) => d.headers['x-sg-delivery-id']));
      const element = deliveriesOf(consumer.received[0])[1];
      const viaElement = await h.call<{ data: DeliveryRecord }>(
        'GET',
        `/api/v1/webhook/deliveries/${element.delivery_id}`,
      );
      should(viaElement.json.data.id).eql(records[0].id);
    });

    it('wraps even a single batched event in data.deliveries[]', async () => {
      taskHook({ batch_deliveries: true });
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'rdy' });
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(1);
      should(deliveriesOf(consumer.received[0])).have.length(1);
      should(Array.isArray((consumer.received[0].body.data as { deliveries: unknown[] }).deliveries)).be.true();
    });

    it('sends to one hook one request at a time', async () => {
      taskHook();
      let open = 0,
        maxOpen = 0;
      consumer.answer = () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        setTimeout(() => open--, 30);
        return { status: 200, delayMs: 30 };
      };
      for (const id of Object.values(DEMO.taskIds).slice(0, 4)) h.sim.update('Task', id, { sg_status_list: 'hld' });
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(4);
      should(maxOpen).eql(1);
    });

    it('marks a 500 as failed and redelivers the same body with fresh headers', async () => {
      const hook = taskHook();
      consumer.answer = () => ({ status: 500, body: 'x'.repeat(300) });
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'rdy' });
      await h.sim.whenDeliveriesSettled();
      const [failed] = h.sim.deliveries(hook.id);
      should(failed).containEql({ status: 'failed', response_code: 500 });
      should(failed.body).have.length(100);
      const listed = await h.call<{ data: DeliveryRecord[]; included: unknown[] }>(
        'GET',
        `/api/v1/webhook/hooks/${hook.id}/deliveries?status=failed`,
      );
      should(listed.json.data.map((r) => r.id)).eql([failed.id]);
      should(listed.json.included).eql([]);
      should((await h.call<{ data: HookRecord }>('GET', `/api/v1/webhook/hooks/${hook.id}`)).json.data.status).eql(
        'unstable',
      );

      consumer.answer = () => ({ status: 200, body: 'thanks' });
      const res = await h.call('POST', `/api/v1/webhook/deliveries/${failed.id}/redeliver`);
      should(res.status).eql(204);
      should(res.text).eql('');
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(2);
      should(consumer.received[1].raw.equals(consumer.received[0].raw)).be.true();
      should(consumer.received[1].headers['x-sg-delivery-id']).eql(failed.id);
      should(consumer.received[1].headers['x-sg-signature']).eql(signature(consumer.received[1]));
      should(consumer.received[1].headers['x-sg-event-batch-id']).not.eql(
        consumer.received[0].headers['x-sg-event-batch-id'],
      );
      const records = h.sim.deliveries(hook.id);
      should(records).have.length(1);
      should(records[0]).containEql({ id: failed.id, status: 'delivered', response_code: 200, body: 'thanks' });
      should(
        (await h.call<{ data: DeliveryRecord[] }>('GET', `/api/v1/webhook/hooks/${hook.id}/deliveries?status=failed`))
          .json.data,
      ).have.length(0);
      should(
        (await h.call('POST', '/api/v1/webhook/deliveries/0b7e3c9e-1111-4c1e-8f5e-000000000000/redeliver')).status,
      ).eql(404);
    });

    it('fails a delivery the consumer does not answer in time, or cannot be reached', async () => {
      await h.stop();
      await h.start({ deliveryTimeoutMs: 100 });
      const slow = taskHook();
      consumer.answer = () => ({ status: 200, delayMs: 400 });
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'rdy' });
      await h.sim.whenDeliveriesSettled();
      should(h.sim.deliveries(slow.id)[0]).containEql({ status: 'failed', response_code: 0 });

      const closed = new Consumer();
      const deadUrl = await closed.listen();
      await closed.close();
      const dead = h.sim.createWebhook({ url: deadUrl, entity_types: { Task: { update: [] } } });
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'ip' });
      await h.sim.whenDeliveriesSettled();
      should(h.sim.deliveries(dead.id)[0]).containEql({ status: 'failed', response_code: 0 });
    });

    it('stops delivering once 100 deliveries failed within a day, until set active again', async () => {
      const hook = h.sim.createWebhook({ url: consumer.url, entity_types: { Shot: { update: ['sg_cut_in'] } } });
      consumer.answer = () => ({ status: 500 });
      for (let i = 0; i < 101; i++) h.sim.update('Shot', DEMO.shotIds.sh010, { sg_cut_in: 2000 + i });
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(100);
      const path = `/api/v1/webhook/hooks/${hook.id}`;
      should((await h.call<{ data: HookRecord }>('GET', path)).json.data.status).eql('failed');
      consumer.answer = () => ({ status: 200 });
      should((await h.call<{ data: HookRecord }>('PUT', path, { body: { status: 'active' } })).json.data.status).eql(
        'active',
      );
      h.sim.update('Shot', DEMO.shotIds.sh010, { sg_cut_in: 1001 });
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(101);
      should(h.sim.deliveries(hook.id).pop()?.status).eql('delivered');
    });

    it('filters the delivery list by time and pages it', async () => {
      const hook = taskHook();
      for (const s of ['rdy', 'ip', 'rev']) h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: s });
      await h.sim.whenDeliveriesSettled();
      const base = `/api/v1/webhook/hooks/${hook.id}/deliveries`;
      const page2 = await h.call<{ data: DeliveryRecord[] }>('GET', `${base}?page[size]=2&page[number]=2`);
      should(page2.json.data).have.length(1);
      const now = Math.floor(Date.now() / 1000);
      should(
        (await h.call<{ data: DeliveryRecord[] }>('GET', `${base}?from=${now - 60}&to=${now + 60}`)).json.data,
      ).have.length(3);
      should((await h.call<{ data: DeliveryRecord[] }>('GET', `${base}?from=${now + 60}`)).json.data).have.length(0);
      should((await h.call('GET', `${base}?status=lost`)).status).eql(400);
    });

    it('stores acknowledgements up to 4096 UTF-8 bytes', async () => {
      const hook = taskHook();
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'rdy' });
      await h.sim.whenDeliveriesSettled();
      const id = h.sim.deliveries(hook.id)[0].id;
      const path = `/api/v1/webhook/deliveries/${id}`;
      const ok = await h.call('PUT', path, { body: { acknowledgement: 'processed: Task status rdy' } });
      should(ok.status).eql(200);
      should((await h.call<{ data: DeliveryRecord }>('GET', path)).json.data.acknowledgement).eql(
        'processed: Task status rdy',
      );
      should((await h.call('PUT', path, { body: { acknowledgement: 'é'.repeat(2048) } })).status).eql(200);
      const big = await h.call('PUT', path, { body: { acknowledgement: 'é'.repeat(2048) + 'a' } });
      should(big.status).eql(400);
      should(errorOf(big).title).eql('acknowledgement must be 4096 bytes long or less');
      should(h.sim.deliveries(hook.id)[0].acknowledgement).eql('é'.repeat(2048));
      should((await h.call('PUT', path, { body: {} })).status).eql(400);
      should((await h.call('PUT', path, { body: { acknowledgement: 'x' }, contentType: ARRAY })).status).eql(415);
      should(
        errorOf(
          await h.call('PUT', '/api/v1/webhook/deliveries/0b7e3c9e-1111-4c1e-8f5e-000000000000', {
            body: { acknowledgement: 'x' },
          }),
        ),
      ).containEql({ status: 404, code: 104 });
    });

    it('drops new_value/old_value and adds meta.warning for events over 1 MB', async () => {
      const hook = h.sim.createWebhook({ url: consumer.url, entity_types: { Shot: { update: ['description'] } } });
      const huge = 'x'.repeat(1_100_000);
      h.sim.update('Shot', DEMO.shotIds.sh010, { description: huge });
      await h.sim.whenDeliveriesSettled();
      const meta = deliveriesOf(consumer.received[0])[0].meta ?? {};
      should(meta).not.have.properties(['new_value', 'old_value']);
      should(meta.warning).match(/EventLogEntry \d+/);
      should(meta).containEql({ attribute_name: 'description', entity_type: 'Shot' });
      should(h.sim.deliveries(hook.id)[0].status).eql('delivered');
      should((h.sim.eventLog().pop()?.meta as { new_value: string }).new_value).eql(huge);
    });
  });

  describe('hook status', () => {
    const hookPath = (id: string): string => `/api/v1/webhook/hooks/${id}`;
    const status = async (id: string): Promise<string> =>
      (await h.call<{ data: HookRecord }>('GET', hookPath(id))).json.data.status;

    it('setHookStatus forces any status; failed stops deliveries until PUT status active', async () => {
      const hook = taskHook();
      const other = taskHook();
      should(h.sim.setHookStatus(hook.id, 'failed').status).eql('failed');
      should(await status(hook.id)).eql('failed');
      const listed = await h.call<{ data: HookRecord[] }>('GET', '/api/v1/webhook/hooks?status=failed');
      should(listed.json.data.map((x) => x.id)).eql([hook.id]);
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'rdy' });
      await h.sim.whenDeliveriesSettled();
      should(h.sim.deliveries(hook.id)).have.length(0);
      should(h.sim.deliveries(other.id)).have.length(1);

      const refused = await h.call('PUT', hookPath(hook.id), { body: { status: 'failed' } });
      should(errorOf(refused)).containEql({ status: 400, title: 'status must be one of: active, disabled' });
      should(
        (await h.call<{ data: HookRecord }>('PUT', hookPath(hook.id), { body: { status: 'active' } })).json.data.status,
      ).eql('active');
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'ip' });
      await h.sim.whenDeliveriesSettled();
      should(h.sim.deliveries(hook.id)).have.length(1);

      should(h.sim.setHookStatus(hook.id, 'unstable').status).eql('unstable');
      h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'rev' });
      await h.sim.whenDeliveriesSettled();
      should(h.sim.deliveries(hook.id)).have.length(2);
      should(h.sim.setHookStatus(hook.id, 'disabled').status).eql('disabled');
      should(await status(hook.id)).eql('disabled');
      should(h.sim.setHookStatus(hook.id, 'active').status).eql('active');
      should(() => h.sim.setHookStatus(hook.id, 'broken' as 'active')).throw(/status must be one of/);
      should(() => h.sim.setHookStatus('0b7e3c9e-1111-4c1e-8f5e-000000000000', 'failed')).throw(/not found/);
    });

    it('turns failed after webhookFailedAfter failures within a day', async () => {
      await h.stop();
      await h.start({ webhookBatchWindowMs: 30, webhookFailedAfter: 3 });
      const hook = taskHook();
      consumer.answer = () => ({ status: 503 });
      for (const s of ['rdy', 'ip', 'rev', 'fin'])
        h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: s });
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(3);
      should(await status(hook.id)).eql('failed');
    });

    it('filters the delivery list by acknowledgement and entity, with status and paging', async () => {
      const hook = taskHook();
      const comp = DEMO.taskIds['sh010/Comp'],
        layout = DEMO.taskIds['sh020/Layout'];
      h.sim.update('Task', comp, { sg_status_list: 'rdy' });
      h.sim.update('Task', layout, { sg_status_list: 'rev' });
      h.sim.update('Task', comp, { sg_status_list: 'ip' });
      await h.sim.whenDeliveriesSettled();
      const [first, second, third] = h.sim.deliveries(hook.id);
      await h.call('PUT', `/api/v1/webhook/deliveries/${first.id}`, { body: { acknowledgement: 'done' } });
      await h.call('PUT', `/api/v1/webhook/deliveries/${third.id}`, { body: { acknowledgement: 'skipped' } });
      const list = async (query: string): Promise<string[]> => {
        const res = await h.call<{ data: DeliveryRecord[] }>(
          'GET',
          `/api/v1/webhook/hooks/${hook.id}/deliveries?${query}`,
        );
        should(res.status).eql(200);
        return res.json.data.map((d) => d.id);
      };
      should(await list('acknowledgement=null')).eql([second.id]);
      should(await list('acknowledgement=not_null')).eql([first.id, third.id]);
      should(await list('acknowledgement=skipped')).eql([third.id]);
      should(await list('entity_type=Task&entity_id=' + comp)).eql([first.id, third.id]);
      should(await list('entity_type=Shot')).eql([]);
      should(await list('status=delivered&acknowledgement=not_null&page[size]=1&page[number]=2')).eql([third.id]);
      should((await h.call('GET', `/api/v1/webhook/hooks/${hook.id}/deliveries?entity_id=abc`)).status).eql(400);
    });
  });

  describe('Test_Connection', () => {
    const expected = (hookId: string) => ({
      event_log_entry_id: 0,
      event_type: 'Test_Connection',
      operation: 'test_connection',
      session_uuid: null,
      entity: { type: null, id: 0 },
      project: { type: 'Project', id: 0 },
      attribute_name: null,
      meta: { type: 'test_connection', entity_type: 'null', entity_id: 'null', hook_id: hookId },
    });

    it('sends the documented delivery, batched when the hook batches', async () => {
      const batched = taskHook({ batch_deliveries: true });
      await h.sim.testConnection(batched.id);
      should(consumer.received).have.length(1);
      const d = consumer.received[0];
      should(Object.keys(d.body.data)).eql(['deliveries']);
      const [element] = deliveriesOf(d);
      should(element).containEql(expected(batched.id));
      should(element.delivery_id).match(UUID);
      should(d.headers['x-sg-signature']).eql(signature(d));
      should(h.sim.deliveries(batched.id)).have.length(1);
    });

    it('is reachable over REST (204, also for unknown ids) and un-batched for plain hooks', async () => {
      const plain = taskHook();
      const res = await h.call('POST', `/api/v1/webhook/hooks/${plain.id}/test_connection`);
      should(res.status).eql(204);
      await h.sim.whenDeliveriesSettled();
      should(consumer.received).have.length(1);
      should(deliveriesOf(consumer.received[0])[0]).containEql(expected(plain.id));
      should(Object.keys(consumer.received[0].body)).eql(['data', 'timestamp']);
      should(
        (await h.call('POST', '/api/v1/webhook/hooks/0b7e3c9e-1111-4c1e-8f5e-000000000000/test_connection')).status,
      ).eql(204);
      await should(h.sim.testConnection('0b7e3c9e-1111-4c1e-8f5e-000000000000')).be.rejectedWith(/not found/);
    });
  });

  it('close() stops pending deliveries', async () => {
    taskHook({ batch_deliveries: true });
    await h.stop();
    await h.start({ webhookBatchWindowMs: 10_000 });
    taskHook({ batch_deliveries: true });
    h.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'rdy' });
    const started = Date.now();
    await h.sim.close();
    await h.sim.whenDeliveriesSettled();
    should(Date.now() - started).be.below(2000);
    should(consumer.received).have.length(0);
  });
});
