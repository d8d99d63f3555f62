/**
 * Writes a small state to a store: at once when the caller must know it is stored (`saveNow`),
 * or soon after a change (`saveSoon`, within `delayMs`). One write at a time; requests that
 * arrive during a write share the next one, which takes a fresh snapshot.
 */
export class StateSaver<T> {
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Version of the state last handed to `write`. */
  private savedVersion = -1;

  constructor(
    /** The state to store and a number that changes whenever the state does. */
    private readonly snapshot: () => { state: T; version: number },
    private readonly write: (state: T) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly delayMs: number,
  ) {}

  /** Resolves once a write that started after this call has ended (failed writes are reported, not thrown). */
  saveNow(): Promise<void> {
    this.cancelTimer();
    if (!this.writing) return this.start();
    this.queued ??= this.writing.then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  saveSoon(): void {
    if (this.timer || this.queued) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.saveNow();
    }, this.delayMs);
  }

  /** Writes what is pending, if anything (on close). */
  async flush(): Promise<void> {
    if (this.timer) await this.saveNow();
    else await (this.queued ?? this.writing);
  }

  /** Drops a pending `saveSoon` (a write under way still ends). */
  cancel(): void {
    this.cancelTimer();
  }

  /** Forgets what was written, so the next save writes even an unchanged state (after a reset). */
  invalidate(): void {
    this.savedVersion = -1;
  }

  private cancelTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(): Promise<void> {
    const { state, version } = this.snapshot();
    if (version === this.savedVersion) return Promise.resolve();
    this.savedVersion = version;
    // A write that throws at once counts as a failed write, like one that rejects.
    this.writing = new Promise<void>((resolve) => resolve(this.write(state)))
      .catch((err: unknown) => {
        this.savedVersion = -1;
        this.onError(err);
      })
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }
}
