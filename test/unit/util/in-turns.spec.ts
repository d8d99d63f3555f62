import should = require('should');
import { inTurns, TASKS_PER_TURN } from '../../../lib/util/in-turns';

describe('inTurns', () => {
  it('runs every task in order, a slice per event-loop turn, so other callbacks get their go between slices', async () => {
    const seen: string[] = [];
    inTurns(
      Array.from({ length: 25 }, (_, i) => () => seen.push(String(i))),
      10,
    );
    // Queued after the first slice's follow-up turn: it runs between the second and third slice.
    setImmediate(() => seen.push('other'));
    should(seen).eql(Array.from({ length: 10 }, (_, i) => String(i)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    should(seen).eql([
      ...Array.from({ length: 20 }, (_, i) => String(i)),
      'other',
      ...Array.from({ length: 5 }, (_, i) => String(20 + i)),
    ]);
  });

  it('settles promise callers a slice at a time: their continuations run before the next slice', async () => {
    const continued: number[] = [];
    const resolvers: Array<() => void> = [];
    const callers = Array.from({ length: TASKS_PER_TURN * 3 }, (_, i) =>
      new Promise<void>((resolve) => {
        resolvers.push(resolve);
      }).then(() => continued.push(i)),
    );
    inTurns(resolvers);
    await Promise.resolve();
    should(continued).have.length(TASKS_PER_TURN);
    await Promise.all(callers);
    should(continued).eql(Array.from({ length: TASKS_PER_TURN * 3 }, (_, i) => i));
  });

  it('does nothing for no tasks, and refuses a slice that would never move', () => {
    inTurns([]);
    for (const perTurn of [0, -1, 1.5, NaN]) should(() => inTurns([() => undefined], perTurn)).throw(RangeError);
  });
});
