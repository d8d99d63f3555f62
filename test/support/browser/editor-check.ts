import path = require('node:path');
import type { AdminApi } from './admin-api';
import type { Editor, HelpView } from './editor';

/** One thing wrong with how the editor shows the package; `subject` is a node type or "editor". */
export interface Problem {
  subject: string;
  problem: string;
}

/** The package as the runtime registered it: its module name and every node type it declares. */
export interface ModuleUnderTest {
  module: string;
  /** Palette category every non-config node must appear in. */
  category: string;
  types: string[];
}

/** What the editor knows of each type: its editor definition's category, if it has one. */
export type Definitions = Map<string, { category: string } | null>;

export function nonConfigTypes(definitions: Definitions): string[] {
  return [...definitions].filter(([, def]) => def?.category !== 'config').map(([type]) => type);
}

export function configTypes(definitions: Definitions): string[] {
  return [...definitions].filter(([, def]) => def?.category === 'config').map(([type]) => type);
}

/**
 * Text that is a catalog key of one of the module's types (e.g. `fptr-find.fields.entity`): what
 * i18next shows when a key has no message.
 */
export function rawCatalogKeys(texts: string[], types: string[]): string[] {
  const escaped = types.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const key = new RegExp(`(?:^|[\\s"'(])((?:${escaped})\\.[A-Za-z][\\w.-]*[\\w])`, 'g');
  const found = new Set<string>();
  for (const text of texts) for (const m of text.matchAll(key)) found.add(m[1]);
  return [...found];
}

/** The editor's own error lines name the node type they are about. */
const NAMES_TYPE = /(?:\bonedit\w+ \S+ |Definition error: )([\w-]+)/;

function errorsAs(subject: string, errors: string[], when: string): Problem[] {
  return errors.map((e) => ({ subject: NAMES_TYPE.exec(e)?.[1] ?? subject, problem: `${when}: ${e}` }));
}

/** Every node set package.json declares is registered, enabled, and loaded without error. */
export async function checkRegistry(api: AdminApi, module: string, declaredSets: string[]): Promise<Problem[]> {
  const sets = await api.nodeSets(module);
  const problems: Problem[] = [];
  for (const name of declaredSets) {
    const set = sets.find((s) => s.name === name);
    if (!set) problems.push({ subject: name, problem: 'node set not registered' });
    else if (set.err) {
      const why = typeof set.err === 'string' ? set.err : JSON.stringify(set.err);
      problems.push({ subject: name, problem: `node set failed to load: ${why}` });
    } else if (!set.enabled) problems.push({ subject: name, problem: 'node set is disabled' });
    else if (set.types.length === 0) problems.push({ subject: name, problem: 'node set registers no type' });
  }
  return problems;
}

/** Reads which of `types` have an editor definition (a throwing editor script leaves none). */
export async function readDefinitions(editor: Editor, types: string[]): Promise<Definitions> {
  const found = await editor.page.evaluate((wanted) => {
    const RED = (window as unknown as { RED: { nodes: { getType(t: string): { category?: string } | null } } }).RED;
    return wanted.map((t) => {
      const def = RED.nodes.getType(t);
      return [t, def ? { category: def.category ?? '' } : null] as const;
    });
  }, types);
  return new Map(found);
}

/** Errors while the editor loaded, and types the editor has no definition for. */
export function checkLoad(definitions: Definitions, loadErrors: string[]): Problem[] {
  const problems = errorsAs('editor', loadErrors, 'while loading the editor');
  for (const [type, def] of definitions) {
    if (!def)
      problems.push({ subject: type, problem: 'no editor definition (its editor script did not register the type)' });
  }
  return problems;
}

/**
 * Every non-config type is in the palette category with a readable label and an icon served
 * from the module's own icon set (GET /icons lists it): a missing icon silently falls back to a
 * core one, so the icon URL and the registry's icon list are what prove it.
 */
