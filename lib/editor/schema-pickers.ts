import {
  complete,
  entityTypesOfEventTypes,
  eventTypeChoices,
  fieldsInData,
  fieldsInFilters,
  namesIn,
  unknownNames,
  unknownValues,
  type Choice,
  type FieldUse,
  type ListShape,
} from './schema-names';

/*
 * The schema pickers of the filter, switch, find and update dialogs: completions for entity
 * types, fields and status values from the site's schema, a flag on names the site does not know
 * (kept: a site may add them later), a status line and a refresh button. The schema comes from
 * fptr-site's admin routes (lib/node-red/site-schema-route.ts), so no credential reaches the
 * browser; without a site, or when it cannot be read, the fields stay free text.
 */

// ---- the parts of jQuery and of the editor used here ---------------------------------------

interface Deferred {
  done(cb: (body: unknown) => void): Deferred;
  fail(cb: (xhr: { status: number; responseJSON?: unknown; statusText?: string }) => void): Deferred;
}

export interface JQ {
  length: number;
  val(): unknown;
  val(value: string): JQ;
  text(value: string): JQ;
  attr(name: string, value: string): JQ;
  addClass(name: string): JQ;
  toggleClass(name: string, on: boolean): JQ;
  append(...content: Array<JQ | string>): JQ;
  appendTo(target: JQ): JQ;
  insertAfter(target: JQ): JQ;
  closest(selector: string): JQ;
  first(): JQ;
  toggle(show: boolean): JQ;
  on(events: string, handler: (event?: { preventDefault(): void }) => void): JQ;
  autoComplete(options: { search: Search; minLength: number }): JQ;
  typedInput(method: 'type' | 'value'): string;
}

type Search = (value: string, done: (completions: Array<{ value: string; label: JQ }>) => void) => void;

interface JQueryStatic {
  (html: string): JQ;
  ajax(options: { url: string; type: string; contentType?: string; data?: string; dataType: string }): Deferred;
}

declare const $: JQueryStatic;

interface EditorNode {
  id: string;
  type: string;
  z?: string;
  site?: string;
  changed?: boolean;
  credentials?: Record<string, unknown>;
  [property: string]: unknown;
}

declare const RED: {
  nodes: {
    node(id: string): EditorNode | null;
    eachNode(cb: (node: EditorNode) => void): void;
    eachConfig(cb: (node: EditorNode) => void): void;
  };
};

/** A dialog's node: its settings and its catalog (`fptr.schema.*` is merged into every node's). */
export interface DialogNode extends EditorNode {
  _(key: string, params?: Record<string, string | number>): string;
}

// ---- reading the schema through the runtime -------------------------------------------------

interface EntityTypeInfo extends Choice {
  visible: boolean;
}

interface FieldInfo extends Choice {
  dataType: string;
  validValues?: string[];
}

/** What the routes answer in place of a schema. */
interface Failure {
  reason: string;
  error: string;
}

type Fields = FieldInfo[] | 'unknownEntityType';

class SiteSchema {
  #types: Promise<EntityTypeInfo[]> | undefined;
  readonly #fields = new Map<string, Promise<Fields>>();

  constructor(
    readonly site: EditorNode,
    readonly key: string,
  ) {}

  entityTypes(): Promise<EntityTypeInfo[]> {
    this.#types ??= this.#read<{ entityTypes: EntityTypeInfo[] }>().then((a) => a.entityTypes);
    this.#types.catch(() => (this.#types = undefined));
    return this.#types;
  }

  fields(entityType: string): Promise<Fields> {
    let fields = this.#fields.get(entityType);
    if (!fields) {
      fields = this.#read<{ fields: FieldInfo[] }>(entityType).then(
        (a) => a.fields,
        (err: Failure) => (err.reason === 'unknownEntityType' ? ('unknownEntityType' as const) : Promise.reject(err)),
      );
      fields.catch(() => this.#fields.delete(entityType));
      this.#fields.set(entityType, fields);
    }
    return fields;
  }

