import should = require('should');
import fc = require('fast-check');
import { lookup, parsePath, renderJson, renderText, TemplateError } from '../../../../lib/fptr/actions/template';

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
    const out = renderJson(
      {
        sg_status_list: 'fin',
        count: '{{payload.user.id}}',
        link: '{{ payload.entity }}',
        list: ['{{payload.items[0]}}', 'plain'],
        description: 'approved by {{payload.user.id}}',
      },
      msg,
      'error',
    );
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
    should(renderJson({ '{{payload.user.id}}': 1, b: true, n: null }, msg, 'error')).eql({
      '{{payload.user.id}}': 1,
      b: true,
      n: null,
    });
  });
  it('writes null for a missing whole value under the empty policy and refuses it under error', function () {
    should(renderJson({ a: '{{payload.nope}}' }, msg, 'empty')).eql({ a: null });
    should.throws(() => renderJson({ a: '{{payload.nope}}' }, msg, 'error'), TemplateError);
  });
  it('keeps a referenced 0 and null (only undefined is missing)', function () {
    should(renderJson({ z: '{{payload.zero}}', n: '{{payload.nothing}}' }, msg, 'error')).eql({ z: 0, n: null });
  });
});

describe('template: own properties only', function () {
  for (const path of [
    'payload.constructor',
    'payload.__proto__',
    'payload.user.toString',
    'msg.hasOwnProperty',
    'payload.items.map',
    'topic.length',
    'constructor.name',
  ]) {
    it(`reads ${path} as missing`, function () {
      should(lookup(msg, path)).be.undefined();
      renderText(`[{{${path}}}]`, msg, 'empty').should.equal('[]');
      should.throws(() => renderJson({ a: `{{${path}}}` }, msg, 'error'), /has no value in the message/);
    });
  }
  it('still reads own properties that share a name with inherited ones', function () {
    const own = JSON.parse('{"payload": {"constructor": "c", "__proto__": {"x": 1}, "items": [7]}}') as unknown;
    renderText('{{payload.constructor}} {{payload.__proto__.x}} {{payload.items.length}}', own, 'error').should.equal(
      'c 1 1',
    );
  });
  it('keeps a "__proto__" key of a JSON template as a key, not as the prototype', function () {
    const out = renderJson(
      JSON.parse('{"__proto__": {"sg_status_list": "{{payload.user.name}}"}}'),
      msg,
      'error',
    ) as Record<string, unknown>;
    should(Object.getPrototypeOf(out)).equal(Object.prototype);
    should(out.sg_status_list).be.undefined();
    JSON.stringify(out).should.equal('{"__proto__":{"sg_status_list":"Jane"}}');
  });
});

describe('template: hostile text', function () {
  const cases: Array<[string, string]> = [
    [`{{${' '.repeat(5000)}`, `{{${' '.repeat(5000)}`],
    [`{{${' '.repeat(5000)}x {{payload.user.id}}`, `{{${' '.repeat(5000)}x 88`],
    ['{'.repeat(5000), '{'.repeat(5000)],
    ['{{{payload.user.id}}}', '{88}'],
    ['{{payload.user.id}', '{{payload.user.id}'],
    ['{{ payload.user.id }} }}', '88 }}'],
  ];
  for (const [template, expected] of cases) {
    it(`renders ${JSON.stringify(template.length > 40 ? `${template.slice(0, 20)}…(${template.length})` : template)}`, function () {
      renderText(template, msg, 'empty').should.equal(expected);
    });
  }
  it('names the placeholder whose value cannot be written as text', function () {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    should.throws(
      () => renderText('x {{payload.loop}}', { payload: { loop } }, 'empty'),
      /"\{\{payload\.loop\}\}" cannot be written as text/,
    );
    should.throws(() => renderText('{{payload.big}}', { payload: { big: { n: 1n } } }, 'empty'), TemplateError);
  });
});

/** A deep copy without prototypes: whatever renders the same from it used no inherited member. */
function withoutPrototypes(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? value.map(withoutPrototypes) : {};
  if (!Array.isArray(value)) {
    for (const [key, item] of Object.entries(value))
      Object.defineProperty(copy, key, {
        value: withoutPrototypes(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return Object.setPrototypeOf(copy, null);
}

function outcome(render: () => unknown): string {
  try {
    return `ok ${JSON.stringify(render())}`;
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return `refused ${err.message}`;
  }
}

describe('template: properties', function () {
  const names = ['payload', 'a', 'items', '0', 'constructor', '__proto__', 'toString', 'length', 'odd key'];
  const message = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string({ maxLength: 5 }),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      tie('list'),
      tie('object'),
    ),
    list: fc.array(tie('value'), { maxLength: 3 }),
    object: fc.dictionary(fc.constantFrom(...names), tie('value'), { maxKeys: 4 }),
  })).object;
  const placeholder = fc
    .array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 })
    .map((path) => `{{ ${path.join('.')} }}`);
  const chunk = fc.oneof(
    placeholder,
    fc.constantFrom('{{', '}}', '{', '}', ' ', '.', '[0]', '["odd key"]', "['a']", '[', ']', 'msg.', '\n'),
    fc.constantFrom(...names),
    fc.constant(' '.repeat(300)),
  );
  const template = fc.array(chunk, { maxLength: 40 }).map((parts) => parts.join(''));

  it('renders arbitrary templates over arbitrary messages, refusing only with a TemplateError, never from inherited members', function () {
    fc.assert(
      fc.property(template, message, fc.constantFrom<'error' | 'empty'>('error', 'empty'), (text, context, missing) => {
        const bare = withoutPrototypes(context);
        should(outcome(() => renderText(text, context, missing))).equal(outcome(() => renderText(text, bare, missing)));
        should(outcome(() => renderJson({ text, list: [text] }, context, missing))).equal(
          outcome(() => renderJson({ text, list: [text] }, bare, missing)),
        );
      }),
      { numRuns: 1500 },
    );
  });

  it('renders long templates dense in braces and spaces at once', function () {
    const dense = fc.string({ unit: fc.constantFrom('{', '}', ' ', '.', 'a'), minLength: 3000, maxLength: 6000 });
    fc.assert(
      fc.property(dense, (text) => {
        outcome(() => renderText(text, msg, 'empty'));
      }),
      { numRuns: 100 },
    );
  });
});
