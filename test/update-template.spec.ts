import should = require('should');
import { lookup, parsePath, renderJson, renderText, TemplateError } from '../nodes/lib/template';

const msg = {
  payload: {
    user: { type: 'HumanUser', id: 88, name: 'Jane' },
    entity: { type: 'Task', id: 4521 },
    items: [{ code: 'sh010' }, { code: 'sh020' }],
    'odd key': 'odd',
    quote: 'say "hi"\nthen leave',
    zero: 0,
    nothing: null,
  },
  topic: 'Shotgun_Task_Change',
};

describe('template: paths', function () {
  const cases: Array<[string, Array<string | number>]> = [
    ['payload', ['payload']],
    ['payload.user.id', ['payload', 'user', 'id']],
    ['msg.payload.user.id', ['payload', 'user', 'id']],
    ['payload.items[1].code', ['payload', 'items', 1, 'code']],
    ['payload["odd key"]', ['payload', 'odd key']],
    ["payload['odd key']", ['payload', 'odd key']],
  ];
  for (const [path, parts] of cases) {
    it(`parses ${path}`, function () {
      parsePath(path).should.eql(parts);
    });
  }
  for (const bad of ['', 'payload..id', 'payload.[', '.']) {
    it(`refuses ${JSON.stringify(bad)}`, function () {
      should.throws(() => parsePath(bad), TemplateError);
    });
  }
  it('looks up through arrays and stops at scalars', function () {
    should(lookup(msg, 'payload.items[0].code')).equal('sh010');
    should(lookup(msg, 'payload.user.id.deeper')).be.undefined();
    should(lookup(msg, 'payload.missing.x')).be.undefined();
  });
});

describe('template: text', function () {
  const cases: Array<[string, string]> = [
    ['approved by {{payload.user.name}}', 'approved by Jane'],
    ['{{ payload.entity.type }} #{{payload.entity.id}}', 'Task #4521'],
    ['entity {{payload.entity}}', 'entity {"type":"Task","id":4521}'],
    ['zero={{payload.zero}} null={{payload.nothing}}', 'zero=0 null='],
    ['no placeholders', 'no placeholders'],
    ['missing: [{{payload.nope}}]', 'missing: []'],
  ];
  for (const [template, expected] of cases) {
    it(`renders ${JSON.stringify(template)}`, function () {
      renderText(template, msg, 'empty').should.equal(expected);
    });
  }
  it('refuses a missing value under the error policy, naming the path', function () {
    should.throws(() => renderText('x {{payload.nope}}', msg, 'error'), /payload\.nope/);
  });
});

describe('template: JSON', function () {
  it('keeps the type of a value referenced by a whole-string placeholder', function () {
    const out = renderJson({
      sg_status_list: 'fin',
      count: '{{payload.user.id}}',
      link: '{{ payload.entity }}',
      list: ['{{payload.items[0]}}', 'plain'],
      description: 'approved by {{payload.user.id}}',
    }, msg, 'error');
    should(out).eql({
      sg_status_list: 'fin',
      count: 88,
      link: { type: 'Task', id: 4521 },
      list: [{ code: 'sh010' }, 'plain'],
      description: 'approved by 88',
    });
  });
  it('keeps quotes and newlines from the message inside one string', function () {
    const out = renderJson({ description: 'note: {{payload.quote}}' }, msg, 'error') as { description: string };
    out.description.should.equal('note: say "hi"\nthen leave');
  });
  it('leaves keys, numbers, booleans and null alone', function () {
    should(renderJson({ '{{payload.user.id}}': 1, b: true, n: null }, msg, 'error')).eql({ '{{payload.user.id}}': 1, b: true, n: null });
  });
  it('writes null for a missing whole value under the empty policy and refuses it under error', function () {
    should(renderJson({ a: '{{payload.nope}}' }, msg, 'empty')).eql({ a: null });
    should.throws(() => renderJson({ a: '{{payload.nope}}' }, msg, 'error'), TemplateError);
  });
  it('keeps a referenced 0 and null (only undefined is missing)', function () {
    should(renderJson({ z: '{{payload.zero}}', n: '{{payload.nothing}}' }, msg, 'error')).eql({ z: 0, n: null });
  });
});
