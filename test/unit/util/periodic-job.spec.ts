import should = require('should');
import { PeriodicJob } from '../../../lib/util/periodic-job';

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => (condition() ? resolve() : void setTimeout(poll, 2));
    poll();
  });
}

describe('periodic job', function () {
  const jobs: PeriodicJob[] = [];
  afterEach(() => Promise.all(jobs.splice(0).map((job) => job.stop())));
  const make = (options: ConstructorParameters<typeof PeriodicJob>[0]): PeriodicJob => {
    const job = new PeriodicJob(options);
    jobs.push(job);
    return job;
  };

  it('runs round after round, never two at once', async function () {
    let running = 0;
    let most = 0;
    let rounds = 0;
    const job = make({
      key: 'k',
      periodMs: 1,
      firstDelayMs: 0,
      onError: (err) => {
        throw err;
      },
      run: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        rounds++;
      },
    });
    job.start();
    void job.runNow();
    void job.runNow();
    await until(() => rounds >= 4);
    most.should.equal(1);
  });

  it('asks the gate each round with its key and period, and skips the round when refused', async function () {
    const asked: Array<[string, number]> = [];
    let rounds = 0;
    const job = make({
      key: 'hook-watch:https://site',
      periodMs: 60_000,
      onError: (err) => {
        throw err;
      },
      gate: async (key, periodMs) => {
        asked.push([key, periodMs]);
        return asked.length % 2 === 0;
      },
      run: async () => {
        rounds++;
      },
    });
    await job.runNow();
    await job.runNow();
    asked.should.eql([
      ['hook-watch:https://site', 60_000],
      ['hook-watch:https://site', 60_000],
    ]);
    rounds.should.equal(1);
  });

  it('reports a failing round or gate and keeps its schedule', async function () {
    const errors: string[] = [];
    let calls = 0;
    const job = make({
      key: 'k',
      periodMs: 1,
      firstDelayMs: 0,
      onError: (err) => errors.push((err as Error).message),
      gate: async () => {
        calls++;
        if (calls === 1) throw new Error('gate down');
        return true;
      },
      run: async () => {
        throw new Error('round failed');
      },
    });
    job.start();
    await until(() => errors.length >= 3);
    errors.slice(0, 3).should.eql(['gate down', 'round failed', 'round failed']);
  });

  it('runs nothing after stop()', async function () {
    let rounds = 0;
    const job = make({
      key: 'k',
      periodMs: 1,
      firstDelayMs: 0,
      onError: () => undefined,
      run: async () => void rounds++,
    });
    job.start();
    await until(() => rounds >= 1);
    await job.stop();
    const seen = rounds;
    await new Promise((resolve) => setTimeout(resolve, 30));
    rounds.should.equal(seen);
  });

  it('refuses a period that is not a positive number', function () {
    should.throws(
      () => new PeriodicJob({ key: 'k', periodMs: 0, run: async () => undefined, onError: () => undefined }),
      /period must be/,
    );
    should.throws(
      () => new PeriodicJob({ key: 'k', periodMs: NaN, run: async () => undefined, onError: () => undefined }),
      /period must be/,
    );
  });
});
