import type { Request, Response } from 'express';
import type { Node, NodeAPI } from 'node-red';
import { testConnection } from '../fptr/client/site-connection';
import { sameSite, type SiteRuntimeSettings, type SiteSettings } from '../fptr/client/site-settings';
import type { Messages } from './i18n';
import { SITE_TYPE } from './site';

/** What the editor sends for a password field the user did not touch. */
const UNCHANGED_PASSWORD = '__PWRD__';

interface StoredSecrets {
  siteUrl?: unknown;
  credentials?: { scriptKey?: string; password?: string };
}

/**
 * `POST <admin>/fptr-site/test`, behind the fptr-site write permission: the dialog's "Test
 * connection" button. It answers 400 for settings no client can use, else 200 with `ok`.
 */
export function addSiteTestRoute(RED: NodeAPI, t: Messages, runtime: SiteRuntimeSettings): void {
  RED.httpAdmin.post(
    `/${SITE_TYPE}/test`,
    RED.auth.needsPermission(`${SITE_TYPE}.write`),
    (req: Request, res: Response) => {
      answer(req.body).then(
        ({ status, body }) => res.status(status).json(body),
        (err: unknown) => {
          RED.log.error(t('errors.testFailed', { reason: err instanceof Error ? err.name : 'unknown' }));
          res.status(500).json({ ok: false, error: t('errors.internal') });
        },
      );
    },
  );

  async function answer(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { status: 400, body: { ok: false, error: t('errors.badRequest') } };
    const dialog = withStoredSecrets(body as SiteSettings & { id?: unknown });
    if (!dialog) return { status: 400, body: { ok: false, error: t('errors.reenterSecret') } };
    const result = await testConnection(dialog, runtime);
    return 'unusable' in result
      ? { status: 400, body: { ok: false, error: result.unusable } }
      : { status: 200, body: result };
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
    const deployed: (Node & StoredSecrets) | null = typeof id === 'string' && id ? RED.nodes.getNode(id) : null;
    if (deployed?.type !== SITE_TYPE || !sameSite(values.url, deployed.siteUrl)) return undefined;
    const stored = deployed.credentials ?? {};
    if (values.scriptKey === UNCHANGED_PASSWORD) values.scriptKey = stored.scriptKey;
    if (values.password === UNCHANGED_PASSWORD) values.password = stored.password;
    return values;
  }
}
