import type { Request, Response } from 'express';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { parseEventLogSettings, SettingsError, type RawEventLogSettings } from '../lib/fptr/events/event-log-settings';
import { refusalOf } from '../lib/node-red/action-node';
import { contextStores, storeOf } from '../lib/node-red/context-stores';
import { runEventsIn } from '../lib/node-red/events-in';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { ring } from '../lib/node-red/status';
import { webhookNode } from '../lib/node-red/webhook-registry';

interface EventsInDef extends NodeDef, RawEventLogSettings {
  site?: string;
  /** Context store for the cursor; empty = the default store. */
  store?: string;
}

const TYPE = 'fptr-events-in';
/** A shorter lease than this would be renewed more often than a slow Redis answers. */
const MIN_LEASE_MS = 1000;

export = function (RED: NodeAPI) {
  const settings = RED.settings as typeof RED.settings & { contextStorage?: unknown; fptrEventsInLeaseMs?: unknown };
  // With the site on Redis: how long a leader's lease lasts (failover time); settings.js may shorten it.
  const leaseMs =
    typeof settings.fptrEventsInLeaseMs === 'number' &&
    Number.isFinite(settings.fptrEventsInLeaseMs) &&
    settings.fptrEventsInLeaseMs >= MIN_LEASE_MS
      ? settings.fptrEventsInLeaseMs
      : undefined;

  function EventsInNode(this: Node, config: EventsInDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = messages(RED, TYPE);
    const refuse = (badge: string, error: string): void => {
      node.status(ring(badge));
      node.error(error);
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) =>
        done(new Error(error)),
      );
    };

    const site = siteOf(RED, config.site);
    const refusal = refusalOf(site, t, undefined);
    if (refusal || !site)
      return refuse(refusal?.badge.text ?? t.sharedKey('status.no-site'), refusal?.error ?? t.shared('errors.no-site'));
    let parsed;
    try {
      parsed = parseEventLogSettings(config);
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      return refuse(t.key('status.invalid-settings'), t('errors.invalid-settings', { reason: err.message }));
    }

    const store = config.store || undefined;
    const info = storeOf(settings.contextStorage, store);
    if (!info.known) node.warn(t('errors.store-unknown', { store: store ?? '', default: info.name }));
    else if (info.kind === 'memory') node.warn(t('errors.store-memory', { store: info.name }));

    const backstopFor = parsed.backstop?.webhookNode;
    runEventsIn({
      node,
      t,
      site,
      settings: parsed,
      store,
      startText: t(`option.start.${parsed.start.kind}`),
      siteId: config.site || undefined,
      webhook: backstopFor ? () => webhookNode(RED, backstopFor) : undefined,
      leaseMs,
    });
  }

  RED.nodes.registerType(TYPE, EventsInNode, { settings: { fptrEventsInLeaseMs: { value: undefined } } });

  // The editor warns when the cursor store keeps it in memory only: it needs to know what each store is.
  RED.httpAdmin.get(`/${TYPE}/stores`, RED.auth.needsPermission(`${TYPE}.read`), (_req: Request, res: Response) => {
    res.json(contextStores(settings.contextStorage));
  });
};
