import should = require('should');
import { isIP } from 'node:net';
import fc = require('fast-check');
import { CidrList, parseIp } from '../../../lib/util/cidr';

describe('CidrList', function () {
  it('parses IPv4, IPv6, compressed and IPv4-mapped forms to the same 16 bytes', function () {
    Buffer.from(parseIp('10.1.2.3')!).toString('hex').should.equal('00000000000000000000ffff0a010203');
    Buffer.from(parseIp('::ffff:10.1.2.3')!).should.eql(Buffer.from(parseIp('10.1.2.3')!));
    Buffer.from(parseIp('0:0:0:0:0:ffff:a01:203')!).should.eql(Buffer.from(parseIp('10.1.2.3')!));
    Buffer.from(parseIp('2001:db8::1')!).toString('hex').should.equal('20010db8000000000000000000000001');
    Buffer.from(parseIp('::')!).toString('hex').should.equal('0'.repeat(32));
    Buffer.from(parseIp('fe80::1%eth0')!).toString('hex').should.equal('fe800000000000000000000000000001');
    should(parseIp('10.1.2')).be.undefined();
    should(parseIp('example.com')).be.undefined();
  });

  it('matches addresses against networks of any prefix length', function () {
    const { list, invalid } = CidrList.parse([
      '10.0.0.0/8',
      ' 192.0.2.128/25 ',
      '2001:db8::/32',
      '198.51.100.7',
      '',
      '::1',
    ]);
    invalid.should.eql([]);
    list.size.should.equal(5);
    list.allows('10.255.0.1').should.be.true();
    list.allows('::ffff:10.2.3.4').should.be.true();
    list.allows('11.0.0.1').should.be.false();
    list.allows('192.0.2.200').should.be.true();
    list.allows('192.0.2.100').should.be.false();
    list.allows('2001:db8:ffff::5').should.be.true();
    list.allows('2001:db9::5').should.be.false();
    list.allows('198.51.100.7').should.be.true();
    list.allows('198.51.100.8').should.be.false();
    list.allows('::1').should.be.true();
    list.allows('127.0.0.1').should.be.false();
    list.allows(undefined).should.be.false();
    list.allows('garbage').should.be.false();
  });

  it('takes IPv4-mapped networks and /0, and ignores host bits', function () {
    CidrList.parse(['::ffff:10.0.0.0/104']).list.allows('10.9.9.9').should.be.true();
    CidrList.parse(['0.0.0.0/0']).list.allows('203.0.113.1').should.be.true();
    CidrList.parse(['0.0.0.0/0']).list.allows('2001:db8::1').should.be.false();
    CidrList.parse(['10.1.2.3/8']).list.allows('10.200.0.1').should.be.true();
  });

  it('returns the entries it cannot read', function () {
    CidrList.parse([
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.0/x',
      'host.example',
      '10.0.0.0/8/8',
      '1.2.3.4/08',
    ]).invalid.should.eql(['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/x', 'host.example', '10.0.0.0/8/8']);
  });
});

describe('parseIp agrees with node:net', function () {
  /** Address-like text: real addresses, and near misses made of the same characters. */
  const addressLike = fc.oneof(
    fc.ipV4(),
    fc.ipV4Extended(),
    fc.ipV6(),
    fc.tuple(fc.ipV6(), fc.stringMatching(/^%[0-9a-zA-Z.:-]{0,6}$/)).map(([ip, zone]) => ip + zone),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%x'), maxLength: 24 }),
    fc
      .array(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 5 }), { maxLength: 10 })
      .map((parts) => parts.join(':')),
  );

  it('reads exactly what net.isIP reads, zone indexes included', function () {
    fc.assert(
      fc.property(addressLike, (text) => {
        should(parseIp(text) !== undefined).equal(isIP(text) !== 0, JSON.stringify(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses ":::" and "1:2:3", and reads "fe80::1%eth0"', function () {
    for (const text of [':::', '1:2:3', 'fe80::1%eth0'])
      should(parseIp(text) !== undefined).equal(isIP(text) !== 0, text);
    should(parseIp(':::')).be.undefined();
    should(parseIp('1:2:3')).be.undefined();
    should(parseIp('fe80::1%eth0')).not.be.undefined();
  });
});