  /** Asks the runtime to read the site again (a deployed site keeps its schema until then). */
  refresh(): Promise<void> {
    if (this.site.changed) return Promise.resolve();
    return request(`fptr-site/${encodeURIComponent(this.site.id)}/schema/refresh`, 'POST').then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * The deployed site's cached schema while the site is as deployed; otherwise (new, or changed
   * in the editor) one read with its settings, the way Test connection sends them.
   */
  #read<T>(entityType?: string): Promise<T> {
    const deployed = () =>
      request<T>(
        `fptr-site/${encodeURIComponent(this.site.id)}/schema${entityType ? `/${encodeURIComponent(entityType)}` : ''}`,
        'GET',
      );
    const typed = () =>
      request<T>('fptr-site/schema', 'POST', { ...dialogValues(this.site), ...(entityType ? { entityType } : {}) });
    if (this.site.changed && this.site.credentials) return typed();
    return deployed().catch((err: Failure) => (err.reason === 'notDeployed' ? typed() : Promise.reject(err)));
  }
}

/** What fptr-site's dialog would send for this site: its settings, and secrets only as typed. */
function dialogValues(site: EditorNode): Record<string, unknown> {
  const creds = site.credentials ?? {};
  // A secret not typed in this session is the stored one, which the runtime lends only to this
  // deployed site at its deployed URL (lib/node-red/site-dialog.ts).
  const secret = (name: string) =>
    typeof creds[name] === 'string' ? creds[name] : (creds[`has_${name}`] ?? !site.changed) ? '__PWRD__' : '';
  const values: Record<string, unknown> = { id: site.id };
  for (const name of ['url', 'authType', 'maxConcurrency', 'timeout', 'maxRetries', 'deadline'])
    values[name] = site[name];
  for (const name of ['scriptName', 'login', 'sudoAs']) values[name] = creds[name] ?? '';
  values.scriptKey = secret('scriptKey');
  values.password = secret('password');
  return values;
}

function request<T>(url: string, type: 'GET' | 'POST', body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    $.ajax({
      url,
      type,
      dataType: 'json',
      ...(body === undefined ? {} : { contentType: 'application/json', data: JSON.stringify(body) }),
    })
      .done((answer) => resolve(answer as T))
      .fail((xhr) => {
        const answer = xhr.responseJSON as Partial<Failure> | undefined;
        reject({
          reason: answer?.reason ?? 'http',
          error: answer?.error ?? `HTTP ${xhr.status} ${xhr.statusText ?? ''}`.trim(),
        });
      });
  });
}

/** One schema per site and settings for the whole editor session, until a refresh. */
const schemas = new Map<string, SiteSchema>();

function schemaOf(site: EditorNode): SiteSchema {
  const creds = site.credentials ?? {};
  const key = JSON.stringify([
    site.id,
    !!site.changed,
    site.url,
    site.authType,
    creds.scriptName,
    creds.login,
    creds.sudoAs,
  ]);
  let schema = schemas.get(key);
  if (!schema) {
    schema = new SiteSchema(site, key);
    schemas.set(key, schema);
  }
  return schema;
}

/**
 * The site a dialog's names are checked against: the node's own (its site field while the
 * dialog is open), else the one other nodes on the same flow use, else the only site there is.
 */
function siteFor(node: EditorNode, siteField: JQ | undefined): EditorNode | null {
  const own = siteField && siteField.length > 0 ? siteField.val() : node.site;
  const byId = (id: unknown) => (typeof id === 'string' && id !== '' && id !== '_ADD_' ? RED.nodes.node(id) : null);
  const chosen = byId(own);
  if (chosen) return chosen;
  let used: EditorNode | null = null;
  RED.nodes.eachNode((n) => {
    if (!used && n.z === node.z && n.id !== node.id) used = byId(n.site);
  });
  if (used) return used;
  const sites: EditorNode[] = [];
  RED.nodes.eachConfig((n) => {
    if (n.type === 'fptr-site') sites.push(n);
  });
  return sites.length === 1 ? (sites[0] ?? null) : null;
}

