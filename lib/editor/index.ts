import { ACK_STATUSES } from '../fptr/actions/acknowledgement';
import { API_METHODS, parsePath } from '../fptr/actions/api-request';
import { coalesceWindow } from '../fptr/bulk/coalesce-window';
import { RETURN_ONLY } from '../fptr/actions/find-options';
import { sweepSetting, SWEEP_DEFAULTS, UNACKED_DEFAULTS } from '../fptr/actions/redeliver-sweep';
import { MULTI_ENTITY_MODES } from '../fptr/actions/update-ops';
import { checkSiteUrl, SITE_NUMBER_FIELDS } from '../fptr/client/site-settings';
import { OPERATIONS } from '../fptr/contract';
import { DOWNLOAD_OUTPUTS, VARIANTS, parseMultipartAbove, parsePartSize } from '../fptr/files/transfer-settings';
import { VALUE_OPERATORS } from '../fptr/events/conditions';
import { COMMIT_MODES, EVENT_LOG_SETTING_RULES, FAILURE_MODES, START_KINDS } from '../fptr/events/event-log-settings';
import { FILTER_SETTING_RULES, VALUE_TYPES } from '../fptr/events/filter-settings';
import { redisPrefixProblem, redisUrlProblem } from '../state/redis-settings';
import { bodySizeSetting, dedupWindowSeconds, invalidAddresses, webhookPath } from '../fptr/webhook/endpoint-settings';
import { hookIdSetting, publicUrlSetting, watchIntervalSeconds } from '../fptr/webhook/hook-settings';
import { checkSubscription } from '../fptr/webhook/subscription';
import { entityTypesOfEventTypes, namesIn } from './schema-names';
import { Pickers, type DialogNode, type PickerOptions } from './schema-pickers';

/*
 * The browser bundle of the node editors: resources/fptr-editor.js, the global `FptrEditor`
 * (built by scripts/build.ts). Every rule a dialog checks and every list it offers comes from
 * the modules the runtime itself uses, so the editor refuses exactly what a deploy refuses.
 * A validator takes the setting as the editor holds it and answers true when it is usable.
 */

type Validator = (value: unknown) => boolean;

/** A runtime rule that throws on an unusable value, as a validator. */
function accepts(rule: (value: unknown) => unknown): Validator {
  return (value) => {
    try {
      rule(value);
      return true;
    } catch {
      return false;
    }
  };
}

