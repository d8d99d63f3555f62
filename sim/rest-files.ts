import { SimError, badRequest, notFound } from './errors';
import {
  objectBody,
  recordId,
  requireJson,
  route,
  type Ctx,
  type Reply,
  type Route,
  type Services,
} from './rest-common';
import type { EntityDef } from './schema';
import { API } from './serialize';
import type { StorageRequest } from './storage';
import type { FileValue, Link } from './store';

/**
 * Uploads and downloads (docs/fptr-api.md §2.12): start an upload on a record or a file field, put
 * the bytes (to the site for `sg`, to the storage host for `s3`, multipart there), complete it
 * (an Attachment holding the file, set on the field) or abort it; downloads redirect to a signed
 * storage URL.
 */

interface Target {
  def: EntityDef;
  entity: Link;
  /** null: an attachment to the record itself. */
  field: string | null;
  /** `links.complete_upload`; the sg PUT goes to the same path. */
  uploadPath: string;
}

function target(ctx: Ctx, s: Services): Target {
  const def = s.store.def(ctx.params[0]);
  const id = recordId(ctx.params[1]);
  s.store.active(def.name, id);
  const field = ctx.params[2] ?? null;
  if (field !== null) fileField(def, field);
  return {
    def,
    entity: { type: def.name, id },
    field,
    uploadPath: `${API}/entity/${def.plural}/${id}${field === null ? '' : `/${field}`}/_upload`,
  };
}

function fileField(def: EntityDef, field: string): void {
  const fd = Object.prototype.hasOwnProperty.call(def.fields, field) ? def.fields[field] : undefined;
  if (!fd) throw badRequest(`API read() ${def.name}.${field} doesn't exist.`);
  if (fd.type !== 'url')
    throw badRequest(`${def.name}.${field} is not a file field (its data type is ${fd.type}).`, 103, {
      source: { field },
    });
}

function startUpload(ctx: Ctx, s: Services): Reply {
  const t = target(ctx, s);
  const filename = ctx.url.searchParams.get('filename');
  if (!filename) throw badRequest('filename is required', 103, { source: { filename: ['is required'] } });
  const multipart = ctx.url.searchParams.get('multipart_upload') === 'true';
  const session = s.storage.start(t.entity, t.field, filename, multipart);
  const data = {
    timestamp: session.timestamp,
    upload_type: session.uploadType,
    upload_id: session.uploadId,
    storage_service: s.storage.kind,
    original_filename: filename,
    multipart_upload: multipart,
  };
  const links: Record<string, string> = {
    upload: s.storage.uploadUrl(session, t.uploadPath, ctx.actor.user, 1),
    complete_upload: t.uploadPath,
  };
  if (multipart)
    links.get_next_part = nextPartPath(t, session.timestamp, session.uploadId ?? '', filename, session.uploadType, 2);
  return { status: 200, body: { data, links } };
}

function nextPartPath(
  t: Target,
  timestamp: string,
  uploadId: string,
  filename: string,
  uploadType: string,
  part: number,
): string {
  const q = new URLSearchParams({
    filename,
    part_number: String(part),
    timestamp,
    upload_id: uploadId,
    upload_type: uploadType,
  });
  return `${t.uploadPath}/multipart?${q.toString()}`;
}

function nextPart(ctx: Ctx, s: Services): Reply {
  const t = target(ctx, s);
  const q = ctx.url.searchParams;
  const session = s.storage.session({ timestamp: q.get('timestamp') }, t.entity, t.field);
  if (!session.multipart || q.get('upload_id') !== session.uploadId)
    throw notFound('NoSuchUpload: upload_id does not name an open multipart upload', 104);
  const part = Number(q.get('part_number'));
  if (!Number.isInteger(part) || part < 2 || part > 10_000)
    throw badRequest('part_number must be an integer from 2 to 10000', 103, {
      source: { part_number: q.get('part_number') },
    });
  return {
    status: 200,
    body: {
      links: {
        upload: s.storage.uploadUrl(session, t.uploadPath, ctx.actor.user, part),
        get_next_part: nextPartPath(
          t,
          session.timestamp,
          session.uploadId ?? '',
          session.filename,
          session.uploadType,
          part + 1,
        ),
      },
    },
  };
}

/** Runs a site-side storage request (sg) with its entry in the storage request log. */
function logged(ctx: Ctx, s: Services, fn: (entry: StorageRequest) => Reply): Reply {
  const entry = s.storage.record('site', ctx.req.method ?? 'GET', ctx.url.pathname, ctx.req.headers);
  try {
    const reply = fn(entry);
    entry.status = reply.status;
    return reply;
  } catch (err) {
    entry.status = err instanceof SimError ? err.status : 500;
    throw err;
  }
}

/** The signature and the storage faults of a signed site URL (sg storage). */
function checkSigned(ctx: Ctx, s: Services, method: string): void {
  if (s.storage.kind !== 'sg') throw notFound('This site stores files on S3: send the bytes to links.upload', 103);
  const check = s.storage.verify(method, ctx.url);
  if (check === 'expired')
    throw new SimError(403, 103, 'The signed URL has expired', {
      source: { expiration: ctx.url.searchParams.get('expiration') },
    });
  if (check === 'bad')
    throw new SimError(403, 103, 'The signed URL is not valid', { source: { signature: ['does not match'] } });
  const fault = s.storage.takeFault(method);
  if (fault) throw new SimError(fault, null, 'Injected by the simulator storage faults');
}

