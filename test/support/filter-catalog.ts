import type { EventEmitter } from 'node:events';
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { mergedCatalog, type Catalog } from '../../scripts/catalogs';
import { SHARED } from '../../lib/node-red/i18n';

type NodeModule = (RED: NodeAPI) => void;

function lookup(catalog: Catalog, key: string): string | undefined {
  let at: string | Catalog | undefined = catalog;
  for (const part of key.split('.')) {
    if (typeof at !== 'object') return undefined;
    at = at[part];
  }
  return typeof at === 'string' ? at : undefined;
}

function catalogOf(types: string[]): Catalog {
  const catalog: Catalog = {};
  for (const type of types) Object.assign(catalog, mergedCatalog('en-US', type));
  return catalog;
}

/**
 * The test helper's `RED._` returns keys untranslated, which hides the numbers a status badge
 * shows. This wraps a node module so `RED._` reads the shipped en-US catalogs (with the shared
 * strings merged in, as the build ships them) and fills in `__name__` placeholders; an unknown
 * key comes back as `MISSING <key>` so tests notice it.
 */
export function withCatalog(mod: NodeModule, ...types: string[]): NodeModule {
  const catalog = catalogOf(types);
  return (RED: NodeAPI) => {
    const untranslated = RED._;
    RED._ = ((key: string, subs?: Record<string, string | number>) => {
      if (![...types, SHARED].some((t) => key.startsWith(`${t}.`))) return untranslated(key, subs);
      const text = lookup(catalog, key);
      if (text === undefined) return `MISSING ${key}`;
      return text.replace(/__([A-Za-z0-9]+)__/g, (_m, name: string) => String(subs?.[name] ?? `__${name}__`));
    }) as NodeAPI['_'];
    mod(RED);
  };
}

/**
 * A status as the editor shows it: a text that is a catalog key (a status without parameters,
 * sent untranslated like core nodes do) is looked up in the node's en-US catalog.
 */
export function shownStatus(status: NodeStatus, type: string): NodeStatus {
  const text = typeof status.text === 'string' ? lookup(catalogOf([type]), status.text) : undefined;
  return text === undefined ? status : { ...status, text };
}

/**
 * Waits for a status the node sets from now on that satisfies `ok` (statuses already shown do
 * not count); `ok` sees it as the editor shows it.
 */
export function nextStatus(node: Node, ok: (status: NodeStatus) => boolean, timeoutMs = 3000): Promise<NodeStatus> {
  const events = node as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    const seen: NodeStatus[] = [];
    const timer = setTimeout(() => {
      events.removeListener('call:status', onStatus);
      reject(new Error(`no matching status within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`));
    }, timeoutMs);
    function onStatus(call: { args: [NodeStatus] }): void {
      const status = shownStatus(call.args[0], node.type);
      seen.push(status);
      if (!ok(status)) return;
      clearTimeout(timer);
      events.removeListener('call:status', onStatus);
      resolve(status);
    }
    events.on('call:status', onStatus);
  });
}
