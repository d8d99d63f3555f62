import should = require('should');
import { backoffMs, parseRetryAfter, retryWaitMs, sleep } from '../../../../lib/fptr/client/retry';

describe('retry helpers', () => {
  it('backoff grows exponentially, is capped, and is jittered from 0', () => {
    should(backoffMs(0, 250, 10_000, () => 0.999)).eql(249);
    should(backoffMs(3, 250, 10_000, () => 0.999)).eql(1998);
    should(backoffMs(10, 250, 10_000, () => 0.999)).eql(9990);
    should(backoffMs(10, 250, 10_000, () => 0)).eql(0);
  });

  it('waits at least the backoff, and longer only when Retry-After asks for more', () => {
    const half = (): number => 0.5;
    should(retryWaitMs(2, undefined, 250, 10_000, half)).eql(500);
    should(retryWaitMs(2, 0, 250, 10_000, half)).eql(500);
    should(retryWaitMs(2, 100, 250, 10_000, half)).eql(500);
    should(retryWaitMs(2, 3_000, 250, 10_000, half)).eql(3_000);
  });

  const now = Date.parse('2025-01-01T00:00:00Z');
  const retryAfter: Array<[string | string[] | undefined, number | undefined]> = [
    ['1', 1000],
    [' 30 ', 30_000],
    ['0', 0],
    ['Wed, 01 Jan 2025 00:00:05 GMT', 5000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0],
    ['86400', 86_400_000],
    ['86401', 86_400_000],
    ['9'.repeat(400), 86_400_000],
    ['Fri, 01 Jan 2100 00:00:00 GMT', 86_400_000],
    [['2', '7'], 2000],
    ['soon', undefined],
    ['-3', undefined],
    ['1.5', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [value, ms] of retryAfter) {
    it(`Retry-After ${String(JSON.stringify(value)).slice(0, 40)} → ${String(ms)} ms`, () => {
      should(parseRetryAfter(value, now)).eql(ms);
    });
  }

  it('sleep rejects with the abort reason when aborted', async () => {
    const ac = new AbortController();
    const p = sleep(10_000, ac.signal);
    ac.abort(new Error('closing'));
    await should(p).be.rejectedWith('closing');
  });
});
