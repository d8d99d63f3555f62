import { SimError, badRequest, notFound, unsupportedType } from './errors';
import { mediaType, parseJson } from './http-util';
import { compileFilters, compileQueryFilters, idRange, parseFieldList, type FilterMode } from './query';
import {
  ARRAY_TYPE,
  HASH_TYPE,
  intParam,
  listRecords,
  objectBody,
  page,
  pageLinks,
  queryFields,
  readOptions,
  recordId,
  requireJson,
  route,
  selfLink,
  writable,
  type Ctx,
  type Reply,
  type Route,
  type Services,
} from './rest-common';
import { FILE_ROUTES } from './rest-files';
import { SCHEMA_ROUTES } from './rest-schema';
import { entityDefByName } from './schema';
import { API, recordPath, toJsonApi } from './serialize';

// ---- handlers ---------------------------------------------------------------------------

function serverInfo(): Reply {
  return {
    status: 200,
    body: {
      data: {
        shotgun_version: 'v8.26.0.8069 (build fptrsim)',
        api_version: 'v1',
        shotgun_version_number: '8.26.0.8069',
        shotgun_build_number: 'fptrsim',
        portfolio_version: '8.26.0.8069',
        unified_login_flow_enabled: true,
        user_authentication_method: 'default',
        site_id: '0',
        site_name: 'fptr_sim',
      },
    },
  };
}

function accessToken(ctx: Ctx, s: Services): Reply {
  const type = mediaType(ctx.req);
  const params = new URLSearchParams(ctx.url.search);
  if (ctx.body.length || type) {
    if (type !== 'application/x-www-form-urlencoded') throw unsupportedType(type, 'application/x-www-form-urlencoded');
    for (const [k, v] of new URLSearchParams(ctx.body.toString('utf8'))) params.set(k, v);
  }
  return { status: 200, body: s.auth.issue(params) };
}

function readOne(ctx: Ctx, s: Services): Reply {
  const def = s.store.def(ctx.params[0]);
  const id = recordId(ctx.params[1]);
  const opts = readOptions(
    ctx.url.searchParams.get('options[return_only]') ?? undefined,
    ctx.url.searchParams.get('options[include_archived_projects]') ?? undefined,
  );
  const rec = s.store.lookup(def.name, id);
  if (!rec || rec.retired !== (opts.returnOnly === 'retired') || !s.store.readable(rec))
    throw notFound('Record not found', 104, `${def.name}: ${id} not found`);
  return {
    status: 200,
    body: {
      data: toJsonApi(s.store, rec, parseFieldList(queryFields(ctx.url, 'fields'))),
      links: { self: selfLink(ctx) },
    },
  };
}

function list(ctx: Ctx, s: Services): Reply {
  const def = s.store.def(ctx.params[0]);
  const q = ctx.url.searchParams;
  const filters: Array<[string, string]> = [];
  for (const [k, v] of q) {
    const m = k.match(/^filter\[(.+)\]$/);
    if (m) filters.push([m[1], v]);
  }
  const p = page(q.get('page[size]') ?? undefined, q.get('page[number]') ?? undefined);
  const opts = readOptions(
    q.get('options[return_only]') ?? undefined,
    q.get('options[include_archived_projects]') ?? undefined,
  );
  const rows = listRecords(s, def, compileQueryFilters(s.store, def, filters), opts, q.get('sort') ?? undefined, p);
  const fields = parseFieldList(queryFields(ctx.url, 'fields'));
  return {
    status: 200,
    body: { data: rows.map((r) => toJsonApi(s.store, r, fields)), links: pageLinks(ctx.url.pathname, q, p) },
  };
}

function search(ctx: Ctx, s: Services): Reply {
  const def = s.store.def(ctx.params[0]);
  const type = mediaType(ctx.req);
  let mode: FilterMode;
  if (type === ARRAY_TYPE) mode = 'array';
  else if (type === HASH_TYPE) mode = 'hash';
  else throw unsupportedType(type, `${ARRAY_TYPE} or ${HASH_TYPE}`);
  const body = objectBody(parseJson(ctx.body) ?? {});
  const q = ctx.url.searchParams;
  const bodyPage = (body.page ?? {}) as Record<string, unknown>;
  const p = page(
    bodyPage.size ?? q.get('page[size]') ?? undefined,
    bodyPage.number ?? q.get('page[number]') ?? undefined,
  );
  const options = (body.options ?? {}) as Record<string, unknown>;
  const opts = readOptions(
    options.return_only ?? q.get('options[return_only]') ?? undefined,
    options.include_archived_projects ?? q.get('options[include_archived_projects]') ?? undefined,
  );
  const predicate = compileFilters(s.store, def, body.filters, mode);
  const rows = listRecords(
    s,
    def,
    predicate,
    opts,
    body.sort ?? q.get('sort') ?? undefined,
    p,
    idRange(body.filters, mode),
  );
  const fields = parseFieldList(body.fields ?? queryFields(ctx.url, 'fields'));
  const linkQuery = new URLSearchParams();
  return {
    status: 200,
    body: { data: rows.map((r) => toJsonApi(s.store, r, fields)), links: pageLinks(ctx.url.pathname, linkQuery, p) },
  };
}