// ---- the pickers ------------------------------------------------------------------------------

/** Which names a field holds. */
type Kind = 'entityType' | 'eventType' | 'field' | 'value';

/** What a field names, and (for fields and values) of which entity types and fields. */
export interface FieldSpec {
  kind: Kind;
  shape?: ListShape;
  /** The entity types whose fields (or field values) count. */
  types?: () => string[];
  /** For values: the fields whose status values count. */
  fields?: () => string[];
  /** Check the field only while this holds (a typedInput's type, a rule's operator). */
  when?: () => boolean;
}

interface Watched {
  /** Flags what the site does not know; '' when all is known or nothing can be checked. */
  check(): Promise<string>;
  flag: JQ;
}

export interface PickerOptions {
  /** The dialog's site field (a config-node select), when the node has one. */
  siteField?: string;
  /** The status line and refresh button go after this element's form row. */
  after: string;
}

const STYLE_ID = 'fptr-schema-style';

/** A warning colour that reads in Node-RED's light and dark themes. */
const STYLE =
  '.fptr-schema-flag { color: var(--red-ui-text-color-warning, #b87f00); display: block; margin-top: 2px; white-space: normal; }' +
  '.fptr-schema-flag:empty { display: none; }' +
  '.red-ui-editableList-item-content:has(> .fptr-schema-flag:not(:empty)) { flex-wrap: wrap; }' +
  '.red-ui-editableList-item-content > .fptr-schema-flag { flex-basis: 100%; }' +
  '.fptr-schema-unknown { border-color: var(--red-ui-text-color-warning, #b87f00) !important; }' +
  '.fptr-schema-status { display: inline-block; width: calc(70% - 40px); white-space: normal; vertical-align: middle; }' +
  '.fptr-schema-choice-label { opacity: 0.65; margin-left: 8px; }';

/**
 * The pickers of one open dialog. Fields are registered with the methods below; each gets
 * completions and a flag line naming what the site does not know.
 */
export class Pickers {
  readonly #node: DialogNode;
  readonly #siteField: JQ | undefined;
  readonly #status: JQ;
  readonly #watched: Watched[] = [];
  #schema: SiteSchema | null = null;
  #types: EntityTypeInfo[] | null = null;
  #loading: Promise<void> = Promise.resolve();

  constructor(node: DialogNode, options: PickerOptions) {
    this.#node = node;
    this.#siteField = options.siteField ? $(options.siteField) : undefined;
    if ($(`#${STYLE_ID}`).length === 0) $(`<style id="${STYLE_ID}"></style>`).text(STYLE).appendTo($('head'));
    const row = $('<div class="form-row fptr-schema-row"></div>').insertAfter(
      $(options.after).closest('.form-row').first(),
    );
    row.append($('<label>&nbsp;</label>'));
    this.#status = $('<span class="fptr-schema-status"></span>').appendTo(row);
    $(
      '<button type="button" class="red-ui-button red-ui-button-small fptr-schema-refresh"><i class="fa fa-refresh"></i></button>',
    )
      .attr('title', node._('fptr.schema.refresh'))
      .on('click', (event) => {
        event?.preventDefault();
        void this.refresh();
      })
      .appendTo(row);
    this.#siteField?.on('change', () => void this.load());
    void this.load();
  }

