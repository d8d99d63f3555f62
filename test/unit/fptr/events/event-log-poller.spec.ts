import should = require('should');
import { FptrSimulator } from '../../../../sim';
import type { FlatRecord } from '../../../../lib/fptr/client/api';
import type { StoredCursor } from '../../../../lib/fptr/events/event-log-cursor';
import { logEventOf } from '../../../../lib/fptr/events/event-log-delivery';
import { CLAIM_AHEAD } from '../../../../lib/fptr/events/event-log-poller';
import { eventLogQuery } from '../../../../lib/fptr/events/event-log-query';
import { ClientSim } from '../../../support/client-sim';
import { MemoryCursorStore, PollerRun, idRange, waitFor, type RunOptions } from '../../../support/event-log';

const DEMO = FptrSimulator.DEMO;

/** Ids strictly ascending (each sent once, in order). */
function ascending(ids: readonly number[]): boolean {
  return ids.every((id, i) => i === 0 || id > ids[i - 1]);
}

function duplicates(ids: readonly number[]): number[] {
  const seen = new Set<number>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

describe('event-log poller (core, simulator over loopback)', function () {
  this.timeout(60_000);
  const cs = new ClientSim();
  const runs: PollerRun[] = [];
  let sim: FptrSimulator;

  beforeEach(async () => {
    sim = await cs.start();
  });
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => r.stop()));
    await cs.stop();
  });

  function run(settings: RunOptions['settings'], options: Partial<RunOptions> = {}): PollerRun {
    const client = cs.client({ maxRetries: 0, timeoutMs: 2000 });
    const r = new PollerRun({ api: client, siteUrl: sim.url, settings: { interval: 0.05, ...settings }, ...options });
    runs.push(r);
    return r.start();
  }

  const newest = (): number => sim.eventLog().at(-1)?.id ?? 0;

  describe('catch-up with ids committed late', () => {
    // The node-level test (test/nodes/fptr-events-in/process.spec.ts) runs the 10,000 events.
    it('4,000 events, 3 % late (some never in the window): each existing one sent once, in id order but the late ones; given-up ids reported', async () => {
      const start = newest();
      const r = run({ start: 'id', startId: start, commit: 'emit', gapWindow: 3 });
      await waitFor(() => r.noticesOf('started').length === 1, 'started');
      // Written while the node reads, 500 at a time, as a busy site would.
      const hold = sim.eventLog.holdBack({ fraction: 0.025, forMs: 400, foreverFraction: 0.005, seed: 7 });
      const made: number[] = [];
      const late = new Set<number>();
      const never: number[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const { firstId, lastId } = sim.generateEvents(200, { projects: [DEMO.projectId], seed: batch + 1 });
        made.push(...idRange(firstId, lastId));
        for (const h of sim.eventLog.held()) {
          if (h.id < firstId) continue;
          if (h.until === null) never.push(h.id);
          else late.add(h.id);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      hold.stop();
      should(late.size).be.above(50);
      should(never.length).be.above(8);

      const expected = made.filter((id) => !never.includes(id));
      const reported = (): number[] =>
        [
          ...r.givenUpIds(),
          ...r.noticesOf('never-happened').flatMap((n) => n.ranges.flatMap(([a, b]) => idRange(a, b))),
        ].sort((a, b) => a - b);
      await waitFor(
        () => r.sent.length >= expected.length && reported().length >= never.length,
        'every row sent and every missing id given up',
      );

      const ids = r.ids();
      should(duplicates(ids)).eql([]);
      should([...ids].sort((a, b) => a - b)).eql(expected);
      should(ascending(ids.filter((id) => !late.has(id)))).be.true();
      // Some late ones came after higher ids, not in their place.
      should(ids.some((id, i) => late.has(id) && i > 0 && ids[i - 1] > id)).be.true();
      // Missing ids are given up after the window (or, on a slow machine, found to be older than it at once).
      should(reported()).eql(never);
      should(r.givenUpIds().length).be.above(0);

      // Committed after the window: given up for good, never sent.
      sim.eventLog.release(never);
      const sent = r.poller.status().sent;
      const reads = sim.stats.requests;
      await waitFor(() => sim.stats.requests > reads + 5, 'a few more polls');
      should(r.poller.status().sent).eql(sent);
    });

    it('ids missing below rows older than the gap window are not waited for (they never happened)', async () => {
      const start = newest();
      const hold = sim.eventLog.holdBack({ fraction: 0, foreverFraction: 0.05, seed: 3 });
      const old = Date.now() - 3_600_000;
      const { firstId, lastId } = sim.generateEvents(400, { projects: [DEMO.projectId], from: old, to: old + 60_000 });
      hold.stop();
      const never = sim.eventLog.held().map((h) => h.id);
      should(never.length).be.above(5);

      const r = run({ start: 'id', startId: start, commit: 'emit', gapWindow: 600 });
      await waitFor(() => r.sent.length >= lastId - firstId + 1 - never.length, 'the rows that exist');
      should(r.poller.status().gaps).eql(0);
      should(r.givenUpIds()).eql([]);
      should(r.noticesOf('never-happened').flatMap((n) => n.ranges.flatMap(([a, b]) => idRange(a, b)))).eql(never);
    });
  });

  describe('commit: ack', () => {
    it('a crash loses no event, and only the rows stored as in flight are sent again', async () => {
      const start = newest();
      const { firstId, lastId } = sim.generateEvents(1500, { projects: [DEMO.projectId] });
      const all = idRange(firstId, lastId);
      const store = new MemoryCursorStore();
      const first = run({ start: 'id', startId: start, commit: 'ack', maxInFlight: 4 }, { store });
      await waitFor(() => first.acked.size >= 600, 'the first run to get going');
      const atCrash = store.freeze();
      await first.stop();
      // Out at once (4) plus the rows claimed ahead in the same write.
      should(atCrash.inFlight.length).be.belowOrEqual(4 + CLAIM_AHEAD);

      const second = run(
        { start: 'id', startId: start, commit: 'ack', maxInFlight: 4 },
        { store: new MemoryCursorStore(atCrash) },
      );
      await waitFor(
        () => all.every((id) => first.acked.has(id) || second.acked.has(id)),
        'every event acknowledged in one of the runs',
      );
      const again = second.ids().filter((id) => first.acked.has(id));
      should(again.every((id) => atCrash.inFlight.includes(id))).be.true();
      // The in-flight rows go out first, in order and no more than 4 at a time, then the rest in order.
      should(second.ids().slice(0, atCrash.inFlight.length)).eql(atCrash.inFlight);
      should(second.maxOutstanding).be.belowOrEqual(4);
      should(second.ids().filter((id) => id <= atCrash.high && !atCrash.inFlight.includes(id))).eql([]);
      should(second.noticesOf('cursor-restored')).have.length(1);
    });

    it('maxInFlight 1 keeps strict id order: the next row leaves only after the previous is acknowledged', async () => {
      const start = newest();
      const { firstId, lastId } = sim.generateEvents(300, { projects: [DEMO.projectId] });
      const r = run({ start: 'id', startId: start, commit: 'ack' });
      await waitFor(() => r.acked.size === lastId - firstId + 1, 'all acknowledged');
      should(r.ids()).eql(idRange(firstId, lastId));
      should(r.maxOutstanding).eql(1);
    });

    it('onFailure retry: a failing event is sent retries+1 times, then given up on the second output; the rest go on', async () => {
      const start = newest();
      const { firstId, lastId } = sim.generateEvents(20, { projects: [DEMO.projectId] });
      const bad = firstId + 5;
      const r = run(
        { start: 'id', startId: start, commit: 'ack', onFailure: 'retry', retries: 2 },
        { ack: (msg) => (msg.fptr.eventId === bad ? { ok: false, detail: 'folder template missing' } : { ok: true }) },
      );
      await waitFor(
        () => r.acked.size === 19 && r.gaveUp.length === 1,
        'the rest acknowledged and the bad one given up',
      );
      should(r.ids().filter((id) => id === bad)).have.length(3);
      should(r.sent.filter((m) => m.fptr.eventId === bad).map((m) => m.fptr.attempt)).eql([1, 2, 3]);
      should(r.gaveUp[0].detail).eql('folder template missing');
      should(r.gaveUp[0].msg.payload.event_log_entry_id).eql(bad);
      // Strict order: nothing after it left before it was given up.
      const firstAfter = r.ids().indexOf(bad + 1);
      should(firstAfter).be.above(r.ids().lastIndexOf(bad));
      should(r.ids().slice(-1)[0]).eql(lastId);
    });

    it('onFailure stop: the cursor is held at the failing event until resume', async () => {
      const start = newest();
      const { firstId, lastId } = sim.generateEvents(10, { projects: [DEMO.projectId] });
      const bad = firstId + 3;
      let failing = true;
      const store = new MemoryCursorStore();
      const r = run(
        { start: 'id', startId: start, commit: 'ack', onFailure: 'stop' },
        {
          store,
          ack: (msg) => (msg.fptr.eventId === bad && failing ? { ok: false, detail: 'no disk' } : { ok: true }),
        },
      );
      await waitFor(() => r.poller.status().phase === 'held', 'held');
      should(r.poller.status().heldAt).eql(bad);
      should(r.noticesOf('held')).eql([{ kind: 'held', id: bad, detail: 'no disk' }]);
      await waitFor(() => (store.value as StoredCursor).inFlight.includes(bad), 'the held event stored as in flight');
      const reads = sim.stats.requests;
      await new Promise((resolve) => setTimeout(resolve, 200));
      should(sim.stats.requests).eql(reads); // held: no polling either
      should(r.ids()).eql(idRange(firstId, bad));

      failing = false;
      r.poller.resume();
      await waitFor(() => r.acked.size === 10, 'the rest after resume');
      should(r.ids()).eql([...idRange(firstId, bad), ...idRange(bad, lastId)]);
    });

    it('an acknowledgement for an earlier sending, or a second one, changes nothing', async () => {
      const start = newest();
      sim.generateEvents(3, { projects: [DEMO.projectId] });
      const r = run({ start: 'id', startId: start, commit: 'ack' }, { ack: () => undefined });
      await waitFor(() => r.sent.length === 1, 'the first row');
      const msg = r.sent[0];
      should(r.poller.acknowledge(msg.fptr.eventId, 'other.1', { ok: true })).eql('stale');
      should(r.poller.acknowledge(msg.fptr.eventId, msg.fptr.ticket, { ok: true })).eql('committed');
      should(r.poller.acknowledge(msg.fptr.eventId, msg.fptr.ticket, { ok: true })).eql('stale');
      await waitFor(() => r.sent.length === 2, 'the next row');
    });
  });

  describe('filters', () => {
    it('event type patterns, projects and entity types: exactly the matching rows, retirements included', async () => {
      const other = sim.create('Project', { name: 'Other show' });
      const shot = sim.create('Shot', { code: 'ot010', project: { type: 'Project', id: other.id } });
      const start = newest();
      sim.generateEvents(3000, { projects: [DEMO.projectId, other.id] });
      sim.retire('Task', DEMO.taskIds['sh010/Animation']);
      sim.update('Shot', shot.id, { description: 'other project' });
      const settings = {
        eventTypes: ['Shotgun_*_Change', '*_Retirement', 'Shotgun_Note_New'],
        projects: [DEMO.projectId],
        entityTypes: ['Task', 'Note'],
      };
      const query = eventLogQuery(settings);
      const rows = sim.eventLog().filter((row) => row.id > start);
      const expected = rows
        .map((row) => logEventOf(row as FlatRecord))
        .filter((e) => e !== undefined && query.matches(e.delivery))
        .map((e) => e?.id);
      should(expected.length).be.within(500, 2500);

      const r = run({ start: 'id', startId: start, commit: 'emit', pageSize: 100, ...settings });
      await waitFor(
        () => r.sent.length >= expected.length && r.poller.status().phase === 'caught-up',
        'the matching rows',
      );
      should(r.ids()).eql(expected);
      const retirement = r.sent.find((m) => m.payload.event_type === 'Shotgun_Task_Retirement');
      should(retirement?.payload).containEql({ entity: null, operation: 'delete' });
    });
  });

  describe('controls', () => {
    it('pause stops reading and sending, resume goes on from where it was, reset goes back', async () => {
      const start = newest();
      const first = sim.generateEvents(5, { projects: [DEMO.projectId] });
      const r = run({ start: 'id', startId: start, commit: 'emit' });
      await waitFor(() => r.sent.length === 5, 'the first events');
      r.poller.pause();
      await waitFor(() => r.poller.status().phase === 'paused', 'paused');
      const second = sim.generateEvents(5, { projects: [DEMO.projectId] });
      const reads = sim.stats.requests;
      await new Promise((resolve) => setTimeout(resolve, 200));
      should(sim.stats.requests).be.belowOrEqual(reads + 1); // a read already under way may finish
      should(r.sent).have.length(5);
      r.poller.resume();
      await waitFor(() => r.sent.length === 10, 'the events made while paused');
      should(r.ids()).eql(idRange(first.firstId, second.lastId));

      r.poller.reset(first.firstId + 1);
      await waitFor(() => r.sent.length === 18, 'the events after the reset id again');
      should(r.ids().slice(10)).eql(idRange(first.firstId + 2, second.lastId));

      r.poller.reset(); // back to start: "id" after startId
      await waitFor(() => r.sent.length === 28, 'everything after startId again');
      should(r.ids().slice(18)).eql(idRange(first.firstId, second.lastId));
    });
  });

  describe('start', () => {
    it('now: only events made after the first start; a stored cursor then wins over start', async () => {
      sim.generateEvents(20, { projects: [DEMO.projectId] });
      const store = new MemoryCursorStore();
      const r = run({ start: 'now', commit: 'emit' }, { store });
      await waitFor(() => r.noticesOf('started').length === 1, 'started');
      const { firstId, lastId } = sim.generateEvents(5, { projects: [DEMO.projectId] });
      await waitFor(() => r.sent.length === 5, 'the new events');
      should(r.ids()).eql(idRange(firstId, lastId));
      await r.stop();

      const later = sim.generateEvents(3, { projects: [DEMO.projectId] });
      const again = run({ start: 'now', commit: 'emit' }, { store });
      await waitFor(() => again.sent.length === 3, 'the events made while stopped');
      should(again.ids()).eql(idRange(later.firstId, later.lastId));
    });

    it('since: events made at or after a date-time', async () => {
      const t = Math.floor((Date.now() - 600_000) / 1000) * 1000; // created_at has whole seconds
      sim.generateEvents(10, { projects: [DEMO.projectId], from: t - 60_000, to: t - 1000 });
      const after = sim.generateEvents(10, { projects: [DEMO.projectId], from: t, to: t + 60_000 });
      const r = run({ start: 'since', since: new Date(t).toISOString(), commit: 'emit' });
      await waitFor(() => r.sent.length === 10 && r.poller.status().phase === 'caught-up', 'the later events');
      should(r.ids()).eql(idRange(after.firstId, after.lastId));
    });
  });

  describe('stored cursor', () => {
    const corrupt: Array<[string, unknown]> = [
      ['text', 'garbage'],
      ['another version', { v: 2, high: 5 }],
      ['a negative id', { v: 1, high: -1, gaps: [], inFlight: [], site: 'SITE' }],
      ['gaps that are not pairs', { v: 1, high: 5, gaps: [[1]], inFlight: [], site: 'SITE' }],
      [
        'a huge gap list',
        { v: 1, high: 5, gaps: Array.from({ length: 20_000 }, (_, i) => [i + 1, 0]), inFlight: [], site: 'SITE' },
      ],
      ['another site', { v: 1, high: 5, gaps: [], inFlight: [], site: 'https://elsewhere.example.com' }],
    ];
    for (const [what, value] of corrupt) {
      it(`${what}: reported with a reason, and the node starts per start`, async () => {
        const start = newest();
        const { firstId, lastId } = sim.generateEvents(5, { projects: [DEMO.projectId] });
        const stored = JSON.parse(JSON.stringify(value).replace(/"SITE"/g, JSON.stringify(sim.url))) as unknown;
        const store = new MemoryCursorStore(stored);
        const r = run({ start: 'id', startId: start, commit: 'emit' }, { store });
        await waitFor(() => r.sent.length === 5, 'the events after startId');
        should(r.ids()).eql(idRange(firstId, lastId));
        const [notice] = r.noticesOf('cursor-unreadable');
        should(notice.reason).be.a.String().and.not.be.empty();
        await waitFor(
          () => (store.value as StoredCursor).v === 1 && (store.value as StoredCursor).high >= lastId,
          'a fresh cursor stored',
        );
      });
    }
  });

  describe('site outages', () => {
    it('5xx, dropped connections, timeouts and 429 while polling: status shows it, polling resumes by itself, nothing skipped', async () => {
      const start = newest();
      const r = run({ start: 'id', startId: start, commit: 'ack', maxInFlight: 3 });
      await waitFor(() => r.noticesOf('started').length === 1, 'started');
      const made: number[] = [];
      const make = (): void => {
        const { firstId, lastId } = sim.generateEvents(50, { projects: [DEMO.projectId] });
        made.push(...idRange(firstId, lastId));
      };
      const path = '/api/v1/entity/EventLogEntry';
      const outages = [
        { path, status: 503, times: 3 },
        { path, drop: true, times: 2 },
        { path, latencyMs: 2500, times: 2 },
        { path, status: 429, retryAfter: 1, times: 1 },
      ];
      for (const fault of outages) {
        const errors = r.noticesOf('site-error').length;
        const recoveries = r.noticesOf('site-recovered').length;
        sim.faults.add(fault);
        make();
        if (fault.latencyMs) {
          // A slow answer shows while it is awaited, before it fails.
          await waitFor(
            () => Date.now() - (r.poller.status().readingSince ?? Infinity) > 1000,
            'a read under way for a while',
          );
        }
        const phases = r.phases.length;
        await waitFor(
          () => r.noticesOf('site-error').length > errors,
          `the outage (${JSON.stringify(fault)}) reported`,
        );
        await waitFor(() => r.phases.slice(phases).includes('site-error'), 'the status showing it');
        await waitFor(() => r.noticesOf('site-recovered').length > recoveries, 'recovery');
        make();
      }
      await waitFor(() => made.every((id) => r.acked.has(id)), 'every event made during the outages');
      should(duplicates(r.ids())).eql([]);
      should(r.ids()).eql(made);
    });
  });

  describe('late rows with filters', () => {
    it('matching late rows are sent, late rows that do not match are dropped without a warning', async () => {
      const start = newest();
      const hold = sim.eventLog.holdBack({ fraction: 0.1, forMs: 300, seed: 11 });
      const { firstId, lastId } = sim.generateEvents(200, { projects: [DEMO.projectId], types: ['Task', 'Shot'] });
      hold.stop();
      const held = sim.eventLog.held().map((h) => h.id);
      const r = run({ start: 'id', startId: start, commit: 'emit', entityTypes: ['Shot'] });
      const shots = sim
        .eventLog()
        .filter(
          (row) =>
            row.id >= firstId && row.id <= lastId && (row.meta as { entity_type?: string }).entity_type === 'Shot',
        )
        .map((row) => row.id);
      await waitFor(
        () => r.sent.length === shots.length && r.poller.status().gaps === 0,
        'every Shot event, late ones included',
      );
      should([...r.ids()].sort((a, b) => a - b)).eql(shots);
      should(held.some((id) => shots.includes(id))).be.true();
      should(held.some((id) => !shots.includes(id))).be.true();
      should(r.givenUpIds()).eql([]);
    });
  });
});
