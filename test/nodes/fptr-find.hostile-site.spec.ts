import should = require('should');
import findNode = require('../../nodes/fptr-find');
import siteNode = require('../../nodes/fptr-site');
import { HOSTILE_TOKEN, HostileServer, answers } from '../support/hostile-server';
import { helper } from '../support/runtime';
import { NASTY_KEY, NASTY_PASSWORD, errorTexts, leaks } from '../support/secrets';

/*
 * fptr-site and fptr-find against a site that misbehaves on purpose (test/support/hostile-server.ts):
 * what reaches a Catch node, the log and the badges is short and never holds a secret. The
 * client's own answers to such a site are in test/unit/fptr/client/client-hostile.spec.ts.
 */

const MB = 1024 ** 2;

describe('fptr-find against a hostile site', function () {
  this.timeout(20_000);
  const server = new HostileServer();

  beforeEach(() => server.listen());
  afterEach(async () => {
    await server.close();
    server.received.length = 0;
    server.unfinished = 0;
    server.token = answers.token(HOSTILE_TOKEN);
  });

  describe('through fptr-find and a Catch node', () => {
    type Msg = Record<string, unknown> & { error?: { message: string } };
    afterEach(() => helper.unload());

    /** fptr-site → fptr-find, with a Catch node; resolves with what the Catch node got. */
    const findOnce = async (credentials: Record<string, string>, site: Record<string, unknown> = {}): Promise<Msg> => {
      const at = { z: 'tab', x: 100, y: 100 };
      const flow: Array<{ id: string; type: string; [key: string]: unknown }> = [
        { id: 'tab', type: 'tab', label: 'hostile' },
        { id: 'site', type: 'fptr-site', url: server.url, authType: 'script', timeout: 5, maxRetries: 1, ...site },
        {
          id: 'find',
          type: 'fptr-find',
          ...at,
          site: 'site',
          entity: 'Shot',
          entityType: 'str',
          filters: '[]',
          filtersType: 'json',
          wires: [['out']],
        },
        { id: 'out', type: 'helper', ...at },
        { id: 'catch', type: 'catch', ...at, scope: ['find'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', ...at },
      ];
      await helper.load([siteNode, findNode], flow, { site: credentials });
      const caught = new Promise<Msg>((resolve) => helper.getNode('caught').once('input', resolve));
      helper.getNode('find').receive({ payload: null });
      return caught;
    };

    /** Everything the runtime logged and every error, warning and status the nodes showed. */
    const shown = (): string[] => {
      const texts: string[] = [];
      const log = helper.log() as unknown as { args: unknown[][] };
      for (const args of log.args) texts.push(...errorTexts(args[0]));
      for (const id of ['site', 'find']) {
        const node = helper.getNode(id) as unknown as Record<'error' | 'warn' | 'status', { args: unknown[][] }>;
        for (const spy of [node.error, node.warn, node.status])
          for (const args of spy.args) texts.push(...args.flatMap(errorTexts));
      }
      return texts;
    };

    it("sends an echoing site's error to Catch, and logs it, without the script key", async () => {
      server.token = answers.echo(400);
      const msg = await findOnce({ scriptName: 'node_red_bridge', scriptKey: NASTY_KEY });
      should(msg.error!.message).startWith(
        'FptrError: FPTR 400 (code 103): rejected: grant_type=client_credentials&client_id=node_red_bridge&client_secret=[redacted]',
      );
      should(leaks(errorTexts(msg), [NASTY_KEY])).eql([]);
      should(leaks(shown(), [NASTY_KEY])).eql([]);
    });

    it("sends an echoing site's error to Catch without the password or the token", async () => {
      server.api = answers.echo(400);
      const msg = await findOnce({ login: 'jane', password: NASTY_PASSWORD }, { authType: 'user' });
      should(msg.error!.message).containEql('Bearer [redacted]');
      should(leaks(errorTexts(msg), [NASTY_PASSWORD, HOSTILE_TOKEN])).eql([]);
      should(leaks(shown(), [NASTY_PASSWORD, HOSTILE_TOKEN])).eql([]);
    });

    it('sends a 50 MB error to Catch as a short message', async () => {
      server.api = answers.huge(400, 50 * MB);
      const msg = await findOnce({ scriptName: 'node_red_bridge', scriptKey: NASTY_KEY });
      should(msg.error!.message).equal('FptrError: FPTR 400: Bad request');
    });

    it('applies fptrSiteMaxResponseSize from settings.js', async () => {
      helper.settings({ fptrSiteMaxResponseSize: '1mb' } as object);
      try {
        server.api = answers.huge(200, 3 * MB, { envelope: false });
        const msg = await findOnce({ scriptName: 'node_red_bridge', scriptKey: NASTY_KEY });
        should(msg.error!.message).match(/is larger than 1 MB; it was not read/);
      } finally {
        helper.settings({});
      }
    });
  });
});
