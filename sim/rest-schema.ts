import { notFound } from './errors';
import { intParam, route, selfLink, type Ctx, type Reply, type Route, type Services } from './rest-common';
import { ENTITY_DEFS, STATUS_NAMES, type EntityDef, type FieldDef } from './schema';
import { API } from './serialize';

/**
 * Schema reads for editor pickers (docs/fptr-api.md §6.6): entity types, and fields whose every
 * attribute is `{value, editable}`, derived from schema.ts. Status lists carry their codes in
 * `properties.valid_values.value` and labels in `properties.display_values.value`.
 */

const ENTITY_LABELS: Readonly<Record<string, string>> = {
  HumanUser: 'Person',
  ApiUser: 'Script',
  Step: 'Pipeline Step',
  EventLogEntry: 'Event Log Entry',
  Attachment: 'File',
};

const FIELD_LABELS: Readonly<Record<string, string>> = {
  id: 'Id',
  sg_status_list: 'Status',
  created_at: 'Date Created',
  updated_at: 'Date Updated',
  created_by: 'Created by',
  updated_by: 'Updated by',
  entity: 'Link',
  task_assignees: 'Assigned To',
  step: 'Pipeline Step',
  image: 'Thumbnail',
  sg_uploaded_movie: 'Uploaded Movie',
  this_file: 'File',
  generate_event_log_entries: 'Generate Events',
  est_in_mins: 'Bid',
};

function attr(value: unknown, editable = false): { value: unknown; editable: boolean } {
  return { value, editable };
}

function fieldLabel(def: EntityDef, field: string): string {
  if (field === def.nameField && field !== 'name') return `${ENTITY_LABELS[def.name] ?? def.name} Name`;
  if (FIELD_LABELS[field]) return FIELD_LABELS[field];
  const words = field.replace(/^sg_/, '').split('_').filter(Boolean);
  return words.map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : w)).join(' ');
}

function fieldSchema(def: EntityDef, field: string, fd: FieldDef): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    default_value: attr(fd.default ?? null, !def.readOnly),
    regex_validation: attr('', !def.readOnly),
    summary_default: attr('none', !def.readOnly),
  };
  if (fd.type === 'status_list' || fd.type === 'list') {
    const values = [...(fd.values ?? [])];
    properties.valid_values = attr(values, !def.readOnly);
    if (fd.type === 'status_list')
      properties.display_values = attr(Object.fromEntries(values.map((v) => [v, STATUS_NAMES[v] ?? v])), false);
  }
  if (fd.type === 'entity' || fd.type === 'multi_entity') {
    properties.valid_types = attr(
      [...(fd.linkTypes ?? ENTITY_DEFS.filter((d) => d.name !== 'EventLogEntry').map((d) => d.name))],
      !def.readOnly,
    );
  }
  return {
    name: attr(fieldLabel(def, field), !def.readOnly),
    data_type: attr(fd.type),
    editable: attr(!fd.readOnly && !def.readOnly && field !== 'id'),
    mandatory: attr(false),
    unique: attr(false),
    visible: attr(true),
    entity_type: attr(def.name),
    description: attr('', !def.readOnly),
    custom_metadata: attr('', !def.readOnly),
    ui_value_displayable: attr(true),
    properties,
  };
}

function entitySchema(def: EntityDef): Record<string, unknown> {
  return { name: attr(ENTITY_LABELS[def.name] ?? def.name), visible: attr(true) };
}

/** `?project_id=` is accepted (an integer); the simulator has one schema for every project. */
function checkProject(ctx: Ctx): void {
  intParam(ctx.url.searchParams.get('project_id'), 'project_id');
}

function types(ctx: Ctx): Reply {
  checkProject(ctx);
  return {
    status: 200,
    body: {
      data: Object.fromEntries(ENTITY_DEFS.map((d) => [d.name, entitySchema(d)])),
      links: { self: selfLink(ctx) },
    },
  };
}

function oneType(ctx: Ctx, s: Services): Reply {
  return { status: 200, body: { data: entitySchema(s.store.def(ctx.params[0])), links: { self: selfLink(ctx) } } };
}

function fields(ctx: Ctx, s: Services): Reply {
  checkProject(ctx);
  const def = s.store.def(ctx.params[0]);
  const data = Object.fromEntries(Object.entries(def.fields).map(([name, fd]) => [name, fieldSchema(def, name, fd)]));
  return { status: 200, body: { data, links: { self: selfLink(ctx) } } };
}

function oneField(ctx: Ctx, s: Services): Reply {
  checkProject(ctx);
  const def = s.store.def(ctx.params[0]);
  const name = ctx.params[1];
  const fd = Object.prototype.hasOwnProperty.call(def.fields, name) ? def.fields[name] : undefined;
  if (!fd)
    throw notFound(
      `Field '${name}' of entity type '${def.name}' does not exist.`,
      104,
      `${def.name}.${name} not found`,
    );
  return { status: 200, body: { data: fieldSchema(def, name, fd), links: { self: selfLink(ctx) } } };
}

export const SCHEMA_ROUTES: readonly Route[] = [
  route('GET', `${API}/schema`, true, types),
  route('GET', `${API}/schema/{type}`, true, oneType),
  route('GET', `${API}/schema/{type}/fields`, true, fields),
  route('GET', `${API}/schema/{type}/fields/{field}`, true, oneField),
];
