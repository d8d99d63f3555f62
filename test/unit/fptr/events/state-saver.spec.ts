import should = require('should');
import { StateSaver } from '../../../../lib/fptr/events/state-saver';

/** A store whose writes finish when the test says so. */
class GatedStore {
  writes: number[] = [];
  private gates: Array<() => void> = [];

  write = (state: number): Promise<void> => {
    this.writes.push(state);
    return new Promise((resolve) => this.gates.push(resolve));
  };

  open(): void {
    this.gates.splice(0).forEach((g) => g());
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('state saver', () => {
  it('saveNow resolves only after a write that began after the call; calls during a write share one next write with the newest state', async () => {
    const store = new GatedStore();
    let state = 1;
    const saver = new StateSaver(
      () => ({ state, version: state }),
      store.write,
      () => undefined,
      1000,
    );
    let first = false;
    void saver.saveNow().then(() => (first = true));
    state = 2;
    let second = false;
    void saver.saveNow().then(() => (second = true));
    state = 3;
    let third = false;
    void saver.saveNow().then(() => (third = true));
    await settle();
    should(store.writes).eql([1]);
    store.open();
    await settle();
    should([first, second, third]).eql([true, false, false]);
    should(store.writes).eql([1, 3]);
    store.open();
    await settle();
    should([second, third]).eql([true, true]);
  });

  it('an unchanged state is not written again; a failed write is reported and retried by the next save', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const writes: number[] = [];
    const saver = new StateSaver(
      () => ({ state: 7, version: 7 }),
      (s: number) => {
        writes.push(s);
        if (fail) throw new Error('disk full');
        return Promise.resolve();
      },
      (err) => errors.push(err),
      1000,
    );
    await saver.saveNow();
    should(errors).have.length(1);
    fail = false;
    await saver.saveNow();
    await saver.saveNow();
    should(writes).eql([7, 7]);
  });

  it('flush writes what saveSoon left pending', async () => {
    const writes: number[] = [];
    const saver = new StateSaver(
      () => ({ state: 1, version: 1 }),
      (s: number) => (writes.push(s), Promise.resolve()),
      () => undefined,
      60_000,
    );
    saver.saveSoon();
    should(writes).eql([]);
    await saver.flush();
    should(writes).eql([1]);
  });
});
