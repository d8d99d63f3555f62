import { Semaphore } from '../../util/semaphore';
import type { DeliveryRecord, ListDeliveriesOptions } from '../client/api';
import { InputError } from '../../util/errors';
import { describeValue } from '../../util/describe-value';

/**
 * Finds the failed deliveries of one webhook inside a time window and asks FPTR to send each
 * again, a few at a time. Partial failure is a normal outcome here (a delivery may have expired
 * or be redelivered by someone else), so it is reported in the summary instead of thrown.
 */

export interface SweepApi {
  listDeliveries(hookId: string, options?: ListDeliveriesOptions): Promise<DeliveryRecord[]>;
  redeliver(deliveryId: string): Promise<void>;
}

/** Unix seconds, the unit of FPTR's `from`/`to` delivery filters. */
export interface Window {
  from: number;
  to: number;
}

export interface SweepSummary {
  hookId: string;
  window: { from: string; to: string };
  found: number;
  redelivered: number;
  failed: Array<{ id: string; error: string }>;
}

export class WindowError extends InputError {}

/** What the node uses when its "Last" or "At once" setting is empty. */
export const SWEEP_DEFAULTS = { windowValue: 60, concurrency: 4 } as const;

/**
 * The sweep of unacknowledged deliveries (unacked-sweep.ts): the grace period in seconds when
 * its setting is empty, and how often one delivery is sent again before the sweep gives up.
 */
export const UNACKED_DEFAULTS = { graceSeconds: 300, maxAttempts: 3 } as const;

/**
 * The sweep's "Last" and "At once" settings: a whole number above 0, as the editor saves it
 * (number or text); empty means `fallback`; undefined when it is neither.
 */
export function sweepSetting(value: unknown, fallback: number): number | undefined {
  const n = value === undefined || value === '' ? fallback : Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Numbers this large cannot be Unix seconds before the year 5000; they are milliseconds. */
const MS_THRESHOLD = 1e11;

/** A point in time as Unix seconds: Unix seconds or ms, an ISO 8601 string or a Date. */
export function toUnixSeconds(value: unknown, where: string): number {
  let ms: number | undefined;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number' && Number.isFinite(value)) ms = value >= MS_THRESHOLD ? value : value * 1000;
  else if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    ms = /^\d+(\.\d+)?$/.test(text) ? toUnixSeconds(Number(text), where) * 1000 : Date.parse(text);
  }
  if (ms === undefined || Number.isNaN(ms)) {
    throw new WindowError(
      `${where} must be a time (Unix seconds or ms, ISO 8601 text or Date), got ${describeValue(value)}`,
    );
  }
  return Math.floor(ms / 1000);
}

/**
 * `msg.window` `{from?, to?}` when given (the summary's own `window` can be fed back),
 * otherwise the last `lastSeconds` up to now.
 */
export function resolveWindow(override: unknown, lastSeconds: number, nowMs: number): Window {
  const now = Math.floor(nowMs / 1000);
  if (override === undefined || override === null) return { from: now - lastSeconds, to: now };
  if (typeof override !== 'object' || Array.isArray(override)) {
    throw new WindowError('msg.window must be an object {from, to}');
  }
  const { from, to } = override as { from?: unknown; to?: unknown };
  const end = to === undefined ? now : toUnixSeconds(to, 'msg.window.to');
  const start = from === undefined ? end - lastSeconds : toUnixSeconds(from, 'msg.window.from');
  if (start > end) throw new WindowError('msg.window.from is after msg.window.to');
  return { from: start, to: end };
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function sweepFailedDeliveries(
  api: SweepApi,
  hookId: string,
  window: Window,
  concurrency: number,
): Promise<SweepSummary> {
  const listed = await api.listDeliveries(hookId, { status: 'failed', from: window.from, to: window.to });
  // The status filter is applied again here: redelivering a delivered event would duplicate work downstream.
  const failedOnes = listed.filter((d) => d.status === undefined || d.status === 'failed');
  const slots = new Semaphore(concurrency);
  // One outcome per delivery, kept in list order so the summary reads the same on every run.
  const outcomes = await Promise.all(
    failedOnes.map(async (delivery) => {
      const release = await slots.acquire();
      try {
        await api.redeliver(delivery.id);
        return undefined;
      } catch (err) {
        return { id: delivery.id, error: message(err) };
      } finally {
        release();
      }
    }),
  );
  const failed = outcomes.filter((o): o is { id: string; error: string } => o !== undefined);
  return {
    hookId,
    window: { from: isoSeconds(window.from), to: isoSeconds(window.to) },
    found: failedOnes.length,
    redelivered: failedOnes.length - failed.length,
    failed,
  };
}
