import should = require('should');
import { FptrClient, MAX_ERROR_BODY_BYTES, type FptrClientOptions } from '../../../../lib/fptr/client/client';
import { MAX_ERROR_TEXT } from '../../../../lib/fptr/client/fptr-error';
import { fptrError } from '../../../support/client-sim';
import { HOSTILE_TOKEN, HostileServer, TOKEN_PATH, answers, errorEnvelope } from '../../../support/hostile-server';
import { NASTY_KEY, NASTY_PASSWORD, errorTexts, leaks } from '../../../support/secrets';

/*
 * The REST client against a server that misbehaves on purpose (test/support/hostile-server.ts):
 * every call must end with a short, clear FptrError, within its limits, and without repeating a
 * secret. Durations are bounded by mocha timeouts, not asserted.
 */

const MB = 1024 ** 2;
/** Longest message a hostile title can produce: "FPTR 400 (code 103): " + the capped title + notes. */
const MAX_MESSAGE = MAX_ERROR_TEXT + 200;

describe('FptrClient against a hostile server', function () {
  this.timeout(20_000);
  const server = new HostileServer();
  const clients: FptrClient[] = [];

  beforeEach(() => server.listen());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
    server.received.length = 0;
    server.unfinished = 0;
    server.token = answers.token(HOSTILE_TOKEN);
  });

  const client = (options: Partial<FptrClientOptions> = {}): FptrClient => {
    const c = new FptrClient({
      url: server.url,
      auth: { grant: 'client_credentials', scriptName: 'node_red_bridge', scriptKey: NASTY_KEY },
      retryBaseMs: 5,
      retryMaxMs: 40,
      ...options,
    });
    clients.push(c);
    return c;
  };

  /** Resolves once `check` holds (the mocha timeout bounds the wait). */
  const eventually = async (check: () => boolean): Promise<void> => {
    while (!check()) await new Promise((r) => setTimeout(r, 10));
  };

  describe('bodies', () => {
    for (const declared of [false, true]) {
      it(`turns a 50 MB error title into a short message and hangs up (${declared ? 'with' : 'without'} Content-Length)`, async () => {
        server.api = answers.huge(400, 50 * MB, { declared });
        const c = client({ maxConcurrency: 1 });
        const err = await fptrError(c.read('Shot', 1));
        should(err.status).equal(400);
        should(err.message).equal('FPTR 400: Bad request');
        // The client read at most its error cap, then closed the connection.
        await eventually(() => server.unfinished === 1);
        // The slot and the pool are free again: the next call goes through.
        server.api = answers.json(200, { data: { type: 'Shot', id: 1, attributes: {} } });
        should((await c.read('Shot', 1)).id).equal(1);
      });
    }

    it('refuses a success answer above maxResponseBytes with a clear error, and hangs up', async () => {
      server.api = answers.huge(200, 50 * MB, { envelope: false });
      const c = client({ maxResponseBytes: MB, maxConcurrency: 1 });
      const err = await fptrError(c.search('Shot'));
      should(err.kind).equal('http');
      should(err.status).equal(200);
      should(err.message).equal(
        "FPTR's answer to POST /api/v1/entity/Shot/_search is larger than 1 MB; it was not read (ask for fewer records or fields)",
      );
      await eventually(() => server.unfinished === 1);
      should(server.count('/api/v1/entity')).equal(1);
      server.api = answers.json(200, { data: [] });
      should(await c.search('Shot')).eql([]);
    });

    it('refuses a declared Content-Length above the limit without reading the body', async () => {
      server.api = answers.huge(200, 2 * MB, { envelope: false, declared: true });
      const err = await fptrError(client({ maxResponseBytes: MB }).search('Shot'));
      should(err.message).match(/larger than 1 MB/);
    });

    it('cuts a long error title and detail to a readable length', async () => {
      server.api = answers.json(400, errorEnvelope(400, `bad ${'x'.repeat(20_000)}`, 'd'.repeat(20_000)));
      const err = await fptrError(client().read('Shot', 1));
      should(err.message.length).be.belowOrEqual(MAX_MESSAGE);
      should(err.message).startWith('FPTR 400 (code 103): bad xxx');
      should(err.message).endWith('…');
      should(err.errors[0]!.detail!.length).be.belowOrEqual(MAX_ERROR_TEXT + 1);
    });

    it('keeps an error answer just under the error cap readable', async () => {
      server.api = answers.json(400, errorEnvelope(400, 'y'.repeat(MAX_ERROR_BODY_BYTES - 200)));
      const err = await fptrError(client().read('Shot', 1));
      should(err.message).startWith('FPTR 400 (code 103): yyy');
      should(err.message.length).be.belowOrEqual(MAX_MESSAGE);
    });

    it('turns line breaks and terminal escapes in a title into spaces (no forged log lines)', async () => {
      server.api = answers.json(400, errorEnvelope(400, 'bad\n[error] forged line\u001b[31m'));
      const err = await fptrError(client().read('Shot', 1));
      should(err.message).equal('FPTR 400 (code 103): bad [error] forged line [31m');
    });

    it('gives up on an answer that drips one byte per 100 ms once the timeout passes', async () => {
      server.api = answers.drip(100);
      const err = await fptrError(client({ timeoutMs: 300, maxRetries: 1 }).read('Shot', 1));
      should(err.kind).equal('timeout');
      should(err.message).match(/did not answer within 0\.3 s \(gave up after 2 attempts/);
    });

    it('ends a dripping answer when the time budget runs out, even before the timeout', async () => {
      server.api = answers.drip(100);
      const err = await fptrError(client({ deadlineMs: 500, timeoutMs: 30_000 }).read('Shot', 1));
      should(err.kind).equal('timeout');
      should(err.message).match(/\(the 0\.5 s time budget ran out\)/);
    });

    it('retries a connection reset in the middle of a body, then says so', async () => {
      server.api = answers.resetMidBody();
      const c = client({ maxRetries: 2 });
      const err = await fptrError(c.read('Shot', 1));
      should(err.kind).equal('network');
      should(err.message).match(/^Could not reach FPTR at http:\/\/127\.0\.0\.1:\d+: .*\(gave up after 3 attempts/);
      should(server.count('/api/v1/entity')).equal(3);
    });

    const garbage: Array<[string, number, Record<string, string>, string | Buffer, RegExp]> = [
      [
        'garbage JSON on success',
        200,
        { 'content-type': 'application/json' },
        '{"data": [1, 2',
        /unexpected body \(expected JSON\)/,
      ],
      [
        'an HTML page on success',
        200,
        { 'content-type': 'text/html' },
        '<html>hi</html>',
        /unexpected body \(expected JSON\)/,
      ],
      [
        'JSON of the wrong shape',
        200,
        { 'content-type': 'application/json' },
        '{"data": "no"}',
        /unexpected body \(expected a data array\)/,
      ],
      ['a bare JSON string', 200, { 'content-type': 'application/json' }, '"data"', /unexpected body/],
      ['JSON null', 200, { 'content-type': 'application/json' }, 'null', /unexpected body/],
      [
        'invalid UTF-8',
        200,
        { 'content-type': 'application/json' },
        Buffer.from([0xff, 0xfe, 0x7b]),
        /unexpected body \(expected JSON\)/,
      ],
      [
        'garbage JSON on an error',
        400,
        { 'content-type': 'application/json' },
        '{"errors": [',
        /^FPTR 400: Bad request$/,
      ],
      ['an HTML error page', 502, { 'content-type': 'text/html' }, '<h1>Bad gateway</h1>', /^FPTR 502: Bad gateway/],
      [
        'an errors list of the wrong shape',
        400,
        { 'content-type': 'application/json' },
        '{"errors": [1, "x", null, [2], {"title": 5, "code": "7"}]}',
        /^FPTR 400: Bad request$/,
      ],
      [
        'records of the wrong shape',
        200,
        { 'content-type': 'application/json' },
        '{"data": [{"id": "1"}]}',
        /unexpected body \(expected records with type and id\)/,
      ],
      ['an unknown status', 299, { 'content-type': 'application/json' }, '{}', /unexpected body/],
      ['a status above 599', 799, { 'content-type': 'text/plain' }, 'x', /^FPTR 799: Unexpected response$/],
    ];
    for (const [name, status, headers, body, message] of garbage) {
      it(`reports ${name} clearly`, async () => {
        server.api = answers.raw(status, headers, body);
        const err = await fptrError(client({ maxRetries: 1 }).search('Shot'));
        should(err.message).match(message);
      });
    }
  });

  describe('redirects', () => {
    const elsewhere = new HostileServer();
    beforeEach(() => elsewhere.listen());
    afterEach(() => elsewhere.close());

    for (const status of [301, 302, 307, 308]) {
      it(`does not follow a ${status} (nor send the credentials along)`, async () => {
        server.token = answers.redirect(status, `${elsewhere.url}${TOKEN_PATH}`);
        const err = await fptrError(client().serverInfo());
        should(err.status).equal(status);
        should(err.message).match(/Redirected elsewhere \(check the Site URL/);
        should(elsewhere.received).be.empty();
        should(server.count(TOKEN_PATH)).equal(1);
      });
    }
  });

  describe('Retry-After', () => {
    const now = Date.now();
    // Ceilings 100, 200, 400, 800, 1600 ms: five waits of full jitter sum to under 100 ms about once in 100 000 runs.
    const quickBackoff = { retryBaseMs: 100, retryMaxMs: 1600, maxRetries: 5 };
    const nonsense: Array<[string, string]> = [
      ['0', '0'],
      ['a negative number', '-5'],
      ['a date in the past', new Date(now - 3_600_000).toUTCString()],
      ['garbage', 'soon, maybe'],
    ];
    for (const [name, value] of nonsense) {
      it(`keeps the backoff when it is ${name}`, async () => {
        server.api = answers.retryAfter(value);
        const c = client(quickBackoff);
        const started = performance.now();
        const err = await fptrError(c.read('Shot', 1));
        should(err.status).equal(503);
        should(server.count('/api/v1/entity')).equal(6);
        should(performance.now() - started).be.aboveOrEqual(100);
      });
    }

    const tooLong: Array<[string, string, string]> = [
      ['a far-future date', new Date(now + 365 * 24 * 3_600_000).toUTCString(), '86400 s'],
      ['an enormous number', '9'.repeat(400), '86400 s'],
      ['a day and a bit', '90000', '86400 s'],
      ['an hour', '3600', '3600 s'],
    ];
    for (const [name, value, asked] of tooLong) {
      it(`fails at once, saying so, when it is ${name}`, async () => {
        server.api = answers.retryAfter(value);
        const err = await fptrError(client().read('Shot', 1));
        should(err.message).equal(
          `FPTR 503 (code 103): Busy (FPTR asked to wait ${asked}, more than the 60 s allowed)`,
        );
        should(server.count('/api/v1/entity')).equal(1);
      });
    }

    it('gives up within the time budget when the wait would overrun it', async () => {
      server.api = answers.retryAfter('5');
      const err = await fptrError(client({ deadlineMs: 2_000 }).read('Shot', 1));
      should(err.message).match(/gave up after 1 attempt: the 2 s time budget would run out/);
    });
  });

  describe('refused credentials', () => {
    const calls = 20;

    it(`asks for a token a bounded number of times over ${calls} calls while the key is refused`, async () => {
      server.token = answers.json(400, errorEnvelope(400, "Can't authenticate script 'node_red_bridge'"));
      const c = client();
      const messages = new Set<string>();
      for (let i = 0; i < calls; i++) messages.add((await fptrError(c.read('Shot', 1))).message);
      should([...messages]).eql(["FPTR 400 (code 103): Can't authenticate script 'node_red_bridge'"]);
      // 1 s, then 2 s, then 4 s without asking: a fourth request needs 7 s of calls.
      should(server.count(TOKEN_PATH)).be.belowOrEqual(3);
      should(server.count('/api/v1/entity')).equal(0);
    });

    it('asks a bounded number of times for a refused password too', async () => {
      server.token = answers.json(400, errorEnvelope(400, "Can't authenticate user"));
      const c = client({ auth: { grant: 'password', login: 'jane', password: NASTY_PASSWORD } });
      for (let i = 0; i < calls; i++) await fptrError(c.currentUser());
      should(server.count(TOKEN_PATH)).be.belowOrEqual(3);
    });

    it(`asks a bounded number of times when every fresh token is refused with 401 (${calls} calls)`, async () => {
      server.api = answers.json(401, errorEnvelope(401, 'Unauthorized'));
      const c = client();
      for (let i = 0; i < calls; i++) should((await fptrError(c.read('Shot', 1))).status).equal(401);
      should(server.count(TOKEN_PATH)).be.belowOrEqual(4);
      should(server.count('/api/v1/entity')).be.belowOrEqual(4);
    });

    it('asks again once the pause is over, and works when the site accepts the key again', async () => {
      server.token = answers.json(400, errorEnvelope(400, 'nope'));
      const c = client();
      await fptrError(c.read('Shot', 1));
      server.token = answers.token(HOSTILE_TOKEN);
      server.api = answers.json(200, { data: { type: 'Shot', id: 1, attributes: {} } });
      await new Promise((r) => setTimeout(r, 1_050));
      should((await c.read('Shot', 1)).id).equal(1);
      should(server.count(TOKEN_PATH)).equal(2);
    });
  });

  describe('secrets echoed back', () => {
    const secrets = [NASTY_KEY, NASTY_PASSWORD, HOSTILE_TOKEN];

    it('keeps the script key out of an error that quotes the form-encoded token request', async () => {
      server.token = answers.echo(400);
      const err = await fptrError(client().serverInfo());
      // The echo really carries the key, in its form encoding.
      should(server.received[0]!.body).containEql(new URLSearchParams({ k: NASTY_KEY }).toString().slice(2));
      should(err.message).startWith(
        'FPTR 400 (code 103): rejected: grant_type=client_credentials&client_id=node_red_bridge&client_secret=[redacted]',
      );
      should(leaks(errorTexts(err), secrets)).eql([]);
    });

    it('keeps the password out of an error that quotes the token request', async () => {
      server.token = answers.echo(400);
      const err = await fptrError(
        client({ auth: { grant: 'password', login: 'jane', password: NASTY_PASSWORD } }).serverInfo(),
      );
      should(err.message).containEql('password=[redacted]');
      should(leaks(errorTexts(err), secrets)).eql([]);
    });

    it('keeps the bearer token out of an error that quotes the request headers', async () => {
      server.api = answers.echo(400);
      const err = await fptrError(client().search('Shot', { filters: [['code', 'is', 'x']] }));
      should(server.received[1]!.headers.authorization).equal(`Bearer ${HOSTILE_TOKEN}`);
      should(err.message).containEql('Bearer [redacted]');
      should(leaks(errorTexts(err), secrets)).eql([]);
    });

    it('keeps the bearer token out of an echoed query and a retried echo', async () => {
      server.api = answers.echo(503);
      const err = await fptrError(client({ maxRetries: 2 }).read('Shot', 1, { fields: ['code'] }));
      should(err.message).match(/gave up after 3 attempts/);
      should(leaks(errorTexts(err), secrets)).eql([]);
    });

    it('keeps a secret cut by the length cap out entirely', async () => {
      // The key starts right where the title is cut, so cutting first would leave its start.
      const title = `${'p'.repeat(MAX_ERROR_TEXT - 3)}${new URLSearchParams({ k: NASTY_KEY }).toString().slice(2)}`;
      server.token = answers.json(400, errorEnvelope(400, title, title));
      const err = await fptrError(client().serverInfo());
      should(leaks(errorTexts(err), secrets)).eql([]);
    });
  });
});
