import type { BrowserContext, Locator, Page, Response } from 'playwright-core';

/** What one palette entry shows. */
export interface PaletteEntry {
  /** The label as a person reads it: its lines joined by single spaces. */
  label: string;
  /** The label's lines as the palette renders them (the editor breaks long labels; CSS may wrap them further). */
  lines: string[];
  /** The label the node definition gave the palette, before the editor broke it into lines. */
  text: string;
  /** The icon URL the editor resolved for the node, e.g. `icons/<module>/<file>`. */
  iconUrl: string | null;
}

export interface HelpView {
  title: string;
  body: string;
}

/**
 * The editor catches exceptions from a node's definition (label, paletteLabel, icon, onedit*
 * hooks) and from appending a module's editor HTML, and only console.log/warns them. These
 * patterns turn those lines back into errors.
 */
const SWALLOWED_ERROR = /^(Definition error: |onedit(prepare|save|cancel|resize|delete) |\[[^\]]+\] \w*Error\b)/;

/** Longer than the time within which Node-RED's tab bar takes two clicks for a double click (400 ms). */
const TAB_DOUBLE_CLICK_MS = 500;

/** Where the canvas places the n-th node the test drops on it (grid-aligned, clear of each other). */
function dropPoint(index: number): { x: number; y: number } {
  return { x: 160 + (index % 3) * 220, y: 80 + Math.floor(index / 3) * 80 };
}

/**
 * Drives the Node-RED editor in one page the way a person does: palette, drag and drop,
 * double-click, dialog buttons, menus, sidebar. Reads back through the DOM; `RED.*` is only read,
 * and only for what the DOM does not carry (node ids and types, which flow a node is on, the
 * canvas's mouse mode, whether the editor has an installed module's types).
 */
export class Editor {
  private errors: string[] = [];
  private dropped = 0;
  private lastTabClick = 0;

