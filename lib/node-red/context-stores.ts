/**
 * What a context store named in a node does with its data, read from `contextStorage` in
 * settings.js by Node-RED's own rules: no stores configured means one memory store; the default
 * is the store named `default` (or the store it names), else the first one; an unknown name
 * falls back to the default.
 */

export interface StoreInfo {
  name: string;
  /** `custom`: a module Node-RED does not ship; it may or may not keep data across restarts. */
  kind: 'memory' | 'localfilesystem' | 'custom';
  /** A cached localfilesystem store writes to disk only every `flushSeconds`. */
  cached: boolean;
  flushSeconds?: number;
}

export interface ContextStores {
  default: string;
  stores: StoreInfo[];
}

type StorageConfig = Record<string, unknown>;

function isRecord(value: unknown): value is StorageConfig {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function infoOf(name: string, entry: unknown): StoreInfo {
  const module = isRecord(entry) ? entry.module : undefined;
  const config = isRecord(entry) && isRecord(entry.config) ? entry.config : {};
  if (module === 'memory') return { name, kind: 'memory', cached: false };
  if (module !== 'localfilesystem') return { name, kind: 'custom', cached: false };
  const cached = config.cache !== false;
  const flush = typeof config.flushInterval === 'number' ? Math.max(0, config.flushInterval) : 30;
  return cached
    ? { name, kind: 'localfilesystem', cached, flushSeconds: flush }
    : { name, kind: 'localfilesystem', cached };
}

export function contextStores(contextStorage: unknown): ContextStores {
  const config = isRecord(contextStorage) ? contextStorage : {};
  const names = Object.keys(config).filter(
    (name) => name !== '_' && !(name === 'default' && typeof config[name] === 'string'),
  );
  if (names.length === 0) return { default: 'memory', stores: [{ name: 'memory', kind: 'memory', cached: false }] };
  const alias = config.default;
  const defaultName = typeof alias === 'string' ? alias : 'default' in config ? 'default' : names[0];
  return { default: defaultName, stores: names.map((name) => infoOf(name, config[name])) };
}

/** The store a node's `store` property names (empty: the default), and whether that name is configured. */
export function storeOf(contextStorage: unknown, name: string | undefined): StoreInfo & { known: boolean } {
  const { default: defaultName, stores } = contextStores(contextStorage);
  const named = name ? stores.find((s) => s.name === name) : undefined;
  const store = named ??
    stores.find((s) => s.name === defaultName) ?? { name: defaultName, kind: 'memory', cached: false };
  return { ...store, known: !name || named !== undefined };
}
