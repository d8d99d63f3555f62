import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { FptrClient } from '../lib/fptr/client/client';
import { FptrError } from '../lib/fptr/client/fptr-error';
import { safeSiteUrl, sameSite, siteClientOptions, type SiteRuntimeSettings, type SiteSettings } from '../lib/fptr/client/site-settings';
import type { FptrSiteNode } from '../lib/node-red/site';
import { unavailableApi } from '../lib/fptr/client/unavailable-api';

interface SiteDef extends NodeDef {
  url: string;
  authType: string;
  maxConcurrency: string | number;
  timeout: string | number;
  maxRetries?: string | number;
  deadline?: string | number;
}

interface SiteCredentials {
  scriptName?: string;
  scriptKey?: string;
  login?: string;
  password?: string;
  sudoAs?: string;
}

type SiteNode = Node<SiteCredentials> & FptrSiteNode;

/** What the editor sends for a password field the user did not touch. */
const UNCHANGED_PASSWORD = '__PWRD__';

/** The "Test connection" button should answer within seconds, not after a full retry budget. */
const TEST_RETRIES = 1;
const TEST_MAX_RETRY_AFTER_MS = 5_000;

export = function (RED: NodeAPI) {
  const settings = RED.settings as typeof RED.settings & SiteRuntimeSettings & { userDir?: string };
  // Flows have no setting that names Node-RED's user directory; function nodes read this one with
  // env.get (the folder example does). It holds the directory however Node-RED was started.
  if (typeof settings.userDir === 'string' && settings.userDir !== '') process.env.FPTR_USER_DIR = settings.userDir;

  function FptrSite(this: SiteNode, config: SiteDef) {
    RED.nodes.createNode(this, config);
    try {
      const client = new FptrClient(siteClientOptions({ ...config, ...this.credentials }, settings));
      this.client = client;
      this.siteUrl = client.siteUrl;
      this.on('close', (_removed: boolean, done: () => void) => {
        client.close().then(done, done);
      });
    } catch (err) {
      if (!(err instanceof FptrError)) throw err;
      const message = RED._('fptr-site.errors.invalidConfig', { reason: err.message });
      this.configError = err.message;
      this.siteUrl = safeSiteUrl(config.url);
      this.client = unavailableApi(this.siteUrl, new FptrError(message, { kind: 'config' }));
      this.error(message);
    }
  }

  RED.nodes.registerType<SiteNode, SiteDef, SiteRuntimeSettings, SiteCredentials>('fptr-site', FptrSite, {
    settings: {
      fptrSiteMaxResponseSize: { value: undefined },
    },
    credentials: {
      scriptName: { type: 'text' },
      scriptKey: { type: 'password' },
      login: { type: 'text' },
      password: { type: 'password' },
      sudoAs: { type: 'text' },
    },
  });

  RED.httpAdmin.post('/fptr-site/test', RED.auth.needsPermission('fptr-site.write'), (req: Request, res: Response) => {
    testConnection(req.body).then(
      (answer) => res.status(answer.status).json(answer.body),
      (err: unknown) => {
        RED.log.error(RED._('fptr-site.errors.testFailed', { reason: err instanceof Error ? err.name : 'unknown' }));
        res.status(500).json({ ok: false, error: RED._('fptr-site.errors.internal') });
      },
    );
  });

  async function testConnection(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, body: { ok: false, error: RED._('fptr-site.errors.badRequest') } };
    }
    const dialog = withStoredSecrets(body as SiteSettings & { id?: unknown });
    if (!dialog) return { status: 400, body: { ok: false, error: RED._('fptr-site.errors.reenterSecret') } };
    let client: FptrClient;
    try {
      client = new FptrClient({
        ...siteClientOptions(dialog, settings), maxRetries: TEST_RETRIES, maxRetryAfterMs: TEST_MAX_RETRY_AFTER_MS,
      });
    } catch (err) {
      if (err instanceof FptrError) return { status: 400, body: { ok: false, error: err.message } };
      throw err;
    }
    try {
      const info = await client.serverInfo();
      const user = await client.currentUser();
      return {
        status: 200,
        body: {
          ok: true,
          siteName: stringOrNull(info.site_name),
          version: stringOrNull(info.shotgun_version ?? info.shotgun_version_number),
          user,
        },
      };
    } catch (err) {
      if (err instanceof FptrError) return { status: 200, body: { ok: false, error: err.message } };
      throw err;
    } finally {
      await client.close();
    }
  }

  /**
   * Password fields left unchanged in the dialog arrive as a placeholder: use the stored value,
   * but only that of the deployed fptr-site node the dialog edits, and only towards the URL it
   * was deployed with. Otherwise the endpoint would send any node's stored password (an MQTT
   * broker's, say) to any address typed in. Undefined: the secret has to be typed in again.
   */
  function withStoredSecrets(dialog: SiteSettings & { id?: unknown }): SiteSettings | undefined {
    const { id, ...values } = dialog;
    if (values.scriptKey !== UNCHANGED_PASSWORD && values.password !== UNCHANGED_PASSWORD) return values;
    const deployed = typeof id === 'string' && id ? RED.nodes.getNode(id) as SiteNode | null : null;
    if (deployed?.type !== 'fptr-site' || !sameSite(values.url, deployed.siteUrl)) return undefined;
    const stored = deployed.credentials ?? {};
    if (values.scriptKey === UNCHANGED_PASSWORD) values.scriptKey = stored.scriptKey;
    if (values.password === UNCHANGED_PASSWORD) values.password = stored.password;
    return values;
  }
};

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
