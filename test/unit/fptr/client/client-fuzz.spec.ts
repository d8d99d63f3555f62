import type http = require('node:http');
import fc from 'fast-check';
import should = require('should');
import { FptrClient } from '../../../../lib/fptr/client/client';
import { FptrError, MAX_ERROR_TEXT } from '../../../../lib/fptr/client/fptr-error';
import { HOSTILE_TOKEN, HostileServer, type Answer, answers } from '../../../support/hostile-server';
import { NASTY_KEY, encodedForms, errorTexts, leaks } from '../../../support/secrets';

/*
 * Property: whatever a server answers (status, headers, body bytes), a client call either
 * succeeds or rejects with an FptrError — never another exception, never an unhandled rejection
 * — and no error carries the script key or the access token in any form.
 */

interface ServerAnswer {
  /** Which request gets the arbitrary answer; the other is answered properly. */
  target: 'token' | 'api';
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const forms = [...encodedForms(NASTY_KEY), ...encodedForms(HOSTILE_TOKEN)];

/** Text that sometimes carries a secret, in any of its forms, among arbitrary characters. */
const echoText = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom(...forms)), { maxLength: 6 })
  .map((parts) => parts.join(''));

const jsonBody = fc
  .oneof(
    fc.record({
      errors: fc.array(
        fc.record(
          {
            status: fc.oneof(fc.integer(), fc.string()),
            code: fc.oneof(fc.integer(), fc.constant(null)),
            title: fc.oneof(echoText, fc.jsonValue()),
            detail: fc.oneof(echoText, fc.constant(null)),
            source: fc.oneof(fc.jsonValue(), fc.dictionary(echoText, echoText)),
            meta: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
    }),
    fc.record({
      data: fc.oneof(
        fc.jsonValue(),
        fc.array(
          fc.record(
            { type: fc.string(), id: fc.oneof(fc.nat(), fc.string()), attributes: fc.jsonValue() },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
      ),
    }),
    fc.record(
      {
        token_type: fc.oneof(fc.string(), fc.constant('Bearer')),
        access_token: fc.oneof(fc.constant(HOSTILE_TOKEN), fc.jsonValue()),
        expires_in: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  )
  .map((value) => Buffer.from(JSON.stringify(value) ?? 'null'));

const body = fc.oneof(
  jsonBody,
  echoText.map((t) => Buffer.from(t)),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
);

const headerValue = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '1',
    '3600',
    '9'.repeat(40),
    'soon',
    'Wed, 21 Oct 2015 07:28:00 GMT',
    'Fri, 01 Jan 2100 00:00:00 GMT',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'text/html',
      'application/octet-stream',
      'application/json; charset=latin1',
      '',
    ),
    'retry-after': headerValue,
    'x-echo': echoText.map(encodeURIComponent),
  },
  { requiredKeys: [] },
);

const serverAnswer: fc.Arbitrary<ServerAnswer> = fc.record({
  target: fc.constantFrom('token' as const, 'api' as const),
  status: fc.oneof(
    fc.constantFrom(200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 502, 503, 504),
    fc.integer({ min: 200, max: 999 }),
  ),
  headers,
  body,
});

type Call = (client: FptrClient) => Promise<unknown>;
const calls: Record<string, Call> = {
  serverInfo: (c) => c.serverInfo(),
  currentUser: (c) => c.currentUser(),
  read: (c) => c.read('Shot', 1, { fields: ['code'] }),
  search: (c) => c.search('Shot', { filters: [['code', 'is', 'x']], limit: 3 }),
  create: (c) => c.create('Note', { subject: 'x' }),
  update: (c) => c.update('Shot', 1, { code: 'y' }),
  delete: (c) => c.delete('Shot', 1),
  revive: (c) => c.revive('Shot', 1),
  batch: (c) => c.batch([{ request_type: 'update', entity: 'Shot', record_id: 1, data: { code: 'z' } }]),
  listDeliveries: (c) => c.listDeliveries('0f9a6e52-2b4e-4b8c-9d55-9b2d6d7e2c11'),
  readDelivery: (c) => c.readDelivery('d1'),
  acknowledge: (c) => c.acknowledge('d1', 'ok'),
  redeliver: (c) => c.redeliver('d1'),
};

/** Writes the answer as given; a header Node refuses to send becomes a dropped connection (also hostile). */
function arbitrary(answer: ServerAnswer): Answer {
  return (_req, res: http.ServerResponse) => {
    try {
      res.writeHead(answer.status, answer.headers).end(answer.body);
    } catch {
      res.destroy();
    }
  };
}

describe('FptrClient against arbitrary answers (property)', function () {
  this.timeout(120_000);
  const server = new HostileServer();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  before(async () => {
    await server.listen();
    process.on('unhandledRejection', onUnhandled);
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await server.close();
  });

  it('rejects only with FptrError, briefly, and never with a secret in it', async () => {
    await fc.assert(
      fc.asyncProperty(serverAnswer, fc.constantFrom(...Object.keys(calls)), async (answer, call) => {
        server.token = answer.target === 'token' ? arbitrary(answer) : answers.token(HOSTILE_TOKEN);
        server.api = answer.target === 'api' ? arbitrary(answer) : answers.json(200, { data: {} });
        const client = new FptrClient({
          url: server.url,
          auth: { grant: 'client_credentials', scriptName: 'node_red_bridge', scriptKey: NASTY_KEY },
          maxRetries: 1,
          retryBaseMs: 1,
          retryMaxMs: 5,
          maxRetryAfterMs: 50,
          timeoutMs: 2_000,
          deadlineMs: 5_000,
        });
        try {
          await calls[call]!(client);
        } catch (err) {
          if (!(err instanceof FptrError)) throw new Error(`${call} threw ${String(err)}, not an FptrError`);
          should(err.message.length).be.belowOrEqual(MAX_ERROR_TEXT + 300);
          // The token is a secret only once the client has been given it (an API answer).
          should(leaks(errorTexts(err), answer.target === 'api' ? [NASTY_KEY, HOSTILE_TOKEN] : [NASTY_KEY])).eql([]);
        } finally {
          await client.close();
        }
      }),
      { numRuns: 150 },
    );
    await new Promise((r) => setImmediate(r));
    should(unhandled).eql([]);
  });
});