  /** A plain text field: completions while typing (the down arrow lists them all) and a flag line. */
  text(input: JQ | string, spec: FieldSpec): void {
    const field = $(input as string);
    field.autoComplete({ search: this.#search(spec), minLength: 0 });
    this.#watch(field, spec, () => String(field.val() ?? ''));
  }

  /**
   * A typedInput `str` type that completes `spec`'s names: give it in `types` when the typedInput
   * is made, then call `typed()` with the input so that it is checked while its type is `str`.
   */
  strType(spec: FieldSpec): unknown {
    return {
      value: 'str',
      label: 'string',
      icon: 'red/images/typedInput/az.svg',
      autoComplete: () => this.#search(spec),
    };
  }

  typed(input: JQ | string, spec: FieldSpec): void {
    const field = $(input as string);
    const when = spec.when ?? (() => true);
    this.#watch(field, { ...spec, when: () => field.typedInput('type') === 'str' && when() }, () =>
      String(field.typedInput('value') ?? ''),
    );
  }

  /**
   * A JSON setting that names fields of `types` and their values: fptr-find's filters or
   * fptr-update's data. Checked while its typedInput type is `json`.
   */
  json(input: JQ | string, kind: 'filters' | 'data', types: () => string[]): void {
    const field = $(input as string);
    const flag = this.#flagFor(field);
    const read = kind === 'filters' ? fieldsInFilters : fieldsInData;
    this.#watched.push({
      flag,
      check: async () => {
        if (field.typedInput('type') !== 'json') return '';
        const uses = read(String(field.typedInput('value') ?? ''));
        return this.#checkUses(uses, types());
      },
    });
    field.on('change', () => void this.#recheck());
  }

  /** Reads the site's schema again (the runtime's cache too), then checks every field again. */
  async refresh(): Promise<void> {
    const schema = this.#schema;
    if (schema) {
      schemas.delete(schema.key);
      await schema.refresh();
    }
    await this.load();
  }

  /** Finds the dialog's site and reads its entity types; then checks every field. */
  load(): Promise<void> {
    const t = (key: string, params?: Record<string, string | number>) => this.#node._(`fptr.schema.${key}`, params);
    const site = siteFor(this.#node, this.#siteField);
    this.#schema = site ? schemaOf(site) : null;
    this.#types = null;
    if (!this.#schema) {
      this.#status.text(t('noSite'));
      this.#loading = this.#recheck();
      return this.#loading;
    }
    const schema = this.#schema;
    this.#status.text(t('loading'));
    this.#loading = schema.entityTypes().then(
      (types) => {
        if (this.#schema !== schema) return;
        this.#types = types;
        const name =
          typeof schema.site.name === 'string' && schema.site.name ? schema.site.name : String(schema.site.url ?? '');
        this.#status.text(t('ready', { site: name, count: types.length }));
        return this.#recheck();
      },
      (err: Failure) => {
        if (this.#schema !== schema) return;
        this.#status.text(t('unavailable', { error: err.error }));
        return this.#recheck();
      },
    );
    return this.#loading;
  }

  /** Resolves once the schema has been read (or found unreadable) and every field checked. */
  ready(): Promise<void> {
    return this.#loading;
  }

  #watch(input: JQ, spec: FieldSpec, value: () => string): void {
    const flag = this.#flagFor(input);
    this.#watched.push({
      flag,
      check: async () => {
        const marked = (spec.when ?? (() => true))() ? await this.#unknownIn(value(), spec) : '';
        input.toggleClass('fptr-schema-unknown', marked !== '');
        return marked;
      },
    });
    input.on('change', () => void this.#recheck());
  }