  private constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {
    page.on('pageerror', (err) => this.errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || SWALLOWED_ERROR.test(msg.text()))
        this.errors.push(`console.${msg.type()}: ${msg.text()}`);
    });
  }

  /** Opens the editor in a new page; any request leaving loopback is refused and reported. */
  static async open(context: BrowserContext, baseUrl: string): Promise<Editor> {
    const page = await context.newPage();
    const editor = new Editor(page, baseUrl);
    await page.route(/^(?!https?:\/\/127\.0\.0\.1[:/])/, async (route) => {
      editor.errors.push(`off-machine request refused: ${route.request().url()}`);
      await route.abort('blockedbyclient');
    });
    await editor.reload();
    return editor;
  }

  /** Errors the page raised (uncaught exceptions, console.error, refused requests) since the last call. */
  takeErrors(): string[] {
    const taken = this.errors;
    this.errors = [];
    return taken;
  }

  async reload(): Promise<void> {
    this.dropped = 0;
    await this.page.goto(this.baseUrl);
    await this.page.locator('#red-ui-header-button-deploy').waitFor({ state: 'visible', timeout: 30_000 });
    await this.page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 30_000 });
    await this.page
      .locator('#red-ui-workspace-chart .red-ui-workspace-chart-event-layer')
      .waitFor({ state: 'attached' });
  }

  private async mainMenu(itemId: string): Promise<void> {
    await this.page.click('#red-ui-header-button-sidemenu');
    await this.page.click(`#${itemId}`);
  }

  // ---- palette manager ---------------------------------------------------------------------

  /**
   * Manage palette → Install → upload button → choose the file → Upload. Resolves with the
   * HTTP status of the upload once the editor has the installed module's node types.
   */
  async installTarball(tarball: string, module: string): Promise<number> {
    await this.mainMenu('menu-item-edit-palette');
    const settings = this.page.locator('#red-ui-settings-tab-palette');
    await settings.getByRole('link', { name: /^install$/i }).click();
    await settings.locator('.red-ui-palette-editor-upload-button input[type="file"]').setInputFiles(tarball);
    const upload = settings.locator('.red-ui-palette-editor-upload-buttons button.primary');
    await upload.waitFor({ state: 'visible' });
    const [response] = await Promise.all([
      this.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/nodes', {
        timeout: 240_000,
      }),
      upload.click(),
    ]);
    // A failed install leaves its modal notification open for the failing test's screenshot/log.
    if (!response.ok()) return response.status();
    // The runtime then tells the editor over comms. Node-RED now and then leaves the module's
    // Nodes tab row hidden (seen once in ten runs), so the sign that the install reached the
    // editor is its registry holding the module's node types.
    await this.page.waitForFunction(
      (name) => {
        type Registry = { getModule(m: string): { sets?: Record<string, { types?: string[] }> } | undefined };
        const RED = (window as unknown as { RED: { nodes: { registry: Registry } } }).RED;
        const sets = Object.values(RED.nodes.registry.getModule(name)?.sets ?? {});
        return sets.some((s) => (s.types?.length ?? 0) > 0);
      },
      module,
      { timeout: 30_000 },
    );
    await settings.getByRole('link', { name: /^nodes$/i }).click();
    await settings.locator('.red-ui-palette-module-name', { hasText: module }).first().waitFor({ state: 'attached' });
    await this.page.click('#node-dialog-ok');
    return response.status();
  }

  // ---- palette -----------------------------------------------------------------------------

  paletteNode(type: string): Locator {
    return this.page.locator(`#red-ui-palette-container .red-ui-palette-node[data-palette-type="${type}"]`);
  }

  /** The types listed in one palette category, in palette order. */
  async paletteCategory(category: string): Promise<string[]> {
    const nodes = this.page.locator(`#red-ui-palette-container-${category} .red-ui-palette-node`);
    return nodes.evaluateAll((els) => els.map((el) => el.getAttribute('data-palette-type') ?? ''));
  }

  async paletteEntry(type: string): Promise<PaletteEntry | null> {
    const node = this.paletteNode(type);
    if ((await node.count()) === 0) return null;
    const lines = await node.locator('.red-ui-palette-label').evaluate(renderedLines);
    return {
      label: lines.join(' '),
      lines,
      text: (await node.getAttribute('data-palette-label')) ?? '',
      iconUrl: await node.locator('.red-ui-palette-icon-container').getAttribute('data-palette-icon'),
    };
  }

  // ---- workspace ---------------------------------------------------------------------------

  /** Drags a node from the palette onto the canvas; resolves with the new node's id. */
  async dropNode(type: string): Promise<string> {
    const source = this.paletteNode(type);
    await source.scrollIntoViewIfNeeded();
    const from = await source.boundingBox();
    const chart = await this.page.locator('#red-ui-workspace-chart').boundingBox();
    if (!from || !chart) throw new Error(`palette node ${type} or canvas not visible`);
    const to = dropPoint(this.dropped++);
    const mouse = this.page.mouse;
    await mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await mouse.down();
    await mouse.move(chart.x + to.x, chart.y + to.y, { steps: 8 });
    await mouse.up();
    // The editor selects what was just dropped; the DOM has no other handle on the new id.
    const id = await this.page.evaluate(() => {
      const RED = (window as unknown as { RED: { view: { selection(): { nodes?: { id: string }[] } } } }).RED;
      return RED.view.selection().nodes?.[0]?.id ?? null;
    });
    if (!id) throw new Error(`dropping ${type} on the canvas created no node`);
    return id;
  }

  canvasNode(id: string): Locator {
    return this.page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`);
  }

  /** One property of a node as the editor holds it (`undefined` for an unknown node or property). */
  async nodeProperty(id: string, property: string): Promise<unknown> {
    return this.page.evaluate(
      ([nodeId, prop]) => {
        const RED = (window as unknown as { RED: { nodes: { node(id: string): Record<string, unknown> | null } } }).RED;
        return RED.nodes.node(nodeId)?.[prop];
      },
      [id, property] as const,
    );
  }

  /** What the editor finds wrong with a canvas node's settings (the red triangle's list). */
  async validationErrors(id: string): Promise<string[]> {
    return ((await this.nodeProperty(id, 'validationErrors')) as string[] | undefined) ?? [];
  }

  /** Clicks a canvas node and presses Delete. */
  async deleteNode(id: string): Promise<void> {
    await this.canvasNode(id).click();
    await this.page.keyboard.press('Delete');
  }

  /**
   * Does what opens one more edit tray and waits until it is built and sliding in. The tray and
   * its buttons exist before the dialog is built, and until then the editor ignores clicks that
   * open a further dialog; the tray is moved into view (`right: 0`) only once built.
   */
  private async openTray(action: () => Promise<void>): Promise<void> {
    const tray = this.page.locator('.red-ui-tray').last();
    // A tray opened over another one takes its place in the DOM, so "new" means another element.
    const previous = (await tray.count()) > 0 ? await tray.elementHandle() : null;
    await action();
    await waitUntil(async () => {
      if ((await tray.count()) === 0 || !/\bright: 0px/.test((await tray.getAttribute('style')) ?? '')) return false;
      return !previous || !(await tray.evaluate((el, prev) => el === prev, previous));
    }, 'an edit tray to open');
  }

  /** Double-clicks a canvas node; resolves once its edit tray is open. */
  async openNodeDialog(id: string): Promise<void> {
    await this.openTray(() => this.canvasNode(id).dblclick());
  }

  async closeNodeDialog(): Promise<void> {
    await this.page.click('#node-dialog-ok');
    await this.page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
  }

  /** In an open node dialog, the "add new config node" button of a config-node property. */
  async openNewConfigDialog(property: string): Promise<void> {
    await this.openTray(() => this.page.click(`#node-input-btn-${property}-add`));
  }

  /** In an open node dialog, the edit (pencil) button of a config-node property's chosen node. */
  async openConfigDialog(property: string): Promise<void> {
    await this.openTray(() => this.page.click(`#node-input-btn-${property}-edit`));
  }

  /**
   * The completions an autocompleting input offers after `keys` are typed into it (ArrowDown on
   * an empty input lists them all): the first text of each entry, in menu order; closes
   * the menu again by a click on the tray's title bar (Escape would also cancel the dialog).
   */
  async completions(input: Locator, keys: string): Promise<string[]> {
    await input.fill('');
    await input.focus();
    if (keys) await input.pressSequentially(keys);
    else await input.press('ArrowDown');
    const entries = this.page.locator('.red-ui-autoComplete-container:visible li a');
    await entries.first().waitFor({ state: 'visible' });
    const names = await entries.evaluateAll((links) =>
      links.map((a) => (a.querySelector('span > span') ?? a).textContent ?? ''),
    );
    await this.page.locator('.red-ui-tray-titlebar').last().click();
    await this.page.locator('.red-ui-autoComplete-container:visible').waitFor({ state: 'detached' });
    return names;
  }

  async closeConfigDialog(button: 'ok' | 'cancel'): Promise<void> {
    await this.page.click(`#node-config-dialog-${button}`);
    await this.page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
  }

  /** Selects everything on the current flow and deletes it (Ctrl+A, Delete). */
  async clearFlow(): Promise<void> {
    await this.page.locator('#red-ui-workspace-chart').click({ position: { x: 20, y: 20 } });
    await this.page.keyboard.press('Control+a');
    await this.page.keyboard.press('Delete');
    this.dropped = 0;
  }

  /**
   * Presses Deploy; resolves once the runtime accepted the flows, telling whether the editor
   * first asked to confirm (it does when some node's settings are incomplete; a person confirms).
   */
  async deploy(): Promise<{ confirmed: boolean }> {
    let response: Response | undefined;
    const responded = this.page
      .waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/flows')
      .then((r) => (response = r));
    await this.page.click('#red-ui-header-button-deploy');
    const confirm = this.page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
    await waitUntil(async () => response !== undefined || (await confirm.isVisible()), 'the deploy to start');
    const confirmed = response === undefined;
    if (confirmed) await confirm.click();
    const answer = await responded;
    if (!answer.ok()) throw new Error(`deploy answered ${answer.status()}`);
    await this.page.locator('#red-ui-header-button-deploy.disabled').waitFor({ state: 'attached' });
    return { confirmed };
  }

  // ---- import ------------------------------------------------------------------------------

  /**
   * Import → Examples → <module> → <folders> → <flow>, into a new flow tab. Resolves with the
   * ids of the nodes the import added.
   */
  async importExample(module: string, name: string): Promise<string[]> {
    const before = await this.nodeIds();
    await this.mainMenu('menu-item-import');
    const dialog = this.page.locator('.red-ui-editor-dialog:visible');
    try {
      await dialog.locator('#red-ui-clipboard-dialog-import-tabs a', { hasText: /^examples$/i }).click();
      let folder = dialog.locator('#red-ui-clipboard-dialog-import-tab-examples');
      const folders = [module, ...name.split('/')];
      const file = folders.pop() as string;
      for (const part of folders) folder = await this.expandTreeFolder(folder, part);
      const row = this.treeLabel(folder, file).locator(
        'xpath=ancestor::div[contains(@class,"red-ui-treeList-label")][1]',
      );
      await row.click();
      await waitUntil(
        async () => hasClass(await row.getAttribute('class'), 'selected'),
        `example ${name} to be selected`,
      );
      const newFlow = dialog.locator('#red-ui-clipboard-dialog-import-opt-new');
      if (await newFlow.isVisible()) await newFlow.click();
      await this.page.locator('#red-ui-clipboard-dialog-ok:not(.ui-state-disabled)').click();
    } catch (err) {
      // Leave the editor usable for the next check: Escape closes the dialog.
      await this.page.keyboard.press('Escape');
      throw err;
    }
    // Ids an example shares with nodes already in the workspace make the editor ask in a
    // notification (Cancel / View nodes... / Import copy); a person picks "Import copy".
    const conflict = this.page.locator('.red-ui-notification', { has: this.page.locator('button') }).last();
    const imported = async () => (await this.nodeIds()).length > before.length;
    await waitUntil(async () => (await imported()) || (await conflict.isVisible()), `example ${name} to import`);
    if (!(await imported())) {
      await conflict.locator('button').last().click();
      await waitUntil(imported, `example ${name} to import as a copy`);
    }
    await this.dropImportIfMoving();
    const after = await this.nodeIds();
    return after.filter((id) => !before.includes(id));
  }

  /** An example without its own flow tab sticks to the mouse until a click places it. */
  private async dropImportIfMoving(): Promise<void> {
    const moving = await this.page.evaluate(() => {
      const RED = (window as unknown as { RED: { view: { state(): number }; state: Record<string, number> } }).RED;
      return RED.view.state() === RED.state.IMPORT_DRAGGING;
    });
    if (moving) await this.page.locator('#red-ui-workspace-chart').click({ position: { x: 300, y: 200 } });
  }

  /** Ids of every node and config node the editor holds (not tabs). */
  async nodeIds(): Promise<string[]> {
    return this.page.evaluate(() => {
      type Each = (cb: (n: { id: string }) => void) => void;
      const RED = (window as unknown as { RED: { nodes: { eachNode: Each; eachConfig: Each } } }).RED;
      const ids: string[] = [];
      RED.nodes.eachNode((n) => void ids.push(n.id));
      RED.nodes.eachConfig((n) => void ids.push(n.id));
      return ids;
    });
  }

  /** Types of the given nodes that the editor does not know (shown as "unknown" nodes). */
  async unknownTypes(ids: string[]): Promise<string[]> {
    return this.page.evaluate((wanted) => {
      type N = { id: string; type: string };
      const RED = (
        window as unknown as {
          RED: {
            nodes: {
              eachNode(cb: (n: N) => void): void;
              eachConfig(cb: (n: N) => void): void;
              getType(t: string): unknown;
            };
          };
        }
      ).RED;
      const unknown = new Set<string>();
      for (const each of [RED.nodes.eachNode, RED.nodes.eachConfig]) {
        each((n) => {
          if (wanted.includes(n.id) && !RED.nodes.getType(n.type)) unknown.add(n.type);
        });
      }
      return [...unknown];
    }, ids);
  }

  // ---- help sidebar ------------------------------------------------------------------------

  /**
   * Help tab → open the module under "Node Help" → type the node type into the help search →
   * pick the entry → read the help panel. The search keeps every type containing the text, in
   * type order, so `moduleTypes` (all types of the module) tells which entry is `type`.
   */
  async showHelp(module: string, type: string, moduleTypes: string[]): Promise<HelpView> {
    await this.showSidebarTab('help');
    const sidebar = this.page.locator('.red-ui-sidebar-info:has(#red-ui-sidebar-help-show-toc)');
    const search = sidebar.locator('.red-ui-info-toolbar input[type="text"]');
    // The search box filters on keyup, after a short delay.
    const searchFor = async (text: string) => {
      await search.fill(text);
      await search.press('End');
    };
    await searchFor('');
    const moduleItem = await this.expandTreeFolder(sidebar, module);
    const rows = ':scope .red-ui-editableList .red-ui-treeList-label';
    const entries = moduleItem.locator(`${rows}:visible`);
    const all = await moduleItem.locator(rows).count();
    await waitUntil(async () => (await entries.count()) === all, `the help list of ${module} to show in full`);
    const matching = moduleTypes.filter((t) => t.includes(type)).sort((a, b) => a.localeCompare(b));
    await searchFor(type);
    await waitUntil(async () => (await entries.count()) === matching.length, `the help list to show "${type}"`);
    await entries.nth(matching.indexOf(type)).click();
    const help = sidebar.locator('.red-ui-sidebar-help-stack .red-ui-help').first();
    const title = (await help.locator('h1.red-ui-help-title').innerText()).trim();
    const body = (await help.locator('div.red-ui-help').innerText()).trim();
    return { title, body };
  }

  // ---- tree lists (help topics, library browser) --------------------------------------------

  /** The label text of a tree entry, looked up below `scope` (a tree, or an entry of it). */
  private treeLabel(scope: Locator, text: string): Locator {
    return scope.locator(':scope .red-ui-treeList-label-text').getByText(text, { exact: true }).first();
  }

  /**
   * Opens a folder entry (a click toggles it, so only a closed one is clicked); resolves with
   * the entry, whose children are then looked up inside it.
   */
  private async expandTreeFolder(scope: Locator, text: string): Promise<Locator> {
    const label = this.treeLabel(scope, text);
    const entry = label.locator('xpath=ancestor::div[contains(@class,"red-ui-editableList-item-content")][1]');
    if (!hasClass(await entry.getAttribute('class'), 'expanded')) await label.click();
    await waitUntil(async () => hasClass(await entry.getAttribute('class'), 'expanded'), `${text} to open`);
    // Children slide into view (jQuery sets overflow:hidden on their list meanwhile); a click
    // during the slide can land on the wrong row.
    const children = entry.locator(':scope > .red-ui-editableList ol').first();
    await waitUntil(
      async () => !/overflow/.test((await children.getAttribute('style')) ?? ''),
      `${text} to finish opening`,
    );
    return entry;
  }

  // ---- settings ----------------------------------------------------------------------------

  /**
   * Menu → Settings → View → Language, then reload. Node-RED 4/5 keep the choice in
   * localStorage `editor-language` (a per-browser setting, not part of the user settings) and
   * apply it on the next load.
   */
  async setLanguage(lng: string): Promise<void> {
    await this.mainMenu('menu-item-user-settings');
    await this.page.selectOption('#user-settings-editor-language', lng);
    await this.page.click('#node-dialog-ok');
    await this.page.locator('.red-ui-tray').first().waitFor({ state: 'detached' });
    await this.reload();
  }

  /**
   * Brings the flow tab holding a node to the front (clicks its tab). Node-RED's tab bar takes
   * two clicks on any tabs less than 400 ms apart for a double click, which opens the flow's
   * properties: a click that soon after the last one waits out the rest of that time first.
   */
  async showFlowOf(nodeId: string): Promise<void> {
    const z = (await this.nodeProperty(nodeId, 'z')) as string | undefined;
    if (!z) throw new Error(`node ${nodeId} is on no flow tab`);
    const wait = this.lastTabClick + TAB_DOUBLE_CLICK_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await this.page.click(`#red-ui-workspace-tabs li[id="red-ui-tab-${z}"] a.red-ui-tab-label`);
    this.lastTabClick = Date.now();
  }

  /**
   * Presses the zoom reset button; resolves once the canvas is drawn at zoom 1 with its
   * top-left corner in view, as a tab first opens (Node-RED 5 animates the zoom).
   */
  async zoomToStart(): Promise<void> {
    await this.page.click('#red-ui-view-zoom-zero');
    await this.page.waitForFunction(() => {
      const RED = (window as unknown as { RED: { view: { scale(): number } } }).RED;
      return Math.abs(RED.view.scale() - 1) < 1e-6;
    });
    await this.page.locator('#red-ui-workspace-chart').evaluate((chart) => chart.scrollTo(0, 0));
    // The canvas redraws on the next animation frame.
    await this.page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
  }

  /** Presses zoom-out (a few times at most) until every node of the shown flow is in view. */
  async zoomOutToFit(): Promise<void> {
    const chart = this.page.locator('#red-ui-workspace-chart');
    const nodes = chart.locator('g.red-ui-flow-node-group');
    for (let presses = 0; presses < 5; presses++) {
      const view = await chart.boundingBox();
      const boxes = await nodes.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect));
      if (!view || boxes.every((b) => b.right <= view.x + view.width && b.bottom <= view.y + view.height)) return;
      await this.page.click('#red-ui-view-zoom-out');
      // The canvas redraws on the next animation frame.
      await this.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
    }
  }

  /**
   * Brings a sidebar tab (info, help, ...) to the front with its button: a link in the sidebar
   * header on Node-RED 4, a button in the tab bar on Node-RED 5, where pressing the button of the
   * tab already shown hides it instead.
   */
  async showSidebarTab(id: string): Promise<void> {
    const button = this.page
      .locator(`#red-ui-tab-${id}-link-button`)
      .or(this.page.locator(`button[data-tab-id="${id}"]`))
      .first();
    if (!hasClass(await button.getAttribute('class'), 'selected')) await button.click();
  }

  /** A picture of the editor as a person sees it, minus transient notifications. */
  async screenshot(file: string): Promise<void> {
    await this.page.screenshot({ path: file, style: '#red-ui-notifications { display: none !important; }' });
  }
}

