import { randomUUID } from 'node:crypto';
import type { Node } from 'node-red';
import type { Delivery } from '../fptr/contract';
import { probeEndpoint } from '../fptr/webhook/endpoint-probe';
import { HookStatusError, isUnhealthy, type WatchedStatus } from '../fptr/webhook/hook-status';
import { watcherFor, type StatusChange } from '../fptr/webhook/hook-watcher';
import { messageOf } from '../util/errors';
import type { Messages } from './i18n';
import { periodGateOf, type FptrSite } from './site';

/**
 * The FPTR side of a deployed fptr-webhook-in with a registered hook: its status, read by the
 * site's shared watcher, shown on the badge, warned about when it needs attention and sent on
 * the optional status output; and, when allowed, a Failed hook switched back on once this
 * endpoint answers again (docs/fptr-api.md §5.7).
 *
 * "Answers again" means one of: a Test_Connection delivery for this hook reached the node since
 * the hook was seen Failed (the watcher asks FPTR for one at every check while it is Failed),
 * or the node's own check reached the node: a signed Test_Connection posted to its public URL,
 * answered 2xx, whose id the node then saw arrive.
 */

export interface StatusMessage {
  topic: 'fptr-webhook-status';
  payload: {
    hookId: string;
    status: WatchedStatus;
    previous: WatchedStatus | null;
    reenabled: boolean;
    /** ISO time of the reading. */
    at: string;
  };
}

export interface HookHealthOptions {
  node: Pick<Node, 'warn' | 'error' | 'log'>;
  site: FptrSite;
  hookId: string;
  periodMs: number;
  /** Re-enable a Failed hook once the endpoint answers again. */
  autoReenable: boolean;
  /** The URL FPTR calls (for the self-check); without it only FPTR's own test counts. */
  publicUrl: string | undefined;
  secret: string | undefined;
  t: Messages;
  /** The status output, when the node has one. */
  send: ((msg: StatusMessage) => void) | undefined;
  /** Something the badge shows changed. */
  changed: () => void;
}

/** How long the node's own check waits for an answer. */
const PROBE_TIMEOUT_MS = 10_000;

export class HookHealth {
  /** The last status read; undefined before the first reading. */
  status: WatchedStatus | undefined;
  /** Why the last check failed, until one succeeds. */
  problem: string | undefined;
  private readonly stopWatching: () => void;
  private failedSince = 0;
  private testArrivedAt = -Infinity;
  private readonly probes = new Set<string>();
  private closed = false;

  constructor(private readonly options: HookHealthOptions) {
    const watcher = watcherFor(options.site.client, { gate: periodGateOf(options.site) });
    this.stopWatching = watcher.watch({
      hookId: options.hookId,
      periodMs: options.periodMs,
      onChange: (change) => this.onChange(change),
      onError: (err) => this.onError(err),
      answersAgain: options.autoReenable ? () => this.answersAgain() : undefined,
    });
  }

  /** The receiver saw a Test_Connection delivery. */
  testArrived(delivery: Delivery, webhookId: string | undefined): void {
    const hookId = delivery.meta?.hook_id ?? webhookId;
    if (typeof delivery.delivery_id === 'string' && this.probes.has(delivery.delivery_id)) {
      this.probes.delete(delivery.delivery_id);
      this.testArrivedAt = Date.now();
    } else if (hookId === this.options.hookId) {
      this.testArrivedAt = Date.now();
    }
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
  }

  private onChange(change: StatusChange): void {
    if (this.closed) return;
    const { t, node, hookId } = this.options;
    this.status = change.status;
    this.problem = undefined;
    if (change.status === 'failed' && change.previous !== 'failed') this.failedSince = change.at;
    const params = { hookId, status: t(`hook-status.${change.status}`) };
    if (isUnhealthy(change.status)) node.warn(t(`warnings.hook-${change.status}`, params));
    else if (change.reenabled) node.warn(t('warnings.hook-reenabled', params));
    else if (change.previous !== undefined) node.log(t('warnings.hook-active', params));
    this.options.send?.({
      topic: 'fptr-webhook-status',
      payload: {
        hookId,
        status: change.status,
        previous: change.previous ?? null,
        reenabled: change.reenabled === true,
        at: new Date(change.at).toISOString(),
      },
    });
    this.options.changed();
  }

  private onError(err: unknown): void {
    if (this.closed) return;
    const { t, node, hookId } = this.options;
    const problem = messageOf(err);
    // A status this package cannot read is an error every time; a site that is down, once per outage.
    if (err instanceof HookStatusError) node.error(t('errors.hook-status-unknown', { hookId, error: problem }));
    else if (problem !== this.problem) node.warn(t('errors.hook-check-failed', { hookId, error: problem }));
    this.problem = problem;
    this.options.changed();
  }

  private async answersAgain(): Promise<boolean> {
    if (this.testArrivedAt >= this.failedSince) return true;
    const { publicUrl, hookId, secret } = this.options;
    if (!publicUrl || this.closed) return false;
    // Known before it is sent: the node sees it arrive while the request is still being answered.
    const deliveryId = randomUUID();
    this.probes.add(deliveryId);
    const probe = await probeEndpoint(publicUrl, { hookId, secret, timeoutMs: PROBE_TIMEOUT_MS, deliveryId });
    this.probes.delete(deliveryId);
    return probe.status !== undefined && probe.status < 300 && this.testArrivedAt >= this.failedSince;
  }
}
