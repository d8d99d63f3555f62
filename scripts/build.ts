/**
 * `npm run build`: compiles nodes/, lib/ and sim/ into dist/, puts what Node-RED looks up next
 * to each node's .js beside dist/nodes/*.js (editor HTML, icons, merged catalogs and help:
 * docs/node-red.md §1.3-1.7), and bundles the editor rules into resources/.
 */
import { execFileSync } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { writeLocales } from './catalogs';
import { writeBundle } from './editor-bundle';

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const nodesOut = path.join(dist, 'nodes');

async function main(): Promise<void> {
  // A stale dist/ from an older layout must never be packed.
  fs.rmSync(dist, { recursive: true, force: true });
  fs.rmSync(path.join(root, 'resources'), { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
    if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(nodesOut, file));
  }
  fs.cpSync(path.join(root, 'icons'), path.join(nodesOut, 'icons'), { recursive: true });
  writeLocales(path.join(nodesOut, 'locales'));
  fs.chmodSync(path.join(dist, 'sim', 'cli.js'), 0o755);
  await writeBundle(path.join(root, 'resources'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
