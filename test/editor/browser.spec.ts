import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import should = require('should');
import { FptrClient } from '../../lib/fptr/client/client';
import { readEntityTypes, readFields } from '../../lib/fptr/client/schema';
import { FptrSimulator } from '../../sim';
import { AdminApi } from '../support/browser/admin-api';
import { chromiumInstalled, CHROMIUM_PATH, launchChromium, type Chromium } from '../support/browser/chromium';
import { Editor, type HelpView } from '../support/browser/editor';
import {
  catalogPaletteLabels,
  checkDialogs,
  checkExamples,
  checkHelp,
  checkLoad,
  checkPalette,
  checkRegistry,
  checkTranslation,
  checkValidators,
  configProperties,
  nonConfigTypes,
  readDefinitions,
  type Definitions,
  type ModuleUnderTest,
  type Problem,
} from '../support/browser/editor-check';
import {
  layoutProblems,
  renderedFlow,
  showStatuses,
  shownFlowNodes,
  widestStatus,
} from '../support/browser/flow-layout';
import { NodeRedProcess, redJsFor, type NodeRedOptions } from '../support/browser/node-red-process';
import {
  breakPackage,
  packPackage,
  readPackageJson,
  REPO_ROOT,
  shippedExamples,
  TOO_WIDE_LABEL,
  unpack,
} from '../support/browser/package-under-test';
import { SHARED_RULES } from '../support/editor-rules';
import { runtimePath } from '../support/runtime';

/**
 * Where the README's pictures go: docs/images only through `npm run screenshots`, which names
 * it in FPTR_SCREENSHOTS_DIR; otherwise a temporary folder, so `npm test` leaves the work tree
 * as it found it.
 */
const SCREENSHOTS_DIR = process.env.FPTR_SCREENSHOTS_DIR;
const CATEGORY = 'FPTR';
const LANGUAGES = ['ko', 'ja'];

/** Lists problems one per line so a failing run says exactly what is wrong where. */
function shouldHaveNone(problems: Problem[]): void {
  const text = problems.map((p) => `${p.subject}: ${p.problem}`).join('\n');
  should(text).equal('', `the editor check found problems:\n${text}`);
}

/** The admin's copy of Autodesk's list (documentation ranges here: any values do). */
const PUBLISHED_ADDRESSES = ['192.0.2.10/32', '2001:db8:1::/48'];
/** A memory default and a store that writes at once, as the fptr-events-in help suggests. */
const CONTEXT_STORAGE = {
  default: { module: 'memory' },
  cursor: { module: 'localfilesystem', config: { cache: false } },
};

