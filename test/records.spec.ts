import should = require('should');
import { flattenRecord } from '../lib/fptr/client/records';
import type { JsonApiRecord } from '../lib/fptr/client/api';

describe('flattenRecord: field names from the response', () => {
  it('keeps a "__proto__" attribute or relationship as a field, not as the record\'s prototype', () => {
    const record = JSON.parse(`{
      "type": "Shot", "id": 7,
      "attributes": { "code": "sh010", "__proto__": { "sg_status_list": "fin" } },
      "relationships": { "constructor": { "data": { "type": "Project", "id": 1 } } }
    }`) as JsonApiRecord;
    const flat = flattenRecord(record);
    should(Object.getPrototypeOf(flat)).equal(Object.prototype);
    should((flat as Record<string, unknown>).sg_status_list).be.undefined();
    Object.keys(flat).should.eql(['type', 'id', 'code', '__proto__', 'constructor']);
    JSON.stringify(flat).should.equal('{"type":"Shot","id":7,"code":"sh010","__proto__":{"sg_status_list":"fin"},"constructor":{"type":"Project","id":1}}');
  });

  it('keeps the record\'s own type and id over fields of the same name, in first place', () => {
    const flat = flattenRecord({ type: 'Shot', id: 7, attributes: { id: 99, code: 'x', type: 'Asset' } });
    Object.keys(flat).should.eql(['type', 'id', 'code']);
    should(flat).eql({ type: 'Shot', id: 7, code: 'x' });
  });
});