function create(ctx: Ctx, s: Services): Reply {
  const def = s.store.def(ctx.params[0]);
  const body = objectBody(requireJson(ctx));
  writable(def, 'create');
  const rec = s.store.create(def.name, body, ctx.actor);
  const fields = parseFieldList(queryFields(ctx.url, 'options[fields]'));
  return { status: 201, body: { data: toJsonApi(s.store, rec, fields, { createResponse: true }) } };
}

function update(ctx: Ctx, s: Services): Reply {
  const def = s.store.def(ctx.params[0]);
  const id = recordId(ctx.params[1]);
  const body = objectBody(requireJson(ctx));
  writable(def, 'update');
  const rec = s.store.update(def.name, id, body, ctx.actor);
  const fields = parseFieldList(queryFields(ctx.url, 'options[fields]'));
  return {
    status: 200,
    body: { data: toJsonApi(s.store, rec, fields), links: { self: recordPath(def, id) }, status: 'successful' },
  };
}

function remove(ctx: Ctx, s: Services): Reply {
  const def = s.store.def(ctx.params[0]);
  writable(def, 'delete');
  s.store.retire(def.name, recordId(ctx.params[1]), ctx.actor);
  return { status: 204 };
}

function revive(ctx: Ctx, s: Services): Reply {
  const def = s.store.def(ctx.params[0]);
  const id = recordId(ctx.params[1]);
  if (ctx.url.searchParams.get('revive') !== 'true')
    throw badRequest('POST on a record needs ?revive=true', 103, { source: { revive: ['must be true'] } });
  writable(def, 'revive');
  const did = s.store.revive(def.name, id, ctx.actor);
  return {
    status: 200,
    body: {
      data: { type: def.name, id },
      links: { self: `${API}/entity/${def.name}/${id}` },
      meta: { did_revive: did },
    },
  };
}

/** Applies one `_batch` entry to the state the earlier entries left; returns its response row. */
function applyBatchEntry(ctx: Ctx, s: Services, raw: unknown): Record<string, unknown> {
  const r = objectBody(raw);
  const def = typeof r.entity === 'string' ? entityDefByName(r.entity) : undefined;
  if (!def)
    throw badRequest(`Entity type '${String(r.entity)}' does not exist. Use the schema type name (e.g. "Task").`, 103, {
      source: { entity: r.entity ?? null },
    });
  const fields = parseFieldList((r.options as Record<string, unknown> | undefined)?.fields);
  const id = (): number => {
    if (!Number.isInteger(r.record_id))
      throw badRequest('record_id must be an integer', 103, { source: { record_id: r.record_id ?? null } });
    return r.record_id as number;
  };
  switch (r.request_type) {
    case 'create':
      writable(def, 'create');
      return {
        data: toJsonApi(s.store, s.store.create(def.name, objectBody(r.data), ctx.actor), fields, {
          createResponse: true,
        }),
      };
    case 'update': {
      writable(def, 'update');
      const recId = id();
      const rec = s.store.update(def.name, recId, objectBody(r.data), ctx.actor);
      return { data: toJsonApi(s.store, rec, fields), links: { self: recordPath(def, recId) }, status: 'successful' };
    }
    case 'delete': {
      writable(def, 'delete');
      const recId = id();
      s.store.retire(def.name, recId, ctx.actor);
      return { request_type: 'delete', type: def.name, id: recId, did_delete: true };
    }
    default:
      throw badRequest('request_type must be one of: create, update, delete', 103, {
        source: { request_type: r.request_type ?? null },
      });
  }
}

/**
 * All-or-nothing (docs/fptr-api.md §2.9): entries apply in order inside one store transaction; the
 * first failing entry rolls back the others and answers its error, naming its index.
 */
function batch(ctx: Ctx, s: Services): Reply {
  const body = objectBody(requireJson(ctx));
  const requests = body.requests;
  if (!Array.isArray(requests) || !requests.length)
    throw badRequest('requests must be a non-empty array', 103, { source: { requests: ['is required'] } });
  const rows = s.store.atomically(() =>
    requests.map((raw, i) => {
      try {
        return applyBatchEntry(ctx, s, raw);
      } catch (err) {
        if (!(err instanceof SimError)) throw err;
        throw new SimError(err.status, err.code, err.message, {
          detail: `requests[${i}]: ${err.detail ?? err.message}`,
          source: { requests: { [i]: err.source } },
        });
      }
    }),
  );
  return { status: 200, body: { data: rows } };
}

// ---- webhooks ---------------------------------------------------------------------------

function hookLinks(id: string): { self: string } {
  return { self: `${API}/webhook/hooks/${id}` };
}

function listHooks(ctx: Ctx, s: Services): Reply {
  const q = ctx.url.searchParams;
  const p = page(q.get('page[size]') ?? undefined, q.get('page[number]') ?? undefined);
  const hooks = s.hooks
    .list()
    .filter((h) => !q.get('status') || h.status === q.get('status'))
    .filter((h) => !q.get('url') || h.url === q.get('url'));
  return {
    status: 200,
    body: { data: hooks.slice((p.number - 1) * p.size, p.number * p.size), links: pageLinks(ctx.url.pathname, q, p) },
  };
}

