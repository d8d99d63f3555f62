import fc from 'fast-check';
import should = require('should');
import { REDACTED, SecretScrubber } from '../../../../lib/fptr/client/secret-scrubber';
import { NASTY_KEY } from '../../../support/secrets';

/** The ways servers write a secret back: each takes the secret and returns the text a server sends. */
const encodings: Record<string, (s: string) => string> = {
  raw: (s) => s,
  uri: encodeURIComponent,
  form: (s) => new URLSearchParams({ k: s }).toString().slice(2),
  lowerHex: (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  // Python's quote(): `~` stays, `*!'()` are encoded; the mix differs from encodeURIComponent.
  pythonQuote: (s) =>
    encodeURIComponent(s).replace(/[*!'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  json: (s) => JSON.stringify(s).slice(1, -1),
  jsonAscii: (s) =>
    JSON.stringify(s)
      .slice(1, -1)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  jsonSlashes: (s) => JSON.stringify(s).slice(1, -1).replace(/\//g, '\\/'),
  jsonInJson: (s) => JSON.stringify(JSON.stringify(s).slice(1, -1)).slice(1, -1),
  formInJson: (s) => JSON.stringify(new URLSearchParams({ k: s }).toString().slice(2)).slice(1, -1),
};

describe('SecretScrubber', () => {
  const scrubber = new SecretScrubber([NASTY_KEY]);

  for (const [name, encode] of Object.entries(encodings)) {
    it(`scrubs a secret written ${name}`, () => {
      const text = `before ${encode(NASTY_KEY)} after`;
      should(scrubber.scrub(text)).equal(`before ${REDACTED} after`);
    });
  }

  it('scrubs access tokens it is given, and forgets old ones after a few', () => {
    const s = new SecretScrubber(['key-1234']);
    for (const token of ['tok-a', 'tok-b', 'tok-c', 'tok-d', 'tok-e']) s.addToken(token);
    should(s.scrub('Bearer tok-e, tok-b, key-1234, tok-a')).equal(
      `Bearer ${REDACTED}, ${REDACTED}, ${REDACTED}, tok-a`,
    );
  });

  it('leaves text without secrets alone', () => {
    should(scrubber.scrub('FPTR 400 (code 103): API read() Asset.foo doesn\'t exist. 100% sure \\ "quoted"')).equal(
      'FPTR 400 (code 103): API read() Asset.foo doesn\'t exist. 100% sure \\ "quoted"',
    );
  });

  it('cuts after scrubbing, so a secret on the cut does not leave its start behind', () => {
    const text = `${'x'.repeat(495)}${encodings.form!(NASTY_KEY)}${'y'.repeat(1000)}`;
    const cut = scrubber.scrubAndCut(text, 500);
    should(cut).equal(`${'x'.repeat(495)}${REDACTED.slice(0, 5)}…`);
  });

  it('takes linear time on text made to confuse it', () => {
    const s = new SecretScrubber(['%%%%%%%%%%%%%%%%%%%%\\\\\\\\\\\\"""""" ']);
    const hostile = '%25'.repeat(20_000) + '\\'.repeat(20_000) + '\\"'.repeat(20_000);
    // A backtracking blow-up would take minutes; mocha's timeout catches it.
    should(s.scrub(hostile)).be.a.String();
  });

  describe('properties', () => {
    const secret = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
    const text = fc.string({ unit: 'grapheme', maxLength: 60 });
    const encoding = fc.constantFrom(...Object.keys(encodings));

    it('no encoding of any secret survives scrubbing', () => {
      fc.assert(
        fc.property(secret, text, text, encoding, (key, before, after, name) => {
          const encoded = encodings[name]!(key);
          const scrubbed = new SecretScrubber([key]).scrub(`${before}${encoded}${after}`);
          // A secret such as "act" is part of "[redacted]" itself: look at what is left around the marks.
          const sentinel = ['\u0001', '\u0002', '\uffff'].find((c) => !encoded.includes(c))!;
          return !scrubbed.split(REDACTED).join(sentinel).includes(encoded);
        }),
        { numRuns: 500 },
      );
    });

    it('scrubbing and cutting equals cutting the fully scrubbed text (no half secret is left)', () => {
      fc.assert(
        fc.property(
          secret,
          fc.array(
            fc.oneof(
              text,
              secret.map((s) => `\u0000${s}`),
            ),
            { maxLength: 8 },
          ),
          encoding,
          fc.integer({ min: 1, max: 120 }),
          (key, parts, name, max) => {
            const s = new SecretScrubber([key]);
            const joined = parts.map((p) => (p.startsWith('\u0000') ? encodings[name]!(key) : p)).join('');
            const full = s.scrub(joined);
            const expected = full.length > max ? `${full.slice(0, max)}…` : full;
            return s.scrubAndCut(joined, max) === expected;
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});
