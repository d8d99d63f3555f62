import should = require('should');
import {
  resolveWindow,
  sweepFailedDeliveries,
  toUnixSeconds,
  WindowError,
  type SweepApi,
} from '../../../../lib/fptr/actions/redeliver-sweep';
import type { DeliveryRecord, ListDeliveriesOptions } from '../../../../lib/fptr/client/api';

/** An in-memory deliveries API: records what was asked, fails redelivery for chosen ids. */
class DeliveryLog implements SweepApi {
  listed: ListDeliveriesOptions[] = [];
  redelivered: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly rows: DeliveryRecord[],
    private readonly failing = new Set<string>(),
  ) {}
  async listDeliveries(_hookId: string, options: ListDeliveriesOptions = {}): Promise<DeliveryRecord[]> {
    this.listed.push(options);
    return this.rows;
  }
  async redeliver(id: string): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight--;
    if (this.failing.has(id)) throw new Error(`FPTR 404 (code 104): delivery: ${id} not found`);
    this.redelivered.push(id);
  }
}

describe('redeliver sweep: time window', function () {
  const now = Date.UTC(2024, 4, 2, 10, 0, 0);
  const nowS = now / 1000;
  it('defaults to the last N seconds up to now', function () {
    resolveWindow(undefined, 3600, now).should.eql({ from: nowS - 3600, to: nowS });
  });
  it('takes msg.window in seconds, ms, ISO text or Date', function () {
    resolveWindow({ from: nowS - 60, to: nowS }, 3600, now).should.eql({ from: nowS - 60, to: nowS });
    resolveWindow({ from: now - 60_000, to: now }, 3600, now).should.eql({ from: nowS - 60, to: nowS });
    resolveWindow({ from: '2024-05-02T09:59:00Z', to: new Date(now) }, 3600, now).should.eql({
      from: nowS - 60,
      to: nowS,
    });
    resolveWindow({ from: String(nowS - 60) }, 3600, now).should.eql({ from: nowS - 60, to: nowS });
  });
  it('fills a missing end from now and a missing start from the length', function () {
    resolveWindow({ to: nowS - 100 }, 50, now).should.eql({ from: nowS - 150, to: nowS - 100 });
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', 'yesterday', /must be an object/],
    ['an unreadable time', { from: 'yesterday' }, /msg\.window\.from must be a time/],
    ['from after to', { from: nowS, to: nowS - 1 }, /after/],
  ];
  for (const [label, input, error] of bad) {
    it(`refuses ${label}`, function () {
      should.throws(() => resolveWindow(input, 60, now), error);
    });
  }
  it('toUnixSeconds refuses NaN', function () {
    should.throws(() => toUnixSeconds(NaN, 'x'), WindowError);
  });
});

describe('redeliver sweep: redelivery', function () {
  const window = { from: 1714640000, to: 1714643600 };
  const rows = (n: number, status = 'failed'): DeliveryRecord[] =>
    Array.from({ length: n }, (_, i) => ({ id: `d${i}`, status }));

  it('asks for failed deliveries in the window and redelivers each, within the bound', async function () {
    const log = new DeliveryLog(rows(10));
    const summary = await sweepFailedDeliveries(log, 'hook-1', window, 3);
    log.listed.should.eql([{ status: 'failed', from: window.from, to: window.to }]);
    log.redelivered
      .slice()
      .sort()
      .should.eql(
        rows(10)
          .map((r) => r.id)
          .sort(),
      );
    log.maxInFlight.should.equal(3);
    summary.should.eql({
      hookId: 'hook-1',
      window: { from: '2024-05-02T08:53:20Z', to: '2024-05-02T09:53:20Z' },
      found: 10,
      redelivered: 10,
      failed: [],
    });
  });
  it('reports partial failures in list order without throwing', async function () {
    const log = new DeliveryLog(rows(6), new Set(['d4', 'd1']));
    const summary = await sweepFailedDeliveries(log, 'h', window, 4);
    summary.found.should.equal(6);
    summary.redelivered.should.equal(4);
    summary.failed.should.eql([
      { id: 'd1', error: 'FPTR 404 (code 104): delivery: d1 not found' },
      { id: 'd4', error: 'FPTR 404 (code 104): delivery: d4 not found' },
    ]);
  });
  it('skips rows the server returned that are not failed', async function () {
    const log = new DeliveryLog([...rows(2), { id: 'ok', status: 'delivered' }]);
    const summary = await sweepFailedDeliveries(log, 'h', window, 4);
    summary.found.should.equal(2);
    log.redelivered.should.not.containEql('ok');
  });
  it('finds nothing quietly', async function () {
    const summary = await sweepFailedDeliveries(new DeliveryLog([]), 'h', window, 4);
    summary.should.containDeep({ found: 0, redelivered: 0, failed: [] });
  });
});
