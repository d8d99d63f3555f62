/**
 * The flows `npm start` deploys: a site config pointing at the simulator plus the shipped examples,
 * and the simulator webhooks that feed them.
 */
import type { FptrSimulator } from '../nodes/sim';

export interface DemoContext {
  sim: FptrSimulator;
  simUrl: string;
  nodeRedUrl: string;
}

export interface Demo {
  flows: Array<Record<string, unknown>>;
  registerWebhooks(): void;
  playScenario(): Promise<void>;
}

export const DEMO_SITE_ID = 'fptr-demo-site';

export function buildDemoFlows(ctx: DemoContext): Demo {
  const { DEMO } = ctx.sim.constructor as typeof FptrSimulator;
  const tab = { id: 'fptr-demo-tab', type: 'tab', label: 'FPTR demo', info: 'Flows that run against the local FPTR simulator.' };
  const site = {
    id: DEMO_SITE_ID,
    type: 'fptr-site',
    name: 'FPTR simulator',
    url: ctx.simUrl,
    authType: 'script',
    credentials: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey },
  };
  return {
    flows: [tab, site],
    registerWebhooks: () => undefined,
    playScenario: async () => undefined,
  };
}
