/**
 * The small FPTR schema the simulator knows: entity types, their fields and data types.
 * Enough for what the package touches; unknown types/fields behave like FPTR (404 / 400 code 103).
 */

export type FieldType =
  | 'text'
  | 'number'
  | 'float'
  | 'checkbox'
  | 'date'
  | 'date_time'
  | 'list'
  | 'status_list'
  | 'entity'
  | 'multi_entity'
  | 'serializable'
  | 'url';

export interface FieldDef {
  type: FieldType;
  /** Valid values of a status_list field. */
  values?: readonly string[];
  /** Value a new record gets when the create call does not set the field. */
  default?: unknown;
  /** Entity types a link field accepts (any when absent). */
  linkTypes?: readonly string[];
  /** Set by the server only (writes are refused). */
  readOnly?: boolean;
}

export interface EntityDef {
  name: string;
  /** snake_case plural used in the links the server writes (`human_users`). */
  plural: string;
  /** Field whose value is a link's `name`. */
  nameField: string;
  fields: Readonly<Record<string, FieldDef>>;
  /** Writes over REST are refused (EventLogEntry). */
  readOnly?: boolean;
}

/** Task/Shot/Asset/Sequence statuses, including 'rev' (changes requested). */
const ITEM_STATUSES = ['wtg', 'rdy', 'ip', 'rev', 'fin', 'hld', 'omt'] as const;
const VERSION_STATUSES = ['na', 'rev', 'vwd', 'apr', 'fin'] as const;
const NOTE_STATUSES = ['opn', 'ip', 'clsd'] as const;
const USER_STATUSES = ['act', 'dis'] as const;

/** Display names of the status codes, as a default FPTR site labels them (schema reads). */
export const STATUS_NAMES: Readonly<Record<string, string>> = {
  wtg: 'Waiting to Start',
  rdy: 'Ready to Start',
  ip: 'In Progress',
  rev: 'Pending Review',
  fin: 'Final',
  hld: 'On Hold',
  omt: 'Omit',
  na: 'N/A',
  vwd: 'Viewed',
  apr: 'Approved',
  opn: 'Open',
  clsd: 'Closed',
  act: 'Active',
  dis: 'Disabled',
};

const common: Record<string, FieldDef> = {
  id: { type: 'number', readOnly: true },
  created_at: { type: 'date_time' },
  updated_at: { type: 'date_time', readOnly: true },
  created_by: { type: 'entity', linkTypes: ['HumanUser', 'ApiUser'] },
  updated_by: { type: 'entity', linkTypes: ['HumanUser', 'ApiUser'], readOnly: true },
};

function entity(
  name: string,
  nameField: string,
  fields: Record<string, FieldDef>,
  extra: Partial<EntityDef> = {},
): EntityDef {
  return { name, plural: pluralOf(name), nameField, fields: { ...common, ...fields }, ...extra };
}

const project: FieldDef = { type: 'entity', linkTypes: ['Project'] };

