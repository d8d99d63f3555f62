import path = require('node:path');
import { build, type BuildOptions } from 'esbuild';

/*
 * The browser bundle of the editor rules: lib/editor/index.ts and what it imports, as one
 * script defining the global FptrEditor. Node-RED serves the package's resources/ folder at
 * /resources/<package>/ (docs/node-red.md §1.1) and each node's editor HTML loads it from there.
 */

export const BUNDLE_NAME = 'fptr-editor.js';
export const GLOBAL_NAME = 'FptrEditor';

const options: BuildOptions = {
  entryPoints: [path.join(__dirname, '..', 'lib', 'editor', 'index.ts')],
  bundle: true,
  format: 'iife',
  globalName: GLOBAL_NAME,
  platform: 'browser',
  // The Node-RED 4.1 editor supports current browsers only.
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'silent',
  // Every node's editor HTML loads the bundle (a node set can be disabled on its own); the
  // browser fetches it once per page, and this guard runs it once.
  banner: { js: `if (typeof ${GLOBAL_NAME} === 'undefined') {` },
  footer: { js: '}' },
};

/** The bundle's source text (tests evaluate it as the editor does). */
export async function bundleSource(): Promise<string> {
  const result = await build({ ...options, write: false });
  return result.outputFiles[0]!.text;
}

/** Writes the bundle into `dir` (resources/ at build). */
export async function writeBundle(dir: string): Promise<void> {
  await build({ ...options, outfile: path.join(dir, BUNDLE_NAME) });
}
