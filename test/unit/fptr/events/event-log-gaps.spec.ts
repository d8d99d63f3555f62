import should = require('should');
import { MAX_STORED_GAPS } from '../../../../lib/fptr/events/event-log-cursor';
import { GapList, formatIdRanges, toRanges } from '../../../../lib/fptr/events/event-log-gaps';

describe('gap list', () => {
  it('waits for runs of ids until their deadlines; expired ones come out in id order', () => {
    const gaps = new GapList();
    should(gaps.addRun(10, 12, 1000)).eql([]);
    should(gaps.addRun(5, 5, 500)).eql([]);
    should(gaps.ids()).eql([5, 10, 11, 12]);
    should(gaps.nextDeadline()).eql(500);
    should(gaps.expired(999)).eql([5]);
    should(gaps.expired(1000)).eql([5, 10, 11, 12]);
    should(gaps.stored(11)).eql([
      [5, 500],
      [10, 1000],
      [11, 1000],
    ]);
  });

  it('stays bounded: a run longer than the bound gives up its lowest ids as one range, without listing them', () => {
    const gaps = new GapList();
    should(gaps.addRun(1, 1_000_000_000, 1)).eql([[1, 1_000_000_000 - MAX_STORED_GAPS]]);
    should(gaps.size).eql(MAX_STORED_GAPS);
    should(gaps.ids()[0]).eql(1_000_000_000 - MAX_STORED_GAPS + 1);
  });

  it('when full, new gaps push out the lowest ones waited for', () => {
    const gaps = new GapList();
    gaps.addRun(1, MAX_STORED_GAPS - 2, 1);
    should(gaps.addRun(20_000, 20_004, 2)).eql([[1, 3]]);
    should(gaps.size).eql(MAX_STORED_GAPS);
    should(gaps.has(4)).be.true();
  });

  it('ids become ranges people can read, cut after a number of ranges', () => {
    should(toRanges([3, 4, 5, 9, 11, 12])).eql([
      [3, 5],
      [9, 9],
      [11, 12],
    ]);
    should(
      formatIdRanges([
        [3, 5],
        [9, 9],
      ]),
    ).eql('3-5, 9');
    should(
      formatIdRanges(
        [
          [1, 1],
          [3, 3],
          [5, 7],
        ],
        2,
      ),
    ).eql('1, 3 and 3 more');
  });
});
