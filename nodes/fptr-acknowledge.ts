import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { ACK_MAX_BYTES } from '../lib/fptr/actions/ack-text';
import { fitAcknowledgement, statusAcknowledgement } from '../lib/fptr/actions/acknowledgement';
import { renderJson, renderText } from '../lib/fptr/actions/template';
import type { FptrApi } from '../lib/fptr/client/api';
import { actionNode, type Finished } from '../lib/node-red/action-node';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot } from '../lib/node-red/status';
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

    /** Text and JSON written in the node are templates over the message; message values are used as they are. */
    async function value(msg: NodeMessageInFlow, name: keyof typeof inputs): Promise<unknown> {
      const raw = await reader.evaluate(msg, inputs[name], t(`property.${name}`));
      if (inputs[name].type === 'str' && typeof raw === 'string') return renderText(raw, msg, 'empty');
      if (inputs[name].type === 'json') return renderJson(raw, msg, 'empty');
      return raw;
    }

    async function run(msg: NodeMessageInFlow, api: FptrApi): Promise<boolean> {
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

    const finish = (truncated: boolean, msg: NodeMessageInFlow): Finished => ({
      badge: truncated ? dot('yellow', t.key('status.truncated')) : dot('green', t.key('status.acknowledged')),
      send: msg,
    });

    node.on('input', actionNode({ node, site: siteOf(RED, config.site), t, working: 'status.sending', run, finish }));
  }

  RED.nodes.registerType(TYPE, FptrAcknowledge);
};
