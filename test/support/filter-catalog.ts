import fs = require('node:fs');
import path = require('node:path');
import type { EventEmitter } from 'node:events';
import type { Node, NodeAPI, NodeStatus } from 'node-red';

type NodeModule = (RED: NodeAPI) => void;
type Catalog = { [key: string]: string | Catalog };

const LOCALES = path.join(__dirname, '..', '..', 'locales', 'en-US');

function lookup(catalog: Catalog, key: string): string | undefined {
  let at: string | Catalog | undefined = catalog;
  for (const part of key.split('.')) {
    if (typeof at !== 'object') return undefined;
    at = at[part];
  }
  return typeof at === 'string' ? at : undefined;
}

/**
 * The test helper's `RED._` returns keys untranslated, which hides the numbers a status badge
 * shows. This wraps a node module so `RED._` reads the shipped en-US catalogs and fills in
 * `__name__` placeholders; an unknown key comes back as `MISSING <key>` so tests notice it.
 */
export function withCatalog(mod: NodeModule, ...types: string[]): NodeModule {
  const catalog: Catalog = {};
  for (const type of types) Object.assign(catalog, JSON.parse(fs.readFileSync(path.join(LOCALES, `${type}.json`), 'utf8')) as Catalog);
  return (RED: NodeAPI) => {
    const untranslated = RED._;
    RED._ = ((key: string, subs?: Record<string, string | number>) => {
      if (!types.some((t) => key.startsWith(`${t}.`))) return untranslated(key, subs);
      const text = lookup(catalog, key);
      if (text === undefined) return `MISSING ${key}`;
      return text.replace(/__([A-Za-z0-9]+)__/g, (_m, name: string) => String(subs?.[name] ?? `__${name}__`));
    }) as NodeAPI['_'];
    mod(RED);
  };
}

/** Waits for a status the node sets from now on that satisfies `ok` (statuses already shown do not count). */
export function nextStatus(node: Node, ok: (status: NodeStatus) => boolean, timeoutMs = 3000): Promise<NodeStatus> {
  const events = node as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    const seen: NodeStatus[] = [];
    const timer = setTimeout(() => {
      events.removeListener('call:status', onStatus);
      reject(new Error(`no matching status within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`));
    }, timeoutMs);
    function onStatus(call: { args: [NodeStatus] }): void {
      const status = call.args[0];
      seen.push(status);
      if (!ok(status)) return;
      clearTimeout(timer);
      events.removeListener('call:status', onStatus);
      resolve(status);
    }
    events.on('call:status', onStatus);
  });
}
