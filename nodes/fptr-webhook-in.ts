import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { DedupWindow } from '../lib/fptr/webhook/dedup-window';
import { endpointSettings, type EndpointRuntimeSettings } from '../lib/fptr/webhook/endpoint-settings';
import { hookUrl } from '../lib/fptr/webhook/hook-url';
import {
  hookIdSetting,
  publicBaseUrl,
  savedSubscription,
  watchIntervalSeconds,
} from '../lib/fptr/webhook/hook-settings';
import { sourceAllowed, WebhookReceiver, type WebhookMessage } from '../lib/fptr/webhook/receiver';
import { DedupStore } from '../lib/node-red/dedup-store';
import { addHookAdminRoutes } from '../lib/node-red/hook-admin-route';
import { HookHealth } from '../lib/node-red/hook-health';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot, ring, ThrottledStatus, type Badge } from '../lib/node-red/status';
import { WebhookEndpoint } from '../lib/node-red/webhook-endpoint';
import { addWebhookNode } from '../lib/node-red/webhook-registry';
import type { Health } from '../lib/state/shared-state';
import { messageOf } from '../lib/util/errors';

interface WebhookInDef extends NodeDef {
  url?: string;
  site?: string;
  split?: boolean;
  dedupWindow?: number | string;
  dedupStore?: string;
  maxBodySize?: string;
  emitTests?: boolean;
  allowList?: string[] | string;
  trustProxy?: boolean;
  /** Peers whose X-Forwarded-For is believed (with trustProxy); absent or blank = loopback. */
  proxies?: string[] | string;
  /** The FPTR webhook registered from the editor, and what it subscribes to. */
  hookId?: string;
  subscription?: unknown;
  /** How FPTR reaches this Node-RED (overrides settings.js fptrWebhookInPublicUrl). */
  publicUrl?: string;
  /** Seconds between status checks of the hook (default 300). */
  watchInterval?: number | string;
  /** Switch a Failed hook back on once this endpoint answers again. */
  autoReenable?: boolean;
  /** A second output with the hook's status changes. */
  statusOutput?: boolean;
}

interface WebhookInCreds {
  secret?: string;
}

interface WebhookInSettings extends EndpointRuntimeSettings {
  /** The addresses Autodesk publishes for webhook delivery, kept by the admin; the editor's preset button reads them. */
  fptrWebhookInPublishedAddresses?: string[];
  /** How FPTR reaches this Node-RED, e.g. https://nodered.example.com: the base of registered webhook URLs. */
  fptrWebhookInPublicUrl?: string;
}

const TYPE = 'fptr-webhook-in';
const DEDUP_MAX_ENTRIES = 50_000;
const STATUS_INTERVAL_MS = 250;
const BUSY_WARN_INTERVAL_MS = 60_000;

