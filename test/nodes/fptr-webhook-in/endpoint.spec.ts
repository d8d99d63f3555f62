import should = require('should');
import vm = require('node:vm');
import net = require('node:net');
import type { NextFunction, Request, Response } from 'express';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { bundleSource } from '../../../scripts/editor-bundle';
import { helper } from '../../support/runtime';
import { HttpNodeServer } from '../../support/http-node';
import { openUpload, send, type RawResponse } from '../../support/webhook-client';
import {
  batchBody,
  sgHeaders,
  singleBody,
  taskChange,
  testConnectionBody,
  TIMESTAMP,
} from '../../support/webhook-fixtures';
import { signBody } from '../../../lib/fptr/webhook/signature';
import type { Delivery } from '../../../lib/fptr/contract';
import { RawBodyCapture, capturedBody, type ExpressApp } from '../../../lib/node-red/raw-body-capture';
import { WebhookReceiver, type WebhookMessage } from '../../../lib/fptr/webhook/receiver';
import webhookNode = require('../../../nodes/fptr-webhook-in');
import siteNode = require('../../../nodes/fptr-site');

const SECRET = 'webhook-s3cret-token';
const PATH = '/fptr/hook';

type FlowNode = { id: string; type: string; wires?: string[][]; [key: string]: unknown };
type Flow = FlowNode[];
type Msg = NodeMessage & WebhookMessage;

/** Holds every message 10 s before calling done(): a downstream flow far slower than FPTR's 6 s timeout. */
function slowNodeModule(RED: NodeAPI): void {
  function SlowNode(this: Node, config: NodeDef): void {
    RED.nodes.createNode(this, config);
    const timers = new Set<NodeJS.Timeout>();
    this.on('input', (_msg: NodeMessage, _send: unknown, done: () => void) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        done();
      }, 10_000);
      timers.add(timer);
    });
    this.on('close', () => timers.forEach(clearTimeout));
  }
  RED.nodes.registerType('test-slow', SlowNode);
}

/** Keeps the CPU busy 10 ms per message, synchronously: a downstream flow that cannot keep up. */
function busyNodeModule(RED: NodeAPI): void {
  function BusyNode(this: Node, config: NodeDef): void {
    RED.nodes.createNode(this, config);
    this.on('input', (_msg: NodeMessage, _send: unknown, done: () => void) => {
      const until = performance.now() + 10;
      while (performance.now() < until);
      done();
    });
  }
  RED.nodes.registerType('test-busy', BusyNode);
}

/**
 * Puts two capture routes whose own callbacks throw on RED.httpNode, answered by a receiver
 * that records what it is told: `/boom/admit` throws before the body is read, `/boom/respond`
 * once it has arrived (in a stream event, outside express).
 */
function throwingCaptureModule(reported: unknown[]): (RED: NodeAPI) => void {
  return (RED) => {
    function ThrowingCapture(this: Node, config: NodeDef): void {
      RED.nodes.createNode(this, config);
      const receiver = new WebhookReceiver(
        { split: true, emitTestConnections: false, maxPending: 10, readTimeoutMs: 5_000 },
        { emit: () => undefined, onActivity: () => undefined, onError: (err) => reported.push(err) },
      );
      const capture = RawBodyCapture.for(RED.httpNode as unknown as ExpressApp);
      const base = { maxBytes: 1024, readTimeoutMs: 5_000, onError: receiver.handleError };
      const thrower = (): never => {
        throw new TypeError('Cannot convert object to primitive value');
      };
      capture.add('POST', '/boom/admit', {
        ...base,
        admit: thrower,
        respond: (req, res) => receiver.handlePost(req, res, capturedBody(req)),
      });
      capture.add('POST', '/boom/respond', { ...base, respond: thrower });
      this.on('close', () => {
        capture.delete('POST', '/boom/admit');
        capture.delete('POST', '/boom/respond');
      });
    }
    RED.nodes.registerType('test-throwing-capture', ThrowingCapture);
  };
}

function webhook(props: Record<string, unknown> = {}): FlowNode {
  return {
    id: 'w1',
    type: 'fptr-webhook-in',
    z: 'tab',
    url: PATH,
    split: true,
    dedupWindow: 600,
    wires: [['out']],
    ...props,
  };
}

