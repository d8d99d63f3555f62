import should = require('should');
import fc = require('fast-check');
import fs = require('node:fs');
import http = require('node:http');
import { NodeRedRuntime } from '../../support/webhook-node-red';
import { taskChange } from '../../support/webhook-fixtures';
import { signBody } from '../../../lib/fptr/webhook/signature';

/*
 * Property-based hostile input against a real Node-RED process: arbitrary bodies, headers and
 * paths into fptr-webhook-in (with and without a secret, two wires downstream so Node-RED
 * clones every message). Whatever comes in, the process stays up, every answer is one of the
 * documented statuses, and a refused request sends nothing on. Runs are bounded; set
 * FPTR_FUZZ_SEED (and FPTR_FUZZ_RUNS) to replay a run: fast-check prints the seed on failure.
 */

const SECRET = 'fuzz-secret';
const DOCUMENTED = [200, 400, 401, 403, 405, 408, 413, 503];
const RUNS = Number(process.env.FPTR_FUZZ_RUNS ?? 300);
const SEED = process.env.FPTR_FUZZ_SEED === undefined ? undefined : Number(process.env.FPTR_FUZZ_SEED);
/** Short, so bodies that never finish (a Content-Length larger than what is sent) cost little. */
const READ_TIMEOUT_MS = 300;

/** Counts the messages of each request (tagged by the test's `x-sg-fuzz-id` header) in global context. */
const COUNTER = `
const id = msg.fptr.headers['x-sg-fuzz-id'];
const seen = global.get('seen') || {};
seen[id] = (seen[id] || 0) + 1;
global.set('seen', seen);
return null;`;

function flows(): unknown[] {
  const hook = (id: string, url: string, props: Record<string, unknown>): unknown => ({
    id,
    type: 'fptr-webhook-in',
    z: 'tab1',
    url,
    split: true,
    dedupWindow: 600,
    emitTests: true,
    maxBodySize: '',
    allowList: [],
    trustProxy: false,
    wires: [['count', 'sink']],
    ...props,
  });
  return [
    { id: 'tab1', type: 'tab', label: 'fuzz' },
    // Unsigned; behind a "proxy" on loopback, so the fuzzed X-Forwarded-For decides 403 or not.
    hook('open', '/fuzz/open', { allowList: ['127.0.0.0/8', '::1', '203.0.113.0/24'], trustProxy: true }),
    hook('signed', '/fuzz/signed', { maxBodySize: '64kb', credentials: { secret: SECRET } }),
    { id: 'count', type: 'function', z: 'tab1', func: COUNTER, outputs: 1, wires: [] },
    {
      id: 'sink',
      type: 'function',
      z: 'tab1',
      func: 'JSON.stringify(msg.payload); return null;',
      outputs: 1,
      wires: [],
    },
    { id: 'seenIn', type: 'http in', z: 'tab1', url: '/fuzz/seen', method: 'get', wires: [['seenOut']] },
    {
      id: 'seenOut',
      type: 'function',
      z: 'tab1',
      func: "msg.payload = global.get('seen') || {}; return msg;",
      outputs: 1,
      wires: [['seenRes']],
    },
    { id: 'seenRes', type: 'http response', z: 'tab1', statusCode: '', headers: {}, wires: [] },
  ];
}

// ---- bodies -------------------------------------------------------------------------------

/** JSON text built by hand, so that keys such as `__proto__` and repeated keys reach the wire. */
type Json = { obj: Array<[string, Json]> } | { arr: Json[] } | { text: string };

function render(value: Json): string {
  if ('text' in value) return value.text;
  if ('arr' in value) return `[${value.arr.map(render).join(',')}]`;
  return `{${value.obj.map(([key, item]) => `${JSON.stringify(key)}:${render(item)}`).join(',')}}`;
}

const scalar: fc.Arbitrary<Json> = fc
  .oneof(
    fc.constantFrom(
      'null',
      'true',
      'false',
      '0',
      '-0',
      '1e308',
      '-1e-308',
      '1e999',
      '812001',
      '""',
      '"\\u0000"',
      '"\\ud800"',
    ),
    fc.double().filter(Number.isFinite).map(String),
    fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)),
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => JSON.stringify(s)),
  )
  .map((text) => ({ text }));

const KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'prototype',
  'event_type',
  'delivery_id',
  'event_log_entry_id',
  'attribute_name',
  'id',
  'operation',
  'meta',
  'data',
  'deliveries',
  'timestamp',
  'warning',
  'old_value',
  'new_value',
  'entity',
  'project',
  'type',
];
const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 }));

const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('tree'), { maxLength: 4 }).map((arr) => ({ arr })),
    fc.array(fc.tuple(key, tie('tree')), { maxLength: 5 }).map((obj) => ({ obj })),
  ),
}));

/** Values that no string can be made of: `${{"toString":0}}` throws. */
const poison: fc.Arbitrary<Json> = fc.oneof(
  fc
    .constantFrom(
      '{"toString":0}',
      '{"valueOf":{},"toString":null}',
      '{"__proto__":null,"toString":"x"}',
      '[{"toString":0}]',
    )
    .map((text) => ({ text })),
  fc
    .array(fc.tuple(fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor'), tree), {
      minLength: 1,
      maxLength: 3,
    })
    .map((obj) => ({ obj })),
);

/**
 * A real-looking delivery with some fields replaced by odd values, odd keys added, and often
 * without `delivery_id`, so the duplicate key is built from the other identity fields.
 */
const delivery: fc.Arbitrary<Json> = fc
  .record({
    n: fc.nat(1_000_000),
    withoutId: fc.boolean(),
    replaced: fc.dictionary(fc.constantFrom(...KEYS), tree, { maxKeys: 2 }),
    poisoned: fc.oneof(
      { weight: 2, arbitrary: fc.constant<Record<string, Json>>({}) },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.constantFrom('delivery_id', 'event_log_entry_id', 'attribute_name', 'id'), poison, {
          minKeys: 1,
          maxKeys: 2,
        }),
      },
    ),
    extra: fc.array(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'toString'), tree), { maxLength: 2 }),
  })
  .map(({ n, withoutId, replaced, poisoned, extra }) => {
    const base = taskChange(n, { delivery_id: withoutId ? undefined : `fuzz-${n}` }) as Record<string, unknown>;
    const entries: Array<[string, Json]> = Object.entries(base)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, poisoned[k] ?? replaced[k] ?? { text: JSON.stringify(v) }]);
    return { obj: [...entries, ...extra] };
  });

const fptrBody: fc.Arbitrary<string> = fc.oneof(
  delivery.map((d) =>
    render({
      obj: [
        ['data', d],
        ['timestamp', { text: '"2024-05-02T10:11:12Z"' }],
      ],
    }),
  ),
  fc
    .array(delivery, { minLength: 1, maxLength: 5 })
    .map((list) => render({ obj: [['data', { obj: [['deliveries', { arr: list }]] }]] })),
  // Something else where an object is expected.
  fc
    .tuple(fc.constantFrom('data', 'deliveries'), tree)
    .map(([where, odd]) =>
      where === 'data' ? render({ obj: [['data', odd]] }) : render({ obj: [['data', { obj: [['deliveries', odd]] }]] }),
    ),
);

/** Brackets nested `depth` deep inside a delivery (or as the whole body). */
const deepBody: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
  .map(([depth, open, wrapped]) => {
    const close = open === '[' ? ']' : '}';
    const inner = open.repeat(depth) + '1' + close.repeat(depth);
    return wrapped ? `{"data":{"event_type":"Shotgun_Task_Change","meta":${inner}}}` : inner;
  });

const hugeBody: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom('delivery_id', 'attribute_name', 'filler'))
  .map(([kb, field]) =>
    JSON.stringify({ data: { ...taskChange(kb), delivery_id: undefined, [field]: 'x'.repeat(kb * 1024) } }),
  );

/** The text as bytes, sometimes spoilt: a BOM, invalid UTF-8 inside, UTF-16, cut short. */
const encoded = (text: fc.Arbitrary<string>): fc.Arbitrary<Buffer> =>
  fc.tuple(text, fc.constantFrom('utf8', 'bom', 'invalid', 'utf16', 'cut'), fc.nat()).map(([body, how, at]) => {
    const bytes = Buffer.from(body, 'utf8');
    switch (how) {
      case 'bom':
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
      case 'invalid': {
        const i = bytes.length === 0 ? 0 : at % bytes.length;
        return Buffer.concat([
          bytes.subarray(0, i),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]),
          bytes.subarray(i),
        ]);
      }
      case 'utf16':
        return Buffer.from(body, 'utf16le');
      case 'cut':
        return bytes.subarray(0, bytes.length === 0 ? 0 : at % bytes.length);
      default:
        return bytes;
    }
  });

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 5, arbitrary: fptrBody.map((text) => Buffer.from(text)) },
  { weight: 3, arbitrary: encoded(fptrBody) },
  { weight: 2, arbitrary: deepBody.map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: encoded(deepBody) },
  { weight: 1, arbitrary: hugeBody.map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: encoded(tree.map(render)) },
);