export async function checkPalette(
  editor: Editor,
  api: AdminApi,
  pkg: ModuleUnderTest,
  types: string[],
): Promise<{ problems: Problem[]; labels: Map<string, string> }> {
  const problems: Problem[] = [];
  const labels = new Map<string, string>();
  const inCategory = await editor.paletteCategory(pkg.category);
  const icons = await api.icons(pkg.module);
  const ownIcon = `icons/${pkg.module}/`;
  for (const type of types) {
    const entry = await editor.paletteEntry(type);
    if (!entry || !inCategory.includes(type)) {
      problems.push({ subject: type, problem: `not listed in the ${pkg.category} palette category` });
      continue;
    }
    labels.set(type, entry.label);
    if (!entry.label) problems.push({ subject: type, problem: 'empty palette label' });
    for (const key of rawCatalogKeys([entry.text], pkg.types)) {
      problems.push({ subject: type, problem: `palette label is a missing catalog key: ${key}` });
    }
    if (!breaksBetweenWords(entry.text, entry.lines)) {
      const shown = entry.lines.map((l) => `"${l}"`).join(' / ');
      problems.push({ subject: type, problem: `palette label "${entry.text}" breaks inside a word: ${shown}` });
    }
    const url = entry.iconUrl ?? '';
    if (!url.startsWith(ownIcon)) {
      problems.push({ subject: type, problem: `palette icon is not the module's own: ${url || 'none'}` });
    } else if (!icons.includes(path.posix.basename(url))) {
      problems.push({
        subject: type,
        problem: `palette icon ${path.posix.basename(url)} is not in GET /icons for the module`,
      });
    }
  }
  return { problems, labels };
}

/**
 * Whether `lines` show exactly the words of `text`, so that every line break falls between two
 * words. The editor breaks labels at spaces and hyphens (showing a hyphen as " - "), so both
 * separate words here.
 */
function breaksBetweenWords(text: string, lines: string[]): boolean {
  const words = (s: string): string[] => s.split(/[\s-]+/).filter((w) => w !== '');
  const shown = lines.flatMap(words);
  const given = words(text);
  return shown.length === given.length && shown.every((w, i) => w === given[i]);
}

/** Texts a person reads in an open dialog: visible text plus placeholders and tooltips. */
async function dialogTexts(editor: Editor): Promise<string[]> {
  const tray = editor.page.locator('.red-ui-tray').last();
  const attrs = await tray
    .locator('[placeholder], [title]')
    .evaluateAll((els) => els.flatMap((el) => [el.getAttribute('placeholder') ?? '', el.getAttribute('title') ?? '']));
  return [await tray.innerText(), ...attrs];
}

/**
 * Opens every node's edit dialog the way a person does and closes it with Done (config nodes:
 * from a node that uses them, through the "add new" button, then Cancel). Reports page errors
 * while a dialog opens, is open or closes, and catalog keys showing instead of text.
 * `screenshot` names a type whose open dialog is saved as a picture.
 */
export async function checkDialogs(
  editor: Editor,
  pkg: ModuleUnderTest,
  definitions: Definitions,
  screenshot?: { type: string; file: string },
): Promise<Problem[]> {
  const problems: Problem[] = [];
  problems.push(...errorsAs('editor', editor.takeErrors(), 'before the dialogs opened'));
  const uses = await configProperties(
    editor,
    nonConfigTypes(definitions).filter((t) => definitions.get(t)),
  );
  const dropped = new Map<string, string>();
  for (const type of nonConfigTypes(definitions)) {
    if (!definitions.get(type)) continue;
    const id = await editor.dropNode(type);
    dropped.set(type, id);
    await editor.openNodeDialog(id);
    for (const key of rawCatalogKeys(await dialogTexts(editor), pkg.types)) {
      problems.push({ subject: type, problem: `dialog shows a missing catalog key: ${key}` });
    }
    if (screenshot?.type === type) await editor.screenshot(screenshot.file);
    await editor.closeNodeDialog();
    problems.push(...errorsAs(type, editor.takeErrors(), 'edit dialog'));
  }
  for (const configType of configTypes(definitions)) {
    const host = uses.find((u) => u.configType === configType && dropped.has(u.type));
    if (!host) {
      problems.push({
        subject: configType,
        problem: 'no node in the package uses this config node, so no dialog reaches it',
      });
      continue;
    }
    await editor.openNodeDialog(dropped.get(host.type) as string);
    problems.push(...errorsAs(host.type, editor.takeErrors(), 'edit dialog'));
    await editor.openNewConfigDialog(host.property);
    for (const key of rawCatalogKeys(await dialogTexts(editor), pkg.types)) {
      problems.push({ subject: configType, problem: `dialog shows a missing catalog key: ${key}` });
    }
    await editor.closeConfigDialog('cancel');
    problems.push(...errorsAs(configType, editor.takeErrors(), 'config dialog'));
    await editor.closeNodeDialog();
    problems.push(...errorsAs(host.type, editor.takeErrors(), 'edit dialog'));
  }
  await editor.clearFlow();
  return problems;
}

