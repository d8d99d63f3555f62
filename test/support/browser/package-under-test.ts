import { execFile } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = path.join(__dirname, '..', '..', '..');

interface PackageJson {
  name: string;
  version: string;
  'node-red': { nodes: Record<string, string> };
}

export function readPackageJson(dir = REPO_ROOT): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** `npm pack` (its prepack script builds) into `destDir`; resolves the tarball's path. */
export async function packPackage(destDir: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destDir], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  // prepack's own output may precede npm's JSON report.
  const report = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as { filename: string }[];
  return path.join(destDir, report[0].filename);
}

/** Unpacks a tarball made by `npm pack`; resolves the package folder. */
export async function unpack(tarball: string, destDir: string): Promise<string> {
  fs.mkdirSync(destDir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', destDir]);
  return path.join(destDir, 'package');
}

/** Every `examples/**.json` a package folder ships, as paths relative to `examples/` without `.json`. */
export function shippedExamples(pkgDir: string): string[] {
  const root = path.join(pkgDir, 'examples');
  if (!fs.existsSync(root)) return [];
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.json')) found.push(child.slice(0, -'.json'.length));
    }
  };
  walk('');
  return found.sort();
}

export interface Breakage {
  /** This type's editor script throws before it registers the type. */
  scriptThrows: string;
  /** This type's icon file is removed from the package. */
  iconRemoved: string;
  /** This type's en-US message catalog is removed from the package. */
  catalogRemoved: string;
  /** This type's edit dialog throws while it opens. */
  dialogThrows: string;
  /** This type's en-US palette label becomes one word wider than the palette, which the editor breaks inside. */
  labelTooWide: string;
}

/** Wider than a palette node in any font: the editor has to break it inside the word. */
export const TOO_WIDE_LABEL = 'acknowledgementsredelivered';

/**
 * Damages an unpacked package in place the ways a careless edit could, so the negative test can
 * prove the editor checker notices. Node file names follow the `dist/nodes/<type>.{js,html}` layout,
 * icons `dist/nodes/icons/<type>.svg` and catalogs `dist/nodes/locales/en-US/<type>.json`; a copy that does
 * not follow it fails here, loudly.
 */
export function breakPackage(pkgDir: string, breakage: Breakage): void {
  const dist = path.join(pkgDir, 'dist', 'nodes');
  const throwingHtml = path.join(dist, `${breakage.scriptThrows}.html`);
  const html = fs.readFileSync(throwingHtml, 'utf8');
  const opening = /<script type="text\/javascript">/i;
  if (!opening.test(html)) throw new Error(`${throwingHtml} has no editor script to break`);
  fs.writeFileSync(
    throwingHtml,
    html.replace(opening, (tag) => `${tag}\nthrow new Error('deliberately broken editor script');\n`),
  );

  fs.rmSync(path.join(dist, 'icons', `${breakage.iconRemoved}.svg`));
  fs.rmSync(path.join(dist, 'locales', 'en-US', `${breakage.catalogRemoved}.json`));

  const labelCatalog = path.join(dist, 'locales', 'en-US', `${breakage.labelTooWide}.json`);
  const catalog = JSON.parse(fs.readFileSync(labelCatalog, 'utf8')) as Record<string, { paletteLabel?: string }>;
  const messages = catalog[breakage.labelTooWide];
  if (typeof messages?.paletteLabel !== 'string') throw new Error(`${labelCatalog} has no paletteLabel to widen`);
  messages.paletteLabel = TOO_WIDE_LABEL;
  fs.writeFileSync(labelCatalog, JSON.stringify(catalog));

  const dialogHtml = path.join(dist, `${breakage.dialogThrows}.html`);
  fs.appendFileSync(
    dialogHtml,
    `\n<script type="text/javascript">RED.nodes.getType(${JSON.stringify(breakage.dialogThrows)}).oneditprepare = ` +
      `function () { throw new Error('deliberately broken edit dialog'); };</script>\n`,
  );
}
