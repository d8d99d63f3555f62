import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { FptrClient } from './lib/fptr-client';
import { FptrError } from './lib/fptr-error';
import { safeSiteUrl, siteClientOptions, type SiteSettings } from './lib/site-config';
import type { FptrSiteNode } from './lib/site-node';
import { unavailableApi } from './lib/unavailable-api';

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
  function FptrSite(this: SiteNode, config: SiteDef) {
    RED.nodes.createNode(this, config);
    try {
      const client = new FptrClient(siteClientOptions({ ...config, ...this.credentials }));
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

  RED.nodes.registerType<SiteNode, SiteDef, object, SiteCredentials>('fptr-site', FptrSite, {
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
    const settings = withStoredSecrets(body as SiteSettings & { id?: unknown });
    let client: FptrClient;
    try {
      client = new FptrClient({
        ...siteClientOptions(settings), maxRetries: TEST_RETRIES, maxRetryAfterMs: TEST_MAX_RETRY_AFTER_MS,
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

  /** Password fields left unchanged in the dialog arrive as a placeholder: use the stored value. */
  function withStoredSecrets(dialog: SiteSettings & { id?: unknown }): SiteSettings {
    const { id, ...settings } = dialog;
    const needsStored = settings.scriptKey === UNCHANGED_PASSWORD || settings.password === UNCHANGED_PASSWORD;
    const stored = needsStored && typeof id === 'string' && id
      ? (RED.nodes.getCredentials(id) as SiteCredentials | undefined)
      : undefined;
    if (settings.scriptKey === UNCHANGED_PASSWORD) settings.scriptKey = stored?.scriptKey;
    if (settings.password === UNCHANGED_PASSWORD) settings.password = stored?.password;
    return settings;
  }
};

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
