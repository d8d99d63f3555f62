import 'should';
import { PacedEmitter } from '../../../../lib/fptr/webhook/paced-emitter';

describe('PacedEmitter', function () {
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  async function drained(emitter: PacedEmitter<number>): Promise<void> {
    while (emitter.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const busy = (ms: number): void => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  const ignore = (): void => undefined;

  it('sends everything in order, a slice per turn', async function () {
    const sent: number[] = [];
    const emitter = new PacedEmitter<number>((n) => sent.push(n), ignore, {
      targetMs: 1,
      catchUpAt: 1e9,
      initialSlice: 10,
      maxSlice: 1000,
    });
    for (let i = 0; i < 25; i++) emitter.push(i);
    await nextTurn();
    sent.should.have.length(10);
    await drained(emitter);
    sent.should.eql(Array.from({ length: 25 }, (_, i) => i));
  });

  it('shrinks the slice when the downstream work of a slice takes longer than the target', async function () {
    const emitter = new PacedEmitter<number>(() => setImmediate(() => busy(2)), ignore, {
      targetMs: 1,
      catchUpAt: 1e9,
      initialSlice: 10,
      maxSlice: 1000,
    });
    for (let i = 0; i < 30; i++) emitter.push(i);
    await drained(emitter);
    emitter.sliceSize.should.equal(1);
  });

  it('grows the slice while the downstream work is cheap', async function () {
    let count = 0;
    const emitter = new PacedEmitter<number>(() => count++, ignore, {
      targetMs: 1,
      catchUpAt: 1e9,
      initialSlice: 10,
      maxSlice: 1000,
    });
    for (let i = 0; i < 2000; i++) emitter.push(i);
    await drained(emitter);
    count.should.equal(2000);
    emitter.sliceSize.should.be.above(10);
  });

  it('keeps up with arrivals once the backlog is past catchUpAt', async function () {
    const sent: number[] = [];
    const emitter = new PacedEmitter<number>((n) => sent.push(n), ignore, {
      targetMs: 1,
      catchUpAt: 5,
      initialSlice: 2,
      maxSlice: 2,
    });
    for (let i = 0; i < 20; i++) emitter.push(i);
    await nextTurn();
    sent.should.have.length(20); // all 20 arrived since the last turn
    for (let i = 20; i < 30; i++) emitter.push(i);
    await nextTurn();
    sent.should.have.length(30);
  });

  it('sends only a slice per turn below catchUpAt', async function () {
    const sent: number[] = [];
    const emitter = new PacedEmitter<number>((n) => sent.push(n), ignore, {
      targetMs: 1,
      catchUpAt: 100,
      initialSlice: 2,
      maxSlice: 2,
    });
    for (let i = 0; i < 20; i++) emitter.push(i);
    await nextTurn();
    sent.should.have.length(2);
  });

  it('reports a send that throws with its item and goes on with the next ones', async function () {
    const sent: number[] = [];
    const failed: Array<[string, number]> = [];
    const emitter = new PacedEmitter<number>(
      (n) => {
        if (n % 3 === 1) throw new RangeError(`cannot send ${n}`);
        sent.push(n);
      },
      (err, n) => {
        failed.push([(err as Error).message, n]);
        if (n === 4) throw new Error('the reporter fails too');
      },
      { targetMs: 1, catchUpAt: 1e9, initialSlice: 2, maxSlice: 2 },
    );
    for (let i = 0; i < 8; i++) emitter.push(i);
    await drained(emitter);
    sent.should.eql([0, 2, 3, 5, 6]);
    failed.should.eql([
      ['cannot send 1', 1],
      ['cannot send 4', 4],
      ['cannot send 7', 7],
    ]);
  });

  it('forgets what was not sent when discarded', async function () {
    const sent: number[] = [];
    const emitter = new PacedEmitter<number>((n) => sent.push(n), ignore, {
      targetMs: 1,
      catchUpAt: 1e9,
      initialSlice: 3,
      maxSlice: 3,
    });
    for (let i = 0; i < 10; i++) emitter.push(i);
    await nextTurn();
    emitter.discard();
    emitter.pending.should.equal(0);
    await drained(emitter);
    sent.should.eql([0, 1, 2]);
    emitter.push(99);
    await drained(emitter);
    sent.should.eql([0, 1, 2, 99]);
  });

  describe('holdFor', function () {
    const options = { targetMs: 1, catchUpAt: 1e9, initialSlice: 1000, maxSlice: 1000, maxHoldMs: 10_000 };

    it('keeps items back until no new hold is asked for in time, then sends them in order', async function () {
      const sent: Array<[number, number]> = [];
      const emitter = new PacedEmitter<number>((n) => sent.push([n, performance.now()]), ignore, options);
      const started = performance.now();
      emitter.holdFor(60);
      for (let i = 0; i < 5; i++) emitter.push(i);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const renewed = performance.now();
      emitter.holdFor(60);
      for (let i = 5; i < 10; i++) emitter.push(i);
      await drained(emitter);
      sent.map(([n]) => n).should.eql(Array.from({ length: 10 }, (_, i) => i));
      // Timers never fire early (1 ms of rounding allowed): nothing left before the renewed hold ended.
      for (const [, at] of sent) at.should.be.aboveOrEqual(Math.max(started + 60, renewed + 60) - 1);
    });

    it('ends a burst’s holding maxHoldMs after it began, and holds nothing until the backlog is sent', async function () {
      const sent: number[] = [];
      const emitter = new PacedEmitter<number>(() => sent.push(performance.now()), ignore, {
        ...options,
        maxHoldMs: 50,
      });
      const started = performance.now();
      let n = 0;
      // A sender that never pauses: a new hold and an item every 5 ms for 400 ms.
      const sender = setInterval(() => {
        emitter.holdFor(20);
        emitter.push(n++);
      }, 5);
      emitter.holdFor(20);
      emitter.push(n++);
      await new Promise((resolve) => setTimeout(resolve, 400));
      clearInterval(sender);
      await drained(emitter);
      sent.should.have.length(n);
      (sent[0] - started).should.be.aboveOrEqual(49).and.below(300);
    });

    it('ends a hold once the backlog reaches catchUpAt', async function () {
      const sent: number[] = [];
      const emitter = new PacedEmitter<number>((i) => sent.push(i), ignore, { ...options, catchUpAt: 20 });
      emitter.holdFor(5000);
      for (let i = 0; i < 19; i++) emitter.push(i);
      await new Promise((resolve) => setTimeout(resolve, 20));
      sent.should.have.length(0);
      const reached = performance.now();
      emitter.push(19);
      await drained(emitter);
      sent.should.have.length(20);
      (performance.now() - reached).should.be.below(2500); // not when the 5 s hold would have ended
    });

    it('drops held items when discarded and works again afterwards', async function () {
      const sent: number[] = [];
      const emitter = new PacedEmitter<number>((i) => sent.push(i), ignore, options);
      emitter.holdFor(5000);
      emitter.push(1);
      emitter.discard();
      emitter.push(2);
      await drained(emitter);
      sent.should.eql([2]);
    });
  });
});
