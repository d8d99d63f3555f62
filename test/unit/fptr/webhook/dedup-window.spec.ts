import 'should';
import { DedupWindow } from '../../../../lib/fptr/webhook/dedup-window';

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
    fresh.snapshot(1200).keys.should.eql(['kept', 'newest', 'live']);
    fresh.seen('kept', 1200).should.be.true();
    fresh.seen('old', 1200).should.be.false();
  });

  it('stays consistent when the clock goes backwards', function () {
    const dedup = new DedupWindow({ windowMs: 100, maxEntries: 10 });
    dedup.seen('x', 1000).should.be.false();
    dedup.seen('y', 500).should.be.false();
    dedup.seen('y', 1550).should.be.false(); // expired, though not at the head of the FIFO
    dedup.snapshot(1550).should.eql({ v: 1, keys: ['y'], times: [1550] });
    dedup.seen('y', 1560).should.be.true();
    dedup.size.should.equal(1);
  });

  it('restores a snapshot with repeated keys once', function () {
    const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
    dedup.restore({ v: 1, keys: ['a', 'a', 'b'], times: [10, 20, 30] }, 100);
    dedup.snapshot(100).keys.should.eql(['a', 'b']);
    dedup.seen('a', 2000).should.be.false();
    dedup.snapshot(2000).keys.should.eql(['a']);
  });

  it('ignores a stored value that is not a snapshot', function () {
    const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
    dedup.seen('a', 0);
    for (const junk of [
      undefined,
      null,
      'x',
      { v: 2, keys: [], times: [] },
      { v: 1, keys: ['b'], times: [] },
      { v: 1, keys: [1], times: [1] },
    ]) {
      dedup.restore(junk, 10);
    }
    dedup.snapshot(10).keys.should.eql(['a']);
  });

  it('forgets a key: seen again it counts as new, and the snapshot leaves it out', function () {
    const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 2 });
    dedup.seen('a', 0);
    dedup.seen('b', 1);
    dedup.dirty = false;
    dedup.forget('a');
    dedup.dirty.should.be.true();
    dedup.size.should.equal(1);
    dedup.snapshot(2).keys.should.eql(['b']);
    dedup.seen('a', 3).should.be.false();
    dedup.seen('a', 4).should.be.true();
    // The stale entry of the first 'a' is skipped when the oldest are evicted.
    dedup.seen('c', 5).should.be.false();
    dedup.snapshot(5).keys.should.eql(['a', 'c']);
    dedup.forget('unknown');
    dedup.size.should.equal(2);
  });
});
