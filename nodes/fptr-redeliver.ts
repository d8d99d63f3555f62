import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  resolveWindow,
  sweepFailedDeliveries,
  sweepSetting,
  SWEEP_DEFAULTS,
  UNACKED_DEFAULTS,
  type SweepSummary,
} from '../lib/fptr/actions/redeliver-sweep';
import { RedeliveryLedger, sweepUnacknowledged, type UnackedSweepSummary } from '../lib/fptr/actions/unacked-sweep';
import type { FptrApi } from '../lib/fptr/client/api';
import { actionNode, type Finished } from '../lib/node-red/action-node';
import { messages } from '../lib/node-red/i18n';
import { periodGateOf, siteOf } from '../lib/node-red/site';
import { dot } from '../lib/node-red/status';
import { propertyReader, type TypedValue } from '../lib/node-red/typed-input';
import { webhookNodesFor } from '../lib/node-red/webhook-registry';

interface RedeliverDef extends NodeDef {
  site: string;
  mode?: 'one' | 'sweep';
  deliveryId?: string;
  deliveryIdType?: string;
  hookId?: string;
  hookIdType?: string;
  windowValue?: string | number;
  windowUnit?: 'minutes' | 'hours';
  concurrency?: string | number;
  property?: string;
  /** Sweep mode: also redeliver deliveries answered 2xx but not acknowledged within `unackedGrace`. */
  unacked?: boolean;
  /** Seconds a delivery may take through the flow before it counts as lost (default 300). */
  unackedGrace?: string | number;
}

const TYPE = 'fptr-redeliver';
const DEFAULT_DELIVERY_ID = { value: 'fptr.deliveryId', type: 'msg' };

type Outcome =
  | { kind: 'one'; deliveryId: string }
  | { kind: 'sweep'; summary: SweepSummary & { unacknowledged?: UnackedSweepSummary } }
  /** Another instance sharing the site's state swept this webhook within the period. */
  | { kind: 'skipped' };