function createHook(ctx: Ctx, s: Services): Reply {
  const hook = s.hooks.create(requireJson(ctx));
  return { status: 201, body: { data: hook, links: hookLinks(hook.id) } };
}

function readHook(ctx: Ctx, s: Services): Reply {
  return { status: 200, body: { data: s.hooks.get(ctx.params[0]), links: hookLinks(ctx.params[0]) } };
}

function updateHook(ctx: Ctx, s: Services): Reply {
  const hook = s.hooks.update(ctx.params[0], requireJson(ctx) ?? {});
  return { status: 200, body: { data: hook, links: hookLinks(hook.id) } };
}

function deleteHook(ctx: Ctx, s: Services): Reply {
  s.hooks.remove(ctx.params[0]);
  return { status: 204 };
}

function testConnection(ctx: Ctx, s: Services): Reply {
  s.hooks.testConnection(ctx.params[0], true);
  return { status: 204 };
}

function listDeliveries(ctx: Ctx, s: Services): Reply {
  const q = ctx.url.searchParams;
  const status = q.get('status') ?? undefined;
  if (status !== undefined && status !== 'delivered' && status !== 'failed') {
    throw badRequest('status must be one of: delivered, failed', 103, { source: { status: [status] } });
  }
  const p = page(q.get('page[size]') ?? undefined, q.get('page[number]') ?? undefined);
  const rows = s.hooks.listDeliveries(ctx.params[0], {
    status,
    from: intParam(q.get('from'), 'from'),
    to: intParam(q.get('to'), 'to'),
    acknowledgement: q.get('acknowledgement') ?? undefined,
    entityType: q.get('entity_type') || undefined,
    entityId: intParam(q.get('entity_id'), 'entity_id'),
  });
  return {
    status: 200,
    body: {
      data: rows.slice((p.number - 1) * p.size, p.number * p.size),
      included: [],
      links: pageLinks(ctx.url.pathname, q, p),
    },
  };
}

function deliveryLinks(id: string): { self: string } {
  return { self: `${API}/webhook/deliveries/${id}` };
}

function readDelivery(ctx: Ctx, s: Services): Reply {
  return { status: 200, body: { data: s.hooks.delivery(ctx.params[0]), links: deliveryLinks(ctx.params[0]) } };
}

function acknowledge(ctx: Ctx, s: Services): Reply {
  const body = objectBody(requireJson(ctx));
  if (!('acknowledgement' in body))
    throw badRequest('acknowledgement is required', 103, { source: { acknowledgement: ['is required'] } });
  return {
    status: 200,
    body: { data: s.hooks.acknowledge(ctx.params[0], body.acknowledgement), links: deliveryLinks(ctx.params[0]) },
  };
}

function redeliver(ctx: Ctx, s: Services): Reply {
  s.hooks.redeliver(ctx.params[0]);
  return { status: 204 };
}

// ---- route table ------------------------------------------------------------------------

export const ROUTES: readonly Route[] = [
  route('GET', `${API}`, false, serverInfo),
  ...SCHEMA_ROUTES,
  // Before the generic entity routes: `/entity/{type}/{id}/{field}` would also match `_upload`.
  ...FILE_ROUTES,
  route('POST', `${API}/auth/access_token`, false, accessToken),
  route('POST', `${API}/entity/_batch`, true, batch),
  route('POST', `${API}/entity/{type}/_search`, true, search),
  route('GET', `${API}/entity/{type}/{id}`, true, readOne),
  route('PUT', `${API}/entity/{type}/{id}`, true, update),
  route('DELETE', `${API}/entity/{type}/{id}`, true, remove),
  route('POST', `${API}/entity/{type}/{id}`, true, revive),
  route('GET', `${API}/entity/{type}`, true, list),
  route('POST', `${API}/entity/{type}`, true, create),
  route('GET', `${API}/webhook/hooks`, true, listHooks),
  route('POST', `${API}/webhook/hooks`, true, createHook),
  route('GET', `${API}/webhook/hooks/{id}`, true, readHook),
  route('PUT', `${API}/webhook/hooks/{id}`, true, updateHook),
  route('DELETE', `${API}/webhook/hooks/{id}`, true, deleteHook),
  route('POST', `${API}/webhook/hooks/{id}/test_connection`, true, testConnection),
  route('GET', `${API}/webhook/hooks/{id}/deliveries`, true, listDeliveries),
  route('GET', `${API}/webhook/deliveries/{id}`, true, readDelivery),
  route('PUT', `${API}/webhook/deliveries/{id}`, true, acknowledge),
  route('POST', `${API}/webhook/deliveries/{id}/redeliver`, true, redeliver),
];

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The route for a method and a pathname without trailing slash. */
export function matchRoute(method: string, pathname: string): { route: Route; params: string[] } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(pathname);
    if (m) return { route: r, params: m.slice(1).map(decodeSegment) };
  }
  return undefined;
}
