import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import { parseControl } from '../fptr/events/event-log-control';
import { formatIdRanges } from '../fptr/events/event-log-gaps';
import { EventLogPoller, type PollerNotice } from '../fptr/events/event-log-poller';
import type { EventLogSettings } from '../fptr/events/event-log-settings';
import { describeValue } from '../util/describe-value';
import { messageOf } from '../util/errors';
import { Backstop } from './backstop';
import { ContextCursorStore } from './cursor-store';
import { registerCommitter } from './event-log-commits';
import { eventLogBadge } from './event-log-status';
import type { Messages } from './i18n';
import type { FptrSite } from './site';
import { ThrottledStatus } from './status';
import type { WebhookHandle } from './webhook-registry';
import type { EventLogMessage } from '../fptr/events/event-log-delivery';

/**
 * An fptr-events-in node at work: the poller (lib/fptr/events) wired to the node's outputs,
 * status, log, context store and input, and registered for fptr-acknowledge.
 */

export interface EventsInSpec {
  node: Node;
  t: Messages;
  site: FptrSite;
  settings: EventLogSettings;
  /** Context store name; undefined = the default store. */
  store: string | undefined;
  /** What `start` says, for the warning about an unreadable cursor. */
  startText: string;
  /** With settings.backstop: the fptr-site id of this node and the webhook node it backs up. */
  siteId?: string;
  webhook?: () => WebhookHandle | undefined;
}

/** The badge shows elapsed times (lag, a slow read): redraw it this often even when nothing happens. */
const REFRESH_MS = 1000;
const STATUS_INTERVAL_MS = 250;
/** A store that keeps failing is reported once per this long. */
const SAVE_WARN_INTERVAL_MS = 60_000;

export function runEventsIn(spec: EventsInSpec): void {
  const { node, t, site, settings } = spec;
  let saveWarnedAt = -Infinity;

  const notice = (n: PollerNotice): void => {
    switch (n.kind) {
      case 'cursor-unreadable':
        return node.warn(t('errors.cursor-unreadable', { reason: n.reason, start: spec.startText }));
      case 'cursor-restored':
        return node.log(t('log.restored', { high: n.high, gaps: n.gaps, inFlight: n.inFlight }));
      case 'started':
        return node.log(t('log.started', { high: n.high }));
      case 'reset':
        return node.log(n.high === undefined ? t('log.reset-start') : t('log.reset-to', { high: n.high }));
      case 'gaps-given-up':
        return node.warn(
          t(n.reason === 'window' ? 'errors.gaps-given-up' : 'errors.gaps-too-many', {
            count: n.count,
            ids: formatIdRanges(n.ranges),
          }),
        );
      case 'never-happened':
        return node.debug(t('log.never-happened', { ids: formatIdRanges(n.ranges) }));
      case 'in-flight-missing':
        return node.warn(t('errors.in-flight-missing', { ids: formatIdRanges(n.ids.map((id) => [id, id])) }));
      case 'save-failed':
        if (Date.now() - saveWarnedAt < SAVE_WARN_INTERVAL_MS) return;
        saveWarnedAt = Date.now();
        return node.warn(
          t('errors.save-failed', { store: spec.store ?? t('tip.store-default'), error: messageOf(n.error) }),
        );
      case 'site-error':
        return node.warn(t('errors.site-error', { error: messageOf(n.error) }));
      case 'site-recovered':
        return node.log(t('log.site-recovered'));
      case 'send-failed':
        return node.error(t('errors.send-failed', { id: n.id, error: messageOf(n.error) }));
      case 'held':
        return node.warn(t('errors.held', { id: n.id, detail: n.detail }));
    }
  };

  const sendOn = (msg: EventLogMessage): void => {
    node.send(msg as unknown as NodeMessage);
  };
  const backstop =
    settings.backstop && spec.webhook
      ? new Backstop({
          settings: settings.backstop,
          filter: settings.filter,
          siteId: spec.siteId,
          webhook: spec.webhook,
          emit: (msg) => {
            try {
              sendOn(msg);
            } catch (error) {
              notice({ kind: 'send-failed', id: msg.fptr.eventId, error });
            }
          },
          // Delivered by the webhook or not subscribed to: finished here, as if acknowledged.
          skip: (msg) => void poller.acknowledge(msg.fptr.eventId, msg.fptr.ticket, { ok: true }),
          problem: (kind) => node.warn(t(`errors.backstop-${kind}`, { node: settings.backstop!.webhookNode })),
        })
      : undefined;

  const poller: EventLogPoller = new EventLogPoller({
    api: site.client,
    siteUrl: site.siteUrl,
    nodeId: node.id,
    settings,
    store: new ContextCursorStore(node, spec.store),
    hooks: {
      // A backstop holds first sendings only: a retry was already let through once.
      send: (msg) => (backstop && msg.fptr.attempt <= 1 ? backstop.offer(msg) : sendOn(msg)),
      gaveUp: (msg, detail) => {
        node.warn(t('errors.gave-up', { id: msg.fptr.eventId, attempts: msg.fptr.attempt, detail }));
        node.send([null, { ...msg, error: { message: detail } } as unknown as NodeMessage]);
      },
      notice,
      changed: () => status.schedule(),
    },
  });
  const status = new ThrottledStatus(node, () => eventLogBadge(poller.status(), t), STATUS_INTERVAL_MS);
  const unregister = registerCommitter(node.id, poller);
  const refresh = setInterval(() => status.schedule(), REFRESH_MS);

  node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
    const control = parseControl(msg.payload);
    if (!control) return done(new Error(t('errors.bad-input', { got: describeValue(msg.payload) })));
    if (control.kind === 'pause') poller.pause();
    else if (control.kind === 'resume') poller.resume();
    else poller.reset(control.to);
    status.show();
    done();
  });

  node.on('close', (removed: boolean, done: () => void) => {
    clearInterval(refresh);
    backstop?.close();
    status.close();
    unregister();
    // A deleted node's context is deleted by the runtime: writing the cursor again would bring it back.
    poller.close(!removed).then(done, done);
  });

  status.show();
  poller.start();
}
