import fc from 'fast-check';
import should = require('should');
import { BackstopGate } from '../../../../lib/fptr/webhook/backstop-gate';
import { DedupWindow } from '../../../../lib/fptr/webhook/dedup-window';
import { dedupKey } from '../../../../lib/fptr/webhook/delivery-body';
import { eventKey } from '../../../../lib/fptr/webhook/event-key';

describe('event key', function () {
  it('is the same for a webhook delivery and the event-log row it came from', function () {
    const delivery = {
      id: '4410.812334.0',
      event_log_entry_id: 812334,
      delivery_id: 'dea7a71d-4896-482f-b238-b61820df8b65',
      event_type: 'Shotgun_Task_Change',
      attribute_name: 'sg_status_list',
    };
    const row = { event_log_entry_id: 812334, event_type: 'Shotgun_Task_Change', attribute_name: 'sg_status_list' };
    eventKey(delivery)!.should.equal('event:812334|sg_status_list');
    eventKey(row)!.should.equal(eventKey(delivery));
    // The webhook's own duplicate key differs from it, so both are kept.
    dedupKey(delivery)!.should.not.equal(eventKey(delivery));
    eventKey({ event_log_entry_id: 5, attribute_name: null })!.should.equal('event:5|');
  });
  it('does not exist for test connections, status changes and odd ids', function () {
    for (const id of [0, -1, 1.5, undefined, Number.MAX_SAFE_INTEGER + 2])
      should(eventKey({ event_log_entry_id: id })).be.undefined();
  });
});

describe('backstop gate', function () {
  it('emits what the webhook did not deliver within the grace period, and claims it', async function () {
    const seen = new DedupWindow({ windowMs: 600_000, maxEntries: 1000 });
    const gate = new BackstopGate<number>({
      graceMs: 120_000,
      claim: async (keys, now) => keys.map((key) => seen.seen(key, now)),
    });
    seen.seen('event:2|', 0); // the webhook delivered event 2
    gate.hold(1, 'event:1|', 1000);
    gate.hold(2, 'event:2|', 1000);
    gate.hold(3, 'event:3|', 5000);
    gate.nextDueAt()!.should.equal(121_000);
    (await gate.release(120_999)).should.eql([]);
    seen.seen('event:1|', 60_000).should.be.false(); // delivered late, but within the grace period
    (await gate.release(121_000)).should.eql([
      { item: 1, outcome: 'covered' },
      { item: 2, outcome: 'covered' },
    ]);
    (await gate.release(200_000)).should.eql([{ item: 3, outcome: 'emit' }]);
    // A webhook delivery of event 3 after the backstop emitted it is now a duplicate.
    seen.seen('event:3|', 200_001).should.be.true();
    gate.counts.should.eql({ emitted: 1, covered: 2 });
    gate.size.should.equal(0);
    should(gate.nextDueAt()).be.undefined();
  });

  it('emits an event without a key when due, without asking', async function () {
    const gate = new BackstopGate<string>({
      graceMs: 0,
      claim: () => Promise.reject(new Error('nothing to ask')),
    });
    gate.hold('x', undefined, 0);
    (await gate.release(0)).should.eql([{ item: 'x', outcome: 'emit' }]);
  });

  it('emits the events it could not check, rather than lose them', async function () {
    const gate = new BackstopGate<string>({ graceMs: 0, claim: () => Promise.reject(new Error('check failed')) });
    gate.hold('a', 'event:1|', 0);
    gate.hold('b', 'event:2|', 0);
    (await gate.release(0)).map((r) => r.outcome).should.eql(['emit', 'emit']);
  });

  it('releases each event once when releases overlap, each with its own events', async function () {
    const answers: Array<() => void> = [];
    const gate = new BackstopGate<number>({
      graceMs: 0,
      claim: (keys) => new Promise((resolve) => answers.push(() => resolve(keys.map((k) => k === 'event:2|')))),
    });
    gate.hold(1, 'event:1|', 0);
    const first = gate.release(0);
    gate.hold(2, 'event:2|', 1);
    const second = gate.release(1);
    answers[1]();
    answers[0]();
    (await first).should.eql([{ item: 1, outcome: 'emit' }]);
    (await second).should.eql([{ item: 2, outcome: 'covered' }]);
    gate.size.should.equal(0);
  });

  it('refuses a negative grace', function () {
    should.throws(() => new BackstopGate({ graceMs: -1, claim: async () => [] }), /grace/);
  });

  it('releases every event exactly once, in the order held; emitted iff the webhook had not claimed it', async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.integer({ min: 1, max: 50 }), delivered: fc.boolean(), step: fc.nat(50) }), {
          maxLength: 200,
        }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.nat(80), { maxLength: 20 }),
        async (events, grace, releaseSteps) => {
          const claimed = new Set<string>();
          const claim = (key: string): boolean => {
            if (claimed.has(key)) return true;
            claimed.add(key);
            return false;
          };
          const gate = new BackstopGate<number>({ graceMs: grace, claim: async (keys) => keys.map(claim) });
          let now = 0;
          const out: Array<{ item: number; outcome: string }> = [];
          for (const [i, event] of events.entries()) {
            now += event.step;
            if (event.delivered) claim(`event:${event.id}|`);
            gate.hold(i, `event:${event.id}|`, now);
            const ahead = releaseSteps.length > 0 ? releaseSteps[i % releaseSteps.length] : undefined;
            if (ahead !== undefined) out.push(...(await gate.release(now + ahead)));
          }
          out.push(...(await gate.release(Number.MAX_SAFE_INTEGER)));
          out.map((r) => r.item).should.eql(events.map((_, i) => i));
          // Per event id: emitted at most once overall, and never when the webhook delivered it first.
          const emittedIds = out.filter((r) => r.outcome === 'emit').map((r) => events[r.item].id);
          new Set(emittedIds).size.should.equal(emittedIds.length);
        },
      ),
    );
  });
});
