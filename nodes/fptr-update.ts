import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { renderJson } from '../lib/fptr/actions/template';
import {
  buildBatch,
  buildOperation,
  parseMultiEntityMode,
  parseOperation,
  type EntityOperation,
  type MultiEntityMode,
} from '../lib/fptr/actions/update-ops';
import { coalesceWindow } from '../lib/fptr/bulk/coalesce-window';
import { WriteCoalescer } from '../lib/fptr/bulk/write-coalescer';
import type { FptrApi } from '../lib/fptr/client/api';
import type { Operation } from '../lib/fptr/contract';
import { actionNode, type Finished } from '../lib/node-red/action-node';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot } from '../lib/node-red/status';
import { propertyReader, type TypedValue } from '../lib/node-red/typed-input';

interface UpdateDef extends NodeDef {
  site: string;
  operation?: string;
  operationType?: string;
  entity?: string;
  entityType?: string;
  fields?: string;
  fieldsType?: string;
  multiEntityMode?: string;
  property?: string;
  /** ms a message waits for others to share its request; 0 = off (lib/fptr/bulk/coalesce-window.ts). */
  coalesce?: number | string;
}

const TYPE = 'fptr-update';
/** The typedInput type whose value is one of the operation names chosen in the editor. */
const OPERATION_OPTION = 'op';

interface Outcome {
  result: unknown;
  statusKey: string;
  params: Record<string, string | number>;
}

export = function (RED: NodeAPI) {
  function FptrUpdate(this: Node, config: UpdateDef): void {
    RED.nodes.createNode(this, config);
    const t = messages(RED, TYPE);
    const reader = propertyReader(RED, this);
    const property = config.property?.trim() || 'payload';
    const inputs: Record<'operation' | 'entity' | 'fields', TypedValue> = {
      operation: { value: config.operation ?? 'update', type: config.operationType || OPERATION_OPTION },
      entity: { value: config.entity ?? 'payload.entity', type: config.entityType || 'msg' },
      fields: { value: config.fields ?? '{}', type: config.fieldsType || 'json' },
    };

    // Translated once: a burst brings thousands of messages a second.
    const labels = Object.fromEntries(Object.keys(inputs).map((name) => [name, t(`property.${name}`)])) as Record<
      keyof typeof inputs,
      string
    >;
    const value = (msg: NodeMessageInFlow, name: keyof typeof inputs): Promise<unknown> =>
      reader.evaluate(msg, inputs[name], labels[name]);
    const windowMs = coalesceWindow(config.coalesce);
    // Writes arriving within the window share `_batch` requests; each message keeps its own outcome.
    let writes: WriteCoalescer | undefined;
    const coalescing = (api: FptrApi): WriteCoalescer =>
      (writes ??= new WriteCoalescer(api, { windowMs: windowMs ?? 0 }));
    this.on('close', () => writes?.flush());

    /** Fields written in the node are a template over the message; fields taken from the message are used as they are. */
    async function fields(msg: NodeMessageInFlow): Promise<unknown> {
      const raw = await value(msg, 'fields');
      return inputs.fields.type === 'json' ? renderJson(raw, msg, 'error') : raw;
    }

    async function single(
      msg: NodeMessageInFlow,
      api: WriteCoalescer,
      operation: Operation,
      mode: MultiEntityMode,
    ): Promise<Outcome> {
      const target = await value(msg, 'entity');
      const needsFields = operation === 'create' || operation === 'update';
      const op: EntityOperation = buildOperation(operation, target, needsFields ? await fields(msg) : undefined, mode);
      const id = op.id as number;
      switch (op.operation) {
        case 'create': {
          const record = await api.create(op.entityType, op.data);
          return { result: record, statusKey: 'created', params: { type: record.type, id: record.id } };
        }
        case 'update': {
          const record = await api.update(op.entityType, id, op.data);
          return { result: record, statusKey: 'updated', params: { type: record.type, id: record.id } };
        }
        case 'delete':
          await api.delete(op.entityType, id);
          return {
            result: { type: op.entityType, id, deleted: true },
            statusKey: 'deleted',
            params: { type: op.entityType, id },
          };
        case 'revive': {
          const revived = await api.revive(op.entityType, id);
          return {
            result: { type: op.entityType, id, revived },
            statusKey: 'revived',
            params: { type: op.entityType, id },
          };
        }
      }
    }

    async function run(msg: NodeMessageInFlow, api: FptrApi): Promise<Outcome> {
      const mode = parseMultiEntityMode(config.multiEntityMode || 'set');
      const rawOperation = await value(msg, 'operation');
      if (Array.isArray(msg.payload)) {
        // Items may name their own operation; the node's is only their default.
        const fallback = rawOperation === undefined || rawOperation === '' ? undefined : parseOperation(rawOperation);
        const requests = buildBatch(msg.payload, fallback, mode);
        const results = await coalescing(api).batch(requests);
        return { result: results, statusKey: 'batched', params: { count: results.length } };
      }
      return single(msg, coalescing(api), parseOperation(rawOperation), mode);
    }

    function finish({ result, statusKey, params }: Outcome, msg: NodeMessageInFlow): Finished {
      RED.util.setMessageProperty(msg, property, result, true);
      return { badge: dot('green', t(`status.${statusKey}`, params)), send: msg };
    }

    this.on(
      'input',
      actionNode({
        node: this,
        site: siteOf(RED, config.site),
        t,
        working: 'status.writing',
        badConfig: windowMs === undefined ? { shared: 'bad-coalesce' } : undefined,
        run,
        finish,
      }),
    );
  }

  RED.nodes.registerType(TYPE, FptrUpdate);
};
