import fc from 'fast-check';
import 'should';
import { DedupWindow } from '../../../../lib/fptr/webhook/dedup-window';
import { fingerprintInto } from '../../../../lib/fptr/webhook/key-fingerprint';

/** A key's fingerprint as a snapshot writes it: 16 hex digits. */
const fp = (key: string): string => {
  const out = new Uint32Array(2);
  fingerprintInto(key, out);
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32BE(out[0], 0);
  bytes.writeUInt32BE(out[1], 4);
  return bytes.toString('hex');
};
const fps = (...keys: string[]): string => keys.map(fp).join('');

describe('DedupWindow', function () {
  it('reports a key seen within the window and forgets it after', function () {
    const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
    dedup.seen('a', 0).should.be.false();
    dedup.seen('a', 999).should.be.true();
    dedup.seen('a', 1000).should.be.false();
    dedup.seen('a', 1500).should.be.true();
  });

  it('expires old keys and never holds more than maxEntries', function () {
    const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) dedup.seen(key, 0);
    dedup.size.should.equal(3);
    dedup.seen('a', 1).should.be.false(); // evicted as the oldest
    dedup.seen('d', 1).should.be.true();
    dedup.seen('z', 5000);
    dedup.size.should.equal(1);
  });

  it('stays bounded across 200,000 keys', function () {
    const dedup = new DedupWindow({ windowMs: 600_000, maxEntries: 50_000 });
    for (let i = 0; i < 200_000; i++) dedup.seen(`key-${i}`, i);
    dedup.size.should.equal(50_000);
    dedup.seen('key-199999', 200_000).should.be.true();
    dedup.seen('key-0', 200_000).should.be.false();
  });

  it('restores a snapshot behind the keys seen since start-up, dropping expired ones', function () {
    const saved = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
    saved.seen('old', 0);
    saved.seen('kept', 600);
    saved.seen('newest', 900);
    const snapshot = JSON.parse(JSON.stringify(saved.snapshot(900)));
    const fresh = new DedupWindow({ windowMs: 1000, maxEntries: 3 });
    fresh.seen('live', 1100);
    fresh.restore(snapshot, 1200);
    fresh.snapshot(1200).fingerprints.should.eql(fps('kept', 'newest', 'live'));
    fresh.seen('kept', 1200).should.be.true();
    fresh.seen('old', 1200).should.be.false();
  });

  it('stays consistent when the clock goes backwards', function () {
    const dedup = new DedupWindow({ windowMs: 100, maxEntries: 10 });
    dedup.seen('x', 1000).should.be.false();
    dedup.seen('y', 500).should.be.false();
    dedup.seen('y', 1550).should.be.false(); // expired, though not at the head of the FIFO
    dedup.snapshot(1550).should.eql({ v: 2, fingerprints: fps('y'), times: [1550] });
    dedup.seen('y', 1560).should.be.true();
    dedup.size.should.equal(1);
  });

  it('restores a snapshot with repeated keys once', function () {
    const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
    dedup.restore({ v: 1, keys: ['a', 'a', 'b'], times: [10, 20, 30] }, 100);
    dedup.snapshot(100).fingerprints.should.eql(fps('a', 'b'));
    dedup.seen('a', 2000).should.be.false();
    dedup.snapshot(2000).fingerprints.should.eql(fps('a'));
  });

  it('ignores a stored value that is not a snapshot', function () {
    const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
    dedup.seen('a', 0);
    for (const junk of [
      undefined,
      null,
      'x',
      { v: 2, keys: [], times: [] },
      { v: 2, fingerprints: [fp('b')], times: [1] },
      { v: 2, fingerprints: 'not hex at all!', times: [1] },
      { v: 2, fingerprints: 'g'.repeat(16), times: [1] },
      { v: 2, fingerprints: fp('b') + 'ab', times: [1] },
      { v: 2, fingerprints: fps('b', 'c'), times: [1] },
      { v: 2, fingerprints: fp('b'), times: ['1'] },
      { v: 3, fingerprints: fp('b'), times: [1] },
      { v: 1, keys: ['b'], times: [] },
      { v: 1, keys: [1], times: [1] },
    ]) {
      dedup.restore(junk, 10);
    }
    dedup.snapshot(10).fingerprints.should.eql(fps('a'));
  });

  it('forgets a key: seen again it counts as new, and the snapshot leaves it out', function () {
    const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 2 });
    dedup.seen('a', 0);
    dedup.seen('b', 1);
    dedup.dirty = false;
    dedup.forget('a');
    dedup.dirty.should.be.true();
    dedup.size.should.equal(1);
    dedup.snapshot(2).fingerprints.should.eql(fps('b'));
    dedup.seen('a', 3).should.be.false();
    dedup.seen('a', 4).should.be.true();
    // The stale entry of the first 'a' is skipped when the oldest are evicted.
    dedup.seen('c', 5).should.be.false();
    dedup.snapshot(5).fingerprints.should.eql(fps('a', 'c'));
    dedup.forget('unknown');
    dedup.size.should.equal(2);
  });
});

