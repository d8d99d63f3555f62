/**
 * The build's second step, after tsc: Node-RED looks up a node's editor HTML, icons and locales
 * next to its compiled .js (docs/node-red.md §1.3-1.7), so they go beside dist/nodes/*.js.
 */
import fs = require('node:fs');
import path = require('node:path');
import { writeLocales } from './catalogs';

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist', 'nodes');

for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(out, file));
}
fs.rmSync(path.join(out, 'icons'), { recursive: true, force: true });
fs.cpSync(path.join(root, 'icons'), path.join(out, 'icons'), { recursive: true });
writeLocales(path.join(out, 'locales'));
fs.chmodSync(path.join(root, 'dist', 'sim', 'cli.js'), 0o755);
