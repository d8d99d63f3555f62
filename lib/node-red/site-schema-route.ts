import type { Request, Response } from 'express';
import type { Node, NodeAPI } from 'node-red';
import { FptrError } from '../fptr/client/fptr-error';
import { SCHEMA_LIMITS, type SchemaEntityType, type SchemaField } from '../fptr/client/schema';
import { parseEntityType } from '../fptr/actions/find-options';
import type { SchemaCache } from '../fptr/client/schema-cache';
import { readSchemaWith } from '../fptr/client/site-connection';
import type { SiteRuntimeSettings } from '../fptr/client/site-settings';
import { isObject } from '../util/is-object';
import type { Messages } from './i18n';
import { SITE_TYPE } from './site';
import { dialogSettings } from './site-dialog';

/** What a deployed fptr-site node holds for these routes (set by nodes/fptr-site.ts). */
export interface SiteSchemaHolder {
  /** Absent when the site's settings are unusable. */
  schema?: SchemaCache;
  configError?: string;
}

/** Why a schema answer has no schema, for the editor to act on (and to word in its language). */
type Reason = 'notDeployed' | 'unusable' | 'reenterSecret' | 'badRequest' | 'unknownEntityType' | 'fptr';

interface Answer {
  status: number;
  body?: { entityTypes: SchemaEntityType[] } | { fields: SchemaField[] } | { reason: Reason; error: string };
}

/** An entity type name as fptr-find takes it (a name, not a path), no longer than the schema keeps names. */
function isEntityType(value: unknown): value is string {
  try {
    return parseEntityType(value) === value && value.length <= SCHEMA_LIMITS.nameLength;
  } catch {
    return false;
  }
}

/**
 * The site's schema for the editor's pickers (entity types, their fields, status values), read
 * through the runtime so that no credential ever reaches the browser:
 * - `GET <admin>/fptr-site/:id/schema` and `…/schema/:entityType`, behind the read permission:
 *   the deployed site's cached schema;
 * - `POST <admin>/fptr-site/:id/schema/refresh`, behind the write permission: forget it;
 * - `POST <admin>/fptr-site/schema` with the dialog's settings (`entityType` for fields), behind
 *   the write permission: one uncached read for a site not deployed as it stands, under the
 *   rules of "Test connection" for stored secrets (site-dialog.ts).
 * Answers: 200 with `entityTypes` or `fields`; else `{reason, error}` with 400 (unusable request
 * or settings), 404 (`notDeployed`, `unknownEntityType`), 502 (FPTR failed or cannot be reached).
 */
export function addSiteSchemaRoutes(RED: NodeAPI, t: Messages, runtime: SiteRuntimeSettings): void {
  const read = RED.auth.needsPermission(`${SITE_TYPE}.read`);
  const write = RED.auth.needsPermission(`${SITE_TYPE}.write`);
  const route = (handle: (req: Request) => Promise<Answer>) => (req: Request, res: Response) => {
    handle(req).then(
      ({ status, body }) => (body ? res.status(status).json(body) : res.sendStatus(status)),
      (err: unknown) => {
        RED.log.error(t('errors.schemaFailed', { reason: err instanceof Error ? err.name : 'unknown' }));
        res.status(500).json({ reason: 'fptr', error: t('errors.internal') });
      },
    );
  };

  RED.httpAdmin.get(
    `/${SITE_TYPE}/:id/schema`,
    read,
    route(async (req) =>
      withDeployed(req.params.id, (schema) => schema.entityTypes().then((entityTypes) => ({ entityTypes }))),
    ),
  );
  RED.httpAdmin.get(
    `/${SITE_TYPE}/:id/schema/:entityType`,
    read,
    route(async (req) => {
      const entityType = req.params.entityType ?? '';
      if (!isEntityType(entityType)) return refused(400, 'badRequest');
      return withDeployed(req.params.id, (schema) => schema.fields(entityType).then((fields) => ({ fields })), true);
    }),
  );
  RED.httpAdmin.post(
    `/${SITE_TYPE}/:id/schema/refresh`,
    write,
    route(async (req) => {
      const site = deployedSite(req.params.id);
      if (!site) return refused(404, 'notDeployed');
      site.schema?.refresh();
      return { status: 204 };
    }),
  );
  RED.httpAdmin.post(
    `/${SITE_TYPE}/schema`,
    write,
    route(async (req) => {
      const { entityType, ...settings }: Record<string, unknown> = isObject(req.body) ? req.body : {};
      if (entityType !== undefined && !isEntityType(entityType)) return refused(400, 'badRequest');
      const dialog = dialogSettings(RED, isObject(req.body) ? settings : req.body);
      if ('refused' in dialog) return refused(400, dialog.refused);
      return answerWith(async () => {
        const answer = await readSchemaWith(dialog.settings, runtime, entityType);
        return 'unusable' in answer
          ? { status: 400, body: { reason: 'unusable', error: answer.unusable } }
          : { status: 200, body: answer };
      }, entityType !== undefined);
    }),
  );

  function deployedSite(id: string | undefined): (Node & SiteSchemaHolder) | null {
    const node: (Node & SiteSchemaHolder) | null = id ? RED.nodes.getNode(id) : null;
    return node?.type === SITE_TYPE ? node : null;
  }

  function withDeployed(
    id: string | undefined,
    use: (schema: SchemaCache) => Promise<NonNullable<Answer['body']>>,
    fields = false,
  ): Promise<Answer> {
    const site = deployedSite(id);
    if (!site) return Promise.resolve(refused(404, 'notDeployed'));
    const schema = site.schema;
    if (!schema) return Promise.resolve({ status: 400, body: { reason: 'unusable', error: site.configError ?? '' } });
    return answerWith(async () => ({ status: 200, body: await use(schema) }), fields);
  }

  /** FPTR's failures as answers; a 404 for the fields of a type means the site has no such type. */
  async function answerWith(read: () => Promise<Answer>, fields: boolean): Promise<Answer> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof FptrError)) throw err;
      if (fields && err.kind === 'http' && err.status === 404)
        return { status: 404, body: { reason: 'unknownEntityType', error: err.message } };
      return { status: 502, body: { reason: 'fptr', error: err.message } };
    }
  }

  function refused(status: number, reason: 'notDeployed' | 'badRequest' | 'reenterSecret'): Answer {
    return { status, body: { reason, error: t(`errors.${reason}`) } };
  }
}
