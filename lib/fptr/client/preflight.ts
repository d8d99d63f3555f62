import type { EntityRef } from '../contract';
import type { FptrApi } from './api';
import { FptrError } from './fptr-error';

/**
 * "Test connection" beyond working credentials: what the site will and will not do for the
 * flows (fptr-api.md §6.5, §4, §6.4). Each check gives one line: its outcome, a result and a fix
 * as catalog keys (below `preflight.`), and the values the texts name. The lines carry no
 * wording, so the editor shows them in its own language.
 */

/** What the checks need from a site; `FptrClient` implements it. */
export type PreflightApi = Pick<FptrApi, 'serverInfo' | 'currentUser' | 'read' | 'search'> & {
  /** The first `limit` webhooks of the site (`GET /api/v1/webhook/hooks`). */
  listWebhooks(options: { limit: number }): Promise<unknown[]>;
};

export type PreflightCheck = 'version' | 'events' | 'webhooks' | 'eventLog';
export type PreflightOutcome = 'ok' | 'warning' | 'failed';

export interface PreflightLine {
  check: PreflightCheck;
  outcome: PreflightOutcome;
  /** Catalog key of what was found, e.g. `events.off`. */
  result: string;
  /** Catalog key of what to do about it; absent when nothing needs doing. */
  fix?: string;
  /** Values the result names (`version`, `user`, `reason`): plain text, never a secret. */
  values: Record<string, string>;
}

/** The order the lines come in, whatever order the checks finish in. */
export const PREFLIGHT_CHECKS: readonly PreflightCheck[] = ['version', 'events', 'webhooks', 'eventLog'];

/**
 * Runs every check; never rejects. A failing check gives its own line and does not stop the
 * others: a script may be refused the webhooks and still read the event log.
 */
export async function preflight(api: PreflightApi): Promise<PreflightLine[]> {
  const checks: Record<PreflightCheck, () => Promise<PreflightLine>> = {
    version: () => checkVersion(api),
    events: () => checkEvents(api),
    webhooks: () => checkReadable('webhooks', () => api.listWebhooks({ limit: 1 })),
    eventLog: () =>
      checkReadable('eventLog', () => api.search('EventLogEntry', { fields: ['id'], limit: 1, pageSize: 1 })),
  };
  return Promise.all(PREFLIGHT_CHECKS.map((check) => checks[check]().catch((err: unknown) => failure(check, err))));
}

async function checkVersion(api: PreflightApi): Promise<PreflightLine> {
  const info = await api.serverInfo();
  const version = [info.shotgun_version, info.shotgun_version_number].find(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  return version
    ? line('version', 'ok', 'version.ok', { version: version.trim() })
    : line('version', 'warning', 'version.unknown', {});
}

/**
 * A script's writes make events only while its "Generate Events" is on, and FPTR turns it off
 * for new scripts; a person's writes always do. With sudo-as, the script's own setting decides.
 */
async function checkEvents(api: PreflightApi): Promise<PreflightLine> {
  const user = await api.currentUser();
  if (!user) return line('events', 'warning', 'events.noUser', {}, 'events.checkByHand');
  const values = { user: userName(user) };
  if (user.type !== 'ApiUser') return line('events', 'ok', 'events.person', values);
  let flag: unknown;
  try {
    flag = (await api.read('ApiUser', user.id, { fields: ['generate_event_log_entries'] })).generate_event_log_entries;
  } catch (err) {
    if (!isRefusal(err)) throw err;
    return line('events', 'warning', 'events.unreadable', { ...values, reason: reasonOf(err) }, 'events.checkByHand');
  }
  if (flag === true) return line('events', 'ok', 'events.on', values);
  if (flag === false) return line('events', 'warning', 'events.off', values, 'events.turnOn');
  const reason = 'the answer has no generate_event_log_entries';
  return line('events', 'warning', 'events.unreadable', { ...values, reason }, 'events.checkByHand');
}

/** Reading one row is enough to learn whether the script may read them at all. */
async function checkReadable(check: 'webhooks' | 'eventLog', read: () => Promise<unknown>): Promise<PreflightLine> {
  try {
    await read();
  } catch (err) {
    if (isRefusal(err)) return line(check, 'failed', `${check}.denied`, { reason: reasonOf(err) }, `${check}.grant`);
    throw err;
  }
  return line(check, 'ok', `${check}.ok`, {});
}

/**
 * Any other failure. One that may pass later (network, timeout, 429, 5xx) asks to try again;
 * any other answer (404, an HTML page) suggests the URL leads somewhere else than the site's API.
 */
function failure(check: PreflightCheck, err: unknown): PreflightLine {
  const passing = err instanceof FptrError && err.retryable;
  return line(check, 'failed', 'error', { reason: reasonOf(err) }, passing ? 'retry' : 'checkUrl');
}

/**
 * FPTR refuses with 403, or with 400 code 104 for a permission rule (fptr-api.md §3.2); a 401
 * after the client's own re-authentication means these credentials may not do this either.
 */
function isRefusal(err: unknown): err is FptrError {
  if (!(err instanceof FptrError) || err.kind !== 'http') return false;
  return err.status === 401 || err.status === 403 || (err.status === 400 && err.code === 104);
}

/** FptrError messages are built to hold no secret; anything else is named by its class only. */
function reasonOf(err: unknown): string {
  if (err instanceof FptrError) return err.message;
  return err instanceof Error ? err.name : 'unknown error';
}

function userName(user: EntityRef): string {
  return typeof user.name === 'string' && user.name !== '' ? user.name : `${user.type} ${user.id}`;
}

function line(
  check: PreflightCheck,
  outcome: PreflightOutcome,
  result: string,
  values: Record<string, string>,
  fix?: string,
): PreflightLine {
  return fix ? { check, outcome, result, fix, values } : { check, outcome, result, values };
}
