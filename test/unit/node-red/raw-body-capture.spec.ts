import 'should';
import { routeKey } from '../../../lib/node-red/raw-body-capture';

describe('routeKey', function () {
  it('matches paths the way express routes them', function () {
    routeKey('post', '/Fptr//Hook/').should.equal(routeKey('POST', '/fptr/hook'));
    routeKey('post', '/a').should.not.equal(routeKey('put', '/a'));
  });
});
