import should = require('should');
import {
  buildSearchOptions,
  FindOptionError,
  parseEntityType,
  parseFields,
  parseFilters,
  parseLimit,
  parseReturnOnly,
  parseSort,
} from '../../../../lib/fptr/actions/find-options';

describe('find options: filters', function () {
  const good: Array<[string, unknown, unknown]> = [
    ['nothing', undefined, []],
    ['empty text', '  ', []],
    ['an empty list', [], []],
    [
      'a list of conditions',
      [
        ['sg_status_list', 'is', 'ip'],
        ['project', 'is', { type: 'Project', id: 1 }],
      ],
      [
        ['sg_status_list', 'is', 'ip'],
        ['project', 'is', { type: 'Project', id: 1 }],
      ],
    ],
    ['JSON text', '[["id","greater_than",5]]', [['id', 'greater_than', 5]]],
    [
      'a nested hash',
      {
        logical_operator: 'and',
        conditions: [
          ['id', 'is', 1],
          {
            logical_operator: 'or',
            conditions: [
              ['code', 'is', 'a'],
              ['code', 'is', 'b'],
            ],
          },
        ],
      },
      {
        logical_operator: 'and',
        conditions: [
          ['id', 'is', 1],
          {
            logical_operator: 'or',
            conditions: [
              ['code', 'is', 'a'],
              ['code', 'is', 'b'],
            ],
          },
        ],
      },
    ],
  ];
  for (const [label, input, expected] of good) {
    it(`accepts ${label}`, function () {
      should(parseFilters(input)).eql(expected);
    });
  }
  const bad: Array<[string, unknown, RegExp]> = [
    ['invalid JSON', '[["id"', /not valid JSON/],
    ['a two-element condition', [['id', 'is']], /filters\[0\] must be \[field, relation, value\]/],
    ['uppercase AND', { logical_operator: 'AND', conditions: [] }, /"and" or "or"/],
    ['a hash without conditions', { logical_operator: 'or' }, /conditions must be an array/],
    [
      'a bad nested condition',
      {
        logical_operator: 'or',
        conditions: [
          ['id', 'is', 1],
          [1, 'is', 2],
        ],
      },
      /filters\.conditions\[1\]/,
    ],
    ['a group inside a plain list', [{ logical_operator: 'or', conditions: [] }], /wrap groups/],
    ['a number', 5, /must be a/],
  ];
  for (const [label, input, error] of bad) {
    it(`refuses ${label}`, function () {
      should.throws(() => parseFilters(input), error);
    });
  }
});

describe('find options: fields, sort, limit, return, type', function () {
  const fields: Array<[unknown, string[]]> = [
    [undefined, ['*']],
    ['', ['*']],
    ['code, sg_status_list ,', ['code', 'sg_status_list']],
    [
      ['code', 'entity.Shot.code'],
      ['code', 'entity.Shot.code'],
    ],
    ['*', ['*']],
  ];
  for (const [input, expected] of fields) {
    it(`fields ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, function () {
      parseFields(input).should.eql(expected);
    });
  }
  it('refuses fields that are not names', function () {
    should.throws(() => parseFields([1]), FindOptionError);
  });
  const sorts: Array<[unknown, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['-updated_at, id', '-updated_at,id'],
    [['-id'], '-id'],
    [
      [
        { field_name: 'due_date', direction: 'desc' },
        { field_name: 'id', direction: 'asc' },
      ],
      '-due_date,id',
    ],
  ];
  for (const [input, expected] of sorts) {
    it(`sort ${JSON.stringify(input)} → ${String(expected)}`, function () {
      should(parseSort(input)).equal(expected);
    });
  }
  it('refuses a sort that is not text or a list', function () {
    should.throws(() => parseSort(5), FindOptionError);
    should.throws(() => parseSort([{ direction: 'asc' }]), /sort\[0\]/);
  });
  const limits: Array<[unknown, number | undefined]> = [
    [undefined, undefined],
    [0, undefined],
    ['0', undefined],
    [25, 25],
    ['1200', 1200],
  ];
  for (const [input, expected] of limits) {
    it(`limit ${JSON.stringify(input)} → ${String(expected)}`, function () {
      should(parseLimit(input)).equal(expected);
    });
  }
  for (const bad of [-1, 1.5, 'ten', NaN]) {
    it(`refuses limit ${String(bad)}`, function () {
      should.throws(() => parseLimit(bad), /whole number/);
    });
  }
  it('return: active by default, retired on request, nothing else', function () {
    parseReturnOnly(undefined).should.equal('active');
    parseReturnOnly('retired').should.equal('retired');
    should.throws(() => parseReturnOnly('all'), FindOptionError);
  });
  it('entity type: a schema name', function () {
    parseEntityType(' CustomEntity03 ').should.equal('CustomEntity03');
    for (const bad of ['', 'Task; drop', 3, undefined, '../x'])
      should.throws(() => parseEntityType(bad), FindOptionError);
  });
  it('builds search options, leaving out what was not given', function () {
    buildSearchOptions({ filters: [['id', 'is', 1]], fields: 'code', sort: '', limit: 0 }).should.eql({
      filters: [['id', 'is', 1]],
      fields: ['code'],
      returnOnly: 'active',
    });
    buildSearchOptions({ sort: '-id', limit: 3, returnOnly: 'retired' }).should.eql({
      filters: [],
      fields: ['*'],
      returnOnly: 'retired',
      sort: '-id',
      limit: 3,
    });
  });
});
