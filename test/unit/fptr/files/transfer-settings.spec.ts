import fc from 'fast-check';
import should = require('should');
import { MB, parseMultipartAbove, parsePartSize, parseVariant } from '../../../../lib/fptr/files/transfer-settings';

describe('files: transfer settings as users write them', () => {
  it('reads sizes in MB, as numbers or digits in text, into bytes', () => {
    should(parseMultipartAbove('100', 'Parts above')).eql(100 * MB);
    should(parseMultipartAbove(0, 'Parts above')).eql(0);
    should(parseMultipartAbove(' 0.5 ', 'Parts above')).eql(MB / 2);
    should(parsePartSize(8, 'Part size')).eql(8 * MB);
    should(parsePartSize('5', 'Part size')).eql(5 * MB);
    should(parsePartSize('5120', 'Part size')).eql(5120 * MB);
  });

  it('refuses parts under 5 MB (S3 refuses them) or over 5120 MB, and what is not a number, naming the setting', () => {
    for (const bad of ['4.99', 0, '5121', '', ' ', 'abc', -8, NaN, Infinity, null, undefined, '8 MB']) {
      should(() => parsePartSize(bad, 'Part size')).throw(/^Part size must be a number of MB from 5 to 5120 \(got /);
    }
    for (const bad of ['-1', -0.5, 'abc', '', null, NaN]) {
      should(() => parseMultipartAbove(bad, 'Parts above')).throw(
        /^Parts above must be a number of MB at least 0 \(got /,
      );
    }
  });

  it('gives every accepted part size at least 5 MB of bytes (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true }), fc.string({ maxLength: 8 })), (value) => {
        let bytes: number;
        try {
          bytes = parsePartSize(value, 'Part size');
        } catch {
          return;
        }
        should(bytes).be.within(5 * MB, 5120 * MB);
        should(Number.isInteger(bytes)).be.true();
      }),
    );
  });

  it('knows the two variants', () => {
    should(parseVariant('original')).eql('original');
    should(parseVariant('thumbnail')).eql('thumbnail');
    should(() => parseVariant('poster')).throw(/^variant must be original or thumbnail \(got "poster"\)$/);
  });
});