export = function (RED: NodeAPI) {
  function FptrRedeliver(this: Node, config: RedeliverDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = messages(RED, TYPE);
    const reader = propertyReader(RED, node);
    const property = config.property?.trim() || 'payload';
    const mode = config.mode === 'sweep' ? 'sweep' : 'one';
    const inputs: Record<'deliveryId' | 'hookId', TypedValue> = {
      deliveryId: {
        value: config.deliveryId ?? DEFAULT_DELIVERY_ID.value,
        type: config.deliveryIdType || DEFAULT_DELIVERY_ID.type,
      },
      hookId: { value: config.hookId ?? 'fptr.webhookId', type: config.hookIdType || 'msg' },
    };
    const concurrency = sweepSetting(config.concurrency, SWEEP_DEFAULTS.concurrency);
    const windowValue = sweepSetting(config.windowValue, SWEEP_DEFAULTS.windowValue);
    const windowSeconds = (windowValue ?? 0) * (config.windowUnit === 'hours' ? 3600 : 60);
    const unackedGrace = sweepSetting(config.unackedGrace, UNACKED_DEFAULTS.graceSeconds);
    const ledger = new RedeliveryLedger();
    /**
     * FPTR's acknowledgement filter is UNCONFIRMED (docs/fptr-api.md §4.1): the first sweep checks
     * it against an unfiltered list; when the site reads it otherwise, a warning says so and the
     * list is filtered here from then on.
     */
    let ackFilter: 'verify' | 'server' | 'local' = 'verify';
    const site = siteOf(RED, config.site);

    async function sweepLost(api: FptrApi, hookId: string): Promise<UnackedSweepSummary> {
      const summary = await sweepUnacknowledged(api, hookId, {
        graceSeconds: unackedGrace ?? UNACKED_DEFAULTS.graceSeconds,
        lookbackSeconds: windowSeconds,
        now: Date.now(),
        concurrency: concurrency ?? SWEEP_DEFAULTS.concurrency,
        maxAttempts: UNACKED_DEFAULTS.maxAttempts,
        ledger,
        filter: ackFilter,
        // The webhook node saw these events but the flow did not finish them: let them through again.
        beforeRedeliver: async (keys) => {
          await Promise.all(webhookNodesFor(RED, hookId).map((webhook) => webhook.forget(keys)));
        },
      });
      if (summary.filterCheck === 'agrees') ackFilter = 'server';
      else if (summary.filterCheck === 'ignored' || summary.filterCheck === 'differs') {
        if (ackFilter !== 'local') node.warn(t(`warnings.ack-filter-${summary.filterCheck}`));
        ackFilter = 'local';
      }
      if (summary.gaveUp.length > 0)
        node.warn(t('warnings.gave-up', { count: summary.gaveUp.length, attempts: UNACKED_DEFAULTS.maxAttempts }));
      return summary;
    }

    /**
     * Whether this instance runs the sweep of `hookId` now. With the site on Redis, a sweep over
     * the configured window runs on one instance per half window: every instance's inject fires,
     * one sweeps, and any failed delivery still falls inside some sweep's window while the
     * trigger comes at most every half window. Without Redis, with its own `msg.window`, or while
     * Redis is unavailable it always runs (a delivery redelivered twice is dropped as a duplicate).
     */
    const gate = site ? periodGateOf(site) : undefined;
    async function sweepsHere(hookId: string, ownWindow: boolean): Promise<boolean> {
      if (!gate || ownWindow) return true;
      return gate(`sweep:${node.id}:${hookId}`, (windowSeconds * 1000) / 2);
    }

    const text = async (msg: NodeMessageInFlow, name: keyof typeof inputs): Promise<string | undefined> => {
      const value = await reader.evaluate(msg, inputs[name], t(`property.${name}`));
      return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
    };

    /** With the default setting, a delivery record itself (e.g. from a list of deliveries) works as input too. */
    async function deliveryIdOf(msg: NodeMessageInFlow): Promise<string> {
      const configured = await text(msg, 'deliveryId');
      if (configured) return configured;
      const isDefault =
        inputs.deliveryId.type === DEFAULT_DELIVERY_ID.type && inputs.deliveryId.value === DEFAULT_DELIVERY_ID.value;
      const recordId = (msg.payload as { id?: unknown } | null | undefined)?.id;
      if (isDefault && typeof recordId === 'string' && recordId.trim() !== '') return recordId.trim();
      throw new Error(t('errors.no-delivery-id', { property: `${inputs.deliveryId.type} ${inputs.deliveryId.value}` }));
    }

    async function run(msg: NodeMessageInFlow, api: FptrApi): Promise<Outcome> {
      if (mode === 'one') {
        const deliveryId = await deliveryIdOf(msg);
        await api.redeliver(deliveryId);
        return { kind: 'one', deliveryId };
      }
      const hookId = await text(msg, 'hookId');
      if (!hookId)
        throw new Error(t('errors.no-hook-id', { property: `${inputs.hookId.type} ${inputs.hookId.value}` }));
      const ownWindow = (msg as { window?: unknown }).window;
      if (!(await sweepsHere(hookId, ownWindow !== undefined && ownWindow !== null))) return { kind: 'skipped' };
      const window = resolveWindow(ownWindow, windowSeconds, Date.now());
      const failed = await sweepFailedDeliveries(api, hookId, window, concurrency ?? SWEEP_DEFAULTS.concurrency);
      const summary = config.unacked === true ? { ...failed, unacknowledged: await sweepLost(api, hookId) } : failed;
      const firstFailure = summary.failed[0];
      // Nothing redelivered at all usually means a wrong hook, lost permission or an outage: an error worth catching.
      if (firstFailure && summary.redelivered === 0) {
        throw new Error(t('errors.all-failed', { count: summary.found, error: firstFailure.error }));
      }
      return { kind: 'sweep', summary };
    }

    function finish(outcome: Outcome, msg: NodeMessageInFlow): Finished {
      if (outcome.kind === 'one') {
        RED.util.setMessageProperty(msg, property, { id: outcome.deliveryId, redelivered: true }, true);
        return { badge: dot('green', t.key('status.redelivered')), send: msg };
      }
      if (outcome.kind === 'skipped') return { badge: dot('grey', t.key('status.swept-elsewhere')) };
      const { summary } = outcome;
      RED.util.setMessageProperty(msg, property, summary, true);
      const lost = summary.unacknowledged;
      const params = {
        redelivered: summary.redelivered + (lost?.redelivered ?? 0),
        found: summary.found + (lost?.found ?? 0),
        failed: summary.failed.length + (lost?.failed.length ?? 0),
      };
      if (params.failed === 0) return { badge: dot('green', t('status.swept', params)), send: msg };
      node.warn(t('warnings.partial', params));
      return { badge: dot('yellow', t('status.swept-partial', params)), send: msg };
    }

    node.on(
      'input',
      actionNode({
        node,
        site,
        t,
        badConfig:
          concurrency === undefined || windowValue === undefined || unackedGrace === undefined
            ? 'bad-config'
            : undefined,
        working: mode === 'one' ? 'status.redelivering' : 'status.sweeping',
        run,
        finish,
      }),
    );
  }

  RED.nodes.registerType(TYPE, FptrRedeliver);
};