// ---- requests -----------------------------------------------------------------------------

/** Header values Node's client will send: printable ASCII and latin-1, as HTTP allows. */
const headerValue = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0xff })
    .filter((c) => c !== 0x7f)
    .map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

type Signature = 'valid' | 'missing' | 'other-secret' | 'random-hex' | 'garbage' | 'sha256' | 'twice';

interface Shot {
  target: 'open' | 'signed';
  method: string;
  path: string;
  body: Buffer;
  contentType: string | undefined;
  signature: Signature;
  garbage: string;
  forwardedFor: string | undefined;
  sgHeaders: Record<string, string>;
  /** How the length is told: exact Content-Length, chunked, or a Content-Length larger than the body. */
  framing: 'length' | 'chunked' | 'too-long';
}

/** Spellings of the webhook path that reach it; express collapses none of `//` for other methods. */
const pathFor = (base: string, how: string, query: string): string => {
  const spelled =
    how === 'upper'
      ? base.toUpperCase()
      : how === 'slash'
        ? base + '/'
        : how === 'double'
          ? base.replace(/\//g, '//')
          : base;
  return query ? `${spelled}?${query}` : spelled;
};

const shot: fc.Arbitrary<Shot> = fc
  .record({
    target: fc.constantFrom('open' as const, 'signed' as const),
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constant('POST') },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH') },
    ),
    spelling: fc.constantFrom('plain', 'upper', 'slash', 'double'),
    query: fc.oneof(fc.constant(''), fc.constantFrom('a=1', '%zz', 'x=%E0%A4%A', '__proto__[a]=1&constructor=2')),
    body,
    contentType: fc.option(
      fc.oneof(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/json; charset=utf-16le',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          '',
        ),
        headerValue,
      ),
      { nil: undefined },
    ),
    signature: fc.oneof(
      { weight: 6, arbitrary: fc.constant<Signature>('valid') },
      {
        weight: 6,
        arbitrary: fc.constantFrom<Signature>('missing', 'other-secret', 'random-hex', 'garbage', 'sha256', 'twice'),
      },
    ),
    garbage: headerValue,
    forwardedFor: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.nat(255).map((n) => `203.0.113.${n}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '198.51.100.7',
          '203.0.113.9, 10.0.0.1',
          '10.0.0.1, 203.0.113.9',
          '::ffff:203.0.113.4',
          '',
          ' , ',
          'unknown',
        ),
      },
      { weight: 1, arbitrary: headerValue },
    ),
    sgHeaders: fc.dictionary(
      fc.constantFrom('x-sg-webhook-id', 'x-sg-delivery-id', 'x-sg-event-batch-size', 'x-sg-webhook-site-url'),
      headerValue,
      { maxKeys: 3 },
    ),
    framing: fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom('length' as const, 'chunked' as const) },
      { weight: 1, arbitrary: fc.constant('too-long' as const) },
    ),
  })
  .map(({ spelling, query, ...rest }) => {
    const post = rest.method === 'POST';
    const s: Shot = {
      ...rest,
      path: pathFor(
        rest.target === 'open' ? '/fuzz/open' : '/fuzz/signed',
        post || spelling !== 'double' ? spelling : 'plain',
        query,
      ),
    };
    // Other methods pass the editor's body parsers before any node route (Node-RED answers a body
    // they cannot parse itself): the node's 405 is for requests that get through, without a body.
    if (!post) Object.assign(s, { body: Buffer.alloc(0), contentType: undefined, framing: 'length' });
    // A counterexample prints the body's size and start, not megabytes of byte values.
    return Object.assign(s, {
      [fc.toStringMethod]: () =>
        fc.stringify({
          ...s,
          body: `${s.body.length} bytes: ${JSON.stringify(s.body.subarray(0, 300).toString('latin1'))}…`,
        }),
    });
  });

function headersFor(s: Shot, id: string): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...s.sgHeaders, 'x-sg-fuzz-id': id };
  if (s.contentType !== undefined) headers['content-type'] = s.contentType;
  if (s.forwardedFor !== undefined) headers['x-forwarded-for'] = s.forwardedFor;
  const valid = signBody(SECRET, s.body);
  const signature: Record<Signature, string | string[] | undefined> = {
    valid,
    missing: undefined,
    'other-secret': signBody('not-the-secret', s.body),
    'random-hex': 'sha1=' + Buffer.from(s.garbage.padEnd(20, '0').slice(0, 20), 'latin1').toString('hex'),
    garbage: s.garbage,
    sha256: 'sha256=' + valid.slice(5),
    twice: [valid, valid],
  };
  const value = signature[s.signature];
  if (value !== undefined) headers['x-sg-signature'] = value;
  if (s.framing === 'length') headers['content-length'] = s.body.length;
  if (s.framing === 'too-long') headers['content-length'] = s.body.length + 10;
  return headers;
}

/** Sends the shot and resolves to the status, or to an error text when no answer came. */
function fire(url: string, s: Shot, id: string): Promise<number | string> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: number | string): void => {
      if (!settled) resolve(outcome);
      settled = true;
    };
    const req = http.request(url + s.path, { method: s.method, headers: headersFor(s, id), agent: false }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode ?? 0));
      res.on('error', (err) => finish(`response: ${err.message}`));
    });
    // A refused upload may be cut off while the client still writes: the answer, if read, counts.
    req.on('error', (err) => setTimeout(() => finish(`request: ${err.message}`), 100));
    req.setTimeout(10_000, () => {
      finish('no answer within 10 s');
      req.destroy();
    });
    if (s.method === 'GET') req.end();
    else req.end(s.body);
  });
}

/** Deliveries in a body the node accepted (it parsed, so this does too). */
function deliveriesIn(bytes: Buffer): number {
  const parsed = JSON.parse(bytes.toString('utf8')) as { data: { deliveries?: unknown } };
  return Array.isArray(parsed.data.deliveries) ? parsed.data.deliveries.length : 1;
}

describe('fptr-webhook-in under fuzzed requests, in a Node-RED process', function () {
  this.timeout(180_000);
  let runtime: NodeRedRuntime | undefined;

  before(async function () {
    runtime = await NodeRedRuntime.start({ settings: { fptrWebhookInReadTimeout: READ_TIMEOUT_MS } });
    await runtime.deploy(flows(), '/fuzz/signed');
  });

  after(async function () {
    await runtime?.stop();
    if (runtime) fs.rmSync(runtime.userDir, { recursive: true, force: true });
  });

  async function seen(): Promise<Record<string, number>> {
    const res = await fetch(`${runtime!.url}/fuzz/seen`);
    return (await res.json()) as Record<string, number>;
  }

  it(`stays up, answers only documented statuses and sends nothing for refused requests (${RUNS} runs)`, async function () {
    const url = runtime!.url;
    const refused = new Set<string>();
    const accepted = new Map<string, number>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(shot, async (s) => {
        const id = `r${n++}`;
        const outcome = await fire(url, s, id);
        should(runtime!.running).be.true(`Node-RED exited:\n${runtime!.log()}`);
        should(DOCUMENTED).containEql(outcome);
        if (s.method !== 'POST') should(outcome).equal(405);
        if (s.framing === 'too-long' && s.method === 'POST') should([403, 408, 413]).containEql(outcome);
        if (outcome === 200) accepted.set(id, deliveriesIn(s.body));
        else refused.add(id);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );

    // Messages leave after the answer: wait until the counts stop changing.
    let counts = await seen();
    for (let stable = 0; stable < 3;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = await seen();
      stable = JSON.stringify(next) === JSON.stringify(counts) ? stable + 1 : 0;
      counts = next;
    }
    for (const id of refused)
      should(counts[id] === undefined).be.true(`refused request ${id} sent ${counts[id]} message(s)`);
    for (const [id, count] of Object.entries(counts))
      should(count).be.belowOrEqual(accepted.get(id) ?? 0, `request ${id}`);
    accepted.size.should.be.above(0);
    Object.keys(counts).length.should.be.above(0);

    should(runtime!.running).be.true();
    process.kill(runtime!.pid!, 0);
    (await runtime!.alive()).should.be.true();
  });
});
