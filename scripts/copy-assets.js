'use strict';
// Node-RED looks up a node's editor HTML, icons and locales next to its compiled .js,
// so the build puts them beside dist/nodes/*.js (docs/node-red.md §1.3-1.7).
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist', 'nodes');
for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(out, file));
}
for (const dir of ['icons', 'locales']) {
  fs.rmSync(path.join(out, dir), { recursive: true, force: true });
  fs.cpSync(path.join(root, dir), path.join(out, dir), { recursive: true });
}
const cli = path.join(root, 'dist', 'sim', 'cli.js');
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
