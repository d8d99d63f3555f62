import should = require('should');
import { SignatureVerifier, signBody } from '../../../../lib/fptr/webhook/signature';
import { singleBody, taskChange } from '../../../support/webhook-fixtures';

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
