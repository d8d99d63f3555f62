/**
 * What `npm start` deploys and plays: the shipped examples (examples/*.json, each on its own tab)
 * pointed at the simulator, the simulator webhooks that feed them, and a short scene that makes
 * every example act.
 */
import fs = require('node:fs');
import path = require('node:path');
import { FptrSimulator, runScenario, type HookDefinition, type HookRecord } from '../sim';
import type { DeliveryRecord } from '../lib/fptr/client/api';

export interface DemoContext {
  sim: FptrSimulator;
  simUrl: string;
  nodeRedUrl: string;
  /** The demo's Node-RED user directory; the example folders are made inside it. */
  userDir: string;
  log?: (line: string) => void;
}

export interface Demo {
  flows: FlowNode[];
  /** Creates the simulator webhooks and gives the recovery example their ids (in the running flows). */
  registerWebhooks(): Promise<void>;
  playScenario(): Promise<void>;
}

type FlowNode = { id: string; type: string; z?: string; [key: string]: unknown };
type EnvVar = { name: string; value: string; type: string };

const EXAMPLES_DIR = path.join(__dirname, '..', 'examples');
/** Demo-only webhook secret: the simulator signs with it, the webhook nodes check it. */
export const DEMO_WEBHOOK_SECRET = 'fptr-demo-webhook-secret';
/** The recovery example's tab (it gets the webhook ids) and its inject node (the scene clicks it). */
export const RECOVER_TAB = 'fptr-ex-recover';
export const RECOVER_INJECT = 'fptr-ex-recover-timer';

/** The webhooks an FPTR admin would create for the examples (their read-me comments list them). */
export const DEMO_HOOKS: ReadonlyArray<{
  key: string;
  path: string;
  entity_types: NonNullable<HookDefinition['entity_types']>;
}> = [
  { key: 'new Shot', path: '/fptr/new-entity', entity_types: { Shot: { create: [] } } },
  { key: 'new Asset', path: '/fptr/new-entity', entity_types: { Asset: { create: [] } } },
  { key: 'Task status', path: '/fptr/task-status', entity_types: { Task: { update: ['sg_status_list'] } } },
  { key: 'new Note', path: '/fptr/note-created', entity_types: { Note: { create: [] } } },
  { key: 'Task status (backstopped)', path: '/fptr/backstop', entity_types: { Task: { update: ['sg_status_list'] } } },
];

function readExamples(): FlowNode[][] {
  return fs
    .readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, f), 'utf8')) as FlowNode[]);
}

function setEnv(tab: FlowNode, name: string, value: string): boolean {
  const entry = ((tab.env as EnvVar[] | undefined) ?? []).find((e) => e.name === name);
  if (entry) entry.value = value;
  return entry !== undefined;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined || Date.now() > deadline) return value;
    await pause(100);
  }
}

