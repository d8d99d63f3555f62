import { randomBytes } from 'node:crypto';
import { FptrError } from '../client/fptr-error';
import { SecretScrubber } from '../client/secret-scrubber';
import type { WebhookAdminApi, WebhookBody, WebhookRecord } from '../client/webhook-record';
import { sameUrl } from './hook-url';
import { RegistrationError } from './registration-error';
import { entityTypesBody, sameSubscription, subscriptionOf, type HookSubscription } from './subscription';

/**
 * Creates or updates the FPTR webhook behind one webhook node, without ever making a second
 * one: the stored hook id is updated when it still exists; when it is gone (deleted in FPTR,
 * or a copied flow), a hook already calling the same URL is taken over; only when there is
 * none is a hook created. Every answer is checked against what was asked, so a site that
 * stores something else fails loudly instead of leaving a hook that listens to the wrong thing.
 */

export interface RegisterRequest {
  /** The hook id stored on the node, if any. */
  hookId?: string;
  /** The public URL FPTR calls: base URL + the node's path (see hookUrl). */
  url: string;
  subscription: HookSubscription;
  /** The HMAC secret; FPTR only reports whether one is set. */
  secret: string;
  name: string;
  description?: string;
}

export type RegisterOutcome = 'created' | 'updated' | 'adopted';

export interface RegisterResult {
  hook: WebhookRecord;
  outcome: RegisterOutcome;
}

/** 32 random bytes, URL-safe: what the runtime gives a webhook it registers. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

function isNotFound(err: unknown): boolean {
  return err instanceof FptrError && err.kind === 'http' && err.status === 404;
}

/** FPTR may quote a request body in an error: the secret must not ride along into logs. */
function scrubbed(err: unknown, scrubber: SecretScrubber): unknown {
  if (!(err instanceof Error)) return err;
  const message = scrubber.scrub(err.message);
  if (message === err.message) return err;
  const copy = err instanceof FptrError ? new FptrError(message, err) : new Error(message);
  copy.stack = scrubber.scrub(err.stack ?? '');
  return copy;
}

export async function registerHook(api: WebhookAdminApi, request: RegisterRequest): Promise<RegisterResult> {
  const scrubber = new SecretScrubber([request.secret]);
  try {
    return await register(api, request);
  } catch (err) {
    throw scrubbed(err, scrubber);
  }
}

async function register(api: WebhookAdminApi, request: RegisterRequest): Promise<RegisterResult> {
  const body: WebhookBody = {
    url: request.url,
    entity_types: entityTypesBody(request.subscription),
    token: request.secret,
    name: request.name,
    batch_deliveries: true,
    validate_ssl_cert: true,
  };
  if (request.description !== undefined) body.description = request.description;
  // Updating a hook must also lift a project restriction it had; `null` is how the list is unset.
  const updateBody: WebhookBody = {
    ...body,
    projects: request.subscription.projects.length > 0 ? request.subscription.projects : null,
    status: 'active',
  };
  if (request.subscription.projects.length > 0) body.projects = request.subscription.projects;

  if (request.hookId) {
    try {
      return checked(await api.updateHook(request.hookId, updateBody), request, 'updated');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const existing = await hooksCalling(api, request);
  if (existing) return checked(await api.updateHook(existing.id, updateBody), request, 'adopted');
  return checked(await api.createHook(body), request, 'created');
}

/** The one hook already calling the URL, if any; several that cannot be told apart are an error, not a guess. */
async function hooksCalling(api: WebhookAdminApi, request: RegisterRequest): Promise<WebhookRecord | undefined> {
  // The site may ignore the url filter (fptr-api.md §3.4): the answer is filtered again here.
  const calling = (await api.listHooks({ url: request.url })).filter((hook) => sameUrl(hook.url, request.url));
  if (calling.length <= 1) return calling[0];
  const sameType = calling.filter(
    (hook) => hook.entity_types && Object.keys(hook.entity_types).includes(request.subscription.entityType),
  );
  if (sameType.length === 1) return sameType[0];
  throw new RegistrationError(
    `${calling.length} webhooks in FPTR already call ${request.url} (${calling.map((hook) => hook.id).join(', ')}); ` +
      'delete the ones you do not need in FPTR, then register again',
  );
}

function checked(hook: WebhookRecord, request: RegisterRequest, outcome: RegisterOutcome): RegisterResult {
  const problems: string[] = [];
  if (!sameUrl(hook.url, request.url))
    problems.push(`url ${JSON.stringify(hook.url)} instead of ${JSON.stringify(request.url)}`);
  const stored = subscriptionOf(hook);
  if (!stored || !sameSubscription(stored, request.subscription)) {
    problems.push(
      `subscription ${JSON.stringify({ entity_types: hook.entity_types, projects: hook.projects })} instead of ${JSON.stringify({ entity_types: entityTypesBody(request.subscription), projects: request.subscription.projects })}`,
    );
  }
  if (hook.batch_deliveries === false) problems.push('batched deliveries off');
  if (hook.is_token_set === false) problems.push('no secret token');
  if (problems.length > 0) {
    throw new RegistrationError(
      `FPTR ${outcome === 'created' ? 'created' : 'updated'} webhook ${hook.id} but reports ${problems.join('; ')}`,
      hook.id,
    );
  }
  return { hook, outcome };
}
