/**
 * Decides whether this process runs one round of a periodic job. Without shared state every
 * process runs every round; a shared store (several Node-RED instances behind one URL) supplies
 * a gate that lets exactly one instance through per key and period.
 */
export type PeriodGate = (key: string, periodMs: number) => Promise<boolean>;

/** Every process runs every round. */
export const runEveryRound: PeriodGate = async () => true;

export interface PeriodicJobOptions {
  /** Names the job across processes, e.g. `hook-watch:<site url>`. */
  key: string;
  periodMs: number;
  run: () => Promise<void>;
  /** A round that threw or a gate that failed; the job keeps its schedule. */
  onError: (err: unknown) => void;
  gate?: PeriodGate;
  /** Delay before the first round; default one period. */
  firstDelayMs?: number;
}

/**
 * Runs `run` every `periodMs` until stopped. The next round is scheduled when the current one
 * ends, so a slow round (a site that answers late) never overlaps the next. Timers do not keep
 * the process alive.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private periodMs: number;

  constructor(private readonly options: PeriodicJobOptions) {
    this.periodMs = checkPeriod(options.periodMs);
  }

  get key(): string {
    return this.options.key;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.firstDelayMs ?? this.periodMs);
  }

  /** A new period takes effect from the next round. */
  setPeriod(periodMs: number): void {
    const next = checkPeriod(periodMs);
    if (next === this.periodMs) return;
    this.periodMs = next;
    if (this.timer && !this.running) this.schedule(next);
  }

  /**
   * Runs a round now, through the gate, unless one is running (then waits for it). The
   * regular schedule restarts from the end of this round.
   */
  async runNow(): Promise<void> {
    if (this.running) return this.running;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (!this.stopped) this.schedule(this.periodMs);
    });
    return this.running;
  }

  /** Stops scheduling; resolves when a round in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runNow();
    }, delayMs);
    this.timer.unref();
  }

  private async round(): Promise<void> {
    const { key, run, onError, gate = runEveryRound } = this.options;
    try {
      if (await gate(key, this.periodMs)) await run();
    } catch (err) {
      onError(err);
    }
  }
}

function checkPeriod(periodMs: number): number {
  if (!Number.isFinite(periodMs) || periodMs <= 0)
    throw new RangeError(`a period must be a number of ms > 0, got ${String(periodMs)}`);
  // setTimeout fires at once for delays beyond 2^31-1 ms.
  return Math.min(periodMs, 2 ** 31 - 1);
}
