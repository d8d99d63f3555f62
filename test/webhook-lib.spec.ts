import should = require('should');
import { parseByteSize } from '../lib/util/byte-size';
import { CidrList, parseIp } from '../lib/util/cidr';
import { DedupWindow } from '../lib/fptr/webhook/dedup-window';
import { PacedEmitter } from '../lib/fptr/webhook/paced-emitter';
import { MAX_KEY_BYTES, MAX_NESTING, dedupKey, isTestConnection, isTruncated, nestsDeeperThan, parseDeliveryBody } from '../lib/fptr/webhook/delivery-body';
import { routeKey } from '../lib/node-red/raw-body-capture';
import { SignatureVerifier, signBody } from '../lib/fptr/webhook/signature';
import type { Delivery } from '../lib/fptr/contract';
import { batchBody, singleBody, taskChange } from './support/webhook-fixtures';

describe('webhook protocol modules', function () {
  describe('SignatureVerifier', function () {
    const body = Buffer.from(singleBody(taskChange(1)));
    const verifier = new SignatureVerifier('s3cret');

    it('accepts the HMAC-SHA1 of the exact bytes, in either hex case', function () {
      should(verifier.verify(signBody('s3cret', body), body)).be.undefined();
      should(verifier.verify('sha1=' + signBody('s3cret', body).slice(5).toUpperCase(), body)).be.undefined();
    });

    it('names why a signature is refused', function () {
      should(verifier.verify(undefined, body)).equal('missing');
      should(verifier.verify('', body)).equal('missing');
      should(verifier.verify(['a', 'b'], body)).equal('missing');
      should(verifier.verify('sha256=' + 'a'.repeat(64), body)).equal('unsupported');
      should(verifier.verify(signBody('other', body), body)).equal('mismatch');
      should(verifier.verify(signBody('s3cret', body + ' '), body)).equal('mismatch');
      should(verifier.verify('sha1=' + 'g'.repeat(40), body)).equal('mismatch');
      should(verifier.verify('sha1=abc', body)).equal('mismatch');
    });
  });

  describe('parseDeliveryBody', function () {
    it('returns the single delivery or the batch in order, with the timestamp', function () {
      const one = taskChange(1);
      const single = parseDeliveryBody(Buffer.from(singleBody(one)));
      single.should.have.property('ok', true);
      if (!single.ok) return;
      single.body.deliveries.should.eql([one]);
      single.body.batched.should.be.false();
      should(single.body.timestamp).be.a.String();
      const list = [taskChange(1), taskChange(2), taskChange(3)];
      const batch = parseDeliveryBody(Buffer.from(batchBody(list)));
      if (!batch.ok) throw new Error('batch refused');
      batch.body.deliveries.should.eql(list);
      batch.body.batched.should.be.true();
    });

    it('tells bad JSON from a wrong shape', function () {
      parseDeliveryBody(Buffer.from('{')).should.eql({ ok: false, reason: 'json' });
      parseDeliveryBody(Buffer.from('')).should.eql({ ok: false, reason: 'json' });
      for (const shape of ['null', '{"data":null}', '{"data":{"deliveries":[{"event_type":"x"},null]}}', '{"data":{"deliveries":{}}}']) {
        parseDeliveryBody(Buffer.from(shape)).should.eql({ ok: false, reason: 'shape' });
      }
    });

    it('refuses a delivery whose id fields are objects or arrays, which no key can be built from', function () {
      for (const field of ['delivery_id', 'event_log_entry_id', 'attribute_name', 'id']) {
        for (const value of [{ toString: 0 }, [], {}]) {
          const body = singleBody({ ...taskChange(1), [field]: value });
          parseDeliveryBody(Buffer.from(body)).should.eql({ ok: false, reason: 'shape' }, `${field}: ${JSON.stringify(value)}`);
          parseDeliveryBody(Buffer.from(batchBody([taskChange(2), JSON.parse(body).data]))).should.eql({ ok: false, reason: 'shape' });
        }
        for (const value of [null, 7, 'text', true]) {
          parseDeliveryBody(Buffer.from(singleBody({ ...taskChange(1), [field]: value }))).ok.should.be.true();
        }
      }
    });

    it('refuses bodies nested deeper than MAX_NESTING before parsing them', function () {
      const nested = (depth: number): Buffer => Buffer.from(`{"data":{"event_type":"x","meta":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`);
      parseDeliveryBody(nested(MAX_NESTING)).ok.should.be.true();
      parseDeliveryBody(nested(MAX_NESTING + 1)).should.eql({ ok: false, reason: 'depth' });
      parseDeliveryBody(nested(100_000)).should.eql({ ok: false, reason: 'depth' });
    });
  });

  describe('nestsDeeperThan', function () {
    it('counts objects and arrays, not brackets inside strings or after escaped quotes', function () {
      nestsDeeperThan(Buffer.from('[[{"a":[1]}]]'), 4).should.be.false();
      nestsDeeperThan(Buffer.from('[[{"a":[1]}]]'), 3).should.be.true();
      nestsDeeperThan(Buffer.from('{"a":"[[[[{{{{"}'), 1).should.be.false();
      nestsDeeperThan(Buffer.from('{"a":"\\\\","b":"\\"[[["}'), 1).should.be.false();
      nestsDeeperThan(Buffer.from('{"a":"\\\\","b":[[1]]}'), 2).should.be.true();
      nestsDeeperThan(Buffer.from('{"é[":["ü{",[]]}'), 3).should.be.false();
      nestsDeeperThan(Buffer.from('[]'.repeat(1000)), 1).should.be.false();
    });
  });

  describe('delivery facts', function () {
    it('recognises test connections by event type or operation', function () {
      isTestConnection(taskChange(1, { event_type: 'Test_Connection' })).should.be.true();
      isTestConnection(taskChange(1, { operation: 'test_connection' })).should.be.true();
      isTestConnection(taskChange(1)).should.be.false();
    });

    it('flags truncated events: a warning anywhere, or an attribute change without values', function () {
      isTruncated(taskChange(1)).should.be.false();
      isTruncated(taskChange(1, { warning: 'too big' })).should.be.true();
      isTruncated(taskChange(1, { meta: { type: 'attribute_change', warning: 'too big', new_value: 'x' } })).should.be.true();
      isTruncated(taskChange(1, { meta: { type: 'attribute_change', field_data_type: 'text' } })).should.be.true();
      isTruncated(taskChange(1, { meta: { type: 'attribute_change', field_data_type: 'text', new_value: null } })).should.be.false();
      isTruncated(taskChange(1, { meta: { type: 'attribute_change', field_data_type: 'multi_entity', added: [], removed: [] } })).should.be.false();
      isTruncated(taskChange(1, { meta: { type: 'new_entity', entity_type: 'Task', entity_id: 1 } })).should.be.false();
    });

    it('keys duplicates by delivery_id, else entry id + attribute + id, else not at all', function () {
      const d = taskChange(7);
      should(dedupKey(d)).equal(d.delivery_id);
      should(dedupKey({ ...d, delivery_id: undefined })).equal('812007|sg_status_list|170.141.7');
      should(dedupKey({ ...d, delivery_id: '', attribute_name: null })).equal('812007||170.141.7');
      should(dedupKey({ event_type: 'Webhook_Status_Change', id: '0', event_log_entry_id: 0 } as Delivery)).be.undefined();
      should(dedupKey({ event_type: 'X' } as Delivery)).be.undefined();
    });
  });

  describe('dedupKey', function () {
    it('keeps a key over MAX_KEY_BYTES as a short hash of it', function () {
      const huge = 'x'.repeat(1024 * 1024);
      const key = dedupKey(taskChange(1, { delivery_id: huge }))!;
      Buffer.byteLength(key).should.be.belowOrEqual(MAX_KEY_BYTES);
      should(dedupKey(taskChange(2, { delivery_id: huge }))).equal(key);
      should(dedupKey(taskChange(1, { delivery_id: huge + 'y' }))).not.equal(key);
      const composite = dedupKey(taskChange(1, { delivery_id: undefined, attribute_name: 'a'.repeat(500) }))!;
      Buffer.byteLength(composite).should.be.belowOrEqual(MAX_KEY_BYTES);
      composite.should.not.equal(dedupKey(taskChange(1, { delivery_id: undefined, attribute_name: 'a'.repeat(501) })));
    });

    it('keeps keys up to MAX_KEY_BYTES of UTF-8 as they are', function () {
      const fits = 'é'.repeat(MAX_KEY_BYTES / 2);
      should(dedupKey(taskChange(1, { delivery_id: fits }))).equal(fits);
      should(dedupKey(taskChange(1, { delivery_id: fits + 'é' }))).startWith('sha256:');
    });

    it('builds keys from strings and numbers only', function () {
      const odd = { ...taskChange(1), delivery_id: undefined, attribute_name: true, id: 5 } as unknown as Delivery;
      should(dedupKey(odd)).equal('812001||5');
    });
  });

  describe('DedupWindow', function () {
    it('reports a key seen within the window and forgets it after', function () {
      const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
      dedup.seen('a', 0).should.be.false();
      dedup.seen('a', 999).should.be.true();
      dedup.seen('a', 1000).should.be.false();
      dedup.seen('a', 1500).should.be.true();
    });

    it('expires old keys and never holds more than maxEntries', function () {
      const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 3 });
      for (const key of ['a', 'b', 'c', 'd']) dedup.seen(key, 0);
      dedup.size.should.equal(3);
      dedup.seen('a', 1).should.be.false(); // evicted as the oldest
      dedup.seen('d', 1).should.be.true();
      dedup.seen('z', 5000);
      dedup.size.should.equal(1);
    });

    it('stays bounded across 200,000 keys', function () {
      const dedup = new DedupWindow({ windowMs: 600_000, maxEntries: 50_000 });
      for (let i = 0; i < 200_000; i++) dedup.seen(`key-${i}`, i);
      dedup.size.should.equal(50_000);
      dedup.seen('key-199999', 200_000).should.be.true();
      dedup.seen('key-0', 200_000).should.be.false();
    });

    it('restores a snapshot behind the keys seen since start-up, dropping expired ones', function () {
      const saved = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
      saved.seen('old', 0);
      saved.seen('kept', 600);
      saved.seen('newest', 900);
      const snapshot = JSON.parse(JSON.stringify(saved.snapshot(900)));
      const fresh = new DedupWindow({ windowMs: 1000, maxEntries: 3 });
      fresh.seen('live', 1100);
      fresh.restore(snapshot, 1200);
      fresh.snapshot(1200).keys.should.eql(['kept', 'newest', 'live']);
      fresh.seen('kept', 1200).should.be.true();
      fresh.seen('old', 1200).should.be.false();
    });

    it('stays consistent when the clock goes backwards', function () {
      const dedup = new DedupWindow({ windowMs: 100, maxEntries: 10 });
      dedup.seen('x', 1000).should.be.false();
      dedup.seen('y', 500).should.be.false();
      dedup.seen('y', 1550).should.be.false(); // expired, though not at the head of the FIFO
      dedup.snapshot(1550).should.eql({ v: 1, keys: ['y'], times: [1550] });
      dedup.seen('y', 1560).should.be.true();
      dedup.size.should.equal(1);
    });

    it('restores a snapshot with repeated keys once', function () {
      const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
      dedup.restore({ v: 1, keys: ['a', 'a', 'b'], times: [10, 20, 30] }, 100);
      dedup.snapshot(100).keys.should.eql(['a', 'b']);
      dedup.seen('a', 2000).should.be.false();
      dedup.snapshot(2000).keys.should.eql(['a']);
    });

    it('ignores a stored value that is not a snapshot', function () {
      const dedup = new DedupWindow({ windowMs: 1000, maxEntries: 10 });
      dedup.seen('a', 0);
      for (const junk of [undefined, null, 'x', { v: 2, keys: [], times: [] }, { v: 1, keys: ['b'], times: [] }, { v: 1, keys: [1], times: [1] }]) {
        dedup.restore(junk, 10);
      }
      dedup.snapshot(10).keys.should.eql(['a']);
    });
  });

  describe('PacedEmitter', function () {
    const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    async function drained(emitter: PacedEmitter<number>): Promise<void> {
      while (emitter.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const busy = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const ignore = (): void => undefined;

    it('sends everything in order, a slice per turn', async function () {
      const sent: number[] = [];
      const emitter = new PacedEmitter<number>((n) => sent.push(n), ignore, { targetMs: 1, catchUpAt: 1e9, initialSlice: 10, maxSlice: 1000 });
      for (let i = 0; i < 25; i++) emitter.push(i);
      await nextTurn();
      sent.should.have.length(10);
      await drained(emitter);
      sent.should.eql(Array.from({ length: 25 }, (_, i) => i));
    });

    it('shrinks the slice when the downstream work of a slice takes longer than the target', async function () {
      const emitter = new PacedEmitter<number>(() => setImmediate(() => busy(2)), ignore, { targetMs: 1, catchUpAt: 1e9, initialSlice: 10, maxSlice: 1000 });
      for (let i = 0; i < 30; i++) emitter.push(i);
      await drained(emitter);
      emitter.sliceSize.should.equal(1);
    });

    it('grows the slice while the downstream work is cheap', async function () {
      let count = 0;
      const emitter = new PacedEmitter<number>(() => count++, ignore, { targetMs: 1, catchUpAt: 1e9, initialSlice: 10, maxSlice: 1000 });
      for (let i = 0; i < 2000; i++) emitter.push(i);
      await drained(emitter);
      count.should.equal(2000);
      emitter.sliceSize.should.be.above(10);
    });

    it('keeps up with arrivals once the backlog is past catchUpAt', async function () {
      const sent: number[] = [];
      const emitter = new PacedEmitter<number>((n) => sent.push(n), ignore, { targetMs: 1, catchUpAt: 5, initialSlice: 2, maxSlice: 2 });
      for (let i = 0; i < 20; i++) emitter.push(i);
      await nextTurn();
      sent.should.have.length(20); // all 20 arrived since the last turn
      for (let i = 20; i < 30; i++) emitter.push(i);
      await nextTurn();
      sent.should.have.length(30);
    });

    it('sends only a slice per turn below catchUpAt', async function () {
      const sent: number[] = [];
      const emitter = new PacedEmitter<number>((n) => sent.push(n), ignore, { targetMs: 1, catchUpAt: 100, initialSlice: 2, maxSlice: 2 });
      for (let i = 0; i < 20; i++) emitter.push(i);
      await nextTurn();
      sent.should.have.length(2);
    });

    it('reports a send that throws with its item and goes on with the next ones', async function () {
      const sent: number[] = [];
      const failed: Array<[string, number]> = [];
      const emitter = new PacedEmitter<number>(
        (n) => {
          if (n % 3 === 1) throw new RangeError(`cannot send ${n}`);
          sent.push(n);
        },
        (err, n) => {
          failed.push([(err as Error).message, n]);
          if (n === 4) throw new Error('the reporter fails too');
        },
        { targetMs: 1, catchUpAt: 1e9, initialSlice: 2, maxSlice: 2 },
      );
      for (let i = 0; i < 8; i++) emitter.push(i);
      await drained(emitter);
      sent.should.eql([0, 2, 3, 5, 6]);
      failed.should.eql([['cannot send 1', 1], ['cannot send 4', 4], ['cannot send 7', 7]]);
    });

    it('forgets what was not sent when discarded', async function () {
      const sent: number[] = [];
      const emitter = new PacedEmitter<number>((n) => sent.push(n), ignore, { targetMs: 1, catchUpAt: 1e9, initialSlice: 3, maxSlice: 3 });
      for (let i = 0; i < 10; i++) emitter.push(i);
      await nextTurn();
      emitter.discard();
      emitter.pending.should.equal(0);
      await drained(emitter);
      sent.should.eql([0, 1, 2]);
      emitter.push(99);
      await drained(emitter);
      sent.should.eql([0, 1, 2, 99]);
    });
  });

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
      const { list, invalid } = CidrList.parse(['10.0.0.0/8', ' 192.0.2.128/25 ', '2001:db8::/32', '198.51.100.7', '', '::1']);
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
      CidrList.parse(['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/x', 'host.example', '10.0.0.0/8/8', '1.2.3.4/08']).invalid.should.eql([
        '10.0.0.0/33',
        '2001:db8::/129',
        '10.0.0.0/x',
        'host.example',
        '10.0.0.0/8/8',
      ]);
    });
  });

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

  describe('routeKey', function () {
    it('matches paths the way express routes them', function () {
      routeKey('post', '/Fptr//Hook/').should.equal(routeKey('POST', '/fptr/hook'));
      routeKey('post', '/a').should.not.equal(routeKey('put', '/a'));
    });
  });
});
