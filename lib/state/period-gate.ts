import { StateUnavailableError, wholeMs, type SharedState } from './shared-state';

/**
 * Says whether this caller runs the job `key` in the current period: true for one caller per
 * period across every instance sharing the state. The same signature as lib/util/periodic-job's
 * PeriodGate, so a periodic job (a sweep, a webhook watcher) can take this gate as it is.
 */
export type PeriodGate = (key: string, periodMs: number) => Promise<boolean>;

/**
 * A gate on shared state: the first caller in each period slot (epoch time divided by the
 * period) claims `key` + slot for one period and runs; the others do not. Slots rather than
 * "a period since the last run" so instances whose timers drift apart still agree on which
 * period they are in (clocks a little apart can make two run near a slot boundary: jobs gated
 * here must stand an extra run). While the state is unavailable every instance runs: a job run
 * twice is better than a job not run, and the nodes' own dedup absorbs the repeat.
 */
export function periodGate(state: SharedState, now: () => number = Date.now): PeriodGate {
  return async (key, periodMs) => {
    const period = wholeMs(periodMs);
    const slot = Math.floor(now() / period);
    try {
      const [won] = await state.claim([`period:${key}:${slot}`], period);
      return won;
    } catch (err) {
      if (err instanceof StateUnavailableError) return true;
      throw err;
    }
  };
}
