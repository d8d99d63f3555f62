import should = require('should');
import { Semaphore } from '../../../lib/util/semaphore';

describe('Semaphore', () => {
  it('admits at most `limit` holders and serves waiters first in, first out', async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    const a = await sem.acquire();
    const b = await sem.acquire();
    should(sem.inUse).eql(2);
    const waiting = [3, 4, 5].map((n) =>
      sem.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    await new Promise((r) => setImmediate(r));
    should(order).eql([]);
    a();
    a(); // a second release is ignored
    const r3 = await waiting[0]!;
    should(order).eql([3]);
    should(sem.inUse).eql(2);
    b();
    r3();
    await Promise.all(waiting.slice(1));
    should(order).eql([3, 4, 5]);
  });

  it('rejects waiters on shutdown', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const p = sem.acquire();
    sem.rejectWaiting(new Error('closed'));
    await should(p).be.rejectedWith('closed');
  });

  it('refuses a limit below 1', () => {
    should(() => new Semaphore(0)).throw(RangeError);
  });
});
