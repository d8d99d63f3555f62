import fs = require('node:fs');
import path = require('node:path');
import type { NodeAPI } from 'node-red';
import { FptrSimulator, type HookDefinition, type HookRecord, type SimOptions } from '../../sim';
import type { DeliveryRecord } from '../../lib/fptr/client/api';
import siteNode = require('../../nodes/fptr-site');
import webhookNode = require('../../nodes/fptr-webhook-in');
import filterNode = require('../../nodes/fptr-event-filter');
import switchNode = require('../../nodes/fptr-entity-switch');
import findNode = require('../../nodes/fptr-find');
import updateNode = require('../../nodes/fptr-update');
import acknowledgeNode = require('../../nodes/fptr-acknowledge');
import redeliverNode = require('../../nodes/fptr-redeliver');
import eventsNode = require('../../nodes/fptr-events-in');
import uploadNode = require('../../nodes/fptr-upload');
import downloadNode = require('../../nodes/fptr-download');
import requestNode = require('../../nodes/fptr-request');
import { HttpNodeServer } from './http-node';
import { helper, runtimePath } from './runtime';

/*
 * Loading the shipped examples (examples/*.json) into a real runtime, exactly as they ship except
 * for what a user would set: the site URL (credentials go through helper.load) and the tabs'
 * environment variables. The webhook nodes are served on a loopback port so the simulator can
 * deliver to them.
 */

type NodeModule = (RED: NodeAPI) => void;
export type FlowNode = { id: string; type: string; z?: string; wires?: string[][]; [key: string]: unknown };
export type Msg = Record<string, unknown> & { payload?: unknown };

export const EXAMPLES_DIR = path.join(__dirname, '..', '..', 'examples');
export const DEMO = FptrSimulator.DEMO;
export const WEBHOOK_SECRET = 'examples-webhook-secret';

export function exampleFiles(): string[] {
  return fs
    .readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readExample(file: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as FlowNode[];
}

/** `@node-red/nodes` of the runtime under test, found the way the test helper finds the runtime's modules. */
function coreNodesDir(): string {
  const lib = path.dirname(runtimePath);
  const candidates = [path.join(lib, '..', 'node_modules'), path.join(lib, '..', '..')];
  const root = candidates.find((dir) => fs.existsSync(path.join(dir, '@node-red', 'nodes', 'package.json')));
  if (!root) throw new Error(`@node-red/nodes not found next to ${runtimePath}`);
  return path.join(root, '@node-red', 'nodes', 'core');
}

/** Core node types the examples use (catch is preloaded by the test helper). */
const CORE_FILES: Record<string, string> = {
  inject: 'common/20-inject.js',
  debug: 'common/21-debug.js',
  comment: 'common/90-comment.js',
  function: 'function/10-function.js',
};

export function coreNodeTypes(): string[] {
  return [...Object.keys(CORE_FILES), 'catch'];
}

function coreNodes(): NodeModule[] {
  const dir = coreNodesDir();
  return Object.values(CORE_FILES).map((file) => require(path.join(dir, file)) as NodeModule);
}

/** Node types the package registers, from package.json "node-red".nodes. */
export function packageNodeTypes(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    'node-red': { nodes: Record<string, string> };
  };
  return Object.keys(pkg['node-red'].nodes);
}

export interface PrepareOptions {
  siteUrl: string;
  /** Tab environment variables to set; each must exist in the example already. */
  env?: Record<string, string>;
}

/** The shipped flow with only the site URL and the given tab variables changed. */
export function prepareExample(flow: FlowNode[], options: PrepareOptions): FlowNode[] {
  const copy = JSON.parse(JSON.stringify(flow)) as FlowNode[];
  const sites = copy.filter((n) => n.type === 'fptr-site');
  if (sites.length !== 1) throw new Error(`expected one fptr-site, found ${sites.length}`);
  sites[0].url = options.siteUrl;
  const tabs = copy.filter((n) => n.type === 'tab');
  for (const [name, value] of Object.entries(options.env ?? {})) {
    const entry = tabs
      .flatMap((t) => (t.env as Array<{ name: string; value: string }> | undefined) ?? [])
      .find((e) => e.name === name);
    if (!entry) throw new Error(`the example has no tab variable ${name}`);
    entry.value = value;
  }
  return copy;
}