export const ENTITY_DEFS: readonly EntityDef[] = [
  entity('Project', 'name', {
    name: { type: 'text' },
    code: { type: 'text' },
    sg_description: { type: 'text' },
    sg_status: { type: 'list' },
    archived: { type: 'checkbox', default: false },
    is_template: { type: 'checkbox', default: false },
    users: { type: 'multi_entity', linkTypes: ['HumanUser'] },
  }),
  entity('HumanUser', 'name', {
    login: { type: 'text' },
    name: { type: 'text' },
    firstname: { type: 'text' },
    lastname: { type: 'text' },
    email: { type: 'text' },
    sg_status_list: { type: 'status_list', values: USER_STATUSES, default: 'act' },
    projects: { type: 'multi_entity', linkTypes: ['Project'] },
    department: { type: 'text' },
  }),
  entity('ApiUser', 'firstname', {
    firstname: { type: 'text' },
    lastname: { type: 'text' },
    description: { type: 'text' },
    email: { type: 'text' },
    projects: { type: 'multi_entity', linkTypes: ['Project'] },
    // FPTR's default is off: such a script's writes log no events and fire no webhooks (docs/fptr-api.md §6.5).
    generate_event_log_entries: { type: 'checkbox', default: false },
  }),
  entity('Step', 'code', {
    code: { type: 'text' },
    short_name: { type: 'text' },
    entity_type: { type: 'text' },
    list_order: { type: 'number' },
    color: { type: 'text' },
    description: { type: 'text' },
  }),
  entity('Sequence', 'code', {
    code: { type: 'text' },
    project,
    description: { type: 'text' },
    sg_status_list: { type: 'status_list', values: ITEM_STATUSES, default: 'wtg' },
  }),
  entity('Shot', 'code', {
    code: { type: 'text' },
    project,
    description: { type: 'text' },
    sg_sequence: { type: 'entity', linkTypes: ['Sequence'] },
    sg_status_list: { type: 'status_list', values: ITEM_STATUSES, default: 'wtg' },
    sg_cut_in: { type: 'number' },
    sg_cut_out: { type: 'number' },
    sg_cut_duration: { type: 'number' },
    image: { type: 'url' },
  }),
  entity('Asset', 'code', {
    code: { type: 'text' },
    project,
    description: { type: 'text' },
    sg_asset_type: { type: 'list' },
    sg_status_list: { type: 'status_list', values: ITEM_STATUSES, default: 'wtg' },
    image: { type: 'url' },
  }),
  entity('Task', 'content', {
    content: { type: 'text' },
    project,
    entity: { type: 'entity', linkTypes: ['Shot', 'Asset', 'Sequence', 'Project'] },
    step: { type: 'entity', linkTypes: ['Step'] },
    sg_status_list: { type: 'status_list', values: ITEM_STATUSES, default: 'wtg' },
    task_assignees: { type: 'multi_entity', linkTypes: ['HumanUser'] },
    start_date: { type: 'date' },
    due_date: { type: 'date' },
    est_in_mins: { type: 'number' },
    sg_description: { type: 'text' },
    sg_priority_1: { type: 'list' },
  }),
  entity('Version', 'code', {
    code: { type: 'text' },
    project,
    description: { type: 'text' },
    entity: { type: 'entity', linkTypes: ['Shot', 'Asset', 'Sequence'] },
    sg_task: { type: 'entity', linkTypes: ['Task'] },
    user: { type: 'entity', linkTypes: ['HumanUser', 'ApiUser'] },
    sg_status_list: { type: 'status_list', values: VERSION_STATUSES, default: 'rev' },
    sg_path_to_movie: { type: 'text' },
    sg_path_to_frames: { type: 'text' },
    sg_uploaded_movie: { type: 'url' },
    image: { type: 'url' },
  }),
  entity('Note', 'subject', {
    subject: { type: 'text' },
    content: { type: 'text' },
    project,
    note_links: { type: 'multi_entity' },
    tasks: { type: 'multi_entity', linkTypes: ['Task'] },
    addressings_to: { type: 'multi_entity', linkTypes: ['HumanUser'] },
    user: { type: 'entity', linkTypes: ['HumanUser', 'ApiUser'] },
    sg_status_list: { type: 'status_list', values: NOTE_STATUSES, default: 'opn' },
  }),
  entity('Attachment', 'original_fname', {
    this_file: { type: 'url' },
    original_fname: { type: 'text' },
    file_size: { type: 'number' },
    display_name: { type: 'text' },
    description: { type: 'text' },
    project,
    attachment_links: { type: 'multi_entity' },
    tags: { type: 'multi_entity' },
  }),
  entity(
    'EventLogEntry',
    'description',
    {
      event_type: { type: 'text' },
      attribute_name: { type: 'text' },
      meta: { type: 'serializable' },
      entity: { type: 'entity' },
      user: { type: 'entity', linkTypes: ['HumanUser', 'ApiUser'] },
      project,
      session_uuid: { type: 'text' },
      description: { type: 'text' },
    },
    { readOnly: true },
  ),
];

const byName = new Map<string, EntityDef>();
const byPathName = new Map<string, EntityDef>();
for (const def of ENTITY_DEFS) {
  byName.set(def.name, def);
  byPathName.set(def.name, def);
  byPathName.set(def.plural, def);
}

/** `HumanUser` → `human_users`, `EventLogEntry` → `event_log_entries`. */
export function pluralOf(typeName: string): string {
  const snake = typeName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  if (/[^aeiou]y$/.test(snake)) return snake.slice(0, -1) + 'ies';
  if (/(s|x|ch|sh)$/.test(snake)) return snake + 'es';
  return snake + 's';
}

/** Schema type name only (as `_batch` and link values require). */
export function entityDefByName(name: string): EntityDef | undefined {
  return byName.get(name);
}

/** Either path form: schema type name (`Task`) or snake_case plural (`tasks`). */
export function entityDefForPath(segment: string): EntityDef | undefined {
  return byPathName.get(segment);
}
