import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { compileEntityRoutes } from '../lib/fptr/events/entity-route';
import { Throttle } from '../lib/util/throttle';

interface SwitchDef extends NodeDef {
  types?: unknown;
  otherwise?: boolean;
}

type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

const STATUS_INTERVAL_MS = 500;

export = function (RED: NodeAPI) {
  function FptrEntitySwitch(this: Node, config: SwitchDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const types = Array.isArray(config.types) ? config.types.filter((t): t is string => typeof t === 'string' && t.trim() !== '').map((t) => t.trim()) : [];
    const otherwise = config.otherwise !== false;
    const route = compileEntityRoutes(types);
    const outputCount = types.length + (otherwise ? 1 : 0);
    const counts: number[] = new Array<number>(outputCount).fill(0);
    let dropped = 0;

    function showStatus(): void {
      const parts = types.map((type, i) => RED._('fptr-entity-switch.status.type', { type, count: counts[i]! }));
      if (otherwise) parts.push(RED._('fptr-entity-switch.status.otherwise', { count: counts[types.length]! }));
      if (dropped > 0) parts.push(RED._('fptr-entity-switch.status.dropped', { count: dropped }));
      node.status({ fill: 'green', shape: 'dot', text: parts.join(' · ') });
    }
    const statusThrottle = new Throttle(showStatus, STATUS_INTERVAL_MS);

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      const index = route(msg.payload) ?? (otherwise ? types.length : undefined);
      if (index === undefined) {
        dropped++;
      } else {
        counts[index]!++;
        const out = new Array<NodeMessage | null>(outputCount).fill(null);
        out[index] = msg;
        send(out);
      }
      statusThrottle.schedule();
      done();
    });

    node.on('close', () => statusThrottle.cancel());
  }

  RED.nodes.registerType('fptr-entity-switch', FptrEntitySwitch);
};
