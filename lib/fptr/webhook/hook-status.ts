import { describeValue } from '../../util/describe-value';
import type { WebhookRecord } from '../client/webhook-record';

/**
 * A webhook's health as FPTR's guide names it (fptr-api.md §4.3, §5.7): Active (no failures in
 * 24 h), Unstable (some), Failed (100 failures in 24 h: FPTR stops delivering), Disabled (off
 * until someone turns it on). Only `active` and `disabled` are documented API spellings; the
 * lower-case `unstable` and `failed` are UNCONFIRMED, so anything else is refused by name
 * instead of being read as healthy.
 */
export type HookStatus = 'active' | 'unstable' | 'failed' | 'disabled';
export const HOOK_STATUSES: readonly HookStatus[] = ['active', 'unstable', 'failed', 'disabled'];

/** What a watcher reports: a status, or `missing` when the hook no longer exists. */
export type WatchedStatus = HookStatus | 'missing';

export class HookStatusError extends Error {
  constructor(
    readonly hookId: string,
    readonly reported: unknown,
  ) {
    super(
      `FPTR reported status ${describeValue(reported)} for webhook ${hookId}; expected one of ${HOOK_STATUSES.join(', ')} ` +
        "(the lower-case names of the Unstable and Failed states are not confirmed by FPTR's documentation: " +
        'the status is not trusted until this package knows the name)',
    );
    this.name = 'HookStatusError';
  }
}

/**
 * The status of a webhook record. The guide's own labels (`Active`, `Failed`, …) are the same
 * states written differently and are accepted; any other value throws HookStatusError.
 */
export function hookStatus(record: Pick<WebhookRecord, 'id' | 'status'>): HookStatus {
  const value = typeof record.status === 'string' ? record.status.trim().toLowerCase() : undefined;
  const known = HOOK_STATUSES.find((status) => status === value);
  if (!known) throw new HookStatusError(record.id, record.status);
  return known;
}

/** Statuses that need a person's attention: FPTR is failing to deliver, or has stopped. */
export function isUnhealthy(status: WatchedStatus): boolean {
  return status !== 'active';
}

/** FPTR no longer attempts deliveries: every event in this state is missed by the webhook. */
export function isStopped(status: WatchedStatus): boolean {
  return status === 'failed' || status === 'disabled' || status === 'missing';
}