/**
 * The lines an element's text shows on screen, whitespace collapsed: a character that sits lower
 * than the previous one starts a new line, whether a `<br>` or wrapping put it there. Runs in the
 * page (no helpers: evaluate callbacks cannot hold them under tsx).
 */
function renderedLines(element: Element): string[] {
  const lines: string[] = [];
  let line = '';
  let top: number | undefined;
  const range = document.createRange();
  const texts = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let text = texts.nextNode(); text; text = texts.nextNode()) {
    const value = text.nodeValue ?? '';
    for (let i = 0; i < value.length; i++) {
      range.setStart(text, i);
      range.setEnd(text, i + 1);
      if (/\s/.test(value[i])) {
        line += ' ';
        continue;
      }
      const box = range.getClientRects()[0];
      if (!box) continue;
      if (top !== undefined && box.top >= top + box.height / 2) {
        lines.push(line);
        line = '';
      }
      top = box.top;
      line += value[i];
    }
  }
  lines.push(line);
  return lines.map((l) => l.replace(/\s+/g, ' ').trim()).filter((l) => l !== '');
}

/** Polls a condition the page offers no event for (evaluate callbacks cannot hold helpers under tsx). */
async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function hasClass(classAttribute: string | null, name: string): boolean {
  return (classAttribute ?? '').split(/\s+/).includes(name);
}
