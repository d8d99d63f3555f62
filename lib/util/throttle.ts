/**
 * Runs `fn` at most once per interval: at once when it has not run lately, otherwise once at the
 * end of the interval. Keeps status badges current without redrawing them for every message.
 */
export class Throttle {
  private timer: NodeJS.Timeout | undefined;
  private lastRun = 0;

  constructor(
    private readonly fn: () => void,
    private readonly intervalMs: number,
  ) {}

  schedule(): void {
    if (this.timer) return;
    const wait = this.lastRun + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.run();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, wait);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.lastRun = Date.now();
    this.fn();
  }
}
