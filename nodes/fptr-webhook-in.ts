import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { parseByteSize } from '../lib/util/byte-size';
import { CidrList } from '../lib/util/cidr';
import { DedupWindow } from '../lib/fptr/webhook/dedup-window';
import type { FptrSiteNode } from '../lib/node-red/site';
import { RawBodyCapture, adminServesPost, hasRoute, removeRoutes, type CaptureRoute, type ExpressApp } from '../lib/node-red/raw-body-capture';
import { WebhookReceiver, sourceAllowed, type WebhookMessage } from '../lib/fptr/webhook/receiver';

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
}

interface WebhookInCreds {
  secret?: string;
}

interface WebhookInSettings {
  fptrWebhookInMaxBodySize?: string | number;
  fptrWebhookInMaxPending?: number;
  /** How long a request body may take to arrive, in ms (default 15 s). */
  fptrWebhookInReadTimeout?: number | string;
  /** The addresses Autodesk publishes for webhook delivery, kept by the admin; the editor's preset button reads them. */
  fptrWebhookInPublishedAddresses?: string[];
}

type Middleware = (req: unknown, res: unknown, next: (err?: unknown) => void) => void;

const TYPE = 'fptr-webhook-in';
/** Node context key holding the dedup snapshot. */
const DEDUP_KEY = 'fptrWebhookDedup';
const DEDUP_MAX_ENTRIES = 50_000;
/** How often a changed dedup state is written to its context store (also on close). */
const DEDUP_SAVE_DELAY_MS = 30_000;
const STATUS_INTERVAL_MS = 250;
/** Default backlog (messages not yet sent on) above which requests are answered 503. */
const MAX_PENDING = 10_000;
const BUSY_WARN_INTERVAL_MS = 60_000;
/** FPTR gives up on a delivery after 6 s; a body still arriving long after that is a stuck or hostile sender. */
const READ_TIMEOUT_MS = 15_000;
/** Plain paths only: express patterns (`:id`, `*`, `(…)`) would route requests the raw capture never keys. */
const PATH_PATTERN = /^\/[A-Za-z0-9._~\/-]*$/;
/** `.` and `..` segments: clients resolve them before sending, so such a path can never be reached. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;
const LOOPBACK_PROXIES = ['127.0.0.0/8', '::1'];

function addressEntries(value: string[] | string | undefined): string[] {
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string');
  return typeof value === 'string' ? value.split(/[\s,]+/) : [];
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : 'unknown error';
}

export = function (RED: NodeAPI) {
  const settings = RED.settings as typeof RED.settings &
    WebhookInSettings & { apiMaxLength?: string | number; httpNodeAuth?: unknown; httpNodeMiddleware?: Middleware | Middleware[] };

  function WebhookInNode(this: Node<WebhookInCreds>, config: WebhookInDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = (key: string, params?: Record<string, string | number>): string => RED._(`${TYPE}.${key}`, params);

    const fail = (key: string, params?: Record<string, string | number>): void => {
      node.error(t(`errors.${key}`, params));
      node.status({ fill: 'red', shape: 'ring', text: t(`status.${key}`) });
    };

    let url = (config.url ?? '').trim();
    if (url && !url.startsWith('/')) url = '/' + url;
    if (!url || !PATH_PATTERN.test(url) || DOT_SEGMENT.test(url)) return fail('invalid-path', { path: url });

    const maxBytes = parseByteSize(
      config.maxBodySize?.trim() || settings.fptrWebhookInMaxBodySize || settings.apiMaxLength || '5mb',
    );
    if (maxBytes === undefined) return fail('invalid-size', { size: config.maxBodySize ?? '' });

    const { list: allowList, invalid } = CidrList.parse(addressEntries(config.allowList));
    if (invalid.length > 0) return fail('invalid-allow-list', { entries: invalid.join(', ') });
    let proxies: CidrList | undefined;
    if (config.trustProxy === true) {
      const entries = addressEntries(config.proxies).filter((entry) => entry.trim() !== '');
      const parsed = CidrList.parse(entries.length > 0 ? entries : LOOPBACK_PROXIES);
      if (parsed.invalid.length > 0) return fail('invalid-proxies', { entries: parsed.invalid.join(', ') });
      proxies = parsed.list;
    }

    let readTimeoutMs = READ_TIMEOUT_MS;
    if (settings.fptrWebhookInReadTimeout !== undefined) {
      const value = Number(settings.fptrWebhookInReadTimeout);
      if (Number.isFinite(value) && value > 0) readTimeoutMs = value;
      else node.warn(t('errors.invalid-read-timeout', { value: String(settings.fptrWebhookInReadTimeout) }));
    }

    const httpNode = RED.httpNode as unknown as ExpressApp & typeof RED.httpNode;
    if (settings.httpNodeRoot === false) node.warn(t('errors.http-disabled'));
    const fullPath = httpNode.path() + url;
    const capture = RawBodyCapture.for(httpNode);
    if (capture.has('POST', fullPath) || hasRoute(httpNode, 'post', url)) return fail('path-in-use', { path: url });
    // The capture runs before the editor's routes: on one of their paths it would answer in their place.
    const httpAdmin = RED.httpAdmin as unknown as ExpressApp | undefined;
    if (httpAdmin && adminServesPost(httpAdmin, httpNode, fullPath)) return fail('path-reserved', { path: url });

    const windowSeconds = Number(config.dedupWindow ?? 600);
    const dedup =
      Number.isFinite(windowSeconds) && windowSeconds > 0
        ? new DedupWindow({ windowMs: windowSeconds * 1000, maxEntries: DEDUP_MAX_ENTRIES })
        : undefined;
    const dedupStore = config.dedupStore || undefined;
    const context = node.context();

    const secret = node.credentials?.secret || undefined;
    const site = config.site ? (RED.nodes.getNode(config.site) as unknown as FptrSiteNode | null) : null;
    const siteUrl = site?.siteUrl || undefined;

    let closed = false;
    let statusTimer: NodeJS.Timeout | undefined;
    let saveTimer: NodeJS.Timeout | undefined;
    let busySeen = 0;
    let busyWarnedAt = -Infinity;

    const showStatus = (): void => {
      statusTimer = undefined;
      const c = receiver.counts;
      const params = { path: url, in: c.received, out: c.emitted, rejected: c.rejected, dup: c.duplicates, tests: c.tests };
      node.status(
        secret
          ? { fill: 'green', shape: 'dot', text: t('status.listening', params) }
          : { fill: 'yellow', shape: 'dot', text: t('status.unsigned', params) },
      );
    };

    const saveDedup = (onSaved?: () => void): void => {
      saveTimer = undefined;
      if (!dedup) return onSaved?.();
      dedup.dirty = false;
      context.set(DEDUP_KEY, dedup.snapshot(), dedupStore, (err?: Error) => {
        if (err) node.warn(t('errors.dedup-save', { error: err.message }));
        onSaved?.();
      });
    };

    const onActivity = (): void => {
      if (closed) return;
      statusTimer ??= setTimeout(showStatus, STATUS_INTERVAL_MS);
      if (receiver.counts.busy > busySeen) {
        busySeen = receiver.counts.busy;
        if (Date.now() - busyWarnedAt >= BUSY_WARN_INTERVAL_MS) {
          busyWarnedAt = Date.now();
          node.warn(t('errors.busy', { pending: receiver.pendingCount }));
        }
      }
      if (dedup?.dirty && !saveTimer) saveTimer = setTimeout(saveDedup, DEDUP_SAVE_DELAY_MS);
    };

    /** A send or a request that threw: logged, and handed to Catch nodes with the message when there is one. */
    const onError = (err: unknown, msg?: WebhookMessage): void => {
      const text = t(msg ? 'errors.send-failed' : 'errors.request-failed', { error: errorText(err) });
      if (!msg) return node.error(text);
      try {
        node.error(text, msg as unknown as NodeMessage);
      } catch {
        // Handing the message to Catch nodes clones it, which is what may have failed.
        node.error(text);
      }
    };

    const maxPending = Number(settings.fptrWebhookInMaxPending ?? MAX_PENDING);
    const receiver = new WebhookReceiver(
      {
        secret,
        split: config.split !== false,
        emitTestConnections: config.emitTests === true,
        dedup,
        siteUrl,
        maxPending: Number.isFinite(maxPending) && maxPending > 0 ? maxPending : MAX_PENDING,
        readTimeoutMs,
      },
      { emit: (msg) => node.send(msg as unknown as NodeMessage), onActivity, onError },
    );

    if (dedup) {
      context.get(DEDUP_KEY, dedupStore, (err: Error | undefined, value: unknown) => {
        if (err) node.warn(t('errors.dedup-load', { error: err.message }));
        else if (!closed) dedup.restore(value);
      });
    }

    // Answered straight from the raw-body capture unless the user's settings put basic auth or
    // middleware in front of node routes: then it goes the normal way, through both.
    const middleware = settings.httpNodeMiddleware ? ([] as Middleware[]).concat(settings.httpNodeMiddleware) : [];
    const throughRoutes = Boolean(settings.httpNodeAuth) || middleware.length > 0;
    const route: CaptureRoute = { maxBytes, readTimeoutMs, respond: receiver.handlePost, viaRoutes: throughRoutes, onError: receiver.handleError };
    if (allowList.size > 0) route.admit = sourceAllowed(allowList, proxies);
    capture.add('POST', fullPath, route);
    httpNode.post(url, ...middleware, receiver.handlePost);
    // Registered after POST, so it only sees the other methods.
    httpNode.all(url, receiver.handleOtherMethod);
    showStatus();

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      clearTimeout(statusTimer);
      clearTimeout(saveTimer);
      capture.delete('POST', fullPath);
      receiver.close();
      removeRoutes(httpNode, new Set([receiver.handlePost, receiver.handleOtherMethod]));
      // A removed node's context is deleted by the runtime, so there is nothing worth saving.
      if (dedup?.dirty && !removed) saveDedup(done);
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
    },
  });
};