/** The window's semantics with the keys themselves (a Map and a FIFO), as the model to check against. */
class ModelWindow {
  times = new Map<string, number>();
  fifo: Array<{ key: string; at: number }> = [];

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
  ) {}

  seen(key: string, now: number): boolean {
    while (this.fifo.length > 0 && this.fifo[0].at <= now - this.windowMs) this.shift();
    const at = this.times.get(key);
    if (at !== undefined && now - at < this.windowMs) return true;
    this.times.set(key, now);
    this.fifo.push({ key, at: now });
    while (this.times.size > this.maxEntries) this.shift();
    return false;
  }

  forget(key: string): void {
    this.times.delete(key);
  }

  live(now: number): Array<{ key: string; at: number }> {
    while (this.fifo.length > 0 && this.fifo[0].at <= now - this.windowMs) this.shift();
    return this.fifo.filter((entry) => this.times.get(entry.key) === entry.at);
  }

  /** Saved and loaded again: the live keys in time order (arrival order unless the clock went back). */
  reload(now: number): void {
    const kept = this.live(now)
      .filter((entry) => now - entry.at < this.windowMs)
      .sort((a, b) => a.at - b.at);
    this.times = new Map(kept.map((entry) => [entry.key, entry.at]));
    this.fifo = kept;
  }

  private shift(): void {
    const { key, at } = this.fifo.shift()!;
    if (this.times.get(key) === at) this.times.delete(key);
  }
}

describe('DedupWindow against a model that keeps the keys', function () {
  type Op = { kind: 'seen' | 'forget'; key: number; dt: number } | { kind: 'reload'; dt: number };
  const ops = (keys: number, minLength: number, maxLength: number): fc.Arbitrary<Op[]> =>
    fc.array(
      fc.oneof(
        {
          weight: 8,
          arbitrary: fc.record({
            kind: fc.constant('seen' as const),
            key: fc.nat(keys),
            dt: fc.integer({ min: -30, max: 120 }),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({ kind: fc.constant('forget' as const), key: fc.nat(keys), dt: fc.constant(0) }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('reload' as const), dt: fc.nat(50) }) },
      ),
      { minLength, maxLength },
    );

  function check(steps: Op[], maxEntries: number, windowMs: number): void {
    let window = new DedupWindow({ windowMs, maxEntries });
    const model = new ModelWindow(windowMs, maxEntries);
    let now = 1_000_000;
    for (const step of steps) {
      now += step.dt;
      if (step.kind === 'reload') {
        const saved = JSON.parse(JSON.stringify(window.snapshot(now))) as unknown;
        window = new DedupWindow({ windowMs, maxEntries });
        window.restore(saved, now);
        model.reload(now);
      } else if (step.kind === 'seen') {
        window.seen(`event:${step.key}|x`, now).should.equal(model.seen(`event:${step.key}|x`, now));
      } else {
        window.forget(`event:${step.key}|x`);
        model.forget(`event:${step.key}|x`);
      }
      window.size.should.equal(model.times.size);
    }
    const live = model.live(now);
    window
      .snapshot(now)
      .should.eql({ v: 2, fingerprints: fps(...live.map((e) => e.key)), times: live.map((e) => e.at) });
  }

  it('answers, holds and saves what the model does (clock going backwards, forgets, reloads included)', function () {
    fc.assert(
      fc.property(ops(40, 0, 400), fc.integer({ min: 1, max: 30 }), (steps, maxEntries) =>
        check(steps, maxEntries, 500),
      ),
      { numRuns: 300 },
    );
  });

  it('does so while its table and FIFO grow past their first size', function () {
    fc.assert(
      fc.property(ops(4000, 2000, 2500), fc.integer({ min: 1100, max: 1500 }), (steps, maxEntries) =>
        check(steps, maxEntries, 200_000),
      ),
      // Shrinking thousands of steps would take minutes: a failure is reported as found.
      { numRuns: 5, endOnFailure: true },
    );
  });

  it('gives 200,000 event keys 200,000 different fingerprints', function () {
    const seen = new Set<string>();
    for (let id = 1; id <= 200_000; id++) seen.add(fp(`event:${1_000_000_000 + id}|sg_status_list`));
    seen.size.should.equal(200_000);
  });
});
