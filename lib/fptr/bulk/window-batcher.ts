/**
 * Collects work that arrives close together into groups (one group per key) and hands each
 * group to `send` as one list: after `windowMs` from the first arrival, at once when `maxItems`
 * are waiting, and, while `maxInFlight` lists of the same key are still being sent, later —
 * so a slow or busy site gets fewer, fuller requests instead of a queue of small ones.
 *
 * `send` owns the items it is given: it must settle each one (resolve or reject its caller).
 * If it throws anyway, `abandon` settles what it left behind, so no caller waits forever.
 */
export interface WindowBatcherOptions<Item> {
  windowMs: number;
  maxItems: number;
  maxInFlight: number;
  send(key: string, items: Item[]): Promise<void>;
  abandon(item: Item, err: unknown): void;
}

interface Group<Item> {
  waiting: Item[];
  timer: NodeJS.Timeout | undefined;
  /** The window of the oldest waiting item has passed. */
  due: boolean;
  inFlight: number;
}

export class WindowBatcher<Item> {
  readonly #options: WindowBatcherOptions<Item>;
  readonly #groups = new Map<string, Group<Item>>();

  constructor(options: WindowBatcherOptions<Item>) {
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be above 0, got ${options.windowMs}`);
    if (!Number.isInteger(options.maxItems) || options.maxItems < 1)
      throw new RangeError(`maxItems must be a whole number ≥ 1, got ${options.maxItems}`);
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1)
      throw new RangeError(`maxInFlight must be a whole number ≥ 1, got ${options.maxInFlight}`);
    this.#options = options;
  }

  add(key: string, item: Item): void {
    let group = this.#groups.get(key);
    if (!group) {
      group = { waiting: [], timer: undefined, due: false, inFlight: 0 };
      this.#groups.set(key, group);
    }
    group.waiting.push(item);
    if (group.waiting.length >= this.#options.maxItems) {
      // A full list gains nothing by waiting.
      this.#send(key, group, group.waiting.splice(0, this.#options.maxItems));
    }
    if (group.waiting.length > 0 && !group.due && group.timer === undefined) {
      const started = group;
      started.timer = setTimeout(() => {
        started.timer = undefined;
        started.due = true;
        this.#drain(key, started);
      }, this.#options.windowMs);
    }
    this.#forgetIfIdle(key, group);
  }

  /** Sends everything waiting now, windows and limits aside (the owner is closing). */
  flush(): void {
    for (const [key, group] of this.#groups) {
      if (group.timer !== undefined) clearTimeout(group.timer);
      group.timer = undefined;
      while (group.waiting.length > 0) this.#send(key, group, group.waiting.splice(0, this.#options.maxItems));
      this.#forgetIfIdle(key, group);
    }
  }

  #drain(key: string, group: Group<Item>): void {
    while (group.due && group.waiting.length > 0 && group.inFlight < this.#options.maxInFlight) {
      this.#send(key, group, group.waiting.splice(0, this.#options.maxItems));
    }
    if (group.waiting.length === 0) group.due = false;
    this.#forgetIfIdle(key, group);
  }

  #send(key: string, group: Group<Item>, items: Item[]): void {
    group.inFlight++;
    const settleLeftovers = (err: unknown): void => {
      for (const item of items) this.#options.abandon(item, err);
    };
    let sending: Promise<void>;
    try {
      sending = this.#options.send(key, items);
    } catch (err) {
      sending = Promise.reject(err);
    }
    sending.catch(settleLeftovers).finally(() => {
      group.inFlight--;
      this.#drain(key, group);
    });
  }

  #forgetIfIdle(key: string, group: Group<Item>): void {
    if (
      group.waiting.length === 0 &&
      group.inFlight === 0 &&
      group.timer === undefined &&
      this.#groups.get(key) === group
    ) {
      this.#groups.delete(key);
    }
  }
}
