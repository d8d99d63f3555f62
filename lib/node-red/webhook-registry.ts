import type { NodeAPI } from 'node-red';
import type { HookSubscription } from '../fptr/webhook/subscription';

/**
 * The deployed fptr-webhook-in nodes of a runtime, for the nodes that work with them: the
 * redeliver sweep (which hook a node listens for, and telling it to forget deliveries FPTR is
 * asked to send again) and the event-log backstop (which events the webhook delivered). One
 * registry per Node-RED runtime, keyed like the raw-body capture by its `RED.httpNode` app.
 */
export interface WebhookHandle {
  readonly nodeId: string;
  /** The fptr-site the node names, if any. */
  readonly siteId: string | undefined;
  /** The FPTR webhook registered for the node, if any. */
  readonly hookId: string | undefined;
  /** What that webhook subscribes to, as registered from the editor. */
  readonly subscription: HookSubscription | undefined;
  /**
   * The node's duplicate check (undefined when its dedup window is 0), across instances when the
   * site shares state: true where a key was seen (the webhook delivered that event), otherwise
   * remembers it and answers false. Falls back to this instance's own memory; never rejects.
   */
  readonly claim: ((keys: readonly string[], now: number) => Promise<boolean[]>) | undefined;
  /**
   * Forgets duplicate keys, so deliveries FPTR sends again are emitted again, and gives them
   * back in shared state so any instance the redelivery reaches lets it through. Rejects when
   * shared state cannot be reached: the redelivery would then be dropped elsewhere.
   */
  forget(keys: readonly string[]): Promise<void>;
}

const registries = new WeakMap<object, Map<string, WebhookHandle>>();

function registry(RED: Pick<NodeAPI, 'httpNode'>): Map<string, WebhookHandle> {
  const app = RED.httpNode as unknown as object;
  let map = registries.get(app);
  if (!map) {
    map = new Map();
    registries.set(app, map);
  }
  return map;
}

/** Adds a deployed node; the returned function removes it (on close). */
export function addWebhookNode(RED: Pick<NodeAPI, 'httpNode'>, handle: WebhookHandle): () => void {
  const map = registry(RED);
  map.set(handle.nodeId, handle);
  return () => {
    if (map.get(handle.nodeId) === handle) map.delete(handle.nodeId);
  };
}

export function webhookNode(RED: Pick<NodeAPI, 'httpNode'>, nodeId: string): WebhookHandle | undefined {
  return registry(RED).get(nodeId);
}

/** The nodes receiving a hook's deliveries in this runtime (usually one). */
export function webhookNodesFor(RED: Pick<NodeAPI, 'httpNode'>, hookId: string): WebhookHandle[] {
  return [...registry(RED).values()].filter((handle) => handle.hookId === hookId);
}
