import fc from 'fast-check';
import should = require('should');
import { ApiRequestError, apiRequest, parsePath } from '../../../../lib/fptr/actions/api-request';

const req = (input: Partial<Parameters<typeof apiRequest>[0]>): ReturnType<typeof apiRequest> =>
  apiRequest({ method: 'GET', path: '', query: undefined, body: undefined, ...input });

describe('fptr-request: request validation', () => {
  it('takes paths with or without /api/v1 and a leading slash', () => {
    for (const path of [
      'entity/shots/12',
      '/entity/shots/12',
      '/api/v1/entity/shots/12',
      ' api/v1/entity/shots/12/ ',
    ]) {
      should(req({ path }).path).eql('/entity/shots/12');
    }
    should(req({ path: '/api/v1' }).path).eql('');
    should(req({ path: '' }).path).eql('');
    should(req({ path: 'schema/Shot/fields/sg%20x' }).path).eql('/schema/Shot/fields/sg%20x');
  });

  it('builds the query from an object the way FPTR writes it, or takes it as text', () => {
    should(
      req({
        path: 'entity/shots',
        query: {
          fields: ['code', 'sg_status_list'],
          filter: { sg_status_list: 'ip' },
          page: { size: 10, number: 2 },
          skip: null,
        },
      }).path,
    ).eql(
      '/entity/shots?fields=code%2Csg_status_list&filter%5Bsg_status_list%5D=ip&page%5Bsize%5D=10&page%5Bnumber%5D=2',
    );
    should(req({ path: 'entity/shots', query: '?fields=code&sort=-id' }).path).eql(
      '/entity/shots?fields=code&sort=-id',
    );
    should(req({ path: 'entity/shots', query: {} }).path).eql('/entity/shots');
  });

  it('sends filter reads with the vendor content type their filters need, and counts them as safe to repeat', () => {
    should(req({ method: 'post', path: 'entity/shots/_search', body: { filters: [['code', 'is', 'sh010']] } })).eql({
      method: 'POST',
      path: '/entity/shots/_search',
      json: { filters: [['code', 'is', 'sh010']] },
      contentType: 'application/vnd+shotgun.api3_array+json',
      idempotent: true,
    });
    should(
      req({
        method: 'POST',
        path: 'entity/shots/_summarize',
        body: '{"filters":{"logical_operator":"or","conditions":[]}}',
      }).contentType,
    ).eql('application/vnd+shotgun.api3_hash+json');
    should(req({ method: 'POST', path: 'entity/_text_search', body: { text: 'fog' } }).contentType).eql(
      'application/vnd+shotgun.api3_array+json',
    );
    should(req({ method: 'POST', path: 'entity/notes', body: { subject: 'x' } })).containEql({
      contentType: 'application/json',
      idempotent: false,
    });
    should(req({ method: 'PUT', path: 'entity/shots/1', body: { code: 'x' } })).containEql({
      contentType: 'application/json',
      idempotent: true,
    });
    should(req({ method: 'DELETE', path: 'entity/shots/1', body: {} })).eql({
      method: 'DELETE',
      path: '/entity/shots/1',
      idempotent: true,
    });
  });

  it('refuses what cannot be a request below /api/v1 of the site, saying why', () => {
    const cases: Array<[Partial<Parameters<typeof apiRequest>[0]>, string]> = [
      [{ method: 'PATCH' }, 'method must be GET, POST, PUT or DELETE (got "PATCH")'],
      [{ method: 3 }, 'method must be GET, POST, PUT or DELETE (got 3)'],
      [
        { path: 'https://evil.test/api/v1/entity' },
        'path must be a path below /api/v1 of the site, not a URL (got "https://evil.test/api/v1/entity")',
      ],
      [{ path: '//evil.test/x' }, 'path must be a path below /api/v1 of the site, not a URL (got "//evil.test/x")'],
      [
        { path: 'javascript:alert(1)' },
        'path must be a path below /api/v1 of the site, not a URL (got "javascript:alert(1)")',
      ],
      [{ path: 'entity\\shots' }, 'path must be a path below /api/v1 of the site, not a URL (got "entity\\\\shots")'],
      [
        { path: 'entity/shots?fields=code' },
        'path must not hold a query or fragment: put query parameters in query (got "entity/shots?fields=code")',
      ],
      [{ path: 'entity/../../admin' }, 'path must not climb or hide segments ("..")'],
      [{ path: 'entity/%2e%2E/x' }, 'path must not climb or hide segments ("%2e%2E")'],
      [{ path: 'entity/a%2Fb' }, 'path must not climb or hide segments ("a%2Fb")'],
      [{ path: 'entity//shots' }, 'path has an empty segment or a character that must be percent-encoded: ""'],
      [{ path: 'entity/sh ots' }, 'path has an empty segment or a character that must be percent-encoded: "sh ots"'],
      [{ path: 'entity/%zz' }, 'path has an empty segment or a character that must be percent-encoded: "%zz"'],
      [{ path: 12 }, 'path must be text such as /entity/shots/12 (got 12)'],
      [
        { method: 'POST', path: '/api/v1/auth/access_token' },
        "path must not be a token request: the site's client gets and renews tokens itself",
      ],
      [
        { method: 'POST', path: '%61uth/access_token' },
        "path must not be a token request: the site's client gets and renews tokens itself",
      ],
      [{ path: 'entity/shots', query: [1] }, 'query must be an object or text such as fields=code (got [1])'],
      [{ path: 'entity/shots', query: { fields: [{}] } }, 'query.fields must list numbers or text (got [{}])'],
      [
        { path: 'entity/shots', query: { a: { b: { c: { d: { e: { f: 1 } } } } } } },
        'query.a[b][c][d][e] must be a number, text, true/false or a list (got {"f":1})',
      ],
      [{ method: 'POST', path: 'entity/shots', body: '{nope' }, 'body is not valid JSON: "{nope"'],
      [{ method: 'POST', path: 'entity/shots', body: 5 }, 'body must be a JSON object or array (got 5)'],
      [{ method: 'GET', path: 'entity/shots', body: { a: 1 } }, 'GET requests carry no body; put parameters in query'],
    ];
    for (const [input, message] of cases) should(() => req(input)).throw(ApiRequestError, { message });
  });

  it('never yields a path that leaves /api/v1 or names another host (property)', () => {
    const piece = fc.constantFrom(
      'entity',
      'shots',
      '..',
      '.',
      '%2e%2e',
      '%2F',
      '',
      'a b',
      'http:',
      '//',
      '\\',
      '?',
      '#',
      '@',
      'auth',
      'AUTH',
      '%61uth',
      'x%41',
      ':',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.boolean(), (pieces, lead) => {
        const raw = `${lead ? '/' : ''}${pieces.join('/')}`;
        let path: string;
        try {
          path = parsePath(raw);
        } catch (err) {
          should(err).be.instanceOf(ApiRequestError);
          return;
        }
        const resolved = new URL(`https://site.test/api/v1${path}`);
        should(resolved.origin).eql('https://site.test');
        should(resolved.pathname.startsWith('/api/v1')).be.true();
        should(decodeURIComponent(resolved.pathname).toLowerCase().startsWith('/api/v1/auth')).be.false();
        should(resolved.search).eql('');
        should(decodeURIComponent(resolved.pathname).split('/')).not.containEql('..');
      }),
      { numRuns: 2000, seed: 19 },
    );
  });
});
