import { hookUrl } from './hook-url';
import { checkSubscription, type HookSubscription } from './subscription';

/*
 * The settings of an fptr-webhook-in that concern its FPTR webhook (registering and watching
 * it), as the editor saves them. lib/editor hands the same rules to the dialog.
 */

export const DEFAULT_WATCH_SECONDS = 300;

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

/** Seconds between status checks: a whole number ≥ 1; absent or blank = 300 (5 minutes). */
export function watchIntervalSeconds(value: unknown): number | undefined {
  const raw = text(value);
  if (raw === '') return DEFAULT_WATCH_SECONDS;
  if (!/^\d+$/.test(raw)) return undefined;
  const seconds = Number(raw);
  return Number.isSafeInteger(seconds) && seconds >= 1 ? seconds : undefined;
}

/** The stored webhook id: FPTR's are UUIDs; anything else is treated as none. */
export function hookIdSetting(value: unknown): string | undefined {
  const id = text(value);
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.toLowerCase() : undefined;
}

/** A base URL FPTR can be given (blank counts as not set). */
export function publicUrlSetting(value: unknown): boolean {
  const raw = text(value);
  if (raw === '') return true;
  try {
    hookUrl(raw, '/');
    return true;
  } catch {
    return false;
  }
}

/**
 * The public base URL of a node: its own, else the one in settings.js
 * (`fptrWebhookInPublicUrl`); undefined when neither is set.
 */
export function publicBaseUrl(nodeValue: unknown, settingsValue: unknown): string | undefined {
  return text(nodeValue) || text(settingsValue) || undefined;
}

/** The saved subscription, or undefined when none was chosen (or it is unusable). */
export function savedSubscription(value: unknown): HookSubscription | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  try {
    return checkSubscription(value);
  } catch {
    return undefined;
  }
}
