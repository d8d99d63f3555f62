/**
 * A FIFO counting semaphore: at most `limit` holders at a time, waiters served in arrival order
 * so no caller starves under load.
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ grant: () => void; fail: (err: unknown) => void }> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  /** Resolves with a release function; call it exactly once (extra calls are ignored). */
  acquire(): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.waiters.shift()?.grant();
        });
      };
      if (this.active < this.limit) grant();
      else this.waiters.push({ grant, fail: reject });
    });
  }

  /** Rejects every waiter (used when the owner shuts down). */
  rejectWaiting(err: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.fail(err);
  }
}
