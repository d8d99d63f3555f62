import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { ACK_MAX_BYTES } from '../lib/fptr/actions/ack-text';
import { fitAcknowledgement, statusAcknowledgement } from '../lib/fptr/actions/acknowledgement';
import { renderJson, renderText } from '../lib/fptr/actions/template';
import type { FptrApi } from '../lib/fptr/client/api';
import type { AckOutcome, AckResult } from '../lib/fptr/events/event-log-poller';
import { actionNode, type Finished } from '../lib/node-red/action-node';
import { commitEventLog, eventLogRef } from '../lib/node-red/event-log-commits';
import { messages, type Messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot, type Badge } from '../lib/node-red/status';
import { propertyReader, type TypedValue } from '../lib/node-red/typed-input';

interface AcknowledgeDef extends NodeDef {
  site: string;
  deliveryId?: string;
  deliveryIdType?: string;
  format?: 'status' | 'value';
  status?: string;
  statusType?: string;
  detail?: string;
  detailType?: string;
  ack?: string;
  ackType?: string;
}

const TYPE = 'fptr-acknowledge';

/** A delivery acknowledged in FPTR (and whether the text was cut), or an event-log message committed locally. */
type Acknowledged = { truncated: boolean } | { eventLog: AckResult | 'gone' };

const EVENT_LOG_BADGES: Record<AckResult | 'gone', (t: Messages) => Badge> = {
  committed: (t) => dot('green', t.key('status.committed')),
  failed: (t) => dot('yellow', t.key('status.failure-noted')),
  'not-needed': (t) => dot('green', t.key('status.nothing-to-commit')),
  stale: (t) => dot('grey', t.key('status.not-in-flight')),
  gone: (t) => dot('grey', t.key('status.not-in-flight')),
};
/** The typedInput type whose value is auto / success / failure as chosen in the editor. */
const STATUS_OPTION = 'ackStatus';

export = function (RED: NodeAPI) {
  function FptrAcknowledge(this: Node, config: AcknowledgeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = messages(RED, TYPE);
    const reader = propertyReader(RED, node);
    const format = config.format === 'value' ? 'value' : 'status';
    const inputs: Record<'deliveryId' | 'status' | 'detail' | 'ack', TypedValue> = {
      deliveryId: { value: config.deliveryId ?? 'fptr.deliveryId', type: config.deliveryIdType || 'msg' },
      status: { value: config.status ?? 'auto', type: config.statusType || STATUS_OPTION },
      detail: { value: config.detail ?? '', type: config.detailType || 'str' },
      ack: { value: config.ack ?? '', type: config.ackType || 'str' },
    };

    // Translated once: a flow may acknowledge thousands of messages a second.
    const labels = {
      deliveryId: t('property.deliveryId'),
      status: t('property.status'),
      detail: t('property.detail'),
      ack: t('property.ack'),
    };

    /** Text and JSON written in the node are templates over the message; message values are used as they are. */
    async function value(msg: NodeMessageInFlow, name: keyof typeof inputs): Promise<unknown> {
      const raw = await reader.evaluate(msg, inputs[name], labels[name]);
      if (inputs[name].type === 'str' && typeof raw === 'string') return renderText(raw, msg, 'empty');
      if (inputs[name].type === 'json') return renderJson(raw, msg, 'empty');
      return raw;
    }

    /** A message from fptr-events-in is committed in that node; FPTR has no delivery to attach it to. */
    async function outcomeOf(msg: NodeMessageInFlow): Promise<AckOutcome> {
      const error = (msg as { error?: unknown }).error;
      const status = format === 'status' ? await value(msg, 'status') : 'auto';
      // The detail is kept only with a failure, so it is worked out only then.
      if (statusAcknowledgement(status, '', error).status === 'success') return { ok: true };
      const detail = format === 'status' ? await value(msg, 'detail') : '';
      return { ok: false, detail: statusAcknowledgement(status, detail, error).detail };
    }

    async function run(msg: NodeMessageInFlow, api: FptrApi): Promise<Acknowledged> {
      const ref = eventLogRef(msg);
      if (ref === 'incomplete') throw new Error(t('errors.event-log-incomplete'));
      if (ref) return { eventLog: commitEventLog(ref, await outcomeOf(msg)) };
      return { truncated: await acknowledgeDelivery(msg, api) };
    }

    async function acknowledgeDelivery(msg: NodeMessageInFlow, api: FptrApi): Promise<boolean> {
      const deliveryId = await value(msg, 'deliveryId');
      if (typeof deliveryId !== 'string' || deliveryId.trim() === '') {
        throw new Error(
          t('errors.no-delivery-id', { property: `${inputs.deliveryId.type} ${inputs.deliveryId.value}` }),
        );
      }
      const ack =
        format === 'status'
          ? statusAcknowledgement(
              await value(msg, 'status'),
              await value(msg, 'detail'),
              (msg as { error?: unknown }).error,
            )
          : await value(msg, 'ack');
      const fitted = fitAcknowledgement(ack);
      if (fitted.truncated) node.warn(t('warnings.truncated', { bytes: fitted.originalBytes, limit: ACK_MAX_BYTES }));
      await api.acknowledge(deliveryId.trim(), fitted.text);
      return fitted.truncated;
    }

    const finish = (done: Acknowledged, msg: NodeMessageInFlow): Finished => {
      if ('eventLog' in done) return { badge: EVENT_LOG_BADGES[done.eventLog](t), send: msg };
      return {
        badge: done.truncated ? dot('yellow', t.key('status.truncated')) : dot('green', t.key('status.acknowledged')),
        send: msg,
      };
    };

    node.on('input', actionNode({ node, site: siteOf(RED, config.site), t, working: 'status.sending', run, finish }));
  }

  RED.nodes.registerType(TYPE, FptrAcknowledge);
};