  /** The line under a field (or under its list row) that names what the site does not know. */
  #flagFor(input: JQ): JQ {
    const row = input.closest('.red-ui-editableList-item-content');
    const host = row.length > 0 ? row : input.closest('.form-row');
    return $('<span class="fptr-schema-flag"></span>').appendTo(host.length > 0 ? host : input);
  }

  #search(spec: FieldSpec): Search {
    return (value, done) => {
      this.#choices(spec.kind, spec.types?.() ?? [], spec.fields?.() ?? []).then(
        (choices) => done(complete(value, choices, spec.shape).map((c) => ({ value: c.value, label: choiceLabel(c) }))),
        () => done([]),
      );
    };
  }

  async #choices(kind: Kind, types: string[], fields: string[]): Promise<Choice[]> {
    await this.#loading;
    const all = this.#types;
    if (!all) return [];
    if (kind === 'entityType') return all.filter((t) => t.visible);
    if (kind === 'eventType') return eventTypeChoices(all.filter((t) => t.visible));
    const known = await this.#fieldsOf(types);
    if (kind === 'field') return known;
    const values = known.filter((f) => fields.includes(f.name)).flatMap((f) => f.validValues ?? []);
    return [...new Set(values)].map((name) => ({ name }));
  }

  /** The fields of the known ones among `types`, merged by name. */
  async #fieldsOf(types: string[]): Promise<FieldInfo[]> {
    const schema = this.#schema;
    if (!schema || !this.#types) return [];
    const knownTypes = new Set(this.#types.map((t) => t.name));
    const lists = await Promise.all(
      types.filter((t) => knownTypes.has(t)).map((t) => schema.fields(t).catch(() => 'unknownEntityType' as const)),
    );
    const byName = new Map<string, FieldInfo>();
    for (const list of lists)
      if (list !== 'unknownEntityType') for (const f of list) if (!byName.has(f.name)) byName.set(f.name, f);
    return [...byName.values()];
  }

  async #unknownIn(text: string, spec: FieldSpec): Promise<string> {
    const t = (key: string, params: Record<string, string>) => this.#node._(`fptr.schema.${key}`, params);
    const all = this.#types;
    if (!all) return '';
    const { kind } = spec;
    const types = spec.types?.() ?? [];
    const fields = spec.fields?.() ?? [];
    const names = namesIn(text, spec.shape);
    if (kind === 'entityType' || kind === 'eventType') {
      const typeNames = kind === 'eventType' ? entityTypesOfEventTypes(names) : names;
      const unknown = unknownNames(
        typeNames,
        all.map((x) => x.name),
      );
      return unknown.length ? t('unknownType', { names: unknown.join(', ') }) : '';
    }
    const checked = types.filter((type) => all.some((x) => x.name === type));
    if (checked.length === 0) return '';
    const known = await this.#fieldsOf(checked);
    if (kind === 'field') {
      const unknown = unknownNames(
        names,
        known.map((f) => f.name),
      );
      return unknown.length ? t('unknownField', { names: unknown.join(', '), types: checked.join(', ') }) : '';
    }
    const statusFields = known.filter((f) => fields.includes(f.name) && f.validValues);
    if (statusFields.length === 0) return '';
    const valid = statusFields.flatMap((f) => f.validValues ?? []);
    const unknown = unknownValues([{ field: '', values: names }], '', valid);
    return unknown.length
      ? t('unknownValue', { names: unknown.join(', '), field: statusFields.map((f) => f.name).join(', ') })
      : '';
  }

  /** Unknown fields, and unknown values of status lists, in a JSON setting. */
  async #checkUses(uses: FieldUse[], types: string[]): Promise<string> {
    const all = this.#types;
    if (!all || uses.length === 0) return '';
    const checked = types.filter((type) => all.some((x) => x.name === type));
    if (checked.length === 0) return '';
    const known = await this.#fieldsOf(checked);
    const t = (key: string, params: Record<string, string>) => this.#node._(`fptr.schema.${key}`, params);
    const lines: string[] = [];
    const unknownFields = unknownNames(
      uses.map((u) => u.field),
      known.map((f) => f.name),
    );
    if (unknownFields.length)
      lines.push(t('unknownField', { names: unknownFields.join(', '), types: checked.join(', ') }));
    for (const f of known) {
      if (!f.validValues) continue;
      const unknown = unknownValues(uses, f.name, f.validValues);
      if (unknown.length) lines.push(t('unknownValue', { names: unknown.join(', '), field: f.name }));
    }
    return lines.join(' · ');
  }

  async #recheck(): Promise<void> {
    await Promise.all(
      this.#watched.map(async (w) => {
        w.flag.text(await w.check().catch(() => ''));
      }),
    );
  }
}

function choiceLabel(c: { name: string; label?: string }): JQ {
  const label = $('<span></span>').append($('<span></span>').text(c.name));
  if (c.label && c.label !== c.name) label.append($('<span class="fptr-schema-choice-label"></span>').text(c.label));
  return label;
}
