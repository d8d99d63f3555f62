import type { EntityRef } from '../contract';
import type { FptrApi } from './api';
import { FptrClient } from './client';
import { FptrError } from './fptr-error';
import { safeSiteUrl, siteClientOptions, type SiteRuntimeSettings, type SiteSettings } from './site-settings';
import { unavailableApi } from './unavailable-api';

/** What an fptr-site holds for its deploy: the client, or the reason there is none. */
export interface SiteConnection {
  client: FptrApi;
  siteUrl: string;
  /** What is wrong with the settings, without secrets; the client then fails every call. */
  configError?: string;
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
    return { client, siteUrl: client.siteUrl, close: () => client.close() };
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

/** The "Test connection" button should answer within seconds, not after a full retry budget. */
const TEST_RETRIES = 1;
const TEST_MAX_RETRY_AFTER_MS = 5_000;

/** What the dialog shows: the site, its version and the user the settings log in as, or why not. */
export type ConnectionReport =
  { ok: true; siteName: string | null; version: string | null; user: EntityRef | null } | { ok: false; error: string };

/** Settings that cannot make a client at all, so nothing was sent. */
export interface UnusableSettings {
  unusable: string;
}

/** Tries the settings of the fptr-site dialog once: server info and the user they log in as. */
export async function testConnection(
  settings: SiteSettings,
  runtime: SiteRuntimeSettings,
): Promise<ConnectionReport | UnusableSettings> {
  let client: FptrClient;
  try {
    client = new FptrClient({
      ...siteClientOptions(settings, runtime),
      maxRetries: TEST_RETRIES,
      maxRetryAfterMs: TEST_MAX_RETRY_AFTER_MS,
    });
  } catch (err) {
    if (err instanceof FptrError) return { unusable: err.message };
    throw err;
  }
  try {
    const info = await client.serverInfo();
    const user = await client.currentUser();
    return {
      ok: true,
      siteName: stringOrNull(info.site_name),
      version: stringOrNull(info.shotgun_version ?? info.shotgun_version_number),
      user,
    };
  } catch (err) {
    if (err instanceof FptrError) return { ok: false, error: err.message };
    throw err;
  } finally {
    await client.close();
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
