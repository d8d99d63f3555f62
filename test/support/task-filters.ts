import fc = require('fast-check');
import type { FilterCondition, Filters } from '../../lib/fptr/client/api';
import { FptrSimulator } from '../../sim';

/*
 * Filters over the demo Tasks for property tests: every relation the search coalescer judges
 * locally, on plain, link, multi-entity and dotted fields, with values that differ only in case,
 * look like dates or are null — plus relations it must leave to FPTR and fields that do not
 * exist, so refusals are part of the mix.
 */

const DEMO = FptrSimulator.DEMO;

/** Gives some demo Tasks values the seed leaves out, so every kind of field has something to match. */
export function varyDemoTasks(sim: FptrSimulator): void {
  const ids = Object.values(DEMO.taskIds);
  ids.forEach((id, i) => {
    const fields: Record<string, unknown> = { est_in_mins: i % 3 === 0 ? null : i * 30 };
    if (i % 4 === 1) fields.due_date = '2031-05-0' + String((i % 9) + 1);
    if (i % 5 === 2) fields.sg_status_list = 'fin';
    if (i === 6) fields.content = 'animation';
    if (i === 7) fields.sg_description = 'Hero ANIM pass';
    sim.update('Task', id, fields);
  });
}

const shotLinks = Object.values(DEMO.shotIds).map((id) => ({ type: 'Shot', id }));
const assetLinks = Object.values(DEMO.assetIds).map((id) => ({ type: 'Asset', id }));
const stepLinks = Object.values(DEMO.stepIds).map((id) => ({ type: 'Step', id }));
const userLinks = DEMO.artistIds.map((id) => ({ type: 'HumanUser', id }));
const taskIds = Object.values(DEMO.taskIds);

const text = fc.constantFrom('Animation', 'animation', 'Anim', 'Layout', 'Comp', 'Model', 'pass', 'ANIM', 'Rig');
const status = fc.constantFrom('wtg', 'ip', 'fin', 'rdy', 'WTG', 'hld');
const stepCode = fc.constantFrom('Layout', 'layout', 'Animation', 'Lighting', 'Comp', 'Model', 'Rig', 'Surfacing');
const entityLink = fc.oneof(fc.constantFrom(...shotLinks, ...assetLinks), fc.constant({ type: 'Shot', id: 999_999 }));
const number = fc.oneof(fc.integer({ min: -10, max: 400 }), fc.constantFrom(...taskIds));

function plain<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) });
}

/** [field, relations it is tried with, values]. */
const FIELDS: Array<[string, string[], fc.Arbitrary<unknown>]> = [
  ['entity', ['is', 'is_not'], plain(entityLink)],
  ['entity', ['in', 'not_in'], fc.array(entityLink, { minLength: 1, maxLength: 3 })],
  ['sg_status_list', ['is', 'is_not'], plain(status)],
  ['sg_status_list', ['in', 'not_in'], fc.array(status, { minLength: 1, maxLength: 3 })],
  ['content', ['is', 'is_not', 'contains', 'not_contains', 'starts_with', 'ends_with'], text],
  ['sg_description', ['contains', 'not_contains', 'is'], plain(text)],
  ['step.Step.code', ['is', 'in', 'not_in'], fc.oneof(stepCode, fc.array(stepCode, { minLength: 1, maxLength: 3 }))],
  ['step', ['is', 'is_not'], fc.constantFrom(...stepLinks)],
  [
    'task_assignees',
    ['is', 'in'],
    fc.oneof(fc.constantFrom(...userLinks), fc.array(fc.constantFrom(...userLinks), { minLength: 1, maxLength: 2 })),
  ],
  ['task_assignees', ['is_not'], fc.constantFrom(...userLinks)],
  ['id', ['is', 'greater_than', 'less_than', 'in'], fc.oneof(number, fc.array(number, { minLength: 1, maxLength: 4 }))],
  ['id', ['between'], fc.tuple(number, number)],
  ['est_in_mins', ['greater_than', 'less_than', 'is', 'is_not'], plain(fc.integer({ min: 0, max: 400 }))],
  ['due_date', ['is', 'is_not'], plain(fc.constantFrom('2031-05-02', '2031-05-03'))],
  [
    'entity.Shot.code',
    ['is', 'in', 'starts_with'],
    fc.oneof(
      fc.constantFrom('sh010', 'SH020', 'sh0'),
      fc.array(fc.constantFrom('sh010', 'sh030'), { minLength: 1, maxLength: 2 }),
    ),
  ],
  // Left to FPTR: relations not judged locally, and a field that does not exist (400).
  ['entity', ['type_is'], fc.constantFrom('Shot', 'Asset')],
  ['due_date', ['in_next'], fc.constant([30, 'DAY'])],
  ['no_such_field', ['is'], fc.constant('x')],
];

export const condition: fc.Arbitrary<[string, string, unknown]> = fc
  .constantFrom(...FIELDS)
  .chain(([field, relations, value]) => fc.tuple(fc.constant(field), fc.constantFrom(...relations), value));

const group: fc.Arbitrary<FilterCondition> = fc.letrec<{ node: FilterCondition }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition,
    fc.record({
      logical_operator: fc.constantFrom('and' as const, 'or' as const),
      conditions: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    }),
  ),
})).node;

/** Array filters (implicit and) or a hash group. */
export const taskFilters: fc.Arbitrary<Filters> = fc.oneof(
  fc.array(condition, { minLength: 1, maxLength: 3 }),
  fc.record({
    logical_operator: fc.constantFrom('and' as const, 'or' as const),
    conditions: fc.array(group, { minLength: 1, maxLength: 3 }),
  }),
);

/** Field lists a flow might ask for. */
export const taskFields: fc.Arbitrary<string[]> = fc.constantFrom(
  ['content', 'sg_status_list'],
  ['content', 'step', 'sg_status_list'],
  ['*'],
  ['entity', 'step.Step.code'],
  ['sg_status_list', 'no_such_field'],
);
