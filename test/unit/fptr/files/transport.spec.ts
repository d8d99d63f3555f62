import fc from 'fast-check';
import should = require('should');
import { FptrError } from '../../../../lib/fptr/client/fptr-error';
import { sitePathOf } from '../../../../lib/fptr/files/transport';

describe('sitePathOf: the one origin check', () => {
  const site = 'https://studio.example.com';

  it('turns site links into paths below /api/v1, query kept as written', () => {
    should(sitePathOf('/api/v1/entity/versions/1/sg_uploaded_movie/_upload', site, 'x')).eql(
      '/entity/versions/1/sg_uploaded_movie/_upload',
    );
    should(sitePathOf(`${site}/api/v1/entity/versions/1/_upload?filename=a%20b&signature=s+t`, site, 'x')).eql(
      '/entity/versions/1/_upload?filename=a%20b&signature=s+t',
    );
    should(sitePathOf('https://studio.example.com:443/api/v1/x', site, 'x')).eql('/x');
    should(sitePathOf('/fptr/api/v1/x', `${site}/fptr/`, 'x')).eql('/x');
  });

  it('refuses links to any other origin, loudly', () => {
    for (const link of [
      'https://studio.example.com.evil.test/api/v1/x',
      'http://studio.example.com/api/v1/x',
      'https://studio.example.com:8443/api/v1/x',
      'https://s3.amazonaws.com/bucket/key',
      '//evil.test/api/v1/x',
      'https://user@evil.test/api/v1/x',
    ]) {
      should(() => sitePathOf(link, site, 'the upload link')).throw(FptrError, {
        message:
          /^FPTR gave the upload link on .+, not on the site https:\/\/studio\.example\.com; the site's credentials are sent to the site only, so it was not followed$/,
      });
    }
    should(() => sitePathOf('/file_serve/abc', site, 'the link')).throw(
      'FPTR gave the link outside /api/v1: /file_serve/abc',
    );
  });

  it('never lets a link of another origin through (property)', () => {
    fc.assert(
      fc.property(fc.webUrl(), (url) => {
        let path: string | undefined;
        try {
          path = sitePathOf(url, site, 'x');
        } catch {
          return;
        }
        should(new URL(url).origin).eql(site);
        should(path.startsWith('/')).be.true();
      }),
      { numRuns: 500, seed: 19 },
    );
  });
});
