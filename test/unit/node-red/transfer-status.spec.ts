import type { NodeStatus } from 'node-red';
import should = require('should');
import { messages } from '../../../lib/node-red/i18n';
import { TransferStatus } from '../../../lib/node-red/transfer-status';

const MB = 1024 * 1024;

/** A catalog stand-in that fills the parameters in, as RED._ does. */
const t = messages(
  {
    _: ((key: string, params?: Record<string, string | number>) =>
      `${key} ${Object.entries(params ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`) as never,
  },
  'fptr-upload',
);

describe('TransferStatus: the badge of a node moving file bytes', () => {
  it('shows percent and MB/s, at once for the first report', () => {
    const shown: NodeStatus[] = [];
    const status = new TransferStatus({ status: (s) => shown.push(s) }, t, 'status.uploading');
    const progress = status.begin();
    progress(3 * MB, 12 * MB);
    status.end();
    should(shown).have.length(1);
    should(shown[0]).containEql({ fill: 'blue', shape: 'ring' });
    should(shown[0].text).match(/^fptr-upload\.status\.uploading percent=25 rate=\d+\.\d$/);
  });

  it('shows "?" for the percent of a size it does not know', () => {
    const shown: NodeStatus[] = [];
    const status = new TransferStatus({ status: (s) => shown.push(s) }, t, 'status.downloading');
    status.begin()(MB, undefined);
    status.end();
    should(shown[0].text).match(/percent=\? /);
  });

  it('ignores the reports of a transfer a newer one replaced', () => {
    const shown: NodeStatus[] = [];
    const status = new TransferStatus({ status: (s) => shown.push(s) }, t, 'status.uploading');
    const older = status.begin();
    status.begin();
    older(MB, 2 * MB);
    status.end();
    should(shown).eql([]);
  });
});
