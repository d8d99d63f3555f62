export { FptrSimulator } from './simulator';
export type {
  SimOptions,
  SimStats,
  DemoInfo,
  ReadOpts,
  FaultRule,
  RateLimit,
  HookDefinition,
  HookRecord,
  HookStatus,
  EventLogControl,
  HoldBackRule,
  HeldRow,
  GenerateOptions,
  GenerateResult,
  SimStorage,
  OpenUpload,
  StorageFault,
  StorageKind,
  StorageRequest,
  ScriptOptions,
} from './simulator';
export { SimError } from './errors';
export { runScenario } from './scenario';
export type { ScenarioOptions, ScenarioResult } from './scenario';