export function buildDemoFlows(ctx: DemoContext): Demo {
  const { DEMO } = ctx.sim.constructor as typeof FptrSimulator;
  const log = ctx.log ?? ((line: string) => console.log(`[fptr-demo] ${line}`));
  const folderRoot = path.join(ctx.userDir, 'projects');
  const hooks = new Map<string, HookRecord>();

  // The examples share one site node (same id): keep one, pointed at the simulator.
  const flows: FlowNode[] = [];
  const seen = new Set<string>();
  for (const node of readExamples().flat()) {
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    if (node.type === 'fptr-site') {
      Object.assign(node, {
        name: 'FPTR simulator',
        url: ctx.simUrl,
        credentials: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey },
      });
    } else if (node.type === 'fptr-webhook-in') {
      node.credentials = { secret: DEMO_WEBHOOK_SECRET };
    } else if (node.type === 'tab') {
      setEnv(node, 'FPTR_FOLDER_ROOT', folderRoot);
    }
    flows.push(node);
  }

  async function adminJson(method: string, route: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${ctx.nodeRedUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status} ${await res.text()}`);
    // Some admin routes (e.g. /inject/:id) answer plain text.
    return /json/.test(res.headers.get('content-type') ?? '') ? res.json() : undefined;
  }

  /** The simulator has fresh webhook ids on every start, so the recovery tab gets them each time. */
  async function giveRecoveryTheHookIds(): Promise<void> {
    let tab: FlowNode;
    try {
      tab = (await adminJson('GET', `/flow/${RECOVER_TAB}`)) as FlowNode;
    } catch {
      log(`tab ${RECOVER_TAB} is not deployed (use --reset to redeploy the examples): no sweep of failed deliveries`);
      return;
    }
    if (!setEnv(tab, 'FPTR_WEBHOOK_IDS', [...hooks.values()].map((h) => h.id).join(', '))) {
      log(`tab ${RECOVER_TAB} has no FPTR_WEBHOOK_IDS variable any more: left as it is`);
      return;
    }
    await adminJson('PUT', `/flow/${RECOVER_TAB}`, tab);
  }

  async function registerWebhooks(): Promise<void> {
    for (const h of DEMO_HOOKS) {
      hooks.set(
        h.key,
        ctx.sim.createWebhook({
          url: ctx.nodeRedUrl + h.path,
          token: DEMO_WEBHOOK_SECRET,
          batch_deliveries: true,
          entity_types: h.entity_types,
          name: `demo: ${h.key}`,
        }),
      );
    }
    log(`simulator webhooks: ${DEMO_HOOKS.map((h) => `${h.key} → ${h.path}`).join(', ')}`);
    await giveRecoveryTheHookIds();
  }

  function hook(key: string): HookRecord {
    const found = hooks.get(key);
    if (!found) throw new Error('registerWebhooks() first');
    return found;
  }

  /** The delivery of `key`'s webhook that carried an event of `entity` (batches may hold several). */
  function deliveryFor(key: string, entity: { type: string; id: number }): DeliveryRecord | undefined {
    return ctx.sim.deliveries(hook(key).id).find((d) => {
      const data = (d.request_body as { data?: { deliveries?: Array<{ entity?: { type: string; id: number } }> } })
        .data;
      return (data?.deliveries ?? []).some((e) => e.entity?.type === entity.type && e.entity.id === entity.id);
    });
  }

  async function acknowledgement(key: string, entity: { type: string; id: number }): Promise<string> {
    const record = await until(() => {
      const d = deliveryFor(key, entity);
      return d?.acknowledgement ? d : undefined;
    }, 10_000);
    if (!record) return 'no acknowledgement (yet): see the debug sidebar';
    try {
      const ack = JSON.parse(record.acknowledgement as string) as { status: string; detail: string };
      return `${ack.status}: ${ack.detail}`;
    } catch {
      return record.acknowledgement as string;
    }
  }

  function tree(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((p) => fs.statSync(path.join(dir, p)).isDirectory() && fs.readdirSync(path.join(dir, p)).length === 0)
      .map((p) => path.relative(process.cwd(), path.join(dir, p)))
      .sort();
  }

  async function simRest(method: string, route: string, body: unknown): Promise<void> {
    const grant = await fetch(`${ctx.simUrl}/api/v1/auth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: DEMO.scriptName,
        client_secret: DEMO.scriptKey,
      }),
    });
    const { access_token: token } = (await grant.json()) as { access_token: string };
    const res = await fetch(`${ctx.simUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status} ${await res.text()}`);
  }

  /** A Shot created while its webhook cannot reach Node-RED, then the recovery example's sweep. */
  async function missedDelivery(): Promise<void> {
    const shotHook = hook('new Shot');
    log('scene: Node-RED misses a delivery (the Shot webhook points at a wrong path for a moment)');
    await simRest('PUT', `/api/v1/webhook/hooks/${shotHook.id}`, { url: `${ctx.nodeRedUrl}/fptr/unreachable` });
    const shot = ctx.sim.create('Shot', {
      code: 'sh050',
      project: { type: 'Project', id: DEMO.projectId },
      sg_sequence: { type: 'Sequence', id: DEMO.sequenceId },
      sg_status_list: 'wtg',
    });
    await ctx.sim.whenDeliveriesSettled();
    const missed = deliveryFor('new Shot', { type: 'Shot', id: shot.id });
    log(
      `scene: Shot sh050 created, its delivery ${missed?.status ?? 'was not sent'} (HTTP ${missed?.response_code ?? '-'})`,
    );
    await simRest('PUT', `/api/v1/webhook/hooks/${shotHook.id}`, { url: ctx.nodeRedUrl + '/fptr/new-entity' });
    log('scene: the recovery flow sweeps the failed deliveries (its inject node, clicked)');
    try {
      await adminJson('POST', `/inject/${RECOVER_INJECT}`);
    } catch (err) {
      log(`could not click ${RECOVER_INJECT}: ${(err as Error).message}`);
      return;
    }
    log(`new Shot sh050 (redelivered): ${await acknowledgement('new Shot', { type: 'Shot', id: shot.id })}`);
  }

  async function playScenario(): Promise<void> {
    const { shot, tasks, note } = await runScenario(ctx.sim, { stepDelayMs: 1500, log });
    await ctx.sim.whenDeliveriesSettled();
    log(`new Shot sh040: ${await acknowledgement('new Shot', { type: 'Shot', id: shot.id })}`);
    log(
      `Task status (Animation final): ${await acknowledgement('Task status', { type: 'Task', id: tasks.Animation.id })}`,
    );
    log(`new Note: ${await acknowledgement('new Note', { type: 'Note', id: note.id })}`);
    await missedDelivery();
    await ctx.sim.whenDeliveriesSettled();
    const statuses = Object.entries(tasks).map(
      ([step, t]) => `${step} ${String(ctx.sim.get('Task', t.id)?.sg_status_list)}`,
    );
    log(`sh040 Tasks now: ${statuses.join(', ')}`);
    log(`folders made:\n  ${tree(folderRoot).join('\n  ') || '(none)'}`);
    log(
      `see the deliveries and their acknowledgements: GET ${ctx.simUrl}/api/v1/webhook/hooks/<id>/deliveries (ids: ${[...hooks.values()].map((h) => h.id).join(', ')})`,
    );
  }

  return { flows, registerWebhooks, playScenario };
}
