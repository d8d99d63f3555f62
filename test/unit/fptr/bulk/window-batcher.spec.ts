import should = require('should');
import { WindowBatcher } from '../../../../lib/fptr/bulk/window-batcher';

/** A send whose completion the test decides. */
class Sends {
  readonly lists: Array<{ key: string; items: number[] }> = [];
  readonly #finishers: Array<() => void> = [];
  readonly abandoned: Array<{ item: number; err: unknown }> = [];

  send = (key: string, items: number[]): Promise<void> => {
    this.lists.push({ key, items });
    return new Promise((resolve) => this.#finishers.push(resolve));
  };

  abandon = (item: number, err: unknown): void => {
    this.abandoned.push({ item, err });
  };

  finishOldest(): void {
    this.#finishers.shift()?.();
  }
}

const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
};

describe('WindowBatcher', () => {
  it('sends what arrives within one window as one list per key, in arrival order', async () => {
    const sends = new Sends();
    const batcher = new WindowBatcher<number>({
      windowMs: 5,
      maxItems: 100,
      maxInFlight: 2,
      send: sends.send,
      abandon: sends.abandon,
    });
    for (const n of [1, 2, 3]) batcher.add('a', n);
    batcher.add('b', 4);
    batcher.add('a', 5);
    await until(() => sends.lists.length === 2);
    should(sends.lists).eql([
      { key: 'a', items: [1, 2, 3, 5] },
      { key: 'b', items: [4] },
    ]);
  });

  it('sends a full list at once and the rest after the window', async () => {
    const sends = new Sends();
    const batcher = new WindowBatcher<number>({
      windowMs: 5,
      maxItems: 3,
      maxInFlight: 5,
      send: sends.send,
      abandon: sends.abandon,
    });
    for (const n of [1, 2, 3, 4]) batcher.add('a', n);
    should(sends.lists).eql([{ key: 'a', items: [1, 2, 3] }]);
    await until(() => sends.lists.length === 2);
    should(sends.lists[1]).eql({ key: 'a', items: [4] });
  });

  it('holds later items while maxInFlight lists of the key are out, then sends them together', async () => {
    const sends = new Sends();
    const batcher = new WindowBatcher<number>({
      windowMs: 2,
      maxItems: 100,
      maxInFlight: 1,
      send: sends.send,
      abandon: sends.abandon,
    });
    batcher.add('a', 1);
    await until(() => sends.lists.length === 1);
    batcher.add('a', 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    batcher.add('a', 3);
    should(sends.lists).have.length(1);
    sends.finishOldest();
    await until(() => sends.lists.length === 2);
    should(sends.lists[1].items).eql([2, 3]);
  });

  it('flush() sends everything waiting at once', () => {
    const sends = new Sends();
    const batcher = new WindowBatcher<number>({
      windowMs: 60_000,
      maxItems: 2,
      maxInFlight: 1,
      send: sends.send,
      abandon: sends.abandon,
    });
    for (const n of [1, 2, 3]) batcher.add('a', n);
    batcher.flush();
    should(sends.lists.map((l) => l.items)).eql([[1, 2], [3]]);
  });

  it('settles the items of a send that throws, so no caller waits forever', async () => {
    const abandoned: number[] = [];
    const batcher = new WindowBatcher<number>({
      windowMs: 1,
      maxItems: 10,
      maxInFlight: 1,
      send: () => {
        throw new Error('bug');
      },
      abandon: (item) => abandoned.push(item),
    });
    batcher.add('a', 1);
    batcher.add('a', 2);
    await until(() => abandoned.length === 2);
    should(abandoned).eql([1, 2]);
  });

  it('refuses settings that would never send', () => {
    const base = { windowMs: 1, maxItems: 1, maxInFlight: 1, send: () => Promise.resolve(), abandon: () => undefined };
    should(() => new WindowBatcher({ ...base, windowMs: 0 })).throw(/windowMs/);
    should(() => new WindowBatcher({ ...base, maxItems: 0 })).throw(/maxItems/);
    should(() => new WindowBatcher({ ...base, maxInFlight: 1.5 })).throw(/maxInFlight/);
  });
});
