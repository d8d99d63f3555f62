import type { EntityRef } from '../contract';
import type { FptrApi } from './api';
import { FptrClient } from './client';
import { FptrError } from './fptr-error';
import { preflight, type PreflightLine } from './preflight';
import { readEntityTypes, readFields, type SchemaEntityType, type SchemaField } from './schema';
import { SchemaCache } from './schema-cache';
import { safeSiteUrl, siteClientOptions, type SiteRuntimeSettings, type SiteSettings } from './site-settings';
import { unavailableApi } from './unavailable-api';

/** What an fptr-site holds for its deploy: the client, or the reason there is none. */
export interface SiteConnection {
  client: FptrApi;
  siteUrl: string;
  /** What is wrong with the settings, without secrets; the client then fails every call. */
  configError?: string;
  /** The site's schema for the editor, read once per deploy; absent when the settings are unusable. */
  schema?: SchemaCache;
  close(): Promise<void>;
}

/**
 * A pooled client for the site's settings. Unusable settings give a client whose every call
 * rejects with `refusal(reason)`, so the nodes using the site report it like any failure.
 */
export function connectSite(
  settings: SiteSettings,
  runtime: SiteRuntimeSettings,
  refusal: (reason: string) => string,
): SiteConnection {
  try {
    const client = new FptrClient(siteClientOptions(settings, runtime));
    return { client, siteUrl: client.siteUrl, schema: new SchemaCache(client), close: () => client.close() };
  } catch (err) {
    if (!(err instanceof FptrError)) throw err;
    const siteUrl = safeSiteUrl(settings.url);
    return {
      client: unavailableApi(siteUrl, new FptrError(refusal(err.message), { kind: 'config' })),
      siteUrl,
      configError: err.message,
      close: () => Promise.resolve(),
    };
  }
}

/** The dialog's buttons should answer within seconds, not after a full retry budget. */
const DIALOG_RETRIES = 1;
const DIALOG_MAX_RETRY_AFTER_MS = 5_000;

/**
 * What the dialog shows: the site, its version, the user the settings log in as and the
 * preflight checks (what the site will do for the flows), or why the settings did not log in.
 */
export type ConnectionReport =
  | { ok: true; siteName: string | null; version: string | null; user: EntityRef | null; checks: PreflightLine[] }
  | { ok: false; error: string };

/** Settings that cannot make a client at all, so nothing was sent. */
export interface UnusableSettings {
  unusable: string;
}

/** Tries the settings of the fptr-site dialog once: server info, the user they log in as, the preflight. */
export function testConnection(
  settings: SiteSettings,
  runtime: SiteRuntimeSettings,
): Promise<ConnectionReport | UnusableSettings> {
  return withDialogClient(settings, runtime, async (client) => {
    try {
      const info = await client.serverInfo();
      const user = await client.currentUser();
      return {
        ok: true,
        siteName: stringOrNull(info.site_name),
        version: stringOrNull(info.shotgun_version ?? info.shotgun_version_number),
        user,
        checks: await preflight(client),
      };
    } catch (err) {
      if (err instanceof FptrError) return { ok: false, error: err.message };
      throw err;
    }
  });
}

/**
 * One uncached schema read with the dialog's settings (a site not deployed as it stands): the
 * entity types, or the fields of one. Rejects with the FptrError of a failed read.
 */
export function readSchemaWith(
  settings: SiteSettings,
  runtime: SiteRuntimeSettings,
  entityType?: string,
): Promise<{ entityTypes: SchemaEntityType[] } | { fields: SchemaField[] } | UnusableSettings> {
  return withDialogClient(settings, runtime, async (client) =>
    entityType === undefined
      ? { entityTypes: readEntityTypes(await client.readSchema()) }
      : { fields: readFields(await client.readSchemaFields(entityType)) },
  );
}

/** A short-lived client for the dialog's settings, closed after `use`. */
async function withDialogClient<T>(
  settings: SiteSettings,
  runtime: SiteRuntimeSettings,
  use: (client: FptrClient) => Promise<T>,
): Promise<T | UnusableSettings> {
  let client: FptrClient;
  try {
    client = new FptrClient({
      ...siteClientOptions(settings, runtime),
      maxRetries: DIALOG_RETRIES,
      maxRetryAfterMs: DIALOG_MAX_RETRY_AFTER_MS,
    });
  } catch (err) {
    if (err instanceof FptrError) return { unusable: err.message };
    throw err;
  }
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