export = function (RED: NodeAPI) {
  const settings = RED.settings as typeof RED.settings & WebhookInSettings;

  function WebhookInNode(this: Node<WebhookInCreds>, config: WebhookInDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = messages(RED, TYPE);
    const refuse = (key: string, params: Record<string, string>): void => {
      node.error(t(`errors.${key}`, params));
      node.status(ring(t.key(`status.${key}`)));
    };

    const parsed = endpointSettings(config, settings);
    if (!parsed.ok) return refuse(parsed.problem.key, parsed.problem.params);
    const { path, maxBytes, allowList, proxies, dedupWindowMs, readTimeoutMs, maxPending } = parsed.settings;
    for (const warning of parsed.warnings) node.warn(t(`errors.${warning.key}`, warning.params));
    if (settings.httpNodeRoot === false) node.warn(t('errors.http-disabled'));
    const watchSeconds = watchIntervalSeconds(config.watchInterval);
    if (watchSeconds === undefined) return refuse('invalid-watch-interval', { value: String(config.watchInterval) });
    const endpoint = WebhookEndpoint.claim(RED, path);
    if (typeof endpoint === 'string') return refuse(endpoint, { path });

    const secret = node.credentials?.secret || undefined;
    const dedup =
      dedupWindowMs > 0 ? new DedupWindow({ windowMs: dedupWindowMs, maxEntries: DEDUP_MAX_ENTRIES }) : undefined;
    const site = siteOf(RED, config.site);
    // With a site on Redis, dedup keys are claimed across instances; the local window stays in front.
    const shared =
      dedup && site?.state.kind === 'redis'
        ? { state: site.state, keyPrefix: `webhook:${node.id}:`, ttlMs: dedupWindowMs }
        : undefined;
    const store = dedup ? new DedupStore(node, dedup, config.dedupStore || undefined, t) : undefined;
    const hookId = hookIdSetting(config.hookId);
    const unregister = addWebhookNode(RED, {
      nodeId: node.id,
      siteId: config.site || undefined,
      hookId,
      subscription: savedSubscription(config.subscription),
      claim: dedup
        ? async (keys, now) => {
            const seen = keys.map((key) => dedup.seen(key, now));
            store?.changed();
            if (!shared) return seen;
            try {
              const won = await shared.state.claim(
                keys.map((key) => shared.keyPrefix + key),
                shared.ttlMs,
                seen,
              );
              return won.map((isNew) => !isNew);
            } catch {
              return seen; // shared state unavailable: this instance's memory decides, as for its own deliveries
            }
          }
        : undefined,
      forget: async (keys) => {
        for (const key of keys) dedup?.forget(key);
        store?.changed();
        if (shared)
          await shared.state.unclaim(
            keys.map((key) => shared.keyPrefix + key),
            shared.ttlMs,
          );
      },
    });
    const base = publicBaseUrl(config.publicUrl, settings.fptrWebhookInPublicUrl);
    let publicUrl: string | undefined;
    try {
      publicUrl = base ? hookUrl(base, RED.httpNode.path() + path) : undefined;
    } catch (err) {
      node.warn(t('errors.invalid-public-url', { error: messageOf(err) }));
    }
    const health =
      site && hookId
        ? new HookHealth({
            node,
            site,
            hookId,
            periodMs: watchSeconds * 1000,
            autoReenable: config.autoReenable === true,
            publicUrl,
            secret,
            t,
            send: config.statusOutput === true ? (msg) => node.send([null, msg as unknown as NodeMessage]) : undefined,
            changed: () => status.schedule(),
          })
        : undefined;
    let closed = false;
    let busySeen = 0;
    let busyWarnedAt = -Infinity;

    /** The badge of the endpoint, led by the hook's state when FPTR has a problem with it. */
    const withHookState = (badge: Badge): Badge => {
      if (!health) return badge;
      if (health.problem !== undefined) return dot('yellow', `${t('status.hook-unknown')} · ${badge.text}`);
      const state = health.status;
      if (state === undefined || state === 'active') return badge;
      const fill = state === 'unstable' ? 'yellow' : 'red';
      return {
        fill,
        shape: 'ring',
        text: `${t('status.hook', { status: t(`hook-status.${state}`) })} · ${badge.text}`,
      };
    };

    const status = new ThrottledStatus(
      node,
      () => {
        const c = receiver.counts;
        const params = {
          path,
          in: c.received,
          out: c.emitted,
          rejected: c.rejected,
          dup: c.duplicates,
          tests: c.tests,
        };
        if (shared?.state.health === 'degraded') {
          return withHookState({
            fill: 'yellow',
            shape: 'ring',
            text: t(secret ? 'status.degraded' : 'status.unsigned-degraded', params),
          });
        }
        const badge = secret
          ? dot('green', t('status.listening', params))
          : dot('yellow', t('status.unsigned', params));
        return withHookState(badge);
      },
      STATUS_INTERVAL_MS,
    );

    const onActivity = (): void => {
      if (closed) return;
      status.schedule();
      store?.changed();
      if (receiver.counts.busy > busySeen) {
        busySeen = receiver.counts.busy;
        if (Date.now() - busyWarnedAt >= BUSY_WARN_INTERVAL_MS) {
          busyWarnedAt = Date.now();
          node.warn(t('errors.busy', { pending: receiver.pendingCount }));
        }
      }
    };

    /** A send or a request that threw: logged, and handed to Catch nodes with the message when there is one. */
    const onError = (err: unknown, msg?: WebhookMessage): void => {
      const text = t(msg ? 'errors.send-failed' : 'errors.request-failed', { error: messageOf(err) });
      if (!msg) return node.error(text);
      try {
        node.error(text, msg as unknown as NodeMessage);
      } catch {
        // Handing the message to Catch nodes clones it, which is what may have failed.
        node.error(text);
      }
    };

    const receiver = new WebhookReceiver(
      {
        secret,
        split: config.split !== false,
        emitTestConnections: config.emitTests === true,
        dedup,
        shared,
        siteUrl: site?.siteUrl || undefined,
        maxPending,
        readTimeoutMs,
      },
      {
        emit: (msg) => node.send(msg as unknown as NodeMessage),
        onActivity,
        onError,
        onTestConnection: (delivery, webhookId) => health?.testArrived(delivery, webhookId),
      },
    );
    endpoint.open(receiver, {
      maxBytes,
      readTimeoutMs,
      admit: allowList.size > 0 ? sourceAllowed(allowList, proxies) : undefined,
    });
    status.show();
    const onHealth = (_health: Health): void => status.schedule();
    shared?.state.on('health', onHealth);

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      health?.close();
      unregister();
      shared?.state.off('health', onHealth);
      status.close();
      endpoint.close();
      receiver.close();
      if (store) store.close(removed, done);
      else done();
    });
  }

  RED.nodes.registerType<Node<WebhookInCreds>, WebhookInDef, WebhookInSettings, WebhookInCreds>(TYPE, WebhookInNode, {
    credentials: { secret: { type: 'password' } },
    settings: {
      fptrWebhookInMaxBodySize: { value: undefined, exportable: true },
      fptrWebhookInMaxPending: { value: undefined },
      fptrWebhookInReadTimeout: { value: undefined },
      fptrWebhookInPublishedAddresses: { value: [], exportable: true },
      fptrWebhookInPublicUrl: { value: undefined, exportable: true },
    },
  });

  addHookAdminRoutes(RED, messages(RED, TYPE));
};
