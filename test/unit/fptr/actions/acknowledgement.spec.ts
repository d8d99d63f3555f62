import should = require('should');
import fc = require('fast-check');
import { ACK_MAX_BYTES, fitJson, fitText, TRUNCATION_MARKER, utf8Prefix } from '../../../../lib/fptr/actions/ack-text';
import {
  AcknowledgementError,
  fitAcknowledgement,
  statusAcknowledgement,
} from '../../../../lib/fptr/actions/acknowledgement';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** True when the bytes decode without replacement characters appearing that were not in the text. */
function validUtf8(s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s && !s.includes('\ufffd');
}

describe('acknowledgement: UTF-8 byte limit', function () {
  const units: Array<[string, string, number]> = [
    ['ASCII', 'a', 1],
    ['Latin-1 é (2 bytes)', 'é', 2],
    ['CJK 日 (3 bytes)', '日', 3],
    ['emoji 🎬 (4 bytes, surrogate pair)', '🎬', 4],
  ];
  for (const [label, unit, size] of units) {
    it(`truncates 5,000 × ${label} to ≤ 4096 bytes, valid, ending in the marker`, function () {
      const fitted = fitText(unit.repeat(5000));
      fitted.truncated.should.be.true();
      fitted.bytes.should.equal(bytes(fitted.text));
      fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
      // No more than one code point of slack is lost at the cut.
      fitted.bytes.should.be.above(ACK_MAX_BYTES - size);
      fitted.originalBytes.should.equal(5000 * size);
      fitted.text.endsWith(TRUNCATION_MARKER).should.be.true();
      validUtf8(fitted.text).should.be.true();
      fitted.text
        .slice(0, -TRUNCATION_MARKER.length)
        .should.equal(unit.repeat(fitted.text.slice(0, -TRUNCATION_MARKER.length).length / unit.length));
    });
  }
  it('leaves text of exactly 4096 bytes untouched and cuts 4097', function () {
    fitText('x'.repeat(4096)).should.containDeep({ truncated: false, bytes: 4096 });
    const over = fitText('x'.repeat(4097));
    over.truncated.should.be.true();
    over.bytes.should.equal(4096);
  });
  it('never splits a code point at any cut position', function () {
    const mixed = 'aé日🎬'.repeat(10);
    for (let max = 0; max <= bytes(mixed); max++) {
      const prefix = utf8Prefix(mixed, max);
      bytes(prefix).should.be.belowOrEqual(max);
      validUtf8(prefix).should.be.true();
      mixed.startsWith(prefix).should.be.true();
    }
  });
  it('counts a lone surrogate as the 3-byte replacement FPTR will store', function () {
    const fitted = fitText('\ud800'.repeat(2000));
    fitted.originalBytes.should.equal(6000);
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
  });
});

describe('acknowledgement: JSON stays JSON', function () {
  it('shortens the longest string so the document still parses', function () {
    const long = '日'.repeat(3000);
    const fitted = fitJson(JSON.stringify({ status: 'failure', detail: long, by: 'node-red' }));
    fitted.truncated.should.be.true();
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
    const back = JSON.parse(fitted.text) as { status: string; detail: string; by: string };
    back.status.should.equal('failure');
    back.by.should.equal('node-red');
    back.detail.endsWith(TRUNCATION_MARKER).should.be.true();
    long.startsWith(back.detail.slice(0, -TRUNCATION_MARKER.length)).should.be.true();
  });
  it('accounts for JSON escapes (quotes, newlines, control characters)', function () {
    const fitted = fitJson(JSON.stringify({ detail: '"\n\u0001'.repeat(2000) }));
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
    JSON.parse(fitted.text).should.have.property('detail');
  });
  it('shortens several strings when one is not enough', function () {
    const fitted = fitJson(JSON.stringify({ a: 'x'.repeat(3000), b: 'y'.repeat(3000), c: ['z'.repeat(3000)] }));
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
    const back = JSON.parse(fitted.text) as { a: string; b: string; c: string[] };
    (back.a.length + back.b.length + (back.c[0] ?? '').length).should.be.above(3000);
  });
  it('falls back to text when the structure alone is too big', function () {
    const fitted = fitJson(JSON.stringify(Array.from({ length: 3000 }, (_, i) => i)));
    fitted.truncated.should.be.true();
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
    fitted.text.endsWith(TRUNCATION_MARKER).should.be.true();
  });
  it('sends a small object unchanged', function () {
    fitJson(JSON.stringify({ ok: true })).should.eql({
      text: '{"ok":true}',
      truncated: false,
      bytes: 11,
      originalBytes: 11,
    });
  });
});

