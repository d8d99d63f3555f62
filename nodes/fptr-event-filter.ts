import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { isDelivery } from '../lib/fptr/contract';
import { compileConditions, type MatchResult } from '../lib/fptr/events/conditions';
import { EventFilter } from '../lib/fptr/events/event-filter';
import { conditionsFromSettings, type FilterSettings, type ValueRule } from '../lib/fptr/events/filter-settings';
import { messages } from '../lib/node-red/i18n';
import { siteOf } from '../lib/node-red/site';
import { dot, ring, ThrottledStatus } from '../lib/node-red/status';
import { propertyReader } from '../lib/node-red/typed-input';
import { asError, messageOf } from '../lib/util/errors';

interface FilterDef extends NodeDef, FilterSettings {
  site?: string;
  loopGuard?: boolean;
  outputs?: number | string;
  notEvent?: string;
}

type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

const TYPE = 'fptr-event-filter';

export = function (RED: NodeAPI) {
  function FptrEventFilter(this: Node, config: FilterDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = messages(RED, TYPE);
    const twoOutputs = Number(config.outputs ?? 2) !== 1;
    const errorOnNonEvent = config.notEvent === 'error';
    const rules: ValueRule[] = Array.isArray(config.values) ? config.values : [];
    const reader = propertyReader(RED, node);

    let filter: EventFilter | undefined;
    let configError: Error | undefined;
    const status = new ThrottledStatus(node, () => {
      if (!filter) return ring(t.key('status.invalidConfig'));
      const counts = t('status.counts', filter.counts);
      const note = filter.guardNote;
      if (note)
        return { fill: 'yellow', shape: 'ring', text: t('status.withNote', { counts, note: t(`status.${note}`) }) };
      return filter.counts.passed + filter.counts.dropped > 0 ? dot('green', counts) : {};
    });
    try {
      const matcher = compileConditions(
        conditionsFromSettings(config, (rule) =>
          RED.util.evaluateNodeProperty(rule.v ?? '', rule.vt ?? 'str', node, {}),
        ),
      );
      // The guard is on unless a flow explicitly turns it off: feeding on its own writes is how a flow loops.
      const on = config.loopGuard !== false;
      const site = on ? siteOf(RED, config.site) : null;
      filter = new EventFilter(matcher, {
        on,
        lookupOwnUser: site ? () => site.client.currentUser() : undefined,
        onChange: (state, previous) => {
          if (state.kind === 'failed' && previous.kind !== 'failed')
            node.warn(t('errors.guardLookup', { reason: state.error }));
          status.schedule();
        },
      });
    } catch (err) {
      configError = new Error(t('errors.invalidConfig', { reason: messageOf(err) }));
      node.error(configError.message);
    }

    status.show();

    function deliver(f: EventFilter, msg: NodeMessageInFlow, result: MatchResult, send: Send, done: Done): void {
      f.count(result.matched);
      if (result.matched) send(twoOutputs ? [msg, null] : msg);
      else if (twoOutputs) send([null, Object.assign(msg, { filterReason: result.reason })]);
      status.schedule();
      done();
    }

    function readValue(msg: NodeMessageInFlow, index: number): Promise<unknown> {
      const rule = rules[index]!;
      return reader.read(msg, { value: rule.v ?? '', type: rule.vt ?? 'msg' }).catch((err: unknown) => {
        throw new Error(t('errors.valueUnreadable', { index: index + 1, reason: messageOf(err) }));
      });
    }

    function handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
      if (!filter) return done(configError);
      const f = filter;
      const payload = msg.payload;
      if (!isDelivery(payload)) {
        if (!errorOnNonEvent) return deliver(f, msg, { matched: false, reason: t('reasons.notAnEvent') }, send, done);
        f.count(false);
        status.schedule();
        return done(new Error(t('errors.notAnEvent')));
      }
      const result = f.match(payload, (index) => readValue(msg, index));
      if (!(result instanceof Promise)) return deliver(f, msg, result, send, done);
      result.then((r) => deliver(f, msg, r, send, done)).catch((err: unknown) => done(asError(err)));
    }

    // Whatever a message holds, it ends in an output or in done(err) for a Catch node, never in
    // an exception Node-RED would have to catch (or, from a promise, could not).
    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        handle(msg, send, done);
      } catch (err) {
        done(asError(err));
      }
    });

    node.on('close', () => {
      filter?.close();
      status.close();
    });
  }

  RED.nodes.registerType(TYPE, FptrEventFilter);
};
