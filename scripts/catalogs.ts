import fs = require('node:fs');
import path = require('node:path');

/*
 * Node-RED loads one message catalog per node set: `locales/<lang>/<type>.json` next to the
 * node's .js (docs/node-red.md §1.4). Strings that several node types use are written once, in
 * `locales/<lang>/fptr-common.json` under the top-level key `fptr`, and merged into every
 * node's catalog here. The build and the tests that read catalogs use this one function.
 */

export type Catalog = { [key: string]: string | Catalog };

/** The source file of the shared strings (never shipped as a catalog of its own). */
export const SHARED_CATALOG = 'fptr-common';

export const LOCALES_DIR = path.join(__dirname, '..', 'locales');

function readJson(file: string): Catalog {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Catalog;
}

/** The catalog Node-RED serves for one node type: its own strings plus the shared ones. */
export function mergedCatalog(lang: string, type: string, localesDir = LOCALES_DIR): Catalog {
  const own = readJson(path.join(localesDir, lang, `${type}.json`));
  const shared = path.join(localesDir, lang, `${SHARED_CATALOG}.json`);
  return fs.existsSync(shared) ? { ...own, ...readJson(shared) } : own;
}

/** Writes `localesDir` as Node-RED reads it into `dest`: merged catalogs, help files as they are. */
export function writeLocales(dest: string, localesDir = LOCALES_DIR): void {
  fs.rmSync(dest, { recursive: true, force: true });
  for (const lang of fs.readdirSync(localesDir)) {
    fs.mkdirSync(path.join(dest, lang), { recursive: true });
    for (const file of fs.readdirSync(path.join(localesDir, lang))) {
      const type = file.replace(/\.json$/, '');
      if (type === SHARED_CATALOG) continue;
      const target = path.join(dest, lang, file);
      if (file.endsWith('.json'))
        fs.writeFileSync(target, JSON.stringify(mergedCatalog(lang, type, localesDir), null, 2) + '\n');
      else fs.copyFileSync(path.join(localesDir, lang, file), target);
    }
  }
}
