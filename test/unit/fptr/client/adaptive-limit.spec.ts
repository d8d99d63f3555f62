import should = require('should');
import { AdaptiveLimit, type Permit, type PushBack } from '../../../../lib/fptr/client/adaptive-limit';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const BUSY = { busy: true } as const;

/** Takes `n` permits that are granted now (fewer when the limit is lower). */
async function take(limit: AdaptiveLimit, n: number): Promise<Permit[]> {
  const permits: Permit[] = [];
  for (let i = 0; i < n; i++) void limit.acquire().then((p) => permits.push(p));
  await tick();
  return permits;
}

describe('AdaptiveLimit (AIMD per site)', () => {
  it('gives a healthy site its full maximum, in arrival order', async () => {
    const changes: PushBack[] = [];
    const limit = new AdaptiveLimit(4, { onChange: (s) => changes.push(s) });
    const order: number[] = [];
    const permits = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        limit.acquire().then((p) => {
          order.push(i);
          return p;
        }),
      ),
    );
    let fifth = false;
    const waiting = limit.acquire().then((p) => {
      fifth = true;
      return p;
    });
    await tick();
    should(fifth).be.false();
    permits[0]!.release();
    (await waiting).release();
    should(order).eql([0, 1, 2, 3]);
    should(limit.state).eql({ limit: 4, max: 4 });
    should(changes).eql([]);
  });

  it('serves the flows’ requests before waiting `later` ones, with one `later` in flight while they wait', async () => {
    const limit = new AdaptiveLimit(2);
    const [a, b] = await take(limit, 2);
    const granted: string[] = [];
    const permits = new Map<string, Permit>();
    for (const [name, lane] of [
      ['ack1', 'later'],
      ['ack2', 'later'],
      ['read1', 'now'],
      ['read2', 'now'],
    ] as const)
      void limit.acquire(lane).then((p) => {
        granted.push(name);
        permits.set(name, p);
      });
    await tick();
    should(granted).eql([]);
    a!.release();
    await tick();
    should(granted).eql(['ack1']); // no `later` request in flight: one goes
    b!.release();
    await tick();
    should(granted).eql(['ack1', 'read1']); // one `later` is in flight: the flows' requests first
    permits.get('ack1')!.release();
    await tick();
    should(granted).eql(['ack1', 'read1', 'ack2']);
    permits.get('read1')!.release();
    await tick();
    should(granted).eql(['ack1', 'read1', 'ack2', 'read2']);
  });

  it('gives `later` requests every place when nothing else waits', async () => {
    const limit = new AdaptiveLimit(3);
    let granted = 0;
    for (let i = 0; i < 4; i++) void limit.acquire('later').then(() => granted++);
    await tick();
    should(granted).eql(3);
    should(limit.inUse).eql(3);
  });

  it('halves once per round of busy answers, never below 1', async () => {
    const changes: PushBack[] = [];
    const limit = new AdaptiveLimit(8, { onChange: (s) => changes.push(s) });
    const burst = await take(limit, 8);
    for (const p of burst) p.release(BUSY);
    should(limit.state.limit).eql(4);
    for (let i = 0; i < 3; i++) (await take(limit, 1))[0]!.release(BUSY);
    should(limit.state.limit).eql(1);
    (await take(limit, 1))[0]!.release(BUSY);
    should(limit.state.limit).eql(1);
    should(changes.map((c) => c.limit)).eql([4, 2, 1]);
  });

  it('gives one back per calm spell without busy answers, several after a quiet night', async () => {
    let now = 0;
    const changes: PushBack[] = [];
    const limit = new AdaptiveLimit(8, { now: () => now, calmMs: 1000, onChange: (s) => changes.push(s) });
    for (const p of await take(limit, 8)) p.release(BUSY);
    (await take(limit, 1))[0]!.release(BUSY);
    should(limit.state.limit).eql(2);
    now = 999;
    for (const p of await take(limit, 2)) p.release();
    should(limit.state.limit).eql(2);
    now = 1000;
    const three = await take(limit, 3);
    should(three).have.length(3);
    should(limit.state.limit).eql(3);
    for (const p of three) p.release();
    // A busy answer starts the spell again: no step up one calm period after the last step.
    now = 1500;
    (await take(limit, 1))[0]!.release(BUSY);
    now = 2100;
    await take(limit, 1);
    should(limit.state.limit).eql(1);
    now = 3_600_000;
    await take(limit, 1);
    should(limit.state.limit).eql(8);
    should(changes.map((c) => c.limit)).eql([4, 2, 3, 1, 8]);
  });

  it('ignores busy answers to requests sent before the last decrease', async () => {
    const limit = new AdaptiveLimit(8);
    const early = await take(limit, 8);
    early[0]!.release(BUSY);
    should(limit.state.limit).eql(4);
    for (const p of early.slice(1)) p.release(BUSY);
    should(limit.state.limit).eql(4);
  });

  it('starts nothing while the site asked to wait (Retry-After), then resumes', async () => {
    let now = 1_000;
    const changes: PushBack[] = [];
    const limit = new AdaptiveLimit(2, { now: () => now, onChange: (s) => changes.push(s) });
    const [first] = await take(limit, 1);
    first!.release({ busy: true, retryAfterMs: 30 });
    should(limit.state).eql({ limit: 1, max: 2, pausedUntil: 1_030 });
    let granted = false;
    const next = limit.acquire().then((p) => {
      granted = true;
      return p;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    should(granted).be.false();
    now = 1_031;
    (await next).release();
    should(granted).be.true();
    should(changes).eql([
      { limit: 1, max: 2, pausedUntil: 1_030 },
      { limit: 1, max: 2 },
    ]);
  });

  it('rejects waiters on close, and callers after it', async () => {
    const limit = new AdaptiveLimit(1);
    await take(limit, 1);
    const waiting = limit.acquire();
    limit.close(new Error('closed'));
    await should(waiting).be.rejectedWith('closed');
    await should(limit.acquire()).be.rejectedWith('closed');
  });
});
