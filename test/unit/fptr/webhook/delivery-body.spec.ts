import should = require('should');
import {
  MAX_KEY_BYTES,
  MAX_NESTING,
  dedupKey,
  isTestConnection,
  isTruncated,
  nestsDeeperThan,
  parseDeliveryBody,
} from '../../../../lib/fptr/webhook/delivery-body';
import type { Delivery } from '../../../../lib/fptr/contract';
import { batchBody, singleBody, taskChange } from '../../../support/webhook-fixtures';

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
    for (const shape of [
      'null',
      '{"data":null}',
      '{"data":{"deliveries":[{"event_type":"x"},null]}}',
      '{"data":{"deliveries":{}}}',
    ]) {
      parseDeliveryBody(Buffer.from(shape)).should.eql({ ok: false, reason: 'shape' });
    }
  });

  it('refuses a delivery whose id fields are objects or arrays, which no key can be built from', function () {
    for (const field of ['delivery_id', 'event_log_entry_id', 'attribute_name', 'id']) {
      for (const value of [{ toString: 0 }, [], {}]) {
        const body = singleBody({ ...taskChange(1), [field]: value });
        parseDeliveryBody(Buffer.from(body)).should.eql(
          { ok: false, reason: 'shape' },
          `${field}: ${JSON.stringify(value)}`,
        );
        parseDeliveryBody(Buffer.from(batchBody([taskChange(2), JSON.parse(body).data]))).should.eql({
          ok: false,
          reason: 'shape',
        });
      }
      for (const value of [null, 7, 'text', true]) {
        parseDeliveryBody(Buffer.from(singleBody({ ...taskChange(1), [field]: value }))).ok.should.be.true();
      }
    }
  });

  it('refuses bodies nested deeper than MAX_NESTING before parsing them', function () {
    const nested = (depth: number): Buffer =>
      Buffer.from(`{"data":{"event_type":"x","meta":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`);
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
    isTruncated(
      taskChange(1, { meta: { type: 'attribute_change', warning: 'too big', new_value: 'x' } }),
    ).should.be.true();
    isTruncated(taskChange(1, { meta: { type: 'attribute_change', field_data_type: 'text' } })).should.be.true();
    isTruncated(
      taskChange(1, { meta: { type: 'attribute_change', field_data_type: 'text', new_value: null } }),
    ).should.be.false();
    isTruncated(
      taskChange(1, { meta: { type: 'attribute_change', field_data_type: 'multi_entity', added: [], removed: [] } }),
    ).should.be.false();
    isTruncated(taskChange(1, { meta: { type: 'new_entity', entity_type: 'Task', entity_id: 1 } })).should.be.false();
  });

  it('keys duplicates by delivery_id, else entry id + attribute + id, else not at all', function () {
    const d = taskChange(7);
    should(dedupKey(d)).equal(d.delivery_id);
    should(dedupKey({ ...d, delivery_id: undefined })).equal('812007|sg_status_list|170.141.7');
    should(dedupKey({ ...d, delivery_id: '', attribute_name: null })).equal('812007||170.141.7');
    should(
      dedupKey({ event_type: 'Webhook_Status_Change', id: '0', event_log_entry_id: 0 } as Delivery),
    ).be.undefined();
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
