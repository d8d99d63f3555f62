import type { PeriodGate } from '../util/periodic-job';
import { StateUnavailableError, wholeMs, type SharedState } from './shared-state';

/**
 * A gate on shared state (lib/util/periodic-job's PeriodGate, so a periodic job such as a sweep
 * or the webhook watcher takes it as it is): the first caller in each period slot (epoch time divided by the
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
