import should = require('should');
import { FptrError } from '../../../../lib/fptr/client/fptr-error';
import { TokenSource } from '../../../../lib/fptr/client/token-source';

describe('TokenSource', () => {
  it('refreshes after expires_in minus the margin, the margin capped at half the lifetime', async () => {
    let clock = 0;
    let fetches = 0;
    const source = new TokenSource(
      async () => ({ access_token: `t${++fetches}`, expires_in: 10 }),
      60,
      () => clock,
    );
    should((await source.get()).header).eql('Bearer t1');
    clock = 4_999;
    should((await source.get()).header).eql('Bearer t1');
    clock = 5_000;
    should((await source.get()).header).eql('Bearer t2');
    should(fetches).eql(2);
  });

  it('shares one request among concurrent callers and forgets a failed one', async () => {
    let fetches = 0;
    const source = new TokenSource(async () => {
      fetches++;
      if (fetches === 1) throw new Error('down');
      return { access_token: 'ok', expires_in: 600 };
    }, 60);
    const first = await Promise.allSettled([source.get(), source.get(), source.get()]);
    should(first.map((r) => r.status)).eql(['rejected', 'rejected', 'rejected']);
    should(fetches).eql(1);
    await Promise.all([source.get(), source.get()]);
    should(fetches).eql(2);
  });

  it('invalidates only the token that was refused', async () => {
    let fetches = 0;
    const source = new TokenSource(async () => ({ access_token: `t${++fetches}`, expires_in: 600 }), 60);
    const stale = await source.get();
    source.invalidate(stale);
    const fresh = await source.get();
    source.invalidate(stale); // a late 401 for the old token must not drop the new one
    should(await source.get()).equal(fresh);
    should(fetches).eql(2);
  });

  it('rejects an answer without an access token', async () => {
    const source = new TokenSource(async () => ({ token_type: 'Bearer' }), 60);
    await should(source.get()).be.rejectedWith(/without an access_token/);
  });

  describe('after FPTR refuses the credentials', () => {
    const refusal = new FptrError("FPTR 400: Can't authenticate script", { kind: 'http', status: 400 });

    it('fails fast with the same error for a pause that doubles with each refusal, up to a minute', async () => {
      let clock = 0;
      let fetches = 0;
      const source = new TokenSource(
        async () => {
          fetches++;
          throw refusal;
        },
        60,
        () => clock,
      );
      const pauses: number[] = [];
      for (let round = 0; round < 9; round++) {
        const started = clock;
        await should(source.get()).be.rejectedWith(refusal);
        const before = fetches;
        // Ask every 100 ms until the source tries FPTR again.
        do {
          clock += 100;
          await should(source.get()).be.rejectedWith(refusal);
        } while (fetches === before);
        pauses.push(clock - started);
      }
      should(pauses).eql([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    });

    it('asks again after the pause, and a token obtained ends the pauses', async () => {
      let clock = 0;
      let refuse = true;
      let fetches = 0;
      const source = new TokenSource(
        async () => {
          fetches++;
          if (refuse) throw refusal;
          return { access_token: `t${fetches}`, expires_in: 600 };
        },
        60,
        () => clock,
      );
      await should(source.get()).be.rejectedWith(refusal);
      refuse = false;
      clock = 999;
      await should(source.get()).be.rejectedWith(refusal);
      clock = 1_000;
      const token = await source.get();
      should(token.header).eql('Bearer t2');
      // FPTR now refuses the fresh token itself: one pause of a second, not a longer one.
      refuse = true;
      source.refused(token, refusal);
      await should(source.get()).be.rejectedWith(refusal);
      clock = 2_000;
      await should(source.get()).be.rejectedWith(refusal);
      should(fetches).eql(3);
    });

    it('does not pause after a passing failure (outage, timeout)', async () => {
      let fetches = 0;
      const outage = new FptrError('FPTR 503: Service unavailable', { kind: 'http', status: 503, retryable: true });
      const source = new TokenSource(
        async () => {
          fetches++;
          throw outage;
        },
        60,
        () => 0,
      );
      await should(source.get()).be.rejectedWith(outage);
      await should(source.get()).be.rejectedWith(outage);
      should(fetches).eql(2);
    });
  });
});
