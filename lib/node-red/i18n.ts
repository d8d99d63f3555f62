import type { NodeAPI } from 'node-red';

/** Parameters of a catalog message (`__name__` placeholders). */
export type Params = Record<string, string | number>;

/**
 * The top-level key of the strings several node types share (locales/<lang>/fptr-common.json).
 * Node-RED loads one catalog per node set, so the build merges the shared file into each
 * node's catalog under this key (scripts/catalogs.ts): `fptr.errors.no-site` is found from
 * every node type's namespace, at runtime and in the editor.
 */
export const SHARED = 'fptr';

/**
 * One node type's messages. Texts with parameters, errors and log lines are translated here,
 * in the runtime's language. A status text without parameters is sent as its full key instead,
 * as core nodes do, and the editor translates it into the language of whoever is looking.
 */
export interface Messages {
  /** `<type>.<key>`, translated. */
  (key: string, params?: Params): string;
  /** `fptr.<key>` from the shared catalog, translated. */
  shared(key: string, params?: Params): string;
  /** `<type>.<key>` untranslated, for a status text. */
  key(key: string): string;
  /** `fptr.<key>` untranslated, for a status text. */
  sharedKey(key: string): string;
}

export function messages(RED: Pick<NodeAPI, '_'>, type: string): Messages {
  const t = ((key: string, params?: Params) => RED._(`${type}.${key}`, params)) as Messages;
  t.shared = (key, params) => RED._(`${SHARED}.${key}`, params);
  t.key = (key) => `${type}.${key}`;
  t.sharedKey = (key) => `${SHARED}.${key}`;
  return t;
}