export interface ConfigUse {
  type: string;
  property: string;
  configType: string;
}

/** Which properties of which node types pick a config node (editor `defaults` with a `type`). */
export async function configProperties(editor: Editor, types: string[]): Promise<ConfigUse[]> {
  return editor.page.evaluate((wanted) => {
    type Def = { defaults?: Record<string, { type?: string }> };
    const RED = (window as unknown as { RED: { nodes: { getType(t: string): Def | null } } }).RED;
    return wanted.flatMap((type) =>
      Object.entries(RED.nodes.getType(type)?.defaults ?? {})
        .filter(([, spec]) => typeof spec.type === 'string' && RED.nodes.getType(spec.type as string))
        .map(([property, spec]) => ({ type, property, configType: spec.type as string })),
    );
  }, types);
}

/**
 * Every type's help shows in the sidebar help tab: a title (the palette label for palette
 * nodes) and a body with text.
 */
export async function checkHelp(
  editor: Editor,
  pkg: ModuleUnderTest,
  definitions: Definitions,
  paletteLabels: Map<string, string>,
): Promise<{ problems: Problem[]; help: Map<string, HelpView> }> {
  const problems: Problem[] = [];
  const help = new Map<string, HelpView>();
  for (const [type, def] of definitions) {
    if (!def) continue;
    const view = await editor.showHelp(pkg.module, type, pkg.types);
    help.set(type, view);
    const label = paletteLabels.get(type);
    if (!view.title) problems.push({ subject: type, problem: 'help has no title' });
    else if (label !== undefined && view.title !== label) {
      problems.push({ subject: type, problem: `help title "${view.title}" is not the palette label "${label}"` });
    }
    for (const key of rawCatalogKeys([view.title], pkg.types)) {
      problems.push({ subject: type, problem: `help title is a missing catalog key: ${key}` });
    }
    if (view.body.length < 20)
      problems.push({ subject: type, problem: `help body is empty or a stub: "${view.body}"` });
  }
  problems.push(...errorsAs('editor', editor.takeErrors(), 'help tab'));
  return { problems, help };
}

/** Each type's `<type>.paletteLabel` message in one language, where its catalog has one. */
export async function catalogPaletteLabels(api: AdminApi, module: string, lng: string): Promise<Map<string, string>> {
  const labels = new Map<string, string>();
  for (const set of await api.nodeSets(module)) {
    const catalog = await api.catalog(set.id, lng);
    for (const type of set.types) {
      const label = (catalog[type] as { paletteLabel?: unknown } | undefined)?.paletteLabel;
      if (typeof label === 'string') labels.set(type, label);
    }
  }
  return labels;
}

/**
 * In another editor language: each palette label is that language's catalog message (node
 * names may stay English by choice, as in Node-RED's own catalogs, so they are compared with the
 * catalog rather than with en-US), and each help text is there and differs from the en-US one.
 */
export function checkTranslation(
  lng: string,
  catalogLabels: Map<string, string>,
  englishHelp: Map<string, HelpView>,
  current: { labels: Map<string, string>; help: Map<string, HelpView> },
): Problem[] {
  const problems: Problem[] = [];
  for (const [type, label] of current.labels) {
    // What a person reads: the catalog's spaces may become line breaks, which read as spaces.
    const expected = catalogLabels.get(type)?.replace(/\s+/g, ' ').trim();
    if (expected !== undefined && label !== expected) {
      problems.push({
        subject: type,
        problem: `${lng}: palette label "${label}" is not the ${lng} catalog's "${expected}"`,
      });
    }
  }
  for (const [type, help] of current.help) {
    if (help.body.length < 20) problems.push({ subject: type, problem: `${lng}: help body is empty or a stub` });
    else if (help.body === englishHelp.get(type)?.body)
      problems.push({ subject: type, problem: `${lng}: help is the en-US text` });
  }
  return problems;
}

