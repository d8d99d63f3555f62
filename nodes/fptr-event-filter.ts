import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { compileConditions, type EventMatcher, type LoopGuard, type MatchResult } from '../lib/fptr/events/conditions';
import { isDelivery } from '../lib/fptr/events/delivery-fields';
import { conditionsFromSettings, type FilterSettings, type ValueRule } from '../lib/fptr/events/filter-settings';
import { ANY_API_USER, OwnUser, type OwnUserState } from '../lib/fptr/events/own-user';
import type { FptrSiteNode } from '../lib/node-red/site';
import { Throttle } from '../lib/util/throttle';
import { ownMessageProperties, type EvaluateNodeProperty } from '../lib/node-red/typed-input';

interface FilterDef extends NodeDef, FilterSettings {
  site?: string;
  loopGuard?: boolean;
  outputs?: number | string;
  notEvent?: string;
}

type Send = (msg: NodeMessage | Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

const STATUS_INTERVAL_MS = 500;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export = function (RED: NodeAPI) {
  function FptrEventFilter(this: Node, config: FilterDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const twoOutputs = Number(config.outputs ?? 2) !== 1;
    const errorOnNonEvent = config.notEvent === 'error';
    const rules: ValueRule[] = Array.isArray(config.values) ? config.values : [];
    const counts = { passed: 0, dropped: 0 };

    let matcher: EventMatcher | undefined;
    let configError: Error | undefined;
    try {
      const conditions = conditionsFromSettings(config, (rule) => RED.util.evaluateNodeProperty(rule.v ?? '', rule.vt ?? 'str', node, {}));
      matcher = compileConditions(conditions);
    } catch (err) {
      configError = new Error(RED._('fptr-event-filter.errors.invalidConfig', { reason: err instanceof Error ? err.message : String(err) }));
      node.error(configError.message);
    }

    // The guard is on unless a flow explicitly turns it off: feeding on its own writes is how a flow loops.
    const guardOn = config.loopGuard !== false;
    const site = guardOn && config.site ? (RED.nodes.getNode(config.site) as (Node & FptrSiteNode) | null) : null;
    let ownUser: OwnUser | undefined;
    let guardNote: string | undefined;

    function guardNoteFor(state: OwnUserState): string | undefined {
      if (state.kind === 'pending') return RED._('fptr-event-filter.status.guardPending');
      if (state.kind === 'failed') return RED._('fptr-event-filter.status.guardUnresolved');
      return undefined;
    }

    function showStatus(): void {
      if (configError) {
        node.status({ fill: 'red', shape: 'ring', text: RED._('fptr-event-filter.status.invalidConfig') });
        return;
      }
      const text = RED._('fptr-event-filter.status.counts', counts);
      if (guardNote) {
        node.status({ fill: 'yellow', shape: 'ring', text: RED._('fptr-event-filter.status.withNote', { counts: text, note: guardNote }) });
      } else if (counts.passed + counts.dropped > 0) {
        node.status({ fill: 'green', shape: 'dot', text });
      } else {
        node.status({});
      }
    }
    const statusThrottle = new Throttle(showStatus, STATUS_INTERVAL_MS);

    if (guardOn && site) {
      ownUser = new OwnUser(
        () => site.client.currentUser(),
        (state, previous) => {
          if (state.kind === 'failed' && previous.kind !== 'failed') node.warn(RED._('fptr-event-filter.errors.guardLookup', { reason: state.error }));
          guardNote = guardNoteFor(state);
          statusThrottle.schedule();
        },
      );
      guardNote = guardNoteFor(ownUser.current);
    } else if (guardOn) {
      guardNote = RED._('fptr-event-filter.status.guardNoSite');
    }
    showStatus();

    function loopGuard(): LoopGuard | undefined {
      if (!guardOn) return undefined;
      return ownUser ? ownUser.loopGuard : ANY_API_USER;
    }

    function deliver(msg: NodeMessageInFlow, result: MatchResult, send: Send, done: Done): void {
      if (result.matched) {
        counts.passed++;
        send(twoOutputs ? [msg, null] : msg);
      } else {
        counts.dropped++;
        if (twoOutputs) {
          (msg as NodeMessage & { filterReason?: string }).filterReason = result.reason;
          send([null, msg]);
        }
      }
      statusThrottle.schedule();
      done();
    }

    const evaluate = ownMessageProperties(
      RED.util.evaluateNodeProperty as unknown as EvaluateNodeProperty<Node, NodeMessageInFlow>,
      (expression: string, msg: NodeMessageInFlow) => RED.util.normalisePropertyExpression(expression, msg),
    );

    function readValue(rule: ValueRule, index: number, msg: NodeMessageInFlow): Promise<unknown> {
      return new Promise((resolve, reject) => {
        evaluate(rule.v ?? '', rule.vt ?? 'msg', node, msg, (err, value) => {
          if (err) reject(new Error(RED._('fptr-event-filter.errors.valueUnreadable', { index: index + 1, reason: err.message })));
          else resolve(value);
        });
      });
    }

    /** msg/flow/global values for this message, at their condition's index (context stores may be asynchronous). */
    async function dynamicValues(m: EventMatcher, msg: NodeMessageInFlow): Promise<unknown[]> {
      const values: unknown[] = [];
      await Promise.all(m.dynamicValueIndexes.map(async (i) => (values[i] = await readValue(rules[i]!, i, msg))));
      return values;
    }

    function handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
      if (!matcher) {
        done(configError);
        return;
      }
      const payload = msg.payload;
      if (!isDelivery(payload)) {
        if (errorOnNonEvent) {
          counts.dropped++;
          statusThrottle.schedule();
          done(new Error(RED._('fptr-event-filter.errors.notAnEvent')));
        } else {
          deliver(msg, { matched: false, reason: RED._('fptr-event-filter.reasons.notAnEvent') }, send, done);
        }
        return;
      }
      const m = matcher;
      if (m.dynamicValueIndexes.length === 0) {
        deliver(msg, m.match(payload, { loopGuard: loopGuard() }), send, done);
        return;
      }
      dynamicValues(m, msg)
        .then((values) => deliver(msg, m.match(payload, { loopGuard: loopGuard(), values }), send, done))
        .catch((err: unknown) => done(asError(err)));
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
      ownUser?.close();
      statusThrottle.cancel();
    });
  }

  RED.nodes.registerType('fptr-event-filter', FptrEventFilter);
};
