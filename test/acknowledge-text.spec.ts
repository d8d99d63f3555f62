import should = require('should');
import { ACK_MAX_BYTES, fitJson, fitText, TRUNCATION_MARKER, utf8Prefix } from '../nodes/lib/ack-text';
import { AcknowledgementError, fitAcknowledgement, statusAcknowledgement } from '../nodes/lib/acknowledgement';

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
      fitted.text.slice(0, -TRUNCATION_MARKER.length).should.equal(unit.repeat(fitted.text.slice(0, -TRUNCATION_MARKER.length).length / unit.length));
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
    const fitted = fitJson({ status: 'failure', detail: long, by: 'node-red' });
    fitted.truncated.should.be.true();
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
    const back = JSON.parse(fitted.text) as { status: string; detail: string; by: string };
    back.status.should.equal('failure');
    back.by.should.equal('node-red');
    back.detail.endsWith(TRUNCATION_MARKER).should.be.true();
    long.startsWith(back.detail.slice(0, -TRUNCATION_MARKER.length)).should.be.true();
  });
  it('accounts for JSON escapes (quotes, newlines, control characters)', function () {
    const fitted = fitJson({ detail: '"\n\u0001'.repeat(2000) });
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
    JSON.parse(fitted.text).should.have.property('detail');
  });
  it('shortens several strings when one is not enough', function () {
    const fitted = fitJson({ a: 'x'.repeat(3000), b: 'y'.repeat(3000), c: ['z'.repeat(3000)] });
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
    const back = JSON.parse(fitted.text) as { a: string; b: string; c: string[] };
    (back.a.length + back.b.length + (back.c[0] ?? '').length).should.be.above(3000);
  });
  it('falls back to text when the structure alone is too big', function () {
    const fitted = fitJson(Array.from({ length: 3000 }, (_, i) => i));
    fitted.truncated.should.be.true();
    fitted.bytes.should.be.belowOrEqual(ACK_MAX_BYTES);
    fitted.text.endsWith(TRUNCATION_MARKER).should.be.true();
  });
  it('sends a small object unchanged', function () {
    fitJson({ ok: true }).should.eql({ text: '{"ok":true}', truncated: false, bytes: 11, originalBytes: 11 });
  });
});

describe('acknowledgement: forms', function () {
  const cases: Array<[string, unknown, unknown, unknown, { status: string; detail: string }]> = [
    ['auto without msg.error → success', 'auto', '', undefined, { status: 'success', detail: '' }],
    ['auto with msg.error → failure, detail from the error', 'auto', '', { message: 'boom' }, { status: 'failure', detail: 'boom' }],
    ['empty status counts as auto', '', 'done', undefined, { status: 'success', detail: 'done' }],
    ['explicit failure keeps its own detail', 'failure', 'render farm down', { message: 'boom' }, { status: 'failure', detail: 'render farm down' }],
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
