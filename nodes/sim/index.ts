export { FptrSimulator } from './simulator';
export type { SimOptions, SimStats, DemoInfo, ReadOpts, FaultRule, HookDefinition, HookRecord } from './simulator';
export { SimError } from './errors';
export { runScenario } from './scenario';
export type { ScenarioOptions, ScenarioResult } from './scenario';