function sgPut(ctx: Ctx, s: Services): Reply {
  return logged(ctx, s, () => {
    const t = target(ctx, s);
    checkSigned(ctx, s, 'PUT');
    const session = s.storage.putSiteBytes(ctx.url, ctx.body, ctx.req.headers['content-type'], t.entity, t.field);
    return {
      status: 200,
      body: {
        data: { upload_id: session.uploadId, original_filename: session.filename },
        links: { complete_upload: t.uploadPath },
      },
    };
  });
}

function uploadInfo(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw badRequest('upload_info is required: the data of the upload start, plus upload_id or etags', 103, {
      source: { upload_info: ['is required'] },
    });
  return raw as Record<string, unknown>;
}

/**
 * Completion: the object becomes an Attachment (`this_file` = `{url, name, content_type,
 * link_type: 'upload', type: 'Attachment', id}`) linked to the record, and a file field gets
 * that value; a thumbnail (`image`) gets a URL string instead. Answers 201 with no body.
 */
function complete(ctx: Ctx, s: Services): Reply {
  const t = target(ctx, s);
  const body = objectBody(requireJson(ctx));
  const info = uploadInfo(body.upload_info);
  const data = body.upload_data === undefined || body.upload_data === null ? {} : objectBody(body.upload_data);
  const session = s.storage.session(info, t.entity, t.field);
  const object = s.storage.assemble(session, info);
  const site = s.siteUrl();
  s.store.atomically(() => {
    if (session.uploadType === 'Thumbnail') {
      s.store.update(
        t.def.name,
        t.entity.id,
        { image: `${site}${API}/entity/${t.def.plural}/${t.entity.id}/image` },
        ctx.actor,
      );
      s.storage.attach(t.entity, 'image', object.key);
      return;
    }
    const project =
      s.store.lookup(t.def.name, t.entity.id)?.fields.project ?? (t.def.name === 'Project' ? t.entity : null);
    const attachment = s.store.create(
      'Attachment',
      {
        original_fname: session.filename,
        file_size: object.size,
        project,
        display_name: typeof data.display_name === 'string' ? data.display_name : session.filename,
        attachment_links: t.field === null ? [t.entity] : [],
        tags: data.tags ?? [],
      },
      ctx.actor,
      (rec) => {
        const file: FileValue = {
          url: `${site}${API}/entity/attachments/${rec.id}/this_file`,
          name: session.filename,
          content_type: object.contentType,
          link_type: 'upload',
          type: 'Attachment',
          id: rec.id,
        };
        return { this_file: file };
      },
    );
    if (t.field !== null)
      s.store.update(t.def.name, t.entity.id, { [t.field]: { type: 'Attachment', id: attachment.id } }, ctx.actor);
    s.storage.attach({ type: 'Attachment', id: attachment.id }, 'this_file', object.key);
  });
  s.storage.keep(session, object);
  return { status: 201 };
}

/** Accepts the completion body or its `upload_info` alone (clients send either). */
function abort(ctx: Ctx, s: Services): Reply {
  const t = target(ctx, s);
  const body = objectBody(requireJson(ctx));
  const info = uploadInfo(typeof body.upload_info === 'object' && body.upload_info !== null ? body.upload_info : body);
  s.storage.abort(s.storage.session(info, t.entity, t.field));
  return { status: 204 };
}

function download(ctx: Ctx, s: Services): Reply {
  const def = s.store.def(ctx.params[0]);
  const id = recordId(ctx.params[1]);
  const rec = s.store.active(def.name, id);
  const field = ctx.params[2];
  fileField(def, field);
  const alt = ctx.url.searchParams.get('alt') ?? 'original';
  if (alt !== 'original' && alt !== 'thumbnail')
    throw badRequest('alt must be one of: original, thumbnail', 103, { source: { alt } });
  const value = s.store.fieldValue(rec, field);
  const upload = value as FileValue | null;
  const object =
    typeof value === 'object' && value !== null && upload?.link_type === 'upload' && upload.id !== undefined
      ? s.storage.fileOf({ type: 'Attachment', id: upload.id }, 'this_file')
      : value !== null && value !== undefined
        ? s.storage.fileOf({ type: def.name, id }, field)
        : undefined;
  if (!object) throw notFound(`${def.name}.${field} of ${def.name} ${id} holds no uploaded file`, 104);
  return { status: 302, headers: { location: s.storage.downloadUrl(object) } };
}

/** sg storage: the signed site URL a download redirects to. */
function fileServe(ctx: Ctx, s: Services): Reply {
  return logged(ctx, s, (entry) => {
    checkSigned(ctx, s, 'GET');
    const object = s.storage.objectByKey(ctx.params[0]);
    if (!object) throw notFound('File not found', 104);
    return {
      status: 200,
      send: (res) => {
        res.on('finish', () => {
          entry.status = res.statusCode;
        });
        s.storage.serve(object, ctx.req, res);
      },
    };
  });
}

const ON_RECORD = `${API}/entity/{type}/{id}/_upload`;
const ON_FIELD = `${API}/entity/{type}/{id}/{field}/_upload`;

export const FILE_ROUTES: readonly Route[] = [
  route('GET', ON_RECORD, true, startUpload),
  route('GET', ON_FIELD, true, startUpload),
  route('PUT', ON_RECORD, true, sgPut),
  route('PUT', ON_FIELD, true, sgPut),
  route('POST', ON_RECORD, true, complete),
  route('POST', ON_FIELD, true, complete),
  route('GET', `${ON_RECORD}/multipart`, true, nextPart),
  route('GET', `${ON_FIELD}/multipart`, true, nextPart),
  route('POST', `${ON_RECORD}/multipart_abort`, true, abort),
  route('POST', `${ON_FIELD}/multipart_abort`, true, abort),
  route('GET', `${API}/entity/{type}/{id}/{field}`, true, download),
  route('GET', '/file_serve/{key}', false, fileServe),
];
