import type { Editor } from './editor';
import type { Problem } from './editor-check';

/** A rectangle in canvas units (zoom 1, origin at the canvas's top-left corner). */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** What one node puts on the canvas, as rendered with this machine's fonts. */
export interface RenderedNode {
  id: string;
  type: string;
  name: string;
  /** The node's body, its button (inject, debug), its label and its status (dot and text), where each is drawn. */
  parts: { part: 'node' | 'button' | 'label' | 'status'; box: Box }[];
}

/**
 * The status each node is shown with while its layout is measured: the widest its catalog
 * has (the `<type>.status` texts, placeholders filled with short sample values, `__path__` with
 * the node's own path), so a layout that passes leaves room for whatever the node may say.
 * Node types without status texts in the catalog (core nodes) are shown without one.
 */
export function widestStatus(
  catalog: Record<string, unknown> | undefined,
  node: { type: string; url?: unknown },
): string | undefined {
  const texts = (catalog?.[node.type] as { status?: Record<string, unknown> } | undefined)?.status;
  const filled = Object.values(texts ?? {})
    .filter((t): t is string => typeof t === 'string')
    .map((t) =>
      t.replace(/__(\w+)__/g, (_, name: string) =>
        name === 'path' && typeof node.url === 'string' ? node.url : name === 'type' ? 'Shot' : '12',
      ),
    );
  return filled.sort((a, b) => b.length - a.length)[0];
}

/** The nodes on the flow tab shown now, with what `widestStatus` reads of them. */
export async function shownFlowNodes(editor: Editor): Promise<{ id: string; type: string; url?: unknown }[]> {
  return editor.page.evaluate(() => {
    type N = { id: string; type: string; z: string; url?: unknown };
    const RED = (
      window as unknown as { RED: { workspaces: { active(): string }; nodes: { eachNode(cb: (n: N) => void): void } } }
    ).RED;
    const z = RED.workspaces.active();
    const found: { id: string; type: string; url?: unknown }[] = [];
    RED.nodes.eachNode((n) => {
      if (n.z === z) found.push({ id: n.id, type: n.type, url: n.url });
    });
    return found;
  });
}

/**
 * Gives nodes a status the way the runtime does (the editor's comms handler: set `status`,
 * mark it dirty, redraw it), so the canvas draws it as it would for a deployed flow.
 */
export async function showStatuses(editor: Editor, statuses: Record<string, string>): Promise<void> {
  await editor.page.evaluate((all) => {
    type N = { status?: unknown; dirty?: boolean; dirtyStatus?: boolean };
    const RED = (
      window as unknown as {
        RED: { nodes: { node(id: string): N | null }; view: { redrawStatus(n: N): void; redraw(): void } };
      }
    ).RED;
    for (const [id, text] of Object.entries(all)) {
      const node = RED.nodes.node(id);
      if (!node) continue;
      node.status = { fill: 'green', shape: 'dot', text };
      node.dirtyStatus = true;
      node.dirty = true;
      RED.view.redrawStatus(node);
    }
    RED.view.redraw();
  }, statuses);
  // The canvas redraws on the next animation frame.
  await editor.page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
}

/**
 * The rendered boxes of every node on the flow tab shown now: `getBoundingClientRect` of each
 * node's body, button, label text and status group, taken back to canvas units (the editor's zoom and
 * the canvas's scroll undone), plus the part of the canvas the tab shows when opened.
 */
export async function renderedFlow(editor: Editor): Promise<{ nodes: RenderedNode[]; view: Box }> {
  type Rect = { left: number; top: number; right: number; bottom: number };
  type Raw = {
    id: string;
    type: string;
    name: string;
    parts: { part: RenderedNode['parts'][number]['part']; r: Rect }[];
  };
  // Runs in the page: plain loops, no helper functions (evaluate callbacks cannot hold them under tsx).
  const raw = await editor.page.evaluate(() => {
    type N = { id: string; type: string; name?: string; z: string };
    const RED = (
      window as unknown as {
        RED: {
          workspaces: { active(): string };
          nodes: { eachNode(cb: (n: N) => void): void };
          view: { scale(): number };
        };
      }
    ).RED;
    const chart = document.getElementById('red-ui-workspace-chart') as HTMLElement;
    const svg = chart.querySelector('svg') as SVGSVGElement;
    const z = RED.workspaces.active();
    const nodes: Raw[] = [];
    const selectors = [
      ['node', 'rect.red-ui-flow-node'],
      ['label', '.red-ui-flow-node-label'],
      ['button', '.red-ui-flow-node-button'],
      ['status', '.red-ui-flow-node-status-group'],
    ] as const;
    RED.nodes.eachNode((n) => {
      if (n.z !== z) return;
      const group = chart.querySelector(`g.red-ui-flow-node-group[id="${n.id}"]`);
      if (!group) return;
      const parts: Raw['parts'] = [];
      for (const [part, selector] of selectors) {
        const el = group.querySelector(selector) as SVGGraphicsElement | null;
        if (!el || el.style.display === 'none') continue;
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) parts.push({ part, r: r.toJSON() as Rect });
      }
      nodes.push({ id: n.id, type: n.type, name: n.name ?? '', parts });
    });
    const c = chart.getBoundingClientRect();
    return {
      nodes,
      origin: svg.getBoundingClientRect().toJSON() as Rect,
      scale: RED.view.scale(),
      visible: { left: c.left, top: c.top, right: c.left + chart.clientWidth, bottom: c.top + chart.clientHeight },
    };
  });
  const toCanvas = (r: Rect): Box => ({
    left: (r.left - raw.origin.left) / raw.scale,
    top: (r.top - raw.origin.top) / raw.scale,
    right: (r.right - raw.origin.left) / raw.scale,
    bottom: (r.bottom - raw.origin.top) / raw.scale,
  });
  return {
    nodes: raw.nodes.map((n) => ({ ...n, parts: n.parts.map((p) => ({ part: p.part, box: toCanvas(p.r) })) })),
    view: toCanvas(raw.visible),
  };
}

function intersect(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

const round = (n: number) => Math.round(n);
const nameOf = (n: RenderedNode) => `${n.type} "${n.name || n.id}"`;

/**
 * What makes an example hard to read: two nodes whose bodies, labels or statuses touch, a node
 * past the canvas's left or top edge, and a read-me comment (a comment whose name says "read
 * me") that does not start inside the part of the canvas the tab shows when opened.
 */
export function layoutProblems(subject: string, flow: { nodes: RenderedNode[]; view: Box }): Problem[] {
  const problems: Problem[] = [];
  flow.nodes.forEach((a, i) => {
    for (const { part, box } of a.parts) {
      if (box.left < 0 || box.top < 0)
        problems.push({
          subject,
          problem: `${nameOf(a)}: its ${part} starts past the canvas edge at (${round(box.left)}, ${round(box.top)})`,
        });
    }
    for (const b of flow.nodes.slice(i + 1)) {
      for (const pa of a.parts) {
        const pb = b.parts.find((p) => intersect(pa.box, p.box));
        if (pb) {
          problems.push({ subject, problem: `${nameOf(a)}'s ${pa.part} overlaps ${nameOf(b)}'s ${pb.part}` });
          break;
        }
      }
    }
    if (a.type === 'comment' && /read me/i.test(a.name)) {
      const body = a.parts.find((p) => p.part === 'node')?.box;
      const { view } = flow;
      if (!body || body.left < view.left || body.top < view.top || body.left >= view.right || body.top >= view.bottom)
        problems.push({ subject, problem: `${nameOf(a)} does not start on-screen when the tab opens` });
    }
  });
  return problems;
}