/**
 * Every example the package ships is offered under Import → Examples and imports through that
 * dialog with every node type known to the editor and no node the editor marks invalid; together
 * they use every non-config type.
 * Resolves with the ids each import added.
 */
export async function checkExamples(
  editor: Editor,
  api: AdminApi,
  pkg: ModuleUnderTest,
  shipped: string[],
  paletteTypes: string[],
): Promise<{ problems: Problem[]; imported: Map<string, string[]> }> {
  const problems: Problem[] = [];
  const imported = new Map<string, string[]>();
  if (shipped.length === 0) problems.push({ subject: 'examples', problem: 'the package ships no example flow' });
  const offered = await api.examples(pkg.module);
  const used = new Set<string>();
  for (const name of shipped) {
    if (!offered.includes(name)) {
      problems.push({ subject: `example ${name}`, problem: 'not offered under Import → Examples' });
      continue;
    }
    for (const node of await api.example(pkg.module, name)) used.add(node.type);
    const ids = await editor.importExample(pkg.module, name);
    imported.set(name, ids);
    if (ids.length === 0) problems.push({ subject: `example ${name}`, problem: 'import added no node' });
    for (const type of await editor.unknownTypes(ids)) {
      problems.push({ subject: `example ${name}`, problem: `imports a node of unknown type ${type}` });
    }
    for (const id of ids) {
      if (!(await editor.nodeProperty(id, 'z')) || (await editor.nodeProperty(id, 'valid')) !== false) continue;
      const label = `${String(await editor.nodeProperty(id, 'type'))} "${String(await editor.nodeProperty(id, 'name'))}"`;
      const errors = (await editor.validationErrors(id)).join(', ');
      problems.push({ subject: `example ${name}`, problem: `${label} is marked invalid (red triangle): ${errors}` });
    }
    problems.push(...errorsAs(`example ${name}`, editor.takeErrors(), 'import'));
  }
  for (const type of paletteTypes) {
    if (!used.has(type)) problems.push({ subject: type, problem: 'appears in no example flow' });
  }
  return { problems, imported };
}

/** One setting's validator as the editor calls it, checked on one value. */
export interface ValidatorCase {
  type: string;
  property: string;
  /** The node the validator sees as `this` (other settings it may read). */
  node: Record<string, unknown>;
  value: unknown;
  /** What the runtime does with the value: true when a deploy accepts it. */
  accepted: boolean;
}

/**
 * Runs each node type's `defaults.<property>.validate` in the editor, the way the editor
 * validates a node, and reports every value it judges differently from the runtime.
 */
export async function checkValidators(editor: Editor, cases: ValidatorCase[]): Promise<Problem[]> {
  const verdicts = await editor.page.evaluate((all) => {
    type Def = { defaults?: Record<string, { validate?: (this: unknown, value: unknown, opt?: unknown) => unknown }> };
    const RED = (window as unknown as { RED: { nodes: { getType(t: string): Def | null } } }).RED;
    return all.map((c) => {
      const validate = RED.nodes.getType(c.type)?.defaults?.[c.property]?.validate;
      if (!validate) return 'no validator';
      try {
        return validate.call({ ...c.node, [c.property]: c.value }, c.value, {}) === true;
      } catch (err) {
        return `throws ${String(err)}`;
      }
    });
  }, cases);
  const problems: Problem[] = [];
  cases.forEach((c, i) => {
    const verdict = verdicts[i];
    if (verdict === c.accepted) return;
    const said = typeof verdict === 'string' ? verdict : verdict ? 'accepts' : 'refuses';
    problems.push({
      subject: c.type,
      problem: `${c.property} = ${JSON.stringify(c.value)}: the editor ${said} it, the runtime ${c.accepted ? 'accepts' : 'refuses'} it`,
    });
  });
  return problems;
}
