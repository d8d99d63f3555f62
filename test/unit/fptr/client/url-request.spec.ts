import type http = require('node:http');
import { Readable } from 'node:stream';
import fc from 'fast-check';
import should = require('should');
import { Agent } from 'undici';
import { ByteSourceError } from '../../../../lib/fptr/client/byte-source';
import { CONTROL_CHARS, FptrError } from '../../../../lib/fptr/client/fptr-error';
import { requestUrl, storageError, type UrlRequest } from '../../../../lib/fptr/client/url-request';
import { LoopbackServer, freePort } from '../../../support/loopback';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
}

const S3_403 =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The signature does not match.</Message>' +
  '<StringToSign>AWS4-HMAC-SHA256\nsecret-scope</StringToSign><SignatureProvided>f00dfeed</SignatureProvided></Error>';

describe('requestUrl: signed storage URLs', () => {
  const server = new LoopbackServer();
  const agent = new Agent({ connections: 4 });
  let origin: string;
  let seen: Seen[];
  let answers: Array<(res: http.ServerResponse) => void>;

  const policy = {
    dispatcher: agent,
    timeoutMs: 2000,
    maxRetries: 2,
    retryBaseMs: 1,
    retryMaxMs: 5,
    maxRetryAfterMs: 2000,
  };
  const reply =
    (status: number, body = '', headers: Record<string, string> = {}) =>
    (res: http.ServerResponse): void => {
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };

  beforeEach(async () => {
    seen = [];
    answers = [];
    origin = await server.listen((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes });
        (answers.shift() ?? reply(200, 'ok', { etag: '"e"' }))(res);
      });
    });
  });
  afterEach(() => server.close());
  after(() => agent.close());

  async function failure(spec: UrlRequest): Promise<FptrError> {
    try {
      const res = await requestUrl(spec, policy);
      await res.body.dump();
    } catch (err) {
      should(err).be.instanceOf(FptrError);
      return err as FptrError;
    }
    throw new Error('expected a failure');
  }

  const bytes = (data: Buffer): UrlRequest['bytes'] => ({
    length: data.length,
    open: () => Readable.from([data], { objectMode: false }),
  });

  it('sends the URL exactly as given, the bytes with their length, and no credentials', async () => {
    const path = '/bucket/a%2Fb%20c+d.mov?partNumber=2&uploadId=x%2By&X-Amz-Signature=abc';
    const res = await requestUrl(
      {
        method: 'PUT',
        url: `${origin}${path}`,
        bytes: bytes(Buffer.alloc(1234, 7)),
        headers: { 'content-type': 'video/quicktime' },
      },
      policy,
    );
    await res.body.dump();
    should(res.headers.etag).eql('"e"');
    should(seen).have.length(1);
    should(seen[0]).containEql({ method: 'PUT', url: path, bytes: 1234 });
    should(seen[0].headers).containEql({ 'content-length': '1234', 'content-type': 'video/quicktime' });
    should(seen[0].headers).not.have.property('authorization');
    should(seen[0].headers).not.have.property('cookie');
  });

  it('repeats 500, 503 and 429 (after Retry-After), sending the bytes again each time', async () => {
    answers.push(
      reply(500, '<Error><Code>InternalError</Code></Error>'),
      reply(503, '<Error><Code>SlowDown</Code></Error>'),
    );
    const res = await requestUrl(
      { method: 'PUT', url: `${origin}/k`, bytes: bytes(Buffer.alloc(10)) },
      { ...policy, maxRetries: 3 },
    );
    await res.body.dump();
    should(seen.map((s) => s.bytes)).eql([10, 10, 10]);
    answers.push(reply(429, '', { 'retry-after': '1' }));
    const started = performance.now();
    await (await requestUrl({ method: 'GET', url: `${origin}/k` }, policy)).body.dump();
    should(performance.now() - started).be.aboveOrEqual(990);
  });

  it('gives up after maxRetries, saying so', async () => {
    answers.push(reply(500), reply(500), reply(500), reply(500));
    const err = await failure({ method: 'GET', url: `${origin}/k?sig=1` });
    should(err.message).eql(`File storage at ${origin} answered 500 (gave up after 3 attempts)`);
    should(err.request).eql(`GET ${origin}/k`);
    should(seen).have.length(3);
  });

  it('does not repeat a refusal, and keeps only the code and message of an S3 error (no signature, no query)', async () => {
    answers.push(reply(403, S3_403, { 'content-type': 'application/xml' }));
    const err = await failure({
      method: 'PUT',
      url: `${origin}/bucket/key?X-Amz-Signature=f00dfeed&X-Amz-Credential=AKIA`,
      bytes: bytes(Buffer.alloc(3)),
    });
    should(err.message).eql(
      `File storage at ${origin} answered 403 (SignatureDoesNotMatch): The signature does not match.`,
    );
    should(err).containEql({ kind: 'http', status: 403, retryable: false });
    should(JSON.stringify({ ...err, message: err.message })).not.match(/f00dfeed|AKIA|secret-scope/);
    should(seen).have.length(1);
  });

  it("reads FPTR's errors envelope from a signed site URL", async () => {
    answers.push(
      reply(403, JSON.stringify({ errors: [{ status: 403, code: 103, title: 'The signed URL has expired' }] })),
    );
    const err = await failure({ method: 'GET', url: `${origin}/file_serve/abc?signature=s` });
    should(err.message).eql('FPTR 403 (code 103): The signed URL has expired');
    should(err.code).eql(103);
  });

  it('does not repeat a request whose bytes cannot be read', async () => {
    const source = {
      length: 5,
      open: () =>
        Readable.from(
          (async function* () {
            yield Buffer.from('ab');
            throw new ByteSourceError('Could not read the file to upload: EIO');
          })(),
          { objectMode: false },
        ),
    };
    const err = await requestUrl({ method: 'PUT', url: `${origin}/k`, bytes: source }, policy).then(
      () => undefined,
      (e: unknown) => e,
    );
    should(err).be.instanceOf(ByteSourceError).and.have.property('message', 'Could not read the file to upload: EIO');
    should(seen.length).be.belowOrEqual(1);
  });

  it('repeats a refused connection and a silent server, then names them', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const refused = await failure({ method: 'GET', url: `${closed}/k` });
    should(refused).containEql({ kind: 'network', networkCode: 'ECONNREFUSED' });
    should(refused.message).eql(
      `Could not reach the file storage at ${closed}: connection refused (gave up after 3 attempts)`,
    );
    answers.push(
      () => undefined,
      () => undefined,
      () => undefined,
    );
    const silent = await (async () => {
      try {
        await requestUrl({ method: 'GET', url: `${origin}/slow` }, { ...policy, timeoutMs: 200 });
      } catch (err) {
        return err as FptrError;
      }
      throw new Error('expected a timeout');
    })();
    should(silent.kind).eql('timeout');
    should(silent.message).eql(`File storage at ${origin} did not answer within 0.2 s (gave up after 3 attempts)`);
  });

  it('follows only plain http(s) URLs without user names', async () => {
    for (const [url, message] of [
      ['file:///etc/passwd', 'FPTR gave a file URL with the scheme file:; only http and https are followed'],
      ['ftp://example.com/x', 'FPTR gave a file URL with the scheme ftp:; only http and https are followed'],
      [`http://user:pw@127.0.0.1:1/x`, 'FPTR gave a file URL with a user name or password in it; it is not followed'],
      ['not a url', 'FPTR gave a file URL that is not a valid URL'],
    ]) {
      should((await failure({ method: 'GET', url })).message).eql(message);
    }
    should(seen).eql([]);
  });

  it('stops at once when cancelled', async () => {
    answers.push(reply(503), reply(503), reply(503));
    const stop = new AbortController();
    const pending = failure({ method: 'GET', url: `${origin}/k`, signal: stop.signal });
    stop.abort();
    should(await pending).containEql({ kind: 'closed', message: 'The file transfer was cancelled' });
  });
});

describe('storageError (property)', () => {
  it('never throws, keeps no control characters and never more than the capped Code and Message', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 300, max: 599 }),
        fc.string({ maxLength: 3000 }),
        fc.string({ maxLength: 40 }),
        (status, junk, secret) => {
          const xml = `<Error><Code>${junk.slice(0, 50)}</Code><Message>${junk}</Message><SignatureProvided>${secret}</SignatureProvided></Error>`;
          for (const body of [junk, xml]) {
            const err = storageError(status, Buffer.from(body), 'http://s3.local', 'PUT http://s3.local/k');
            should(err.message).not.match(new RegExp(CONTROL_CHARS.source));
            if (secret.trim().length > 2 && !junk.includes(secret.trim()))
              should(err.message).not.containEql(secret.trim());
            should(err.message.length).be.belowOrEqual(1100);
            should(err.status).eql(status);
          }
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });
});
