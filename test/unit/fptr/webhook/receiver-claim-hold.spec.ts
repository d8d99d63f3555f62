import http = require('node:http');
import type { AddressInfo } from 'node:net';
import 'should';
import { DedupWindow } from '../../../../lib/fptr/webhook/dedup-window';
import { WebhookReceiver, type ReceiverOptions, type WebhookMessage } from '../../../../lib/fptr/webhook/receiver';
import { signBody } from '../../../../lib/fptr/webhook/signature';
import { LocalState } from '../../../../lib/state/local-state';
import { batchBody, sgHeaders, taskChange } from '../../../support/webhook-fixtures';
import { send, type RawResponse } from '../../../support/webhook-client';

const SECRET = 'hold-secret';

/** Shared state whose claims answer only when the test lets them (a Redis that cannot keep up). */
class SlowClaims extends LocalState {
  private readonly waiting: Array<() => void> = [];

  override claim(keys: readonly string[], ttlMs: number, seenHere?: readonly boolean[]): Promise<boolean[]> {
    return new Promise((resolve) => this.waiting.push(() => resolve(super.claim(keys, ttlMs, seenHere))));
  }

  answerAll(): void {
    for (const answer of this.waiting.splice(0)) answer();
  }
}

/** A loopback server whose every POST goes to `receiver`, the body read ahead as the node's capture does. */
async function serve(receiver: WebhookReceiver): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => receiver.handlePost(req, res, { status: 'ok', body: Buffer.concat(chunks) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

describe('WebhookReceiver with shared dedup that cannot keep up', function () {
  let state: SlowClaims;
  let receiver: WebhookReceiver;
  let server: http.Server | undefined;
  let url = '';
  const emitted: WebhookMessage[] = [];
  let next = 1;

  /** A signed batch of `size` deliveries nobody sent before. */
  function post(size: number): Promise<RawResponse> {
    const body = batchBody(Array.from({ length: size }, () => taskChange(next++)));
    return send(url, { body, headers: { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, body) } });
  }

  async function start(options: Partial<ReceiverOptions>): Promise<void> {
    state = new SlowClaims();
    receiver = new WebhookReceiver(
      {
        secret: SECRET,
        split: true,
        emitTestConnections: false,
        dedup: new DedupWindow({ windowMs: 60_000, maxEntries: 10_000 }),
        shared: { state, keyPrefix: 'hold:', ttlMs: 60_000 },
        maxPending: 1_000,
        readTimeoutMs: 1_000,
        claimHoldAt: 100,
        ...options,
      },
      { emit: (msg) => emitted.push(msg), onActivity: () => undefined, onError: () => undefined },
    );
    ({ url, server } = await serve(receiver));
  }

  afterEach(async () => {
    receiver.close();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    emitted.length = 0;
  });

  it('keeps a request unanswered while the claim backlog is at claimHoldAt, then answers and sends it in order', async function () {
    await start({});
    for (let i = 0; i < 2; i++) (await post(50)).status.should.equal(200);
    let answered: RawResponse | undefined;
    const held = post(50).then((res) => (answered = res));
    await new Promise((resolve) => setTimeout(resolve, 200));
    (answered === undefined).should.be.true();
    receiver.pendingCount.should.equal(100);
    state.answerAll();
    (await held).status.should.equal(200);
    state.answerAll();
    while (emitted.length < 150) await new Promise((resolve) => setTimeout(resolve, 10));
    const first = next - 150;
    emitted
      .map((msg) => (msg.payload as { event_log_entry_id: number }).event_log_entry_id)
      .should.eql(Array.from({ length: 150 }, (_, i) => taskChange(first + i).event_log_entry_id));
    receiver.counts.busy.should.equal(0);
  });

  it('answers 503 to a request held claimHoldMs, and keeps nothing of it', async function () {
    await start({ claimHoldMs: 150 });
    for (let i = 0; i < 2; i++) (await post(50)).status.should.equal(200);
    const refused = await post(50);
    refused.status.should.equal(503);
    refused.headers['retry-after']!.should.equal('10');
    receiver.counts.busy.should.equal(1);
    state.answerAll();
    while (emitted.length < 100) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    emitted.should.have.length(100);
    receiver.pendingCount.should.equal(0);
  });

  it('answers 503 at once to a request past maxHeld, holding only the first ones', async function () {
    await start({ maxHeld: 1, claimHoldMs: 10_000 });
    for (let i = 0; i < 2; i++) (await post(50)).status.should.equal(200);
    let answered: RawResponse | undefined;
    const held = post(50).then((res) => (answered = res));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await post(50);
    refused.status.should.equal(503);
    (answered === undefined).should.be.true();
    receiver.counts.busy.should.equal(1);
    state.answerAll();
    (await held).status.should.equal(200);
  });

  it('answers the requests it holds 503 when the node closes', async function () {
    await start({});
    for (let i = 0; i < 2; i++) (await post(50)).status.should.equal(200);
    const held = post(50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    receiver.close();
    const res = await held;
    res.status.should.equal(503);
    res.body.should.containEql('not listening');
  });
});
