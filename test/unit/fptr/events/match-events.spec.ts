import should = require('should');
import fc = require('fast-check');
import { compileConditions, ConditionError } from '../../../../lib/fptr/events/conditions';
import { parseMatchEvents, MatchEventsSyntaxError, NOT_EVENT_TYPES } from '../../../../lib/fptr/events/match-events';
import { taskStatusChange } from '../../../support/webhook-fixtures';
import { thrownBy } from '../../../support/thrown';

describe('parseMatchEvents', () => {
  const cases: Array<[string, string, unknown]> = [
    [
      'a Python dict',
      "{'Shotgun_Task_Change': ['sg_status_list'], 'Shotgun_Shot_*': ['*']}",
      { Shotgun_Task_Change: ['sg_status_list'], 'Shotgun_Shot_*': ['*'] },
    ],
    [
      'JSON',
      '{"Shotgun_Task_Change": ["sg_status_list", "content"]}',
      { Shotgun_Task_Change: ['sg_status_list', 'content'] },
    ],
    [
      'None, tuples, comments and trailing commas',
      "{\n  'Shotgun_Task_New': None,  # any\n  \"Shotgun_Note_Change\": ('content', 'subject',),\n}",
      { Shotgun_Task_New: null, Shotgun_Note_Change: ['content', 'subject'] },
    ],
    ['a bare string value', "{'Shotgun_Task_Change': 'sg_status_list'}", { Shotgun_Task_Change: 'sg_status_list' }],
    ['escaped quotes', "{'A\\'B': ['x']}", { "A'B": ['x'] }],
    ['JSON null', '{"Shotgun_Task_New": null}', { Shotgun_Task_New: null }],
  ];
  for (const [name, text, expected] of cases) {
    it(`reads ${name}`, () => should(parseMatchEvents(text)).deepEqual(expected));
  }
  const bad: Array<[string, string, RegExp]> = [
    ['a list at top level', "['Shotgun_Task_Change']", /expected a \{"event type": \[attribute names\]\} map/],
    ['an unterminated string', "{'Shotgun_Task_Change: ['x']}", /expected ":"|unterminated/],
    ['a number as field list', "{'Shotgun_Task_Change': 3}", /unexpected "3"/],
    ['a nested dict as field list', "{'Shotgun_Task_Change': {'a': 'b'}}", /must map to a list/],
    ['a missing comma', "{'A': ['x'] 'B': ['y']}", /expected "," or "}"/],
    ['text after the map', "{'A': ['x']} x", /unexpected text after the end/],
    ['an empty text', '', /unexpected end/],
    ['an unquoted key', '{A: ["x"]}', /expected a quoted event type/],
    [
      'a map whose only key is __proto__',
      "{'__proto__': ['sg_status_list']}",
      /^matchEvents: "__proto__" is not an event type$/,
    ],
    [
      'a constructor key among event types',
      '{"Shotgun_Task_Change": ["sg_status_list"], "constructor": None}',
      /^matchEvents: "constructor" is not an event type$/,
    ],
    ['a prototype key', "{'prototype': '*'}", /^matchEvents: "prototype" is not an event type$/],
    [
      'lists nested 100,000 deep',
      `{'A': ${'['.repeat(100_000)}`,
      /^matchEvents: nested more than 16 levels deep at character/,
    ],
    [
      'dicts nested 100,000 deep',
      "{'A': ".repeat(100_000),
      /^matchEvents: nested more than 16 levels deep at character/,
    ],
    ['a 1 MB bare word', 'x'.repeat(1_000_000), /^matchEvents: unexpected "x{36}\.\.\. at character 1$/],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name}`, () => {
      const err = thrownBy(() => parseMatchEvents(text));
      should(err).be.instanceOf(MatchEventsSyntaxError);
      should((err as Error).message).match(message);
    });
  }

  /** Either a usable condition set, or a MatchEventsSyntaxError / ConditionError; nothing else, and no prototype keys. */
  function parsedOrRefused(text: string): 'parsed' | 'refused' {
    let map;
    try {
      map = parseMatchEvents(text);
    } catch (err) {
      if (err instanceof MatchEventsSyntaxError && /^matchEvents: /.test(err.message)) return 'refused';
      throw err;
    }
    should(Object.getPrototypeOf(map)).equal(Object.prototype);
    for (const [key, attrs] of Object.entries(map)) {
      should(NOT_EVENT_TYPES.has(key)).be.false();
      should(
        attrs === null ||
          typeof attrs === 'string' ||
          (Array.isArray(attrs) && attrs.every((a) => typeof a === 'string')),
      ).be.true();
    }
    try {
      compileConditions({ matchEvents: map }).match(taskStatusChange());
    } catch (err) {
      if (err instanceof ConditionError) return 'refused';
      throw err;
    }
    return 'parsed';
  }

  const hostileKeys = [
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'Shotgun_Task_Change',
    'Shotgun_*',
    '*',
    '',
    "it's",
    'a"b',
  ];

  it('parses arbitrary Python-dict-ish text or refuses it with a syntax error', () => {
    const token = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      '(',
      ')',
      "'",
      '"',
      ',',
      ':',
      ' ',
      '\n',
      '#',
      '\\',
      'None',
      'null',
      'True',
      '*',
      ...hostileKeys.map((k) => `'${k}'`),
    );
    const deep = fc.integer({ min: 1, max: 3000 }).map((n) => "{'A': ".repeat(n) + '['.repeat(n));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(token, { maxLength: 60 }).map((t) => t.join('')),
          deep,
          fc.string(),
        ),
        (text) => {
          parsedOrRefused(text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads well-formed maps with any keys, refusing exactly those naming prototype machinery', () => {
    const attrs = fc.oneof(
      fc.constant(null),
      fc.constant('*'),
      fc.array(fc.constantFrom('sg_status_list', 'content', '*', '__proto__'), { maxLength: 3 }),
    );
    const entries = fc.uniqueArray(
      fc.tuple(fc.oneof(fc.constantFrom(...hostileKeys), fc.string({ maxLength: 8 })), attrs),
      { selector: ([key]) => key, maxLength: 5 },
    );
    fc.assert(
      fc.property(entries, fc.boolean(), (list, python) => {
        const quote = (text: string): string =>
          python ? `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'` : JSON.stringify(text);
        const value = (v: unknown): string =>
          v === null
            ? python
              ? 'None'
              : 'null'
            : typeof v === 'string'
              ? quote(v)
              : `[${(v as string[]).map(quote).join(', ')}]`;
        const text = `{${list.map(([k, v]) => `${quote(k)}: ${value(v)}`).join(', ')}}`;
        const hostile = list.some(([k]) => NOT_EVENT_TYPES.has(k));
        if (hostile) {
          should(thrownBy(() => parseMatchEvents(text)))
            .be.instanceOf(MatchEventsSyntaxError)
            .and.have.property('message')
            .match(/is not an event type$/);
        } else {
          should(parseMatchEvents(text)).eql(Object.fromEntries(list));
        }
        parsedOrRefused(text);
      }),
      { numRuns: 1000 },
    );
  });
});