describe('editor in a real browser (Chromium, packed package installed from the palette)', function () {
  // Packing builds the package, and the palette upload runs npm install against the registry.
  this.timeout(300_000);

  const pkgJson = readPackageJson();
  const declaredSets = Object.keys(pkgJson['node-red'].nodes);
  let work = '';
  let staticDir = '';
  let images = '';
  const started: NodeRedProcess[] = [];
  let chromium: Chromium | undefined;
  let sim: FptrSimulator | undefined;
  let nodeRed: NodeRedProcess;
  let api: AdminApi;
  let editor: Editor;
  let tarball: string;
  let unpacked: string;
  let pkg: ModuleUnderTest;
  let definitions: Definitions;
  let paletteTypes: string[];
  const english = { labels: new Map<string, string>(), help: new Map<string, HelpView>() };

  async function startNodeRed(opts: NodeRedOptions): Promise<NodeRedProcess> {
    const nr = await NodeRedProcess.start(opts);
    started.push(nr);
    return nr;
  }

  before(async function () {
    if (!chromiumInstalled()) {
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM_PATH} is missing: CI must apt-get install chromium`);
      console.warn(
        `\n  !!! SKIPPING the browser test: ${CHROMIUM_PATH} is not installed (apt-get install chromium) !!!\n`,
      );
      this.skip();
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-browser-'));
    staticDir = path.join(work, 'static');
    images = SCREENSHOTS_DIR ? path.resolve(SCREENSHOTS_DIR) : path.join(work, 'images');
    fs.mkdirSync(images, { recursive: true });
    fs.mkdirSync(staticDir);
    // The palette manager's catalogue, served from loopback: nothing the editor loads leaves the machine.
    fs.writeFileSync(path.join(staticDir, 'catalogue.json'), JSON.stringify({ name: 'local', modules: [] }));
    const redJs = redJsFor(runtimePath);
    // Each process is recorded as soon as it runs, so after() ends it even if a sibling failed.
    let browser: Chromium;
    [tarball, nodeRed, browser] = await Promise.all([
      packPackage(work),
      startNodeRed({
        redJs,
        userDir: path.join(work, 'user'),
        staticDir,
        settings: { fptrWebhookInPublishedAddresses: PUBLISHED_ADDRESSES, contextStorage: CONTEXT_STORAGE },
      }),
      launchChromium().then((c) => (chromium = c)),
    ]);
    unpacked = await unpack(tarball, path.join(work, 'unpacked'));
    sim = new FptrSimulator();
    await sim.listen();
    api = new AdminApi(nodeRed.url);
    editor = await Editor.open(browser.context, nodeRed.url);
  });

  after(async () => {
    await chromium?.close();
    for (const nr of started) await nr.stop();
    await sim?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('installs the tarball through Manage palette → Install → upload', async () => {
    const status = await editor.installTarball(tarball, pkgJson.name);
    should(status).equal(200, `upload answered ${status}; Node-RED log:\n${nodeRed.log()}`);
    // The later checks cover whatever did load, so one broken set does not hide other problems.
    pkg = {
      module: pkgJson.name,
      category: CATEGORY,
      types: (await api.nodeSets(pkgJson.name)).flatMap((s) => s.types),
    };
    shouldHaveNone(await checkRegistry(api, pkgJson.name, declaredSets));
  });

  it('lists every non-config node in the FPTR palette category with its own icon', async () => {
    // A fresh load: what a person sees next time they open the editor (and the load's own errors).
    const bundleRequests: string[] = [];
    const onRequest = (request: { url(): string }): void => {
      if (request.url().endsWith(`/resources/${pkgJson.name}/fptr-editor.js`)) bundleRequests.push(request.url());
    };
    editor.page.on('request', onRequest);
    await editor.reload();
    editor.page.off('request', onRequest);
    // The editor rules are loaded from one place (the fptr-site editor), once per page.
    bundleRequests.should.have.length(1);
    definitions = await readDefinitions(editor, pkg.types);
    paletteTypes = nonConfigTypes(definitions);
    const palette = await checkPalette(editor, api, pkg, paletteTypes);
    palette.labels.forEach((label, type) => english.labels.set(type, label));
    await editor.page.locator(`#red-ui-palette-container-${CATEGORY}`).scrollIntoViewIfNeeded();
    await editor.screenshot(path.join(images, 'palette.png'));
    shouldHaveNone([...checkLoad(definitions, editor.takeErrors()), ...palette.problems]);
    paletteTypes.length.should.be.above(0);
  });

  it('refuses in each node editor exactly what the runtime refuses', async () => {
    const cases = SHARED_RULES.flatMap((rule) =>
      rule.cases.map((value) => ({
        type: rule.type,
        property: rule.property,
        node: rule.node ?? {},
        value,
        accepted: rule.runtime(value),
      })),
    );
    cases.length.should.be.above(100);
    shouldHaveNone(await checkValidators(editor, cases));
  });

  it('opens and closes every node edit dialog without errors', async () => {
    const shot = paletteTypes.includes('fptr-webhook-in') ? 'fptr-webhook-in' : paletteTypes[0];
    shouldHaveNone(await checkDialogs(editor, pkg, definitions, { type: shot, file: path.join(images, 'dialog.png') }));
  });

  it("fills a webhook's allowed sources from the fptrWebhookInPublishedAddresses setting, once", async () => {
    const id = await editor.dropNode('fptr-webhook-in');
    await editor.openNodeDialog(id);
    const entries = () =>
      editor.page
        .locator('.node-input-allowList-cidr')
        .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    (await entries()).should.eql([]);
    await editor.page.click('#fptr-webhook-in-preset');
    await editor.page.click('#fptr-webhook-in-preset');
    (await entries()).should.eql(PUBLISHED_ADDRESSES);
    await editor.closeNodeDialog();
    should(await editor.nodeProperty(id, 'allowList')).eql(PUBLISHED_ADDRESSES);
    await editor.deleteNode(id);
    shouldHaveNone(editor.takeErrors().map((e) => ({ subject: 'fptr-webhook-in preset', problem: e })));
  });

  it('warns in the fptr-events-in dialog while the cursor store keeps it in memory only', async () => {
    const catalog = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'locales', 'en-US', 'fptr-events-in.json'), 'utf8'),
    ) as {
      'fptr-events-in': { tip: Record<string, string> };
    };
    const id = await editor.dropNode('fptr-events-in');
    await editor.openNodeDialog(id);
    const tip = editor.page.locator('#fptr-events-in-store-tip');
    // The default store is memory: the tip shows once the runtime has said what each store is.
    await tip.waitFor({ state: 'visible' });
    should(await tip.textContent()).equal(catalog['fptr-events-in'].tip['store-memory']);
    await editor.page.selectOption('#node-input-store', 'cursor');
    should(await tip.isVisible()).be.false();
    await editor.closeNodeDialog();
    should(await editor.nodeProperty(id, 'store')).equal('cursor');
    await editor.deleteNode(id);
    shouldHaveNone(editor.takeErrors().map((e) => ({ subject: 'fptr-events-in store', problem: e })));
  });

  let siteId = '';
  let hostId = '';
  it('creates an fptr-site in its dialog and "Test connection" reaches the simulator', async () => {
    const site = sim as FptrSimulator;
    // The flow deployed next must be complete: use the first node that needs nothing but a site.
    const uses = (await configProperties(editor, paletteTypes)).filter((u) => u.configType === 'fptr-site');
    let property = '';
    for (const use of uses) {
      const id = await editor.dropNode(use.type);
      if ((await editor.validationErrors(id)).every((e) => e.startsWith(use.property))) {
        [hostId, property] = [id, use.property];
        break;
      }
      await editor.deleteNode(id);
    }
    should(hostId).not.equal(
      '',
      `no node type with an fptr-site property is complete with just a site: ${JSON.stringify(uses)}`,
    );
    await editor.openNodeDialog(hostId);
    await editor.openNewConfigDialog(property);
    const page = editor.page;
    await page.fill('#node-config-input-name', 'Simulator');
    await page.fill('#node-config-input-url', site.url);
    await page.selectOption('#node-config-input-authType', 'script');
    await page.fill('#node-config-input-scriptName', FptrSimulator.DEMO.scriptName);
    await page.fill('#node-config-input-scriptKey', FptrSimulator.DEMO.scriptKey);
    const catalog = (await api.catalog(`${pkg.module}/fptr-site`, 'en-US'))['fptr-site'] as {
      test: { ok: string; testing: string };
    };
    const result = page.locator('#node-config-fptr-site-test-result');
    await page.click('#node-config-fptr-site-test');
    await page.waitForFunction(([el, testing]) => !!el && el.textContent !== '' && el.textContent !== testing, [
      await result.elementHandle(),
      catalog.test.testing,
    ] as const);
    const text = await result.innerText();
    text.should.match(templateRegExp(catalog.test.ok), `Test connection said: ${text}`);
    site.stats.tokenRequests.should.be.above(0);
    await editor.closeConfigDialog('ok');
    await editor.closeNodeDialog();
    siteId = String((await editor.nodeProperty(hostId, property)) ?? '');
    siteId.should.not.equal('');
    shouldHaveNone(editor.takeErrors().map((e) => ({ subject: 'fptr-site', problem: e })));
  });

  it('deploys that flow with Deploy; GET /flows has it and no secret', async () => {
    const logged = nodeRed.log().length;
    const { confirmed } = await editor.deploy();
    should(confirmed).equal(false, 'the editor found the flow incomplete and asked before deploying');
    // Nodes report bad settings when they start, which the runtime logs before it answers the deploy.
    should(nodeRed.log().slice(logged)).not.match(/\[error\]/, `Node-RED log:\n${nodeRed.log().slice(logged)}`);
    const flows = await api.flows();
    const site = flows.find((n) => n.id === siteId);
    should.exist(site, 'deployed flows lack the fptr-site');
    should(site?.type).equal('fptr-site');
    should(site?.url).equal((sim as FptrSimulator).url);
    should.exist(
      flows.find((n) => n.id === hostId),
      'deployed flows lack the node using the site',
    );
    JSON.stringify(flows).should.not.containEql(FptrSimulator.DEMO.scriptKey);
    const stored = fs.readFileSync(path.join(work, 'user', 'flows_cred.json'), 'utf8');
    stored.should.not.containEql(FptrSimulator.DEMO.scriptKey);
    shouldHaveNone(editor.takeErrors().map((e) => ({ subject: 'deploy', problem: e })));
  });

  it("offers the deployed site's entity types, fields and status values in the event filter dialog, and flags a typo", async () => {
    const site = sim as FptrSimulator;
    // What the simulator's schema says, read as the runtime reads it.
    const client = new FptrClient({
      url: site.url,
      auth: {
        grant: 'client_credentials',
        scriptName: FptrSimulator.DEMO.scriptName,
        scriptKey: FptrSimulator.DEMO.scriptKey,
      },
    });
    const types = readEntityTypes(await client.readSchema()).filter((t) => t.visible);
    const taskFields = readFields(await client.readSchemaFields('Task'));
    await client.close();
    const statuses = taskFields.find((f) => f.name === 'sg_status_list')?.validValues ?? [];
    statuses.should.containEql('rdy');
    const byName = (names: string[]) => [...names].sort();
    const common = (await api.catalog(`${pkg.module}/fptr-event-filter`, 'en-US')).fptr as {
      schema: Record<string, string>;
    };
    const page = editor.page;
    // The deploy just before says so in a notification over the canvas, which would catch the drop.
    await editor.page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#red-ui-notifications .red-ui-notification')).every(
          (el) => (el as HTMLElement).offsetParent === null,
        ),
      undefined,
      { timeout: 15_000 },
    );
    const id = await editor.dropNode('fptr-event-filter');
    await editor.openNodeDialog(id);
    await page.selectOption('#node-input-site', siteId);
    const status = page.locator('.fptr-schema-status');
    await page.waitForFunction(([el, pattern]) => !!el && new RegExp(pattern, 's').test(el.textContent ?? ''), [
      await status.elementHandle(),
      templateRegExp(common.schema.ready).source,
    ] as const);

    const entityTypes = page.locator('#node-input-entityTypes');
    should(byName(await editor.completions(entityTypes, ''))).eql(byName(types.map((t) => t.name)).slice(0, 50));
    (await editor.completions(entityTypes, 'Tas')).should.containEql('Task');
    await entityTypes.fill('Task');
    const attributes = page.locator('#node-input-attributeNames');
    should(byName(await editor.completions(attributes, ''))).eql(byName(taskFields.map((f) => f.name)).slice(0, 50));
    await attributes.fill('sg_status_list');
    await attributes.dispatchEvent('change');
    const rules = page.locator('.node-input-value-container-row');
    await rules.locator('.red-ui-editableList-addButton').click();
    // The typedInput's own text box (the rule's input stays hidden behind it).
    const value = rules.locator('.red-ui-editableList-item-content .red-ui-typedInput-input').last();
    should(byName(await editor.completions(value, ''))).eql(byName(statuses));

    // A typo in each kind of name is flagged beside its field, and kept.
    const flagOf = (input: typeof value) =>
      input
        .locator(
          'xpath=ancestor::*[contains(@class,"form-row") or contains(@class,"red-ui-editableList-item-content")][1]',
        )
        .locator('.fptr-schema-flag');
    await entityTypes.fill('Tsak');
    await entityTypes.dispatchEvent('change');
    await flagOf(entityTypes).filter({ hasText: 'Tsak' }).waitFor();
    should(await flagOf(entityTypes).innerText()).match(templateRegExp(common.schema.unknownType));
    await entityTypes.fill('Task');
    await attributes.fill('sg_stauts_list');
    await attributes.dispatchEvent('change');
    await flagOf(attributes).filter({ hasText: 'sg_stauts_list' }).waitFor();
    should(await flagOf(attributes).innerText()).match(templateRegExp(common.schema.unknownField));
    await attributes.fill('sg_status_list');
    await attributes.dispatchEvent('change');
    await value.fill('rdyy');
    await value.dispatchEvent('change');
    await flagOf(value).filter({ hasText: 'rdyy' }).waitFor();
    should(await flagOf(value).innerText()).match(templateRegExp(common.schema.unknownValue));
    should(await flagOf(entityTypes).innerText()).equal('');
    should(await flagOf(attributes).innerText()).equal('');
    await editor.closeNodeDialog();
    should(await editor.nodeProperty(id, 'values')).containDeep([{ v: 'rdyy' }]);
    await editor.deleteNode(id);
    shouldHaveNone(editor.takeErrors().map((e) => ({ subject: 'fptr-event-filter pickers', problem: e })));
  });

  it("completes fptr-find's entity type and fields (typed inputs) from the site, and flags an unknown type", async () => {
    const common = (await api.catalog(`${pkg.module}/fptr-find`, 'en-US')).fptr as { schema: Record<string, string> };
    const page = editor.page;
    const id = await editor.dropNode('fptr-find');
    await editor.openNodeDialog(id);
    await page.selectOption('#node-input-site', siteId);
    const status = page.locator('.fptr-schema-status');
    await page.waitForFunction(([el, pattern]) => !!el && new RegExp(pattern, 's').test(el.textContent ?? ''), [
      await status.elementHandle(),
      templateRegExp(common.schema.ready).source,
    ] as const);
    // A typedInput's own text box, in the form row of the setting.
    const typed = (property: string) => page.locator(`.form-row:has(#node-input-${property}) .red-ui-typedInput-input`);
    const entity = typed('entity');
    (await editor.completions(entity, 'Sho')).should.containEql('Shot');
    await entity.fill('Task');
    await entity.dispatchEvent('change');
    (await editor.completions(typed('fields'), 'sg_st')).should.containEql('sg_status_list');
    await entity.fill('Shto');
    await entity.dispatchEvent('change');
    const flag = page.locator('.form-row:has(#node-input-entity) .fptr-schema-flag');
    await flag.filter({ hasText: 'Shto' }).waitFor();
    should(await flag.innerText()).match(templateRegExp(common.schema.unknownType));
    await editor.closeNodeDialog();
    should(await editor.nodeProperty(id, 'entity')).equal('Shto');
    await editor.deleteNode(id);
    shouldHaveNone(editor.takeErrors().map((e) => ({ subject: 'fptr-find pickers', problem: e })));
  });

  it('lists each preflight check of Test connection with its result, for a script that generates no events', async () => {
    const site = sim as FptrSimulator;
    const silent = { scriptName: 'silent_bridge', scriptKey: 'silent-bridge-key-1' };
    site.addScript(silent.scriptName, silent.scriptKey, { generateEvents: false });
    const catalog = (await api.catalog(`${pkg.module}/fptr-site`, 'en-US'))['fptr-site'] as {
      test: { testing: string };
      preflight: Record<string, Record<string, string>> & { fix: string };
    };
    const page = editor.page;
    await editor.openNodeDialog(hostId);
    const property = (await configProperties(editor, [String(await editor.nodeProperty(hostId, 'type'))])).find(
      (u) => u.configType === 'fptr-site',
    )?.property as string;
    // Only a test: both dialogs are cancelled, even when a check fails, and the site keeps its own script.
    try {
      await editor.openConfigDialog(property);
      await page.fill('#node-config-input-scriptName', silent.scriptName);
      await page.fill('#node-config-input-scriptKey', silent.scriptKey);
      await page.click('#node-config-fptr-site-test');
      const lines = page.locator('#node-config-fptr-site-checks li.fptr-site-check');
      await lines.first().waitFor({ state: 'visible' });
      const shown = await lines.evaluateAll((items) =>
        items.map((li) => ({
          check: li.getAttribute('data-check'),
          outcome: li.getAttribute('data-outcome'),
          text: (li as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
        })),
      );
      should(shown.map((l) => [l.check, l.outcome])).eql([
        ['version', 'ok'],
        ['events', 'warning'],
        ['webhooks', 'ok'],
        ['eventLog', 'ok'],
      ]);
      const fill = (text: string) => text.replace(/__user__/g, silent.scriptName);
      const events = shown[1].text;
      events.should.containEql(fill(catalog.preflight.events.off));
      events.should.containEql(`${catalog.preflight.fix} ${fill(catalog.preflight.events.turnOn)}`);
      shown[0].text.should.match(templateRegExp(catalog.preflight.version.ok));
      shown[2].text.should.equal(catalog.preflight.webhooks.ok);
      shown[3].text.should.equal(catalog.preflight.eventLog.ok);
    } finally {
      if (await page.locator('#node-config-dialog-cancel').isVisible()) await editor.closeConfigDialog('cancel');
      await page.click('#node-dialog-cancel');
      await page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
    }
    shouldHaveNone(editor.takeErrors().map((e) => ({ subject: 'fptr-site preflight', problem: e })));
  });

  it('shows every node help in the sidebar help tab', async () => {
    const { problems, help } = await checkHelp(editor, pkg, definitions, english.labels);
    help.forEach((view, type) => english.help.set(type, view));
    shouldHaveNone(problems);
  });

  let imported = new Map<string, string[]>();
  it('imports every example through Import → Examples', async () => {
    const shipped = shippedExamples(unpacked);
    const checked = await checkExamples(editor, api, pkg, shipped, paletteTypes);
    const problems = checked.problems;
    imported = checked.imported;
    // The README picture: the largest example, on its own tab.
    const best = [...imported].sort((a, b) => b[1].length - a[1].length)[0];
    if (best) {
      const viewport = editor.page.viewportSize();
      await editor.page.setViewportSize({ width: 1920, height: 900 });
      await editor.showFlowOf(best[1][0]);
      await editor.showSidebarTab('info');
      await editor.zoomOutToFit();
      await editor.screenshot(path.join(images, 'flow.png'));
      if (viewport) await editor.page.setViewportSize(viewport);
    }
    shouldHaveNone(problems);
  });

  it("lays out every example so that no nodes, labels or statuses overlap, with this machine's fonts", async () => {
    // Every node of the package shows the widest status its catalog has, as a deployed flow would.
    const catalogs = new Map<string, Record<string, unknown>>();
    for (const set of await api.nodeSets(pkg.module)) {
      const catalog = await api.catalog(set.id, 'en-US');
      for (const type of set.types) catalogs.set(type, catalog);
    }
    imported.size.should.be.above(0);
    const problems: Problem[] = [];
    for (const [name, ids] of imported) {
      let first: string | undefined;
      for (const id of ids) if (!first && (await editor.nodeProperty(id, 'z'))) first = id;
      if (!first) continue;
      await editor.showFlowOf(first);
      // As a tab first opens (the README picture zoomed and scrolled one of these tabs).
      await editor.zoomToStart();
      const shown = await shownFlowNodes(editor);
      if (!shown.some((n) => n.id === first)) {
        problems.push({ subject: `example ${name}`, problem: 'its flow tab did not come to the front' });
        continue;
      }
      const statuses: Record<string, string> = {};
      for (const node of shown) {
        const text = widestStatus(catalogs.get(node.type), node);
        if (text) statuses[node.id] = text;
      }
      await showStatuses(editor, statuses);
      const flow = await renderedFlow(editor);
      problems.push(...layoutProblems(`example ${name}`, flow));
    }
    shouldHaveNone(problems);
  });

  for (const lng of LANGUAGES) {
    it(`shows translated palette labels and help in ${lng}`, async () => {
      await editor.setLanguage(lng);
      const palette = await checkPalette(editor, api, pkg, paletteTypes);
      const { problems, help } = await checkHelp(editor, pkg, definitions, palette.labels);
      const catalogLabels = await catalogPaletteLabels(api, pkg.module, lng);
      shouldHaveNone([
        ...palette.problems,
        ...problems,
        ...checkTranslation(lng, catalogLabels, english.help, { labels: palette.labels, help }),
      ]);
    });
  }

  it('reports a throwing editor script, a missing icon, a missing catalog, a throwing dialog and a label broken inside a word in a broken copy', async () => {
    const [scriptThrows, iconRemoved, catalogRemoved, dialogThrows, labelTooWide] = paletteTypes;
    should.exist(labelTooWide, 'needs five palette node types to break');
    const broken = await unpack(tarball, path.join(work, 'broken'));
    breakPackage(broken, { scriptThrows, iconRemoved, catalogRemoved, dialogThrows, labelTooWide });
    const brokenRed = await startNodeRed({
      redJs: redJsFor(runtimePath),
      userDir: path.join(work, 'broken-user'),
      staticDir,
      nodesDir: [broken],
      // Loaded in place rather than installed: its runtime dependencies come from this repo.
      env: { NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    });
    const brokenApi = new AdminApi(brokenRed.url);
    const brokenEditor = await Editor.open((chromium as Chromium).context, brokenRed.url);
    const brokenPkg = { ...pkg, types: (await brokenApi.nodeSets(pkg.module)).flatMap((s) => s.types) };
    brokenPkg.types.should.containDeep(pkg.types);
    const defs = await readDefinitions(brokenEditor, brokenPkg.types);
    // The positive run already opened every dialog; here only the broken types' (cheaper).
    const brokenTypes = [scriptThrows, iconRemoved, catalogRemoved, dialogThrows, labelTooWide];
    const brokenDefs = new Map([...defs].filter(([type]) => brokenTypes.includes(type)));
    const problems = [
      ...checkLoad(defs, brokenEditor.takeErrors()),
      ...(await checkPalette(brokenEditor, brokenApi, brokenPkg, nonConfigTypes(defs))).problems,
      ...(await checkDialogs(brokenEditor, brokenPkg, brokenDefs)),
    ];
    await brokenEditor.page.close();
    const text = problems.map((p) => `${p.subject}: ${p.problem}`).join('\n');
    text.should.match(/^editor: while loading the editor: pageerror: deliberately broken editor script$/m);
    text.should.containEql(`${scriptThrows}: no editor definition`);
    // The editor falls back to a core icon for a file the module lacks.
    text.should.match(new RegExp(`^${iconRemoved}: palette icon is not the module's own: icons/node-red/`, 'm'));
    text.should.match(new RegExp(`^${catalogRemoved}: dialog shows a missing catalog key: ${catalogRemoved}\\.`, 'm'));
    text.should.match(new RegExp(`^${dialogThrows}: edit dialog: .*deliberately broken edit dialog`, 'm'));
    text.should.match(
      new RegExp(`^${labelTooWide}: palette label "${TOO_WIDE_LABEL}" breaks inside a word: "[a-z]+" / "[a-z]+`, 'm'),
    );
    // Nothing else is wrong with the copy: the checker blames only what was broken.
    const blamed = new Set(problems.map((p) => p.subject));
    should([...blamed].sort()).eql(['editor', ...brokenTypes].sort(), text);
  });
});

/** A catalog message with `__name__` placeholders as a pattern matching any filled-in text. */
function templateRegExp(message: string): RegExp {
  const parts = message.split(/__\w+__/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`, 's');
}
