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
import { SharedCursorStore, SupersededError } from './shared-cursor-store';
import { ThrottledStatus, type Badge } from './status';
import type { WebhookHandle } from './webhook-registry';
import type { EventLogMessage } from '../fptr/events/event-log-delivery';
import { Leadership, type Role } from '../state/leadership';
import { INSTANCE_ID } from '../state/open-state';

/**
 * An fptr-events-in node at work: the poller (lib/fptr/events) wired to the node's outputs,
 * status, log, context store and input, and registered for fptr-acknowledge. With the site on
 * Redis, the instances running the same flow elect one leader per node (a lease with fencing):
 * only it polls, its cursor and gap list live in Redis, the others stand by.
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
  /** How long a leader's lease lasts with the site on Redis, in ms (default LEASE_MS). */
  leaseMs?: number;
}

/** The badge shows elapsed times (lag, a slow read): redraw it this often even when nothing happens. */
const REFRESH_MS = 1000;
const STATUS_INTERVAL_MS = 250;
/**
 * With the site on Redis one instance polls per node: it holds this lease and renews it every
 * third of it; when it dies another takes over within this time.
 */
export const LEASE_MS = 15_000;
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
        // Another instance leads now: stop at once, so the rows this write claimed are not sent
        // here too. The lease's next answer says who leads (logged then).
        if (n.error instanceof SupersededError) {
          void stopPoller(false);
          return status.schedule();
        }
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
          skip: (msg) => void poller?.acknowledge(msg.fptr.eventId, msg.fptr.ticket, { ok: true }),
          problem: (kind) => node.warn(t(`errors.backstop-${kind}`, { node: settings.backstop!.webhookNode })),
        })
      : undefined;

  const cursorKey = `events-in:${node.id}`;
  const contextStore = new ContextCursorStore(node, spec.store);
  const shared = site.state.kind === 'redis' ? site.state : undefined;
  const leadership = shared
    ? new Leadership(shared, cursorKey, INSTANCE_ID, { ttlMs: spec.leaseMs ?? LEASE_MS })
    : undefined;
  const store = leadership
    ? new SharedCursorStore(site.state, `${cursorKey}:cursor`, () => leadership.fence, contextStore)
    : contextStore;

  const newPoller = (): EventLogPoller =>
    new EventLogPoller({
      api: site.client,
      siteUrl: site.siteUrl,
      nodeId: node.id,
      settings,
      store,
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

  /** The poller at work: always on one instance alone, only on the leader with shared state. */
  let poller: EventLogPoller | undefined;
  /** A pause asked for while not leading, applied when this instance takes over. */
  let paused = false;
  let role: Role = leadership ? 'starting' : 'leader';

  const badge = (): Badge => {
    if (poller) return eventLogBadge(poller.status(), t);
    if (role === 'standby') return { fill: 'grey', shape: 'ring', text: t.key('status.standby') };
    if (role === 'unavailable') return { fill: 'yellow', shape: 'ring', text: t.key('status.no-lease') };
    return { fill: 'blue', shape: 'ring', text: t.key('status.starting') };
  };
  const status = new ThrottledStatus(node, badge, STATUS_INTERVAL_MS);

  const startPoller = (): void => {
    poller = newPoller();
    if (paused) poller.pause();
    poller.start();
  };
  /** Stops polling here; the cursor is written only while this instance may still write it. */
  const stopPoller = async (save: boolean): Promise<void> => {
    const stopping = poller;
    poller = undefined;
    // Its held events are in flight in its cursor: whoever polls next sends them again.
    backstop?.close();
    await stopping?.close(save);
  };

  // Acknowledgements go to whichever poller runs now; those for a previous leadership are stale
  // (the rows are in the shared in-flight list, and the leader sends them again).
  const unregister = registerCommitter(node.id, {
    acknowledge: (eventId, ticket, outcome) => poller?.acknowledge(eventId, ticket, outcome) ?? 'stale',
  });
  const refresh = setInterval(() => {
    // Stopped as superseded, yet the lease was renewed with the same token (this process had
    // stalled past it, and nobody took over): lead again.
    if (!poller && role === 'leader' && leadership?.fence) startPoller();
    status.schedule();
  }, REFRESH_MS);

  leadership?.on('role', (next: Role) => {
    const was = role;
    role = next;
    if (next === 'leader') {
      // A new lease (also after losing one): start from the shared cursor, not from memory.
      if (was === 'leader') void stopPoller(false);
      else if (was !== 'starting') node.log(t('log.leading'));
      startPoller();
    } else if (was === 'leader') {
      node.warn(t(next === 'standby' ? 'errors.lost-lease' : 'errors.no-lease'));
      void stopPoller(false);
    }
    status.show();
  });

  node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
    const control = parseControl(msg.payload);
    if (!control) return done(new Error(t('errors.bad-input', { got: describeValue(msg.payload) })));
    if (control.kind === 'reset' && !poller) return done(new Error(t('errors.reset-standby')));
    if (control.kind === 'pause') {
      paused = true;
      poller?.pause();
    } else if (control.kind === 'resume') {
      paused = false;
      poller?.resume();
    } else poller?.reset(control.to);
    status.show();
    done();
  });

  node.on('close', (removed: boolean, done: () => void) => {
    clearInterval(refresh);
    status.close();
    unregister();
    // A deleted node's context is deleted by the runtime: writing the cursor again would bring it
    // back. The lease is given up only after the last write, so a follower takes over at once.
    stopPoller(!removed)
      .then(() => leadership?.stop())
      .then(done, done);
  });

  status.show();
  if (leadership) leadership.start();
  else startPoller();
}
