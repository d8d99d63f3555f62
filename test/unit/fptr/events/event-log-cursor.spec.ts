import fc from 'fast-check';
import should = require('should');
import { MAX_STORED_GAPS, decodeCursor, type StoredCursor } from '../../../../lib/fptr/events/event-log-cursor';

const SITE = 'https://studio.shotgrid.autodesk.com';

describe('stored event-log cursor', () => {
  it('a cursor of this version for this site reads back as written (trailing slash or not)', () => {
    const cursor: StoredCursor = {
      v: 1,
      high: 812_334,
      gaps: [[812_330, 1_700_000_000_000]],
      inFlight: [812_331, 812_333],
      site: `${SITE}/`,
    };
    should(decodeCursor(JSON.parse(JSON.stringify(cursor)), SITE)).eql({ kind: 'ok', cursor });
    should(decodeCursor({ ...cursor, high: 0, gaps: [], inFlight: [] }, SITE)).have.property('kind', 'ok');
  });

  it('nothing stored is "absent", not an error', () => {
    should(decodeCursor(undefined, SITE)).eql({ kind: 'absent' });
    should(decodeCursor(null, SITE)).eql({ kind: 'absent' });
  });

  it('ids above high are dropped: they are read from the log again, and keeping them would send them twice', () => {
    const decoded = decodeCursor(
      {
        v: 1,
        high: 100,
        gaps: [
          [99, 5],
          [101, 5],
        ],
        inFlight: [98, 100, 102, 98],
        site: SITE,
      },
      SITE,
    );
    should(decoded).eql({ kind: 'ok', cursor: { v: 1, high: 100, gaps: [[99, 5]], inFlight: [98, 100], site: SITE } });
  });

  const corrupt: Array<[string, unknown, RegExp]> = [
    ['text', 'garbage', /not an object/],
    ['an array', [1, 2], /not an object/],
    ['a newer version', { v: 2, high: 5, gaps: [], inFlight: [], site: SITE }, /version 2/],
    ['a fractional id', { v: 1, high: 5.5, gaps: [], inFlight: [], site: SITE }, /"high"/],
    ['an id as text', { v: 1, high: '5', gaps: [], inFlight: [], site: SITE }, /"high"/],
    ['no site', { v: 1, high: 5, gaps: [], inFlight: [] }, /"site"/],
    [
      'another site',
      { v: 1, high: 5, gaps: [], inFlight: [], site: 'https://other.shotgrid.autodesk.com' },
      /another site/,
    ],
    ['a gap without deadline', { v: 1, high: 5, gaps: [[3]], inFlight: [], site: SITE }, /gap/],
    ['a gap with an infinite deadline', { v: 1, high: 5, gaps: [[3, null]], inFlight: [], site: SITE }, /gap/],
    [
      'too many gaps',
      { v: 1, high: 5, gaps: Array.from({ length: MAX_STORED_GAPS + 1 }, () => [1, 1]), inFlight: [], site: SITE },
      /"gaps"/,
    ],
    ['an in-flight id of 0', { v: 1, high: 5, gaps: [], inFlight: [0], site: SITE }, /in-flight/],
    ['in flight not a list', { v: 1, high: 5, gaps: [], inFlight: {}, site: SITE }, /"inFlight"/],
  ];
  for (const [what, value, reason] of corrupt) {
    it(`${what}: unreadable, with a reason`, () => {
      const decoded = decodeCursor(value, SITE);
      should(decoded.kind).eql('unreadable');
      should((decoded as { reason: string }).reason).match(reason);
    });
  }

  it('never throws, whatever a store holds (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            v: fc.constantFrom(1, 2),
            high: fc.anything(),
            gaps: fc.anything(),
            inFlight: fc.anything(),
            site: fc.constantFrom(SITE, 'x'),
          }),
        ),
        (value) => {
          const decoded = decodeCursor(value, SITE);
          should(['absent', 'ok', 'unreadable']).containEql(decoded.kind);
        },
      ),
      { numRuns: 500 },
    );
  });
});
