import type { Request, Response } from 'express';
import type { Node, NodeAPI } from 'node-red';
import { subscriptionOf, checkSubscription, SubscriptionError } from '../fptr/webhook/subscription';
import { generateSecret, registerHook } from '../fptr/webhook/hook-registration';
import { hookUrl } from '../fptr/webhook/hook-url';
import { RegistrationError } from '../fptr/webhook/registration-error';
import { hookIdSetting, publicBaseUrl } from '../fptr/webhook/hook-settings';
import { hookStatus, HookStatusError } from '../fptr/webhook/hook-status';
import { webhookPath } from '../fptr/webhook/endpoint-settings';
import { FptrError } from '../fptr/client/fptr-error';
import { isObject } from '../util/is-object';
import { messageOf } from '../util/errors';
import type { Messages } from './i18n';
import { siteOf } from './site';

/**
 * The admin endpoints behind fptr-webhook-in's "Create / update in FPTR" action and the hook
 * status the dialog shows (docs/fptr-api.md §4). The webhook's secret is made and kept here, in
 * the runtime: it goes to FPTR and into the node's credentials, never into an answer, a log line
 * or the flow.
 */

const TYPE = 'fptr-webhook-in';

interface Settings {
  fptrWebhookInPublicUrl?: unknown;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A refusal the dialog shows as it is. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function addHookAdminRoutes(RED: NodeAPI, t: Messages): void {
  const settings = RED.settings as typeof RED.settings & Settings;
  /** Node ids this runtime made a secret for that no deployed node holds yet (registered, not yet deployed). */
  const madeHere = new Set<string>();

  RED.httpAdmin.post(
    `/${TYPE}/:id/register`,
    RED.auth.needsPermission(`${TYPE}.write`),
    (req: Request, res: Response) => reply(res, () => register(req.params.id, req.body)),
  );
  RED.httpAdmin.get(`/${TYPE}/hook`, RED.auth.needsPermission(`${TYPE}.read`), (req: Request, res: Response) =>
    reply(res, () => describe(req.query.site, req.query.hookId)),
  );

  function reply(res: Response, work: () => Promise<Answer>): void {
    work().then(
      ({ status, body }) => res.status(status).json(body),
      (err: unknown) => {
        if (err instanceof Refused) return res.status(err.status).json({ error: err.message });
        // FPTR's answer, or this package's reading of it: worth showing, and free of secrets.
        if (err instanceof FptrError || err instanceof RegistrationError || err instanceof HookStatusError) {
          const hookId = err instanceof RegistrationError ? err.hookId : undefined;
          return res.status(502).json({ error: t('errors.fptr-refused', { error: err.message }), hookId });
        }
        RED.log.error(t('errors.register-internal', { error: err instanceof Error ? err.name : 'unknown' }));
        return res.status(500).json({ error: t('errors.register-internal', { error: 'internal error' }) });
      },
    );
  }

  function siteFor(siteId: unknown): NonNullable<ReturnType<typeof siteOf>> {
    const site = typeof siteId === 'string' ? siteOf(RED, siteId) : null;
    if (!site) throw new Refused(400, t('errors.register-no-site'));
    if (site.configError) throw new Refused(400, t('errors.register-site-unusable', { error: site.configError }));
    return site;
  }

  /**
   * The secret to register: the one the node already holds, so its deployed copy keeps
   * verifying deliveries; a new one when it has none. Only credentials of this node type are
   * ever read or written: the id comes from the request.
   */
  function secretFor(nodeId: string): { secret: string; others: Record<string, unknown> } {
    const deployed: Node | null = RED.nodes.getNode(nodeId);
    const stored = (RED.nodes.getCredentials(nodeId) ?? {}) as Record<string, unknown>;
    const ours = deployed ? deployed.type === TYPE : madeHere.has(nodeId) || Object.keys(stored).length === 0;
    if (!ours) throw new Refused(400, t('errors.register-not-webhook'));
    const { secret, ...others } = stored;
    return { secret: typeof secret === 'string' && secret !== '' ? secret : generateSecret(), others };
  }

  async function register(nodeId: string | undefined, body: unknown): Promise<Answer> {
    if (!nodeId || !isObject(body)) throw new Refused(400, t('errors.register-bad-request'));
    const site = siteFor(body.site);
    const path = webhookPath(body.url);
    if (!path) throw new Refused(400, t('errors.invalid-path', { path: String(body.url ?? '') }));
    const base = publicBaseUrl(body.publicUrl, settings.fptrWebhookInPublicUrl);
    if (!base) throw new Refused(400, t('errors.register-no-public-url'));
    let subscription;
    let url: string;
    try {
      subscription = checkSubscription(body.subscription);
      url = hookUrl(base, RED.httpNode.path() + path);
    } catch (err) {
      if (err instanceof SubscriptionError || err instanceof RegistrationError) throw new Refused(400, err.message);
      throw err;
    }
    const { secret, others } = secretFor(nodeId);
    const name = typeof body.name === 'string' && body.name.trim() ? body.name.trim() : `Node-RED ${path}`;
    const result = await registerHook(site.client, {
      hookId: hookIdSetting(body.hookId),
      url,
      subscription,
      secret,
      name: name.slice(0, 200),
      description: t('hook.description', { path }),
    });
    await RED.nodes.addCredentials(nodeId, { ...others, secret });
    if (!RED.nodes.getNode(nodeId)) madeHere.add(nodeId);
    return {
      status: 200,
      body: {
        hookId: result.hook.id,
        outcome: result.outcome,
        status: statusOf(result.hook),
        url: result.hook.url,
        hasSecret: true,
      },
    };
  }

  async function describe(siteId: unknown, hookId: unknown): Promise<Answer> {
    const site = siteFor(siteId);
    const id = hookIdSetting(hookId);
    if (!id) throw new Refused(400, t('errors.register-bad-request'));
    try {
      const hook = await site.client.readHook(id);
      return {
        status: 200,
        body: { hookId: hook.id, status: statusOf(hook), url: hook.url, subscription: subscriptionOf(hook) ?? null },
      };
    } catch (err) {
      if (err instanceof FptrError && err.status === 404)
        throw new Refused(404, t('errors.hook-missing', { hookId: id }));
      throw err;
    }
  }

  /** The status as this package reads it, or FPTR's own text with what was expected. */
  function statusOf(hook: { id: string; status: string }): string {
    try {
      return hookStatus(hook);
    } catch (err) {
      return messageOf(err);
    }
  }
}
