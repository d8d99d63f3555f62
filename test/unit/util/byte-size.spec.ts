import should = require('should');
import { parseByteSize } from '../../../lib/util/byte-size';

describe('parseByteSize', function () {
  it('reads Node-RED size settings', function () {
    should(parseByteSize('5mb')).equal(5 * 1024 * 1024);
    should(parseByteSize('512KB')).equal(512 * 1024);
    should(parseByteSize('1.5 mb')).equal(1.5 * 1024 * 1024);
    should(parseByteSize('100')).equal(100);
    should(parseByteSize(2048)).equal(2048);
    for (const bad of ['', 'lots', '5 tb', '-1', 0, NaN, '0b', null]) should(parseByteSize(bad)).be.undefined();
  });
});