const TAB: FlowNode = { id: 'tab', type: 'tab', label: 'webhook' };
const OUT: FlowNode = { id: 'out', type: 'helper', z: 'tab' };

/** Pushes every message that reaches the helper node `id` onto `into`. */
function collect<T>(id: string, into: T[]): void {
  helper.getNode(id).on('input', ((msg: T) => into.push(msg)) as never);
}

describe('fptr-webhook-in', function () {
  const server = new HttpNodeServer();
  const wrapped = server.wrap(webhookNode);
  let base = '';
  let received: Msg[] = [];

  async function start(
    flow: Flow,
    credentials: Record<string, unknown> = { w1: { secret: SECRET } },
    modules: unknown[] = [],
  ) {
    await helper.load([wrapped, ...(modules as (typeof wrapped)[])], flow, credentials);
    base = await server.listen();
    received = [];
    collect('out', received);
  }

  function post(
    body: string | Buffer,
    headers: Record<string, string> = sgHeaders(),
    path = PATH,
  ): Promise<RawResponse> {
    return send(base + path, { body, headers });
  }

  function signed(body: string, extra: Record<string, string> = {}, path = PATH): Promise<RawResponse> {
    return post(body, { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, body), ...extra }, path);
  }

  /** Lets the deferred emission and the runtime's asynchronous delivery run. */
  // Long enough for a message to have left: the node holds messages until 20 ms without a request.
  const settle = (ms = 150): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  /** Waits until `done()` holds (or 5 s passed). */
  async function until(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!done() && Date.now() < deadline) await settle(10);
  }

  /** Waits until `count` messages arrived, then a little longer to catch extras. */
  async function receivedCount(count: number): Promise<void> {
    await until(() => received.length >= count);
    await settle();
  }

  afterEach(async function () {
    await helper.unload();
    await server.close();
  });

  describe('accepted deliveries', function () {
    it('answers 200 and sends one message per the contract for a single delivery', async function () {
      await start([TAB, webhook(), OUT]);
      const delivery = taskChange(1);
      const headers = sgHeaders('hook-uuid-1');
      const res = await post(singleBody(delivery), {
        ...headers,
        'x-sg-signature': signBody(SECRET, singleBody(delivery)),
      });
      res.status.should.equal(200);
      JSON.parse(res.body).should.eql({ ok: true });
      await receivedCount(1);
      received.should.have.length(1);
      const msg = received[0];
      msg.payload.should.eql(delivery);
      should(msg.topic).equal('Shotgun_Task_Change');
      const fptr = msg.fptr;
      fptr.source.should.equal('webhook');
      should(fptr.webhookId).equal('hook-uuid-1');
      should(fptr.deliveryId).equal(delivery.delivery_id);
      should(fptr.siteUrl).equal('https://studio.shotgrid.autodesk.com/');
      should(fptr.timestamp).equal(TIMESTAMP);
      fptr.receivedAt.should.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      fptr.batch.should.eql({ size: 1, index: 0 });
      should(fptr.truncated).be.undefined();
      fptr.headers.should.have.properties({
        'x-sg-webhook-id': 'hook-uuid-1',
        'x-sg-delivery-id': headers['x-sg-delivery-id'],
        'x-sg-event-batch-size': '1',
      });
      fptr.headers.should.not.have.property('x-sg-signature');
      fptr.headers.should.not.have.property('content-type');
    });

    it('takes deliveryId from the x-sg-delivery-id header when the delivery has no delivery_id', async function () {
      await start([TAB, webhook(), OUT]);
      const delivery = taskChange(2);
      delete delivery.delivery_id;
      const body = singleBody(delivery);
      const res = await signed(body, { 'x-sg-delivery-id': 'header-delivery-id' });
      res.status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
      should(received[0].fptr.deliveryId).equal('header-delivery-id');
    });

    it('sends the 50 deliveries of a batch as 50 messages in order', async function () {
      await start([TAB, webhook(), OUT]);
      const deliveries = Array.from({ length: 50 }, (_, i) => taskChange(i));
      const res = await signed(batchBody(deliveries));
      res.status.should.equal(200);
      await receivedCount(50);
      received.should.have.length(50);
      received.forEach((msg, i) => {
        (msg.payload as Delivery).should.eql(deliveries[i]);
        msg.fptr.batch.should.eql({ size: 50, index: i });
        should(msg.fptr.deliveryId).equal(deliveries[i].delivery_id);
      });
    });

    it('sends one message with the array when split is off', async function () {
      await start([TAB, webhook({ split: false }), OUT]);
      const deliveries = Array.from({ length: 50 }, (_, i) => taskChange(i));
      const headers = sgHeaders();
      const res = await signed(batchBody(deliveries), headers);
      res.status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
      (received[0].payload as Delivery[]).should.eql(deliveries);
      should(received[0].topic).equal('Shotgun_Task_Change');
      received[0].fptr.batch.should.eql({ size: 50, index: 0 });
      should(received[0].fptr.deliveryId).equal(headers['x-sg-delivery-id']);
    });

    it('leaves the topic unset for an array of mixed event types', async function () {
      await start([TAB, webhook({ split: false }), OUT]);
      const res = await signed(batchBody([taskChange(1), taskChange(2, { event_type: 'Shotgun_Task_New' })]));
      res.status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
      should(received[0].topic).be.undefined();
    });

    it('marks a delivery FPTR cut to stay under 1 MB as truncated', async function () {
      await start([TAB, webhook(), OUT]);
      const cut = taskChange(1, {
        attribute_name: 'description',
        meta: {
          type: 'attribute_change',
          entity_type: 'Task',
          entity_id: 4001,
          attribute_name: 'description',
          field_data_type: 'text',
          warning: 'Event payload exceeds 1MB: new_value and old_value removed; read EventLogEntry 812001 for them.',
        },
      });
      const res = await signed(batchBody([cut, taskChange(2)]));
      res.status.should.equal(200);
      await receivedCount(2);
      received.should.have.length(2);
      should(received[0].fptr.truncated).be.true();
      (received[0].payload as Delivery).should.eql(cut);
      should(received[1].fptr.truncated).be.undefined();
    });

    it('uses the fptr-site URL when the request has no site header', async function () {
      const site = { id: 'site1', type: 'fptr-site', name: 'studio', url: 'https://studio.example.com' };
      await start([TAB, site, webhook({ site: 'site1' }), OUT], { w1: { secret: SECRET } }, [siteNode]);
      const body = singleBody(taskChange(1));
      const headers = sgHeaders();
      delete headers['x-sg-webhook-site-url'];
      const res = await post(body, { ...headers, 'x-sg-signature': signBody(SECRET, body) });
      res.status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
      should(received[0].fptr.siteUrl).startWith('https://studio.example.com');
    });
  });

  describe('refused requests', function () {
    const body = singleBody(taskChange(1));

    /** `res` got `status`, a short body without internals, and nothing more was sent on. */
    async function expectRefused(res: RawResponse, status: number): Promise<void> {
      const before = received.length;
      res.status.should.equal(status);
      res.body.should.not.containEql(SECRET);
      res.body.length.should.be.below(100);
      await settle();
      received.should.have.length(before);
    }

    it('answers 401 when the signature is missing', async function () {
      await start([TAB, webhook(), OUT]);
      await expectRefused(await post(body), 401);
      received.should.have.length(0);
    });

    it('answers 401 when the signature is wrong', async function () {
      await start([TAB, webhook(), OUT]);
      await expectRefused(await post(body, { 'x-sg-signature': signBody('another-secret', body) }), 401);
    });

    it('answers 401 when the signature is for another body', async function () {
      await start([TAB, webhook(), OUT]);
      const other = singleBody(taskChange(2));
      await expectRefused(await post(body, { 'x-sg-signature': signBody(SECRET, other) }), 401);
    });

    it('answers 401 for another algorithm or a malformed signature', async function () {
      await start([TAB, webhook(), OUT]);
      const hex = signBody(SECRET, body).slice('sha1='.length);
      await expectRefused(await post(body, { 'x-sg-signature': `sha256=${hex}` }), 401);
      await expectRefused(await post(body, { 'x-sg-signature': hex }), 401);
      await expectRefused(await post(body, { 'x-sg-signature': `sha1=${hex.slice(0, 39)}z` }), 401);
      await expectRefused(await post(body, { 'x-sg-signature': `sha1=${hex}00` }), 401);
    });

    it('checks the signature over the exact bytes (a re-serialised body fails)', async function () {
      await start([TAB, webhook(), OUT]);
      const spaced = JSON.stringify(JSON.parse(body), null, 2);
      await expectRefused(await post(spaced, { 'x-sg-signature': signBody(SECRET, body) }), 401);
      const ok = await signed(spaced);
      ok.status.should.equal(200);
    });

    it('answers 400 for malformed JSON', async function () {
      await start([TAB, webhook(), OUT]);
      await expectRefused(await signed('{"data": {"event_type": '), 400);
    });

    it('answers 400 for JSON that is not an FPTR delivery body', async function () {
      await start([TAB, webhook(), OUT]);
      for (const bad of [
        '[]',
        '"text"',
        '{}',
        '{"data": {}}',
        '{"data": []}',
        '{"data": {"deliveries": []}}',
        '{"data": {"deliveries": [{"id": "1"}]}}',
        '{"data": {"event_type": 5}}',
      ]) {
        await expectRefused(await signed(bad), 400);
      }
    });

    it('answers 413 when the body is over the limit, with or without Content-Length', async function () {
      await start([TAB, webhook({ maxBodySize: '1kb' }), OUT]);
      const big = batchBody(Array.from({ length: 10 }, (_, i) => taskChange(i)));
      big.length.should.be.above(1024);
      await expectRefused(await signed(big), 413);
      await expectRefused(
        await send(base + PATH, { body: big, chunked: true, headers: { 'x-sg-signature': signBody(SECRET, big) } }),
        413,
      );
      const small = await signed(body);
      small.status.should.equal(200);
    });

    it('answers 413 at once to a client that keeps sending, and cuts it off after 16 MB', async function () {
      await start([TAB, webhook({ maxBodySize: '1kb' }), OUT]);
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
      let answer = '';
      let written = 0;
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', () => undefined); // the reset when the server cuts the upload is the expected outcome
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(
        `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200000000\r\n\r\n`,
      );
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = async (): Promise<void> => {
        while (!socket.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!socket.write(chunk))
            await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
        }
      };
      await Promise.all([pump(), closed]);
      answer.should.startWith('HTTP/1.1 413');
      written.should.be.below(64 * 1024 * 1024);
      await settle();
      received.should.have.length(0);
    });

    it('answers 405 with Allow: POST for other methods', async function () {
      await start([TAB, webhook(), OUT]);
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const res = await send(base + PATH, { method, body: method === 'GET' ? undefined : body });
        res.status.should.equal(405);
        should(res.headers.allow).equal('POST');
      }
      await settle();
      received.should.have.length(0);
    });

    it('answers 403 to a source outside the allow-list, before reading the body', async function () {
      await start([TAB, webhook({ allowList: ['10.0.0.0/8', '2001:db8::/32'] }), OUT]);
      await expectRefused(await signed(body), 403);
    });

    it('accepts a loopback source inside the allow-list', async function () {
      await start([TAB, webhook({ allowList: ['192.0.2.0/24', '127.0.0.0/8'] }), OUT]);
      (await signed(body)).status.should.equal(200);
    });

    it('checks the last X-Forwarded-For entry only when told to trust the proxy', async function () {
      const forwarded = { 'x-forwarded-for': '127.0.0.1, 203.0.113.7' };
      await start([TAB, webhook({ allowList: ['203.0.113.0/24'], trustProxy: true }), OUT]);
      (await signed(body, forwarded)).status.should.equal(200);
      await receivedCount(1);
      await expectRefused(await signed(body, { 'x-forwarded-for': '203.0.113.7, 127.0.0.1' }), 403);
      await helper.unload();
      await start([TAB, webhook({ allowList: ['203.0.113.0/24'] }), OUT]);
      await expectRefused(await signed(body, forwarded), 403);
    });

    it('believes X-Forwarded-For only from a peer in the configured proxies', async function () {
      const forwarded = { 'x-forwarded-for': '127.0.0.1, 203.0.113.7' };
      await start([
        TAB,
        webhook({ allowList: ['203.0.113.0/24'], trustProxy: true, proxies: '10.0.0.0/8, 192.0.2.1' }),
        OUT,
      ]);
      // This test's peer is loopback, which is not one of those proxies: the header is the client's word.
      await expectRefused(await signed(body, forwarded), 403);
      await helper.unload();
      await start([
        TAB,
        webhook({ allowList: ['203.0.113.0/24'], trustProxy: true, proxies: ['10.0.0.0/8', '127.0.0.1'] }),
        OUT,
      ]);
      (await signed(body, forwarded)).status.should.equal(200);
      await helper.unload();
      // Left empty: loopback, as for flows saved before the property existed.
      await start([TAB, webhook({ allowList: ['203.0.113.0/24'], trustProxy: true, proxies: '' }), OUT]);
      (await signed(body, forwarded)).status.should.equal(200);
    });

    it('does not start with an invalid proxy entry, and says why', async function () {
      await start([
        TAB,
        webhook({ allowList: ['203.0.113.0/24'], trustProxy: true, proxies: '10.0.0.0/8, proxy.example.com' }),
        OUT,
      ]);
      const errors = helper
        .log()
        .args.map((args: unknown[]) => args[0] as { level: number; id: string; msg: string })
        .filter((event: { level: number; id: string }) => event.level === 20 && event.id === 'w1');
      errors.should.have.length(1);
      errors[0].msg.should.containEql('errors.invalid-proxies');
      (await signed(body)).status.should.equal(404);
    });

    it('refuses paths with . or .. segments, which no client can reach, as the editor does', async function () {
      const bad = ['/a/../b', '/.', '/a/./b', '/fptr/..', '/..'];
      const good = ['/a/.../b', '/.well-known/fptr', '/fptr/hook.v2'];
      const flow: Flow = [TAB, OUT, ...[...bad, ...good].map((url, i) => webhook({ id: `p${i}`, url, wires: [] }))];
      await start(flow);
      const invalid = helper
        .log()
        .args.map((args: unknown[]) => args[0] as { level: number; id: string; msg: string })
        .filter(
          (event: { level: number; msg: string }) => event.level === 20 && event.msg.includes('errors.invalid-path'),
        )
        .map((event: { id: string }) => event.id);
      invalid.sort().should.eql(bad.map((_, i) => `p${i}`));
      for (const url of good) (await signed(body, {}, url)).status.should.equal(200);
      // The editor's validator, from the browser bundle the editor loads, flags the same paths.
      const context = vm.createContext({ URL });
      vm.runInContext(await bundleSource(), context);
      const editorPath = (context as { FptrEditor: { webhook: { path(v: unknown): boolean } } }).FptrEditor.webhook
        .path;
      for (const url of bad) editorPath(url).should.be.false(url);
      for (const url of good) editorPath(url).should.be.true(url);
    });

    it('does not start with an invalid allow-list entry, path or size, and says why', async function () {
      await start([
        TAB,
        webhook({ allowList: ['10.0.0.0/33'] }),
        webhook({ id: 'w2', url: '/a/:id' }),
        webhook({ id: 'w3', url: '/b', maxBodySize: 'lots' }),
        OUT,
      ]);
      const errors = helper
        .log()
        .args.map((args: unknown[]) => args[0] as { level: number; id: string; msg: string })
        .filter((event: { level: number }) => event.level === 20);
      errors.map((e: { id: string }) => e.id).should.containDeep(['w1', 'w2', 'w3']);
      errors.find((e: { id: string }) => e.id === 'w1')!.msg.should.containEql('errors.invalid-allow-list');
      (await signed(body)).status.should.equal(404);
    });
  });

  describe('without a secret', function () {
    it('accepts unsigned deliveries and shows a warning badge', async function () {
      const statuses: Array<{ fill?: string; text?: string }> = [];
      const flow: Flow = [
        TAB,
        { id: 'st', type: 'status', z: 'tab', scope: ['w1'], wires: [['sh']] },
        { id: 'sh', type: 'helper', z: 'tab' },
        webhook(),
        OUT,
      ];
      await helper.load([wrapped], flow, {});
      base = await server.listen();
      received = [];
      collect('out', received);
      const events: Array<{ status: { fill?: string; text?: string } }> = [];
      collect('sh', events);
      const res = await post(singleBody(taskChange(1)));
      res.status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
      await until(() => events.length > 0);
      statuses.push(...events.map((e) => e.status));
      statuses.length.should.be.above(0);
      statuses.forEach((s) => should(s.fill).equal('yellow'));
      statuses[statuses.length - 1].text!.should.containEql('unsigned');
    });
  });

  describe('test connections', function () {
    it('answers Test_Connection 200 without sending it on', async function () {
      await start([TAB, webhook(), OUT]);
      const res = await signed(testConnectionBody('hook-1'));
      res.status.should.equal(200);
      await settle();
      received.should.have.length(0);
    });

    it('sends Test_Connection on when asked to', async function () {
      await start([TAB, webhook({ emitTests: true }), OUT]);
      const res = await signed(testConnectionBody('hook-1'));
      res.status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
      should(received[0].topic).equal('Test_Connection');
    });
  });

  describe('duplicates', function () {
    it('answers a repeated delivery 200 without sending it again; a different one passes', async function () {
      await start([TAB, webhook(), OUT]);
      const first = singleBody(taskChange(1));
      (await signed(first)).status.should.equal(200);
      (await signed(first)).status.should.equal(200);
      (await signed(singleBody(taskChange(2)))).status.should.equal(200);
      await receivedCount(2);
      received.map((m) => (m.payload as Delivery).id).should.eql(['170.141.1', '170.141.2']);
    });

    it('recognises a delivery without delivery_id by event log entry, attribute and id', async function () {
      await start([TAB, webhook(), OUT]);
      const a = taskChange(1, { delivery_id: undefined });
      const again = { ...a };
      const otherField = taskChange(1, { delivery_id: undefined, attribute_name: 'content' });
      (await signed(batchBody([a, again, otherField]))).status.should.equal(200);
      await receivedCount(2);
      received.map((m) => (m.payload as Delivery).attribute_name).should.eql(['sg_status_list', 'content']);
    });

    it('sends every repeat when the dedup window is 0', async function () {
      await start([TAB, webhook({ dedupWindow: 0 }), OUT]);
      const first = singleBody(taskChange(1));
      await signed(first);
      await signed(first);
      await receivedCount(2);
      received.should.have.length(2);
    });
  });

  describe('answer time', function () {
    it('answers before a downstream node that takes 10 s has finished', async function () {
      const flow: Flow = [TAB, webhook({ wires: [['slow', 'out']] }), { id: 'slow', type: 'test-slow', z: 'tab' }, OUT];
      await start(flow, { w1: { secret: SECRET } }, [slowNodeModule]);
      const res = await signed(batchBody(Array.from({ length: 50 }, (_, i) => taskChange(i))));
      res.status.should.equal(200);
      res.ms.should.be.below(1000);
      await receivedCount(50);
      received.should.have.length(50);
    });
  });

  describe('backlog', function () {
    afterEach(function () {
      helper.settings({});
    });

    it('answers 503 while earlier messages still wait to be sent on, then accepts again', async function () {
      helper.settings({ fptrWebhookInMaxPending: 1 } as Parameters<typeof helper.settings>[0]);
      const flow: Flow = [TAB, webhook({ wires: [['busy', 'out']] }), { id: 'busy', type: 'test-busy', z: 'tab' }, OUT];
      await start(flow, { w1: { secret: SECRET } }, [busyNodeModule]);
      const batch = (from: number): string => batchBody(Array.from({ length: 50 }, (_, i) => taskChange(from + i)));
      (await signed(batch(0))).status.should.equal(200);
      const refused = await signed(batch(100));
      refused.status.should.equal(503);
      should(refused.headers['retry-after']).equal('10');
      const warnings = helper
        .log()
        .args.map((args: unknown[]) => args[0] as { level: number; id: string; msg: string });
      warnings
        .some(
          (w: { level: number; id: string; msg: string }) =>
            w.level === 30 && w.id === 'w1' && w.msg.includes('errors.busy'),
        )
        .should.be.true();
      await receivedCount(50);
      received.should.have.length(50);
      (await signed(batch(200))).status.should.equal(200);
      await receivedCount(100);
      received
        .map((m) => (m.payload as Delivery).event_log_entry_id)
        .should.eql([
          ...Array.from({ length: 50 }, (_, i) => 812_000 + i),
          ...Array.from({ length: 50 }, (_, i) => 812_200 + i),
        ]);
    });
  });

  describe('slow and late bodies', function () {
    afterEach(function () {
      helper.settings({});
    });

    const body = singleBody(taskChange(1));

    it('answers 503 with Retry-After to a body that completes after a redeploy changed the secret', async function () {
      await start([TAB, webhook(), OUT]);
      const upload = openUpload(base + PATH, Buffer.byteLength(body), {
        ...sgHeaders(),
        'x-sg-signature': signBody(SECRET, body),
      });
      await upload.accepted;
      // A changed name marks the node changed, as the credentials do that the editor sends inside an edited node.
      await helper.setFlows([TAB, webhook({ name: 'edited' }), OUT], 'nodes', { w1: { secret: 'the-new-secret' } });
      upload.end(body);
      const res = await upload.response;
      res.status.should.equal(503);
      should(res.headers['retry-after']).equal('10');
      await settle();
      received.should.have.length(0);
      // FPTR's redelivery, signed with the new secret, is taken by the new node.
      const again = await post(body, { ...sgHeaders(), 'x-sg-signature': signBody('the-new-secret', body) });
      again.status.should.equal(200);
    });

    it('answers 503 to a late body also when httpNodeMiddleware puts the node route behind it', async function () {
      helper.settings({ httpNodeMiddleware: (_req: Request, _res: Response, next: NextFunction) => next() });
      await start([TAB, webhook(), OUT]);
      const upload = openUpload(base + PATH, Buffer.byteLength(body), {
        ...sgHeaders(),
        'x-sg-signature': signBody(SECRET, body),
      });
      await upload.accepted;
      await helper.setFlows([TAB, webhook({ name: 'edited' }), OUT], 'nodes', { w1: { secret: 'the-new-secret' } });
      upload.end(body);
      (await upload.response).status.should.equal(503);
      await settle();
      received.should.have.length(0);
    });

    it('answers 503 to a body that completes after its node was removed', async function () {
      await start([TAB, webhook(), OUT]);
      const upload = openUpload(base + PATH, Buffer.byteLength(body), {
        ...sgHeaders(),
        'x-sg-signature': signBody(SECRET, body),
      });
      await upload.accepted;
      await helper.setFlows([TAB, OUT], 'nodes');
      upload.end(body);
      (await upload.response).status.should.equal(503);
      await settle();
      received.should.have.length(0);
    });

    it('answers 408 and closes the connection when the body does not arrive within fptrWebhookInReadTimeout', async function () {
      helper.settings({ fptrWebhookInReadTimeout: 300 } as Parameters<typeof helper.settings>[0]);
      await start([TAB, webhook(), OUT]);
      const upload = openUpload(base + PATH, Buffer.byteLength(body), {
        ...sgHeaders(),
        'x-sg-signature': signBody(SECRET, body),
      });
      await upload.accepted;
      upload.write(body.slice(0, 20));
      const res = await upload.response;
      res.status.should.equal(408);
      should(res.headers.connection).equal('close');
      await upload.closed;
      await settle();
      received.should.have.length(0);
      (await signed(body)).status.should.equal(200);
    });

    it('answers a refused upload at once and cuts the connection if the rest does not come within the deadline', async function () {
      helper.settings({ fptrWebhookInReadTimeout: 300 } as Parameters<typeof helper.settings>[0]);
      await start([TAB, webhook({ allowList: ['10.0.0.0/8'] }), OUT]);
      // A raw socket: an HTTP client would close the connection itself once it has the answer.
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', () => undefined); // a reset when the server cuts the connection is the expected outcome
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(
        `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"data":`,
      );
      await closed;
      answer.should.startWith('HTTP/1.1 403');
    });

    it('warns about a read timeout setting that is not a number of milliseconds and keeps the default', async function () {
      helper.settings({ fptrWebhookInReadTimeout: 'soon' } as Parameters<typeof helper.settings>[0]);
      await start([TAB, webhook(), OUT]);
      const warnings = helper
        .log()
        .args.map((args: unknown[]) => args[0] as { level: number; id: string; msg: string });
      warnings
        .some(
          (w: { level: number; id: string; msg: string }) =>
            w.level === 30 && w.id === 'w1' && w.msg.includes('errors.invalid-read-timeout'),
        )
        .should.be.true();
      (await signed(body)).status.should.equal(200);
    });
  });

  describe('exceptions inside the capture', function () {
    it('answers 500 with a short body, reports the error and goes on serving', async function () {
      const reported: unknown[] = [];
      const flow: Flow = [TAB, { id: 'boom', type: 'test-throwing-capture', z: 'tab' }, webhook(), OUT];
      await start(flow, { w1: { secret: SECRET } }, [throwingCaptureModule(reported)]);
      for (const path of ['/boom/admit', '/boom/respond']) {
        const res = await send(base + path, { body: '{}' });
        res.status.should.equal(500);
        JSON.parse(res.body).should.eql({ error: 'internal error' });
      }
      reported
        .map((err) => (err as Error).message)
        .should.eql(['Cannot convert object to primitive value', 'Cannot convert object to primitive value']);
      (await signed(singleBody(taskChange(1)))).status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
    });
  });

  describe('httpNodeMiddleware', function () {
    afterEach(function () {
      helper.settings({});
    });

    it('puts the settings middleware in front of the webhook', async function () {
      const seen: string[] = [];
      helper.settings({
        httpNodeMiddleware: (req: Request, res: Response, next: NextFunction) => {
          seen.push(String(req.headers['x-sg-delivery-id']));
          if (req.headers['x-block']) {
            res.writeHead(418);
            res.end();
          } else {
            next();
          }
        },
      });
      await start([TAB, webhook(), OUT]);
      const body = singleBody(taskChange(1));
      (await signed(body, { 'x-block': 'yes' })).status.should.equal(418);
      await settle();
      received.should.have.length(0);
      (await signed(body)).status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
      seen.should.have.length(2);
    });
  });

  describe('routes', function () {
    it('frees the old path when a redeploy changes it', async function () {
      await start([TAB, webhook(), OUT]);
      const body = singleBody(taskChange(1));
      (await signed(body)).status.should.equal(200);
      await helper.setFlows([TAB, webhook({ url: '/fptr/hook2' }), OUT], 'nodes', { w1: { secret: SECRET } });
      (await signed(body)).status.should.equal(404);
      (await signed(singleBody(taskChange(2)), {}, '/fptr/hook2')).status.should.equal(200);
    });

    it('reports a path a core http in node already serves on POST', async function () {
      const httpIn = require('@node-red/nodes/core/network/21-httpin.js') as typeof wrapped;
      const flow: Flow = [
        TAB,
        {
          id: 'core',
          type: 'http in',
          z: 'tab',
          url: PATH,
          method: 'post',
          upload: false,
          skipBodyParsing: false,
          swaggerDoc: '',
          wires: [[]],
        },
        webhook(),
        OUT,
      ];
      await start(flow, { w1: { secret: SECRET } }, [httpIn]);
      const errors = helper
        .log()
        .args.map((args: unknown[]) => args[0] as { level: number; id: string; msg: string })
        .filter((event: { level: number; id: string }) => event.level === 20 && event.id === 'w1');
      errors.should.have.length(1);
      errors[0].msg.should.containEql('errors.path-in-use');
    });

    it('reports a second node on the same path instead of shadowing the first', async function () {
      const statuses: Array<{ fill?: string; source: { id: string } }> = [];
      const flow: Flow = [
        TAB,
        { id: 'st', type: 'status', z: 'tab', scope: null, wires: [['sh']] },
        { id: 'sh', type: 'helper', z: 'tab' },
        webhook(),
        webhook({ id: 'w2', url: `${PATH}/`, wires: [['out2']] }),
        { id: 'out2', type: 'helper', z: 'tab' },
        OUT,
      ];
      await start(flow, { w1: { secret: SECRET }, w2: { secret: SECRET } });
      const second: Msg[] = [];
      collect('out2', second);
      const events: Array<{ status: { fill?: string; source: { id: string } } }> = [];
      collect('sh', events);
      const errors = helper
        .log()
        .args.map((args: unknown[]) => args[0] as { level: number; id: string; msg: string })
        .filter((event: { level: number; id: string }) => event.level === 20 && event.id === 'w2');
      errors.should.have.length(1);
      errors[0].msg.should.containEql('errors.path-in-use');
      (await signed(singleBody(taskChange(1)))).status.should.equal(200);
      await receivedCount(1);
      received.should.have.length(1);
      second.should.have.length(0);
      await until(() => events.some((e) => e.status.source.id === 'w1'));
      // the first node's status is green; the second one reported red at start (before the status node listened)
      statuses.push(...events.map((e) => e.status));
      const first = statuses.filter((s) => s.source.id === 'w1');
      first.length.should.be.above(0);
      first.every((s) => s.fill === 'green').should.be.true();
      statuses.some((s) => s.source.id === 'w2' && s.fill === 'green').should.be.false();
    });
  });
});
