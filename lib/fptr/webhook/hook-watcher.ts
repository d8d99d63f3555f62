import { PeriodicJob, type PeriodGate } from '../../util/periodic-job';
import type { WebhookAdminApi } from '../client/webhook-record';
import { hookStatus, type WatchedStatus } from './hook-status';

/**
 * Watches the health of webhooks on one site: one list request per period, however many
 * webhooks (nodes) are watched, and a report to each watcher whenever its hook's status changes
 * (the first reading counts as a change). A Failed hook whose watcher allows it is switched
 * back on once `answersAgain` says the endpoint answers again.
 */

export const DEFAULT_WATCH_PERIOD_MS = 5 * 60_000;

export interface StatusChange {
  hookId: string;
  /** undefined on the first reading. */
  previous: WatchedStatus | undefined;
  status: WatchedStatus;
  /** Epoch ms of the reading. */
  at: number;
  /** The watcher switched the hook from failed back to active. */
  reenabled?: boolean;
}

export interface HookWatch {
  hookId: string;
  /** How often this hook should be checked; the site is checked at the shortest period asked for. */
  periodMs?: number;
  onChange: (change: StatusChange) => void;
  /** A check failed (site unreachable, status unknown to this package) or re-enabling failed. */
  onError: (err: unknown) => void;
  /**
   * Set to allow re-enabling a Failed hook: resolves true once the endpoint answers again.
   * Disabled hooks are never switched on: a person turned them off.
   */
  answersAgain?: () => Promise<boolean>;
}

interface Watched extends HookWatch {
  last: WatchedStatus | undefined;
  /** A round has looked at this hook (or failed while it was watched). */
  checked: boolean;
}

export class HookWatcher {
  private readonly watched = new Set<Watched>();
  private readonly job: PeriodicJob;
  private readonly defaultPeriodMs: number;

  constructor(
    private readonly api: Pick<WebhookAdminApi, 'siteUrl' | 'listHooks' | 'updateHook' | 'testConnection'>,
    options: { gate?: PeriodGate; defaultPeriodMs?: number } = {},
  ) {
    this.defaultPeriodMs = options.defaultPeriodMs ?? DEFAULT_WATCH_PERIOD_MS;
    this.job = new PeriodicJob({
      key: `hook-watch:${api.siteUrl}`,
      periodMs: this.defaultPeriodMs,
      run: () => this.check(),
      onError: (err) =>
        this.watched.forEach((w) => {
          w.checked = true;
          w.onError(err);
        }),
      gate: options.gate,
    });
  }

  get size(): number {
    return this.watched.size;
  }

  /** Starts watching; the returned function stops. The first check runs at once. */
  watch(watch: HookWatch): () => void {
    const entry: Watched = { ...watch, last: undefined, checked: false };
    this.watched.add(entry);
    this.job.setPeriod(this.period());
    this.job.start();
    // A round already under way may have taken its list of watchers before this one joined.
    void this.job.runNow().then(() => {
      if (!entry.checked && this.watched.has(entry)) return this.job.runNow();
    });
    return () => {
      if (!this.watched.delete(entry)) return;
      if (this.watched.size === 0) void this.job.stop();
      else this.job.setPeriod(this.period());
    };
  }

  /** Checks now (also what the schedule runs); resolves when every watcher has been told. */
  checkNow(): Promise<void> {
    return this.job.runNow();
  }

  stop(): Promise<void> {
    this.watched.clear();
    return this.job.stop();
  }

  private period(): number {
    let period = Infinity;
    for (const w of this.watched) period = Math.min(period, w.periodMs ?? this.defaultPeriodMs);
    return Number.isFinite(period) ? period : this.defaultPeriodMs;
  }

  private async check(): Promise<void> {
    if (this.watched.size === 0) return;
    const hooks = await this.api.listHooks();
    const at = Date.now();
    const byId = new Map(hooks.map((hook) => [hook.id, hook]));
    // A snapshot: a watcher may stop watching while this round awaits.
    for (const w of [...this.watched]) {
      w.checked = true;
      const hook = byId.get(w.hookId);
      let status: WatchedStatus;
      try {
        status = hook ? hookStatus(hook) : 'missing';
      } catch (err) {
        w.onError(err);
        continue;
      }
      if (status === 'failed' && w.answersAgain) status = await this.tryReenable(w, at);
      this.report(w, status, at);
    }
  }

  private async tryReenable(w: Watched, at: number): Promise<WatchedStatus> {
    try {
      if (!(await w.answersAgain?.())) {
        // Ask FPTR for a Test_Connection now, so that by the next check the endpoint may have shown it answers.
        await this.api.testConnection(w.hookId);
        return 'failed';
      }
      const hook = await this.api.updateHook(w.hookId, { status: 'active' });
      const status = hookStatus(hook);
      if (status === 'failed') return 'failed';
      if (this.watched.has(w)) {
        if (w.last !== 'failed') this.report(w, 'failed', at);
        w.onChange({ hookId: w.hookId, previous: w.last, status, at: Date.now(), reenabled: true });
        w.last = status;
      }
      return status;
    } catch (err) {
      w.onError(err);
      return 'failed';
    }
  }

  private report(w: Watched, status: WatchedStatus, at: number): void {
    if (!this.watched.has(w) || w.last === status) return;
    const previous = w.last;
    w.last = status;
    w.onChange({ hookId: w.hookId, previous, status, at });
  }
}

const watchers = new WeakMap<object, HookWatcher>();

/**
 * The one watcher of a site's client, made on first use: every node watching a hook on that
 * site shares its list request. A new client (the site node was redeployed) gets a new watcher;
 * the old one stops when its last hook is no longer watched.
 */
export function watcherFor(
  api: ConstructorParameters<typeof HookWatcher>[0],
  options: { gate?: PeriodGate } = {},
): HookWatcher {
  let watcher = watchers.get(api);
  if (!watcher) {
    watcher = new HookWatcher(api, options);
    watchers.set(api, watcher);
  }
  return watcher;
}