export const webhook = {
  path: ((value) => webhookPath(value) !== undefined) as Validator,
  maxBodySize: bodySizeSetting as Validator,
  dedupWindow: ((value) => dedupWindowSeconds(value) !== undefined) as Validator,
  /** One allow-list or proxy entry; blank counts as no entry. */
  address: ((value) => typeof value === 'string' && invalidAddresses([value]).length === 0) as Validator,
  /** A whole allow-list or proxy list (array or text). */
  addresses: ((value) => invalidAddresses(value).length === 0) as Validator,
  watchInterval: ((value) => watchIntervalSeconds(value) !== undefined) as Validator,
  publicUrl: publicUrlSetting as Validator,
  /** The saved subscription: none yet, or one FPTR can take. */
  subscription: ((value) =>
    value === undefined || value === null || value === '' || accepts(checkSubscription)(value)) as Validator,
  /** The problem with a subscription as the dialog builds it, in words; undefined when FPTR can take it. */
  subscriptionProblem: (value: unknown): string | undefined => {
    try {
      checkSubscription(value);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  },
  hookId: ((value) => value === undefined || value === '' || hookIdSetting(value) !== undefined) as Validator,
};

export const site = {
  url: accepts(checkSiteUrl),
  maxConcurrency: accepts(SITE_NUMBER_FIELDS.maxConcurrency),
  timeout: accepts(SITE_NUMBER_FIELDS.timeout),
  maxRetries: accepts(SITE_NUMBER_FIELDS.maxRetries),
  deadline: accepts(SITE_NUMBER_FIELDS.deadline),
};

/** The fptr-site shared-state section (Redis). */
export const sharedState = {
  redisUrl: ((value) => redisUrlProblem(value) === undefined) as Validator,
  redisPrefix: ((value) => redisPrefixProblem(value) === undefined) as Validator,
};

export const eventFilter = {
  operations: OPERATIONS,
  valueOperators: VALUE_OPERATORS,
  valueTypes: VALUE_TYPES,
  projectIds: accepts(FILTER_SETTING_RULES.projectIds),
  ignoreScriptIds: accepts(FILTER_SETTING_RULES.ignoreScriptIds),
  ignoreUserIds: accepts(FILTER_SETTING_RULES.ignoreUserIds),
  matchEvents: accepts(FILTER_SETTING_RULES.matchEvents),
};

export const eventsIn = {
  startKinds: START_KINDS,
  commitModes: COMMIT_MODES,
  failureModes: FAILURE_MODES,
  startId: accepts(EVENT_LOG_SETTING_RULES.startId),
  since: accepts(EVENT_LOG_SETTING_RULES.since),
  interval: accepts(EVENT_LOG_SETTING_RULES.interval),
  pageSize: accepts(EVENT_LOG_SETTING_RULES.pageSize),
  gapWindow: accepts(EVENT_LOG_SETTING_RULES.gapWindow),
  maxInFlight: accepts(EVENT_LOG_SETTING_RULES.maxInFlight),
  retries: accepts(EVENT_LOG_SETTING_RULES.retries),
  backstopGrace: accepts(EVENT_LOG_SETTING_RULES.backstopGrace),
  eventTypes: accepts(EVENT_LOG_SETTING_RULES.eventTypes),
  projects: accepts(EVENT_LOG_SETTING_RULES.projects),
  entityTypes: accepts(EVENT_LOG_SETTING_RULES.entityTypes),
  /** One row of each list, as it is typed. */
  eventType: accepts(EVENT_LOG_SETTING_RULES.eventType),
  project: accepts(EVENT_LOG_SETTING_RULES.project),
  entityType: accepts(EVENT_LOG_SETTING_RULES.entityType),
};

/** The coalescing window of find and update (ms, 0 = off). */
const coalesce = ((value) => coalesceWindow(value) !== undefined) as Validator;

export const find = { returnOnly: RETURN_ONLY, coalesce };

export const update = { operations: OPERATIONS, multiEntityModes: MULTI_ENTITY_MODES, coalesce };

export const acknowledge = { statuses: ACK_STATUSES };

export const redeliver = {
  windowValue: ((value) => sweepSetting(value, SWEEP_DEFAULTS.windowValue) !== undefined) as Validator,
  concurrency: ((value) => sweepSetting(value, SWEEP_DEFAULTS.concurrency) !== undefined) as Validator,
  unackedGrace: ((value) => sweepSetting(value, UNACKED_DEFAULTS.graceSeconds) !== undefined) as Validator,
};

export const files = {
  variants: VARIANTS,
  outputs: DOWNLOAD_OUTPUTS,
  multipartAbove: accepts((value) => parseMultipartAbove(value, 'multipartAbove')),
  partSize: accepts((value) => parsePartSize(value, 'partSize')),
};

export const request = { methods: API_METHODS, path: accepts(parsePath) };

/**
 * The schema pickers of a dialog (schema-pickers.ts), made in oneditprepare:
 * `var pickers = FptrEditor.schemaPickers(node, { siteField: '#node-input-site', after: '#node-input-site' })`.
 */
export function schemaPickers(node: DialogNode, options: PickerOptions): Pickers {
  return new Pickers(node, options);
}

/** How the dialogs read names from their fields, for the pickers' `types` and `fields`. */
export const schemaNames = { namesIn, entityTypesOfEventTypes };

/** The parts of jQuery, the editor's own, that fillSelect uses. */
interface JQuerySelect {
  append(option: unknown): unknown;
  val(value: string): unknown;
}
declare const $: (html: string) => { val(value: string): { text(label: string): unknown } };

/**
 * Fills a dialog's <select> with one of the lists above. Node-RED fills a dialog's fields before
 * oneditprepare adds the options, so the saved value (or the first, the default) is chosen here.
 */
export function fillSelect(
  select: JQuerySelect,
  values: readonly string[],
  label: (value: string) => string,
  saved: unknown,
): void {
  for (const value of values) select.append($('<option/>').val(value).text(label(value)));
  select.val(typeof saved === 'string' && values.includes(saved) ? saved : values[0]!);
}