/** What a user enters in the credential fields of an example: the demo script, the webhook secret. */
export function exampleCredentials(flow: FlowNode[]): Record<string, Record<string, string>> {
  const credentials: Record<string, Record<string, string>> = {};
  for (const node of flow) {
    if (node.type === 'fptr-site') credentials[node.id] = { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey };
    if (node.type === 'fptr-webhook-in') credentials[node.id] = { secret: WEBHOOK_SECRET };
  }
  return credentials;
}

/** Resolves once `check` returns something other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The status acknowledgement fptr-acknowledge writes: `{status, detail, by}`. */
export interface StatusAck {
  status: 'success' | 'failure';
  detail: string;
  by: string;
}

export function parseAck(record: DeliveryRecord): StatusAck {
  if (typeof record.acknowledgement !== 'string') throw new Error(`delivery ${record.id} has no acknowledgement`);
  return JSON.parse(record.acknowledgement) as StatusAck;
}

/** One example running against the simulator: load it, register webhooks to it, watch its nodes. */
export class ExampleRun {
  sim!: FptrSimulator;
  private readonly server = new HttpNodeServer();
  /** Where the example's webhook paths are served, once loaded. */
  baseUrl = '';

  async start(options: Pick<SimOptions, 'storage'> = {}): Promise<FptrSimulator> {
    this.sim = new FptrSimulator({ webhookBatchWindowMs: 20, ...options });
    await this.sim.listen(0, '127.0.0.1');
    return this.sim;
  }

  /** `adjust` changes the prepared flow before it is loaded (e.g. shorter times for a test). */
  async load(file: string, env: Record<string, string> = {}, adjust?: (flow: FlowNode[]) => void): Promise<FlowNode[]> {
    const flow = prepareExample(readExample(file), { siteUrl: this.sim.url, env });
    adjust?.(flow);
    const credentials = exampleCredentials(flow);
    const modules: NodeModule[] = [
      siteNode,
      this.server.wrap(webhookNode),
      filterNode,
      switchNode,
      findNode,
      updateNode,
      acknowledgeNode,
      redeliverNode,
      eventsNode,
      uploadNode,
      downloadNode,
      requestNode,
      ...coreNodes(),
    ];
    await helper.load(modules, flow, credentials);
    this.baseUrl = await this.server.listen();
    return flow;
  }

  /** A batched, signed webhook in the simulator that delivers to the example's webhook node. */
  hook(nodePath: string, entityTypes: HookDefinition['entity_types']): HookRecord {
    return this.sim.createWebhook({
      url: this.baseUrl + nodePath,
      token: WEBHOOK_SECRET,
      batch_deliveries: true,
      entity_types: entityTypes,
    });
  }

  /** Every message that reaches node `id` from now on. */
  tap(id: string): Msg[] {
    const seen: Msg[] = [];
    const node = helper.getNode(id);
    if (!node) throw new Error(`no node ${id} in the example`);
    node.on('input', ((msg: Msg) => seen.push(msg)) as never);
    return seen;
  }

  /** The delivery record once it carries an acknowledgement. */
  async acknowledged(hookId: string, index = 0): Promise<DeliveryRecord> {
    return waitFor(() => {
      const record = this.sim.deliveries(hookId)[index];
      return record?.acknowledgement ? record : undefined;
    }, `an acknowledgement on delivery ${index} of webhook ${hookId}`);
  }

  async stop(): Promise<void> {
    await helper.unload();
    await this.server.close();
    await this.sim?.close();
  }
}