describe('acknowledgement: forms', function () {
  const cases: Array<[string, unknown, unknown, unknown, { status: string; detail: string }]> = [
    ['auto without msg.error → success', 'auto', '', undefined, { status: 'success', detail: '' }],
    [
      'auto with msg.error → failure, detail from the error',
      'auto',
      '',
      { message: 'boom' },
      { status: 'failure', detail: 'boom' },
    ],
    ['empty status counts as auto', '', 'done', undefined, { status: 'success', detail: 'done' }],
    [
      'explicit failure keeps its own detail',
      'failure',
      'render farm down',
      { message: 'boom' },
      { status: 'failure', detail: 'render farm down' },
    ],
    ['explicit success ignores msg.error', 'success', '', { message: 'boom' }, { status: 'success', detail: '' }],
    ['object detail becomes JSON text', 'success', { n: 1 }, undefined, { status: 'success', detail: '{"n":1}' }],
  ];
  for (const [label, status, detail, error, expected] of cases) {
    it(label, function () {
      statusAcknowledgement(status, detail, error).should.eql({ ...expected, by: 'node-red' });
    });
  }
  it('refuses an unknown status', function () {
    should.throws(() => statusAcknowledgement('ok', '', undefined), AcknowledgementError);
  });
  it('sends text as is and objects as JSON', function () {
    fitAcknowledgement('done').text.should.equal('done');
    fitAcknowledgement({ a: 1 }).text.should.equal('{"a":1}');
    fitAcknowledgement(42).text.should.equal('42');
    should.throws(() => fitAcknowledgement(undefined), AcknowledgementError);
  });
});

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('acknowledgement: hostile details', function () {
  const loop: Record<string, unknown> = {};
  loop.self = loop;
  let deep: unknown = 'x';
  for (let i = 0; i < 200_000; i++) deep = [deep];
  const cases: Array<[string, unknown, RegExp]> = [
    ['a circular detail', loop, /^the detail cannot be written as JSON \(Converting circular structure to JSON\)$/],
    ['a BigInt detail', { n: 1n }, /^the detail cannot be written as JSON \(Do not know how to serialize a BigInt\)$/],
    [
      'a detail nested too deeply for JSON',
      deep,
      /^the detail cannot be written as JSON \(Maximum call stack size exceeded\)$/,
    ],
  ];
  for (const [label, detail, message] of cases) {
    it(`refuses ${label} by name`, function () {
      const refusal = thrownBy(() => statusAcknowledgement('success', detail, undefined));
      should(refusal).be.instanceOf(AcknowledgementError).and.have.property('message').match(message);
      should(thrownBy(() => fitAcknowledgement(detail)))
        .be.instanceOf(AcknowledgementError)
        .and.have.property('message')
        .match(/^the acknowledgement cannot be written as JSON \(/);
    });
  }
  it('names an unusable status without failing on it', function () {
    should.throws(
      () => statusAcknowledgement(loop, '', undefined),
      /status must be success, failure or auto \(got an object that cannot be shown/,
    );
  });
  it("fits a JSON acknowledgement nested deeply (but within JSON's reach) around a long string", function () {
    let nested: unknown = 'é'.repeat(5000);
    for (let i = 0; i < 2000; i++) nested = [nested];
    const fitted = fitAcknowledgement(nested);
    should(fitted.bytes).be.belowOrEqual(ACK_MAX_BYTES);
    should(JSON.parse(fitted.text)).be.an.Array();
  });
});

describe('acknowledgement: properties', function () {
  const loneSurrogates = fc.string({
    unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    maxLength: 50,
  });
  const piece = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    loneSurrogates,
    fc.constantFrom('"', '\\', '\n', '\u0000', '…[truncated]'),
  );
  /** Up to ~40 KB of mixed one- to four-byte characters, escapes and lone surrogates. */
  const text = fc
    .tuple(fc.array(piece, { maxLength: 8 }), fc.integer({ min: 1, max: 400 }))
    .map(([parts, times]) => parts.join('').repeat(times));
  const detail = fc.oneof(
    text,
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(text, text, { maxKeys: 3 }),
    fc.constant(undefined),
    fc.constant(null),
  );
  const status = fc.constantFrom(undefined, null, '', 'auto', 'success', 'failure');
  const msgError = fc.oneof(fc.constant(undefined), fc.record({ message: text }), fc.constant('oops'));

  function withinLimit(fitted: { text: string; bytes: number }): void {
    should(Buffer.byteLength(fitted.text, 'utf8')).equal(fitted.bytes).and.be.belowOrEqual(ACK_MAX_BYTES);
    // Well-formed: no half of a surrogate pair left, so it encodes to UTF-8 and back unchanged.
    should(Buffer.from(fitted.text, 'utf8').toString('utf8')).equal(fitted.text);
  }

  it('fits every status acknowledgement within 4096 bytes as valid JSON, and free text too', function () {
    fc.assert(
      fc.property(status, detail, msgError, (s, d, e) => {
        const ack = statusAcknowledgement(s, d, e);
        const fitted = fitAcknowledgement(ack);
        withinLimit(fitted);
        should(JSON.parse(fitted.text)).have.properties({ status: ack.status, by: 'node-red' });
        if (typeof d === 'string') withinLimit(fitAcknowledgement(d));
        if (d !== undefined) withinLimit(fitAcknowledgement(d));
      }),
      { numRuns: 300 },
    );
  });
});
