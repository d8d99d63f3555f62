import type { NodeAPI } from 'node-red';
import { FptrSimulator, type SimOptions } from '../../sim';
import siteNode = require('../../nodes/fptr-site');
import { LoopbackServer } from './loopback';
import { helper } from './runtime';

/*
 * Shared by the action node specs (find, update, acknowledge, redeliver): the simulator on a
 * loopback port, a flow of fptr-site → node under test → helper, plus catch and complete nodes,
 * and a way to send one message and learn how it ended.
 */

export const DEMO = FptrSimulator.DEMO;

/** fptr-site settings that give up on an outage after one quick retry, so outage tests take a moment, not the default budget. */
export const QUICK_GIVE_UP = { timeout: 1, maxRetries: 1 };

type NodeModule = (RED: NodeAPI) => void;
type FlowNode = { id: string; type: string; [key: string]: unknown };
export type Msg = Record<string, unknown> & { payload?: unknown };

/** Spied Node methods (the test helper wraps them with sinon spies that call through). */
export interface SpiedNode {
  receive(msg: Msg): void;
  status: { lastCall?: { args: unknown[] }; calledWithMatch(arg: unknown): boolean };
  warn: { callCount: number; calledWithMatch(arg: unknown): boolean; lastCall?: { args: unknown[] } };
}

export interface Outcome {
  /** Messages on the node's output, in order. */
  out: Msg[];
  /** The message a Catch node received (the node called done(err)). */
  caught?: Msg & { error: { message: string; source: { id: string } } };
}

export interface LoadOptions {
  /** Leave out the site node (and the node's reference to it). */
  noSite?: boolean;
  /** Extra fptr-site settings, e.g. `{ timeout: 1 }` seconds. */
  site?: Record<string, unknown>;
  credentials?: Record<string, string>;
}

export class ActionFlow {
  sim!: FptrSimulator;

  async start(options: SimOptions = {}): Promise<FptrSimulator> {
    this.sim = new FptrSimulator(options);
    await this.sim.listen(0, '127.0.0.1');
    return this.sim;
  }

  async stop(): Promise<void> {
    await this.sim?.close();
  }

  /** Loads `config` (type, settings) as node `n1` wired to helper `out`, watched by catch and complete nodes. */
  async load(
    mod: NodeModule,
    config: { type: string; [key: string]: unknown },
    options: LoadOptions = {},
  ): Promise<SpiedNode> {
    // Flow nodes need x/y (without them the runtime treats a node as a config node); ids must
    // differ from type names for the same reason.
    const at = { z: 'tab', x: 100, y: 100 };
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab', label: 'actions' },
      { ...config, id: 'n1', ...at, name: 'under test', site: options.noSite ? '' : 'site', wires: [['out']] },
      { id: 'out', ...at, type: 'helper' },
      { id: 'on-catch', ...at, type: 'catch', scope: ['n1'], uncaught: false, wires: [['caught']] },
      { id: 'caught', ...at, type: 'helper' },
      { id: 'on-complete', ...at, type: 'complete', scope: ['n1'], uncaught: false, wires: [['completed']] },
      { id: 'completed', ...at, type: 'helper' },
    ];
    if (!options.noSite) {
      flow.push({ id: 'site', type: 'fptr-site', url: this.sim.url, authType: 'script', timeout: 10, ...options.site });
    }
    const credentials = { site: options.credentials ?? { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey } };
    await helper.load([siteNode, mod], flow, credentials);
    return helper.getNode('n1') as unknown as SpiedNode;
  }

  /**
   * Sends `msg` into n1 and resolves once it is done: when a Catch node got it, or when the
   * node called done() (complete node) — its output messages arrive before that.
   */
  send(msg: Msg): Promise<Outcome> {
    const out: Msg[] = [];
    const outNode = helper.getNode('out');
    const caughtNode = helper.getNode('caught');
    const completedNode = helper.getNode('completed');
    return new Promise((resolve) => {
      const collect = (m: Msg): void => {
        out.push(m);
      };
      const finish = (caught?: Outcome['caught']): void => {
        outNode.removeListener('input', collect);
        caughtNode.removeAllListeners('input');
        completedNode.removeAllListeners('input');
        // Output messages are queued before the completion, so they have all arrived by now.
        setImmediate(() => resolve(caught ? { out, caught } : { out }));
      };
      outNode.on('input', collect);
      caughtNode.once('input', (m: Msg) => finish(m as Outcome['caught']));
      completedNode.once('input', () => finish());
      (helper.getNode('n1') as unknown as SpiedNode).receive(msg);
    });
  }

  /**
   * Sends all `msgs` into n1 at once (a burst) and resolves once each is done, with how each
   * ended — its output messages, or what a Catch node got — by its `marker`.
   */
  burst(msgs: Array<Msg & { marker: number }>): Promise<Map<number, Outcome>> {
    const outcomes = new Map<number, Outcome>(msgs.map((m) => [m.marker, { out: [] }]));
    const ended = new Set<number>();
    const outNode = helper.getNode('out');
    const caughtNode = helper.getNode('caught');
    const completedNode = helper.getNode('completed');
    const markerOf = (m: Msg): number => m.marker as number;
    return new Promise((resolve) => {
      const end = (marker: number): void => {
        ended.add(marker);
        if (ended.size < msgs.length) return;
        for (const node of [outNode, caughtNode, completedNode]) node.removeAllListeners('input');
        setImmediate(() => resolve(outcomes));
      };
      outNode.on('input', (m: Msg) => outcomes.get(markerOf(m))?.out.push(m));
      caughtNode.on('input', (m: Msg) => {
        const outcome = outcomes.get(markerOf(m));
        if (outcome) outcome.caught = m as Outcome['caught'];
        end(markerOf(m));
      });
      completedNode.on('input', (m: Msg) => end(markerOf(m)));
      const node = helper.getNode('n1') as unknown as SpiedNode;
      for (const msg of msgs) node.receive(msg);
    });
  }
}

/** A webhook consumer on a loopback port: answers every request with `answer`, counts requests per delivery id. */
export class Consumer {
  readonly hits = new Map<string, number>();
  answer = 200;
  private readonly server = new LoopbackServer();
  url = '';

  async listen(): Promise<string> {
    const origin = await this.server.listen((req, res) => {
      const id = String(req.headers['x-sg-delivery-id'] ?? '');
      this.hits.set(id, (this.hits.get(id) ?? 0) + 1);
      const status = this.answer;
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 400 ? 'ok' : 'failing on purpose');
      });
    });
    this.url = `${origin}/hook`;
    return this.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/** Unix seconds now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Resolves at the start of the next wall-clock second, so event times on either side differ. */
export function nextSecond(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}
