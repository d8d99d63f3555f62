import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { testConnection } from '../fptr/client/site-connection';
import type { SiteRuntimeSettings } from '../fptr/client/site-settings';
import type { Messages } from './i18n';
import { SITE_TYPE } from './site';
import { dialogSettings } from './site-dialog';

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
    const dialog = dialogSettings(RED, body);
    if ('refused' in dialog) return { status: 400, body: { ok: false, error: t(`errors.${dialog.refused}`) } };
    const result = await testConnection(dialog.settings, runtime);
    return 'unusable' in result
      ? { status: 400, body: { ok: false, error: result.unusable } }
      : { status: 200, body: result };
  }
}
