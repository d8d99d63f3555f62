import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { compileEntityRoutes, routePatterns } from '../lib/fptr/events/entity-route';
import { messages } from '../lib/node-red/i18n';
import { dot, ThrottledStatus } from '../lib/node-red/status';

interface SwitchDef extends NodeDef {
  types?: unknown;
  otherwise?: boolean;
}

const TYPE = 'fptr-entity-switch';

export = function (RED: NodeAPI) {
  function FptrEntitySwitch(this: Node, config: SwitchDef) {
    RED.nodes.createNode(this, config);
    const t = messages(RED, TYPE);
    const types = routePatterns(config.types);
    const otherwise = config.otherwise !== false;
    const route = compileEntityRoutes(types);
    const outputCount = types.length + (otherwise ? 1 : 0);
    const counts: number[] = new Array<number>(outputCount).fill(0);
    let dropped = 0;

    const status = new ThrottledStatus(this, () => {
      const parts = types.map((type, i) => t('status.type', { type, count: counts[i]! }));
      if (otherwise) parts.push(t('status.otherwise', { count: counts[types.length]! }));
      if (dropped > 0) parts.push(t('status.dropped', { count: dropped }));
      return dot('green', parts.join(' · '));
    });

    this.on('input', (msg: NodeMessageInFlow, send: (msg: Array<NodeMessage | null>) => void, done: () => void) => {
      const index = route(msg.payload) ?? (otherwise ? types.length : undefined);
      if (index === undefined) {
        dropped++;
      } else {
        counts[index]!++;
        const out = new Array<NodeMessage | null>(outputCount).fill(null);
        out[index] = msg;
        send(out);
      }
      status.schedule();
      done();
    });

    this.on('close', () => status.close());
  }

  RED.nodes.registerType(TYPE, FptrEntitySwitch);
};
